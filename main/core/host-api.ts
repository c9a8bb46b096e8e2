// What a host (Electron shell, web-mode server, tests) needs from the core, and what the core
// needs from its host. Kept here so hosts depend on this small surface, not on core internals.
import type { IpcResult, Patch } from '../../common/api';

/** The core as a host sees it: raw (unvalidated) commands in, batched patches out. */
export interface CoreApi {
  /** Validates `input` against the command's schema, runs it, never throws. */
  handle(cmd: string, input: unknown): Promise<IpcResult<unknown>>;
  /** Batches are flushed at most every ~16 ms; returns an unsubscribe function. */
  onPatches(listener: (patches: readonly Patch[]) => void): () => void;
  /** Called by the host when the OS wakes up or the network comes back: retry at once. */
  wake(): void;
  close(): Promise<void>;
}

/**
 * Where secrets (passwords, tokens) live. Never SQLite, logs, the renderer or temp files.
 * Desktop: Electron safeStorage (OS key store). Web mode and tests: a 0600 key file.
 */
export interface SecretStore {
  readonly kind: 'keystore' | 'keyfile';
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}
