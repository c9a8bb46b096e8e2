// A Rust crypto store that survives restarts in Node. The store itself lives in the process-wide
// in-memory IndexedDB (idb-env.ts) under a prefix that is fresh for every connect; this class loads
// the account's encrypted snapshot file into it before initRustCrypto and writes it back.
//
// Without a file (the adapter got no storage) it is only an in-memory store that outlives one
// client: the adapter reuses it when the same instance reconnects, so the device keeps its keys
// until the process ends.
//
// When it writes is what makes it safe: keys the server knows about (uploaded one-time keys, room
// keys shared with others, cross-signing) must be on disk before the server can see them, or a crash
// leaves messages nobody can decrypt. So `beforeRequest()` runs in front of every HTTP request of
// the account (the client's fetchFn): if any readwrite transaction completed since the last
// snapshot, the snapshot is written first and the request waits for it. Also on close().
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { AppError } from '../../../common/errors';
import type { AdapterLogger } from '../../contract';
import { installIndexedDb, unwatchPrefix, watchPrefix } from './idb-env';
import type { WriteWatch } from './idb-env';
import { deleteDatabases, dumpDatabases, restoreDatabases } from './snapshot';
import type { DatabaseSnapshot } from './snapshot';
import { readIfExists, seal, unseal, writeAtomic } from './sealed-file';

export const STORE_FILE = 'matrix-crypto-store.bin';
/** Account directories with a live store in this process. */
const openDirs = new Set<string>();
const FORMAT = 1;

interface SnapshotFile {
  readonly format: number;
  readonly userId: string;
  readonly deviceId: string;
  readonly dbs: readonly DatabaseSnapshot[];
}

function isSnapshotFile(v: unknown): v is SnapshotFile {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o.format === FORMAT && typeof o.userId === 'string' && typeof o.deviceId === 'string' && Array.isArray(o.dbs);
}

/**
 * node:v8 deserializes typed arrays as views into the one big input buffer. IndexedDB (fake or
 * real) structured-clones each stored value, and cloning a view clones its whole buffer: restoring
 * 1,000 records of a 1 MB snapshot took 1.6 s instead of 25 ms. Give every view its own buffer.
 */
export function ownBuffers(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) {
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return v;
    const copy = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
    if (v instanceof DataView) return new DataView(copy);
    const Ctor = v.constructor as new (b: ArrayBuffer) => ArrayBufferView;
    return new Ctor(copy);
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = ownBuffers(v[i]);
    return v;
  }
  if (v instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, x] of v) out.set(ownBuffers(k), ownBuffers(x));
    return out;
  }
  if (v instanceof Set) return new Set([...v].map(ownBuffers));
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = ownBuffers(o[k]);
  }
  return v;
}

export interface SnapshotStats {
  readonly count: number;
  readonly lastBytes: number;
  readonly lastMs: number;
  readonly totalMs: number;
}

export class CryptoStore {
  /** Database name prefix to give initRustCrypto (cryptoDatabasePrefix). */
  readonly prefix = `samverka-${randomBytes(8).toString('hex')}`;
  private readonly factory = installIndexedDb();
  private readonly watch: WriteWatch = watchPrefix(this.prefix);
  private readonly path: string;
  private savedGeneration = 0;
  private chain: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private stats = { count: 0, lastBytes: 0, lastMs: 0, totalMs: 0 };
  private registered = false;

  private readonly file: { readonly dir: string; readonly key: Uint8Array } | null;

  constructor(
    file: { readonly dir: string; readonly key: Uint8Array } | null,
    readonly owner: { readonly userId: string; readonly deviceId: string },
    private readonly log: AdapterLogger,
  ) {
    if (file && file.key.length !== 32) throw new AppError('crypto', 'crypto store key must be 32 bytes');
    this.file = file;
    this.path = file ? join(file.dir, STORE_FILE) : '';
    this.watch.onChange = () => {
      if (this.watch.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
  }

  /** Whether the store is written to disk. */
  get persistent(): boolean {
    return this.file !== null;
  }

  get snapshotStats(): SnapshotStats {
    return { ...this.stats };
  }

  /**
   * Load the snapshot into the fresh prefix. Returns false when there was none usable: no file, or
   * one for another device (a password login makes a new device, which needs a new store).
   */
  async restore(): Promise<boolean> {
    if (!this.file) return false;
    // Two live stores on one file would overwrite each other's keys (the Rust store is not safe
    // for concurrent use either): one connection per account directory in this process.
    if (openDirs.has(this.file.dir)) throw new AppError('conflict', 'the encryption store of this account is in use by another connection');
    openDirs.add(this.file.dir);
    this.registered = true;
    try {
      return await this.load(this.file);
    } catch (e) {
      this.release();
      throw e;
    }
  }

  private async load(file: { readonly dir: string; readonly key: Uint8Array }): Promise<boolean> {
    await mkdir(file.dir, { recursive: true, mode: 0o700 });
    const sealed = await readIfExists(this.path);
    if (!sealed) return false;
    const parsed: unknown = ownBuffers(deserialize(unseal(file.key, sealed)));
    if (!isSnapshotFile(parsed)) throw new AppError('crypto', 'crypto store file: unreadable snapshot');
    if (parsed.userId !== this.owner.userId || parsed.deviceId !== this.owner.deviceId) {
      this.log.warn('matrix crypto store belongs to another device; starting a new one', { stored: parsed.deviceId, now: this.owner.deviceId });
      return false;
    }
    await restoreDatabases(this.factory, this.prefix, parsed.dbs);
    this.savedGeneration = this.watch.generation;
    return true;
  }

  /** Whether a write completed that is not on disk yet. */
  get dirty(): boolean {
    return this.file !== null && this.watch.generation > this.savedGeneration;
  }

  /** Put in front of every request: nothing leaves before the store state is on disk. */
  async beforeRequest(): Promise<void> {
    if (this.closed || (!this.dirty && this.watch.inFlight === 0)) return;
    await this.flush();
  }

  /** Write the snapshot if anything changed. Serialized: one write at a time, in order. */
  flush(): Promise<void> {
    const run = this.chain.then(async () => {
      await this.idle();
      if (!this.dirty) return;
      const generation = this.watch.generation;
      await this.write();
      // Writes that completed while we read are either in this snapshot or caught next time.
      this.savedGeneration = Math.max(this.savedGeneration, generation);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Final snapshot, then forget the in-memory databases. Call after the client was stopped. */
  async close(): Promise<void> {
    if (this.closed || !this.file) return;
    try {
      await this.flush();
      this.log.info('matrix crypto store closed', { ...this.stats });
    } finally {
      this.release();
      unwatchPrefix(this.prefix);
      await deleteDatabases(this.factory, this.prefix).catch(() => undefined);
    }
  }

  /** Forget everything in memory (logout, or an in-memory store for a device that is gone). */
  async destroy(): Promise<void> {
    this.release();
    unwatchPrefix(this.prefix);
    await deleteDatabases(this.factory, this.prefix).catch(() => undefined);
  }

  private release(): void {
    this.closed = true;
    if (this.registered && this.file) openDirs.delete(this.file.dir);
    this.registered = false;
  }

  private idle(): Promise<void> {
    if (this.watch.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      // A transaction that never finishes must not stop the account forever.
      const t = setTimeout(() => resolve(), 5_000);
      t.unref();
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private async write(): Promise<void> {
    const started = performance.now();
    const dbs = await dumpDatabases(this.factory, this.prefix);
    const file: SnapshotFile = { format: FORMAT, userId: this.owner.userId, deviceId: this.owner.deviceId, dbs };
    if (!this.file) return;
    const sealed = seal(this.file.key, serialize(file));
    await writeAtomic(this.path, sealed);
    const ms = performance.now() - started;
    this.stats = { count: this.stats.count + 1, lastBytes: sealed.length, lastMs: ms, totalMs: this.stats.totalMs + ms };
    this.log.debug('matrix crypto store saved', { bytes: sealed.length, ms: Math.round(ms) });
  }
}
