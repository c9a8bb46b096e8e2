// The IndexedDB the Rust crypto store uses in Node. The wasm glue reads `globalThis.indexedDB` and
// `globalThis.IDBKeyRange` (wasm-bindgen `arg0.indexedDB` on the global object), so it cannot be
// handed a factory per account: one process-wide factory is installed (fake-indexeddb, in memory)
// and accounts are kept apart by a unique database-name prefix each.
//
// It also tells who wrote: IDBDatabase.prototype.transaction is wrapped once so that every
// readwrite transaction on a database whose name starts with a watched prefix is counted while in
// flight and bumps that prefix's generation when it completes; IDBFactory.prototype.open likewise
// for schema upgrades (versionchange transactions, where the Rust store also migrates data). The
// persister compares generations to know whether the store changed since the last snapshot.
import {
  IDBCursor, IDBCursorWithValue, IDBDatabase as FakeIDBDatabase, IDBFactory, IDBIndex, IDBKeyRange, IDBObjectStore,
  IDBOpenDBRequest, IDBRequest, IDBTransaction, IDBVersionChangeEvent, indexedDB as fakeIndexedDB,
} from 'fake-indexeddb';

export interface WriteWatch {
  /** Completed readwrite transactions so far. */
  generation: number;
  /** Readwrite transactions started and not yet finished. */
  inFlight: number;
  /** Called whenever inFlight drops or generation rises. */
  onChange: () => void;
}

const watches = new Map<string, WriteWatch>();
let installed = false;

function watchFor(dbName: string): WriteWatch | undefined {
  for (const [prefix, w] of watches) if (dbName.startsWith(prefix)) return w;
  return undefined;
}

/** Idempotent. Uses a real IndexedDB if the runtime has one (never the case in the core). */
export function installIndexedDb(): IDBFactory {
  const g = globalThis as unknown as Record<string, unknown>;
  if (g.indexedDB === undefined) {
    const defs: Record<string, unknown> = {
      indexedDB: fakeIndexedDB, IDBCursor, IDBCursorWithValue, IDBDatabase: FakeIDBDatabase, IDBFactory, IDBIndex, IDBKeyRange,
      IDBObjectStore, IDBOpenDBRequest, IDBRequest, IDBTransaction, IDBVersionChangeEvent,
    };
    for (const [k, value] of Object.entries(defs)) Object.defineProperty(g, k, { value, configurable: true, writable: true, enumerable: false });
  }
  if (!installed) {
    installed = true;
    const proto = (g.IDBDatabase as typeof IDBDatabase).prototype;
    const original = proto.transaction;
    proto.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>): IDBTransaction {
      const tx = original.apply(this, args);
      const w = args[1] === 'readwrite' ? watchFor(this.name) : undefined;
      if (w) {
        w.inFlight++;
        let done = false;
        const finish = (ok: boolean): void => {
          if (done) return;
          done = true;
          w.inFlight--;
          if (ok) w.generation++;
          w.onChange();
        };
        tx.addEventListener('complete', () => finish(true));
        tx.addEventListener('abort', () => finish(false));
        tx.addEventListener('error', () => finish(false));
      }
      return tx;
    };
    const fproto = (g.IDBFactory as typeof IDBFactory).prototype;
    const originalOpen = fproto.open;
    fproto.open = function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>): IDBOpenDBRequest {
      const r = originalOpen.apply(this, args);
      const w = watchFor(args[0]);
      if (w) {
        let upgrading = false;
        r.addEventListener('upgradeneeded', () => {
          upgrading = true;
          w.inFlight++;
        });
        const finish = (ok: boolean): void => {
          if (!upgrading) return;
          upgrading = false;
          w.inFlight--;
          if (ok) w.generation++;
          w.onChange();
        };
        r.addEventListener('success', () => finish(true));
        r.addEventListener('error', () => finish(false));
      }
      return r;
    };
  }
  return g.indexedDB as IDBFactory;
}

export function watchPrefix(prefix: string): WriteWatch {
  const w: WriteWatch = { generation: 0, inFlight: 0, onChange: () => undefined };
  watches.set(prefix, w);
  return w;
}

export function unwatchPrefix(prefix: string): void {
  watches.delete(prefix);
}
