import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountStorage, removeAccountStorage, storageKeyName } from '../../../main/core/accounts/account-storage';
import { FileSecretStore } from '../../../main/core/secrets/file-secret-store';

describe('per-account adapter storage', () => {
  it('dir under the profile; one random 32-byte key kept in the SecretStore; both removed with the account', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'samverka-prof-'));
    const secrets = FileSecretStore.inProfile(profile);
    const s = accountStorage(profile, 'matrix-0123456789ab', secrets);
    expect(s.dir).toBe(join(profile, 'accounts', 'matrix-0123456789ab'));
    const [k1, k2] = await Promise.all([s.key(), s.key()]);
    expect(k1.length).toBe(32);
    expect(k2).toEqual(k1);
    // A new runtime (app restart) gets the same key back.
    expect(await accountStorage(profile, 'matrix-0123456789ab', FileSecretStore.inProfile(profile)).key()).toEqual(k1);
    expect(Buffer.from((await secrets.get(storageKeyName('matrix-0123456789ab')))!, 'base64')).toEqual(Buffer.from(k1));
    await mkdir(s.dir, { recursive: true });
    await writeFile(join(s.dir, 'x.bin'), 'data');
    await removeAccountStorage(profile, 'matrix-0123456789ab', secrets);
    await expect(stat(s.dir)).rejects.toThrow();
    expect(await secrets.get(storageKeyName('matrix-0123456789ab'))).toBeNull();
    expect(() => accountStorage(profile, '../evil', secrets)).toThrow();
  });
});
