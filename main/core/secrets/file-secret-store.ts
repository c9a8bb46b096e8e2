// The weaker secret store for web mode and tests: a JSON key file readable only by the user
// (0600). The desktop app uses the OS key store instead (Electron safeStorage, in main/electron).
// Writes go to a 0600 temp file in the same directory and are renamed over the old file, so a
// crash never leaves a half-written or world-readable file behind.
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { SecretStore } from '../host-api';

export const SECRET_FILE_NAME = 'secrets.json';

export class FileSecretStore implements SecretStore {
  readonly kind = 'keyfile' as const;
  private cache: Map<string, string> | null = null;
  /** Serialises writes so two quick `set`s cannot interleave their read-modify-write. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  static inProfile(profileDir: string): FileSecretStore {
    return new FileSecretStore(join(profileDir, SECRET_FILE_NAME));
  }

  async get(key: string): Promise<string | null> {
    await this.chain;
    return (await this.load()).get(key) ?? null;
  }

  set(key: string, value: string): Promise<void> {
    return this.enqueue(async () => {
      const m = await this.load();
      m.set(key, value);
      await this.save(m);
    });
  }

  delete(key: string): Promise<void> {
    return this.enqueue(async () => {
      const m = await this.load();
      if (m.delete(key)) await this.save(m);
    });
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<Map<string, string>> {
    if (this.cache) return this.cache;
    let parsed: unknown = {};
    try {
      parsed = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const m = new Map<string, string>();
    if (parsed && typeof parsed === 'object') {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') m.set(k, v);
    }
    this.cache = m;
    return m;
  }

  private async save(m: Map<string, string>): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // `mode` applies only when creating; chmod covers a restrictive-umask-less edge anyway.
      await writeFile(tmp, JSON.stringify(Object.fromEntries(m)), { mode: 0o600, flag: 'wx' });
      await chmod(tmp, 0o600);
      await rename(tmp, this.file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}

/** Where an account's credentials live in any SecretStore. */
export function credentialsKey(accountId: string): string {
  return `account:${accountId}:credentials`;
}
