// Per-account private storage handed to adapters (AdapterContext.storage): a directory under the
// profile, `<profile>/accounts/<accountId>/`, and a random 32-byte key kept in the SecretStore
// (`account:<id>:cryptokey`, base64), never on disk next to the data it protects. The Matrix
// adapter keeps its end-to-end encryption store there, sealed under the key.
//
// Wiring in core.ts (three places):
//   createRuntime / SSO prepare: ctx `{ log, now, storage: accountStorage(profileDir, accountId, secrets) }`
//   removeAccount:               `await removeAccountStorage(profileDir, accountId, secrets)`
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../../../common/errors';
import type { AdapterStorage } from '../../../protocols/contract';
import type { SecretStore } from '../host-api';

export const ACCOUNTS_DIR = 'accounts';
export const storageKeyName = (accountId: string): string => `account:${accountId}:cryptokey`;

function accountDir(profileDir: string, accountId: string): string {
  // Account ids are `<protocol>-<hex>` (ids.ts); anything else must not become a path.
  if (!/^[a-z]+-[0-9a-f]{6,64}$/.test(accountId)) throw new AppError('invalid_input', 'bad account id for storage');
  return join(profileDir, ACCOUNTS_DIR, accountId);
}

export function accountStorage(profileDir: string, accountId: string, secrets: SecretStore): AdapterStorage {
  const dir = accountDir(profileDir, accountId);
  let key: Promise<Uint8Array> | null = null;
  return {
    dir,
    // Memoised: two quick connects must not each create (and store) a different key.
    key: () => {
      key ??= loadOrCreateKey(secrets, accountId).catch((e: unknown) => {
        key = null;
        throw e;
      });
      return key;
    },
  };
}

async function loadOrCreateKey(secrets: SecretStore, accountId: string): Promise<Uint8Array> {
  const name = storageKeyName(accountId);
  const stored = await secrets.get(name);
  if (stored !== null) {
    const k = Buffer.from(stored, 'base64');
    if (k.length !== 32) throw new AppError('crypto', 'the stored account storage key is damaged');
    return new Uint8Array(k);
  }
  const k = randomBytes(32);
  await secrets.set(name, k.toString('base64'));
  return new Uint8Array(k);
}

/** With the account: its directory and its key. */
export async function removeAccountStorage(profileDir: string, accountId: string, secrets: SecretStore): Promise<void> {
  await rm(accountDir(profileDir, accountId), { recursive: true, force: true });
  await secrets.delete(storageKeyName(accountId));
}

/**
 * Give a provisional account's storage (an SSO sign-in, named only once the server said who
 * signed in) to its final id: directory and key move together. The adapter must be disconnected.
 */
export async function moveAccountStorage(profileDir: string, fromId: string, toId: string, secrets: SecretStore): Promise<void> {
  const from = accountDir(profileDir, fromId);
  const to = accountDir(profileDir, toId);
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  await rm(to, { recursive: true, force: true });
  await rename(from, to).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // nothing stored yet is fine
  });
  const key = await secrets.get(storageKeyName(fromId));
  if (key !== null) {
    await secrets.set(storageKeyName(toId), key);
    await secrets.delete(storageKeyName(fromId));
  }
}
