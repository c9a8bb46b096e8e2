import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../../common/errors';
import { recordedPasswordStore, SafeStorageSecretStore, type SafeStorageLike } from '../../../main/electron/safe-storage-secret-store';

type Backend = ReturnType<SafeStorageLike['getSelectedStorageBackend']>;

function fakeSafeStorage(opts: { available?: boolean; backend?: Backend; key?: number } = {}) {
  const key = opts.key ?? 0x5a;
  const s = {
    available: opts.available ?? true,
    backend: opts.backend ?? ('gnome_libsecret' as Backend),
    isEncryptionAvailable: () => s.available,
    // A keyed XOR with a marker: enough to show that the file never holds the plaintext and
    // that a different key cannot decrypt.
    encryptString: (plain: string) => Buffer.concat([Buffer.from([key]), Buffer.from(plain, 'utf8').map((b) => b ^ key)]),
    decryptString: (buf: Buffer) => {
      if (buf[0] !== key) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(buf.subarray(1).map((b) => b ^ key)).toString('utf8');
    },
    getSelectedStorageBackend: () => s.backend,
  };
  return s;
}

let dir: string;
let file: string;
const logs: string[] = [];
const log = (l: string) => void logs.push(l);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samverka-secrets-'));
  file = join(dir, 'userData', 'secrets.json');
  logs.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SafeStorageSecretStore', () => {
  it('round-trips, persists ciphertext only, in a 0600 file, and survives a restart', async () => {
    const safe = fakeSafeStorage();
    const store = new SafeStorageSecretStore({ safeStorage: safe, file, platform: 'linux', log });
    expect(store.kind).toBe('keystore');
    expect(await store.get('account:a:password')).toBeNull();
    await store.set('account:a:password', 'hunter2-lösenord');
    await store.set('account:b:password', 'other');
    expect(await store.get('account:a:password')).toBe('hunter2-lösenord');
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('hunter2');
    const parsed = JSON.parse(text) as { backend: string; entries: Record<string, string> };
    expect(parsed.backend).toBe('gnome_libsecret');
    expect(Object.keys(parsed.entries).sort()).toEqual(['account:a:password', 'account:b:password']);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);

    const again = new SafeStorageSecretStore({ safeStorage: safe, file, platform: 'linux', log });
    expect(await again.get('account:a:password')).toBe('hunter2-lösenord');
    await again.delete('account:a:password');
    expect(await again.get('account:a:password')).toBeNull();
    expect(await new SafeStorageSecretStore({ safeStorage: safe, file, log }).get('account:b:password')).toBe('other');
  });

  it('refuses to store when encryption is unavailable, with a clear error, and writes nothing', async () => {
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage({ available: false }), file, platform: 'linux', log });
    expect(store.unavailableReason()).toMatch(/key store is not available/);
    const err = await store.set('k', 'secret').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).kind).toBe('crypto');
    expect((err as AppError).message).toMatch(/will not store passwords/);
    await expect(stat(file)).rejects.toThrow();
  });

  it('refuses the Linux basic_text backend (not real encryption)', async () => {
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage({ backend: 'basic_text' }), file, platform: 'linux', log });
    await expect(store.set('k', 'secret')).rejects.toThrow(/basic_text/);
    const mac = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage({ backend: 'basic_text' }), file, platform: 'darwin', log });
    await expect(mac.set('k', 'secret')).resolves.toBeUndefined();
  });

  it('treats a decrypt failure as "needs re-login": null, recorded, no crash', async () => {
    await new SafeStorageSecretStore({ safeStorage: fakeSafeStorage({ key: 1 }), file, platform: 'linux', log }).set('k', 'pw-XYZZY');
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage({ key: 2 }), file, platform: 'linux', log });
    expect(await store.get('k')).toBeNull();
    expect(store.undecryptable.has('k')).toBe(true);
    expect(logs.join('\n')).toMatch(/sign in again/);
    expect(logs.join('\n')).not.toContain('XYZZY');
    await store.set('k', 'new');
    expect(await store.get('k')).toBe('new');
    expect(store.undecryptable.has('k')).toBe(false);
  });

  it('survives a corrupt secrets file', async () => {
    await new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), file, log }).set('x', 'y');
    await writeFile(file, '{ not json');
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), file, log });
    expect(await store.get('x')).toBeNull();
    await store.set('x', 'z');
    expect(await store.get('x')).toBe('z');
  });

  it('does not confuse Object.prototype names with stored keys', async () => {
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), file, log });
    expect(await store.get('toString')).toBeNull();
    expect(await store.get('__proto__')).toBeNull();
    await store.set('__proto__', 'v');
    expect(await new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), file, log }).get('__proto__')).toBe('v');
  });

  it('serialises concurrent writes', async () => {
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), file, log });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, `v${i}`)));
    const fresh = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), file, log });
    for (let i = 0; i < 20; i++) expect(await fresh.get(`k${i}`)).toBe(`v${i}`);
  });

  it('records the Linux backend so the next launch can pin it', async () => {
    expect(recordedPasswordStore(file)).toBeNull();
    await new SafeStorageSecretStore({ safeStorage: fakeSafeStorage({ backend: 'kwallet6' }), file, platform: 'linux', log }).set('k', 'v');
    expect(recordedPasswordStore(file)).toBe('kwallet6');
  });
});
