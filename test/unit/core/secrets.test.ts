import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileSecretStore, SECRET_FILE_NAME } from '../../../main/core/secrets/file-secret-store';
import { cleanupDirs, tempDir } from './harness';

afterEach(cleanupDirs);

describe('FileSecretStore', () => {
  it('keeps secrets in a 0600 file that survives a restart', async () => {
    const dir = tempDir();
    const s = FileSecretStore.inProfile(dir);
    expect(s.kind).toBe('keyfile');
    await s.set('account:a:credentials', 'hunter2');
    await s.set('other', 'x');
    expect(statSync(join(dir, SECRET_FILE_NAME)).mode & 0o777).toBe(0o600);
    expect(await FileSecretStore.inProfile(dir).get('account:a:credentials')).toBe('hunter2');
    await s.delete('account:a:credentials');
    expect(await FileSecretStore.inProfile(dir).get('account:a:credentials')).toBeNull();
    expect(readFileSync(join(dir, SECRET_FILE_NAME), 'utf8')).not.toContain('hunter2');
  });

  it('leaves no temp files behind, even with concurrent writes', async () => {
    const dir = tempDir();
    const s = FileSecretStore.inProfile(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.set(`k${i}`, `v${i}`)));
    expect(readdirSync(dir)).toEqual([SECRET_FILE_NAME]);
    const fresh = FileSecretStore.inProfile(dir);
    for (let i = 0; i < 20; i++) expect(await fresh.get(`k${i}`)).toBe(`v${i}`);
  });
});
