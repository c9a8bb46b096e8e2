// Secrets in the desktop app: encrypted with Electron safeStorage (the OS key store), stored as
// base64 ciphertext in a 0600 JSON file in userData. Never plaintext on disk: if encryption is
// unavailable (or on Linux only the hard-coded "basic_text" backend is), storing is refused.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SafeStorage } from 'electron';
import { AppError } from '../../common/errors';
import type { SecretStore } from '../core/host-api';

type LinuxBackend = ReturnType<SafeStorage['getSelectedStorageBackend']>;

interface SecretsFile {
  readonly version: 1;
  /** Linux: the backend the entries were encrypted with. */
  readonly backend?: LinuxBackend;
  readonly entries: Record<string, string>;
}

export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

export interface SafeStorageSecretStoreOptions {
  readonly safeStorage: SafeStorageLike;
  /** e.g. <userData>/secrets.json */
  readonly file: string;
  readonly platform?: NodeJS.Platform;
  readonly log?: (line: string) => void;
}

/** `--password-store` values for the backends getSelectedStorageBackend() reports. */
const PASSWORD_STORE_SWITCH: Partial<Record<LinuxBackend, string>> = {
  gnome_libsecret: 'gnome-libsecret',
  kwallet: 'kwallet',
  kwallet5: 'kwallet5',
  kwallet6: 'kwallet6',
};

/**
 * Linux: the `--password-store` value that makes Chromium pick the backend the secrets file was
 * written with (Element's safeStorageBackend pinning). Call before app ready; null if none.
 */
export function recordedPasswordStore(file: string): string | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SecretsFile>;
    return parsed.backend ? (PASSWORD_STORE_SWITCH[parsed.backend] ?? null) : null;
  } catch {
    return null;
  }
}

export class SafeStorageSecretStore implements SecretStore {
  readonly kind = 'keystore' as const;
  readonly #safe: SafeStorageLike;
  readonly #file: string;
  readonly #platform: NodeJS.Platform;
  readonly #log: (line: string) => void;
  #state: SecretsFile | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  /** Keys whose ciphertext could not be decrypted: the account needs a new sign-in. */
  readonly undecryptable = new Set<string>();

  constructor(opts: SafeStorageSecretStoreOptions) {
    this.#safe = opts.safeStorage;
    this.#file = opts.file;
    this.#platform = opts.platform ?? process.platform;
    this.#log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
  }

  /** Why secrets cannot be stored right now, or null if they can. */
  unavailableReason(): string | null {
    if (!this.#safe.isEncryptionAvailable()) {
      return 'The operating system key store is not available (safeStorage encryption is unavailable), so Samverka will not store passwords. Unlock or install the key store (e.g. GNOME Keyring / KWallet on Linux) and try again.';
    }
    if (this.#platform === 'linux' && this.#safe.getSelectedStorageBackend() === 'basic_text') {
      return 'No OS key store was found (safeStorage fell back to "basic_text", which is not real encryption), so Samverka will not store passwords. Install and unlock GNOME Keyring (libsecret) or KWallet and restart.';
    }
    return null;
  }

  async get(key: string): Promise<string | null> {
    const state = await this.#load();
    const b64 = Object.hasOwn(state.entries, key) ? state.entries[key] : undefined;
    if (typeof b64 !== 'string') return null;
    try {
      const value = this.#safe.decryptString(Buffer.from(b64, 'base64'));
      this.undecryptable.delete(key);
      return value;
    } catch {
      // The key store changed or was reset: treat as "needs re-login", never crash. The entry
      // is kept (the key store may come back, e.g. when unlocked) and overwritten on next set().
      this.undecryptable.add(key);
      this.#log(`Samverka: a stored secret could not be decrypted (key store changed?); the account must sign in again.`);
      return null;
    }
  }

  set(key: string, value: string): Promise<void> {
    return this.#serial(async () => {
      const reason = this.unavailableReason();
      if (reason !== null) throw new AppError('crypto', reason);
      const state = await this.#load();
      const cipher = this.#safe.encryptString(value).toString('base64');
      const backend = this.#platform === 'linux' ? this.#safe.getSelectedStorageBackend() : undefined;
      if (state.backend !== undefined && backend !== undefined && state.backend !== backend) {
        this.#log(`Samverka: the key store backend changed from ${state.backend} to ${backend}.`);
      }
      const next: SecretsFile = {
        version: 1,
        ...(backend === undefined ? {} : { backend }),
        entries: { ...state.entries, [key]: cipher },
      };
      await this.#save(next);
      this.undecryptable.delete(key);
    });
  }

  delete(key: string): Promise<void> {
    return this.#serial(async () => {
      const state = await this.#load();
      if (!Object.hasOwn(state.entries, key)) return;
      const entries = Object.fromEntries(Object.entries(state.entries).filter(([k]) => k !== key));
      await this.#save({ ...state, entries });
      this.undecryptable.delete(key);
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #load(): Promise<SecretsFile> {
    if (this.#state) return this.#state;
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#state = { version: 1, entries: {} };
        return this.#state;
      }
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as Partial<SecretsFile>;
      const entries: Record<string, string> = Object.create(null) as Record<string, string>;
      if (typeof parsed.entries === 'object' && parsed.entries !== null) {
        for (const [k, v] of Object.entries(parsed.entries)) if (typeof v === 'string') entries[k] = v;
      }
      this.#state = { version: 1, ...(parsed.backend ? { backend: parsed.backend } : {}), entries };
    } catch {
      // A corrupt file holds nothing we can decrypt; start empty (accounts will ask to sign in).
      this.#log('Samverka: the secrets file is unreadable; accounts will need to sign in again.');
      this.#state = { version: 1, entries: {} };
    }
    return this.#state;
  }

  async #save(next: SecretsFile): Promise<void> {
    await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(next), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.#file);
    this.#state = next;
  }
}
