// One encrypted file: "SVCS1" ‖ iv(12) ‖ tag(16) ‖ AES-256-GCM(ciphertext). Written atomically
// (temp file in the same directory, fsync, rename) with mode 0600, so a crash leaves either the old
// or the new snapshot, never half of one. The key never touches the disk here.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../../../common/errors';

const MAGIC = Buffer.from('SVCS1');
const AAD = Buffer.from('samverka matrix crypto store v1');

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new AppError('crypto', 'crypto store key must be 32 bytes');
}

export function seal(key: Uint8Array, plain: Uint8Array): Buffer {
  checkKey(key);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(AAD);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([MAGIC, iv, c.getAuthTag(), body]);
}

export function unseal(key: Uint8Array, data: Uint8Array): Buffer {
  checkKey(key);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < MAGIC.length + 28 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new AppError('crypto', 'crypto store file: unknown format');
  const iv = buf.subarray(MAGIC.length, MAGIC.length + 12);
  const tag = buf.subarray(MAGIC.length + 12, MAGIC.length + 28);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(AAD);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(buf.subarray(MAGIC.length + 28)), d.final()]);
  } catch {
    throw new AppError('crypto', 'crypto store file: wrong key or corrupted');
  }
}

export async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** null when there is no file yet. */
export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
