// Copies every IndexedDB database whose name starts with a prefix into plain data and back,
// through the IndexedDB API alone (no knowledge of the Rust store's schema): databases → stores
// (keyPath, autoIncrement, indexes) → all keys and values. Values are whatever the store put in
// (structured-clonable); the caller serializes the result with node:v8.

export interface IndexSnapshot {
  readonly name: string;
  readonly keyPath: string | string[];
  readonly unique: boolean;
  readonly multiEntry: boolean;
}
export interface StoreSnapshot {
  readonly name: string;
  readonly keyPath: string | string[] | null;
  readonly autoIncrement: boolean;
  readonly indexes: readonly IndexSnapshot[];
  readonly keys: readonly IDBValidKey[];
  readonly values: readonly unknown[];
}
export interface DatabaseSnapshot {
  /** The name without the prefix, so a snapshot can be restored under another prefix. */
  readonly suffix: string;
  readonly version: number;
  readonly stores: readonly StoreSnapshot[];
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function openDb(factory: IDBFactory, name: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = version === undefined ? factory.open(name) : factory.open(name, version);
    r.onupgradeneeded = () => upgrade?.(r.result);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error(`cannot open ${name}`));
    r.onblocked = () => reject(new Error(`opening ${name} is blocked`));
  });
}

function txDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

export async function databaseNames(factory: IDBFactory, prefix: string): Promise<string[]> {
  const all = await factory.databases();
  return all.map((d) => d.name).filter((n): n is string => typeof n === 'string' && n.startsWith(prefix)).sort();
}

export async function dumpDatabases(factory: IDBFactory, prefix: string): Promise<DatabaseSnapshot[]> {
  const out: DatabaseSnapshot[] = [];
  for (const name of await databaseNames(factory, prefix)) {
    const db = await openDb(factory, name);
    try {
      const names = [...db.objectStoreNames];
      const stores: StoreSnapshot[] = [];
      if (names.length > 0) {
        // One readonly transaction over all stores: a consistent picture of this database, ordered
        // after every readwrite transaction created before it.
        const tx = db.transaction(names, 'readonly');
        const done = txDone(tx);
        const reads = names.map(async (sn) => {
          const s = tx.objectStore(sn);
          const indexes: IndexSnapshot[] = [...s.indexNames].map((iname) => {
            const i = s.index(iname);
            return { name: iname, keyPath: i.keyPath, unique: i.unique, multiEntry: i.multiEntry };
          });
          const [keys, values] = await Promise.all([req(s.getAllKeys()), req(s.getAll())]);
          return { name: sn, keyPath: s.keyPath === '' ? '' : s.keyPath, autoIncrement: s.autoIncrement, indexes, keys, values } satisfies StoreSnapshot;
        });
        stores.push(...(await Promise.all(reads)));
        await done;
      }
      out.push({ suffix: name.slice(prefix.length), version: db.version, stores });
    } finally {
      db.close();
    }
  }
  return out;
}

/** Recreate the databases under `prefix`. They must not exist yet (fresh prefix). */
export async function restoreDatabases(factory: IDBFactory, prefix: string, dbs: readonly DatabaseSnapshot[]): Promise<void> {
  for (const snap of dbs) {
    const db = await openDb(factory, prefix + snap.suffix, snap.version, (d) => {
      for (const s of snap.stores) {
        const store = d.createObjectStore(s.name, { keyPath: s.keyPath, autoIncrement: s.autoIncrement });
        for (const i of s.indexes) store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
      }
    });
    try {
      if (snap.stores.length === 0) continue;
      const tx = db.transaction(snap.stores.map((s) => s.name), 'readwrite');
      const done = txDone(tx);
      for (const s of snap.stores) {
        const store = tx.objectStore(s.name);
        // In-line keys (keyPath) come from the value itself; out-of-line keys are passed back.
        s.values.forEach((v, n) => (s.keyPath === null ? store.put(v, s.keys[n]) : store.put(v)));
      }
      await done;
    } finally {
      db.close();
    }
  }
}

/** Best effort: frees the memory of databases nobody uses any more. */
export async function deleteDatabases(factory: IDBFactory, prefix: string, timeoutMs = 2_000): Promise<void> {
  for (const name of await databaseNames(factory, prefix)) {
    await Promise.race([
      new Promise<void>((resolve) => {
        const r = factory.deleteDatabase(name);
        r.onsuccess = () => resolve();
        r.onerror = () => resolve();
      }),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }
}
