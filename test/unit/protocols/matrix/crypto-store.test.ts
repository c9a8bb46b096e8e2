// The crypto store persistence: snapshot through the IndexedDB API and back under another prefix,
// the sealed file format, and the "write before any request" bookkeeping.
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { installIndexedDb } from '../../../../protocols/matrix/crypto-store/idb-env';
import { dumpDatabases, restoreDatabases } from '../../../../protocols/matrix/crypto-store/snapshot';
import { seal, unseal } from '../../../../protocols/matrix/crypto-store/sealed-file';
import { CryptoStore, ownBuffers, STORE_FILE } from '../../../../protocols/matrix/crypto-store';
import type { AdapterLogger } from '../../../../protocols/contract';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const owner = { userId: '@a:x', deviceId: 'DEV' };

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function makeDb(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const r = factory.open(name, 3);
  r.onupgradeneeded = () => {
    const db = r.result;
    const inline = db.createObjectStore('inline', { keyPath: ['a', 'b'] });
    inline.createIndex('byB', 'b', { unique: false });
    db.createObjectStore('auto', { autoIncrement: true });
    db.createObjectStore('outofline');
  };
  return req(r);
}

async function put(db: IDBDatabase, store: string, value: unknown, key?: IDBValidKey): Promise<void> {
  const tx = db.transaction([store], 'readwrite');
  if (key === undefined) tx.objectStore(store).put(value);
  else tx.objectStore(store).put(value, key);
  await new Promise<void>((resolve) => { tx.oncomplete = () => resolve(); });
}

describe('matrix crypto store persistence', () => {
  it('snapshots databases (stores, keyPaths, indexes, records) and restores them under another prefix', async () => {
    const factory = installIndexedDb();
    const db = await makeDb(factory, 'pfxA::crypto');
    await put(db, 'inline', { a: 1, b: 'x', bytes: new Uint8Array([1, 2, 3]), map: new Map([['k', 1]]) });
    await put(db, 'auto', { n: 1 });
    await put(db, 'outofline', 'v', ['key', 2]);
    db.close();
    const snap = await dumpDatabases(factory, 'pfxA');
    await restoreDatabases(factory, 'pfxB', snap);
    const back = await dumpDatabases(factory, 'pfxB');
    expect(back).toEqual(snap);
    expect(back[0]).toMatchObject({ suffix: '::crypto', version: 3 });
    const r = await req(factory.open('pfxB::crypto'));
    const idx = await req(r.transaction(['inline']).objectStore('inline').index('byB').get('x'));
    expect(idx).toMatchObject({ a: 1, bytes: new Uint8Array([1, 2, 3]) });
    r.close();
  });

  it('deserialized typed arrays get their own buffers (cloning a view into the whole snapshot is slow)', () => {
    const back = deserialize(serialize({ a: [new Uint8Array([1, 2])], m: new Map([['k', new Uint8Array([3])]]) })) as { a: Uint8Array[]; m: Map<string, Uint8Array> };
    expect(back.a[0]!.buffer.byteLength).toBeGreaterThan(2); // a view, as node:v8 makes it
    const own = ownBuffers(back) as typeof back;
    expect(own.a[0]).toEqual(new Uint8Array([1, 2]));
    expect(own.a[0]!.buffer.byteLength).toBe(2);
    expect(own.m.get('k')!.buffer.byteLength).toBe(1);
  });

  it('sealed file: AES-256-GCM, wrong key and tampering are refused', () => {
    const key = randomBytes(32);
    const sealed = seal(key, Buffer.from('secret'));
    expect(sealed.includes(Buffer.from('secret'))).toBe(false);
    expect(unseal(key, sealed).toString()).toBe('secret');
    expect(() => unseal(randomBytes(32), sealed)).toThrow(/wrong key/);
    sealed[sealed.length - 1]! ^= 1;
    expect(() => unseal(key, sealed)).toThrow(/wrong key or corrupted/);
  });

  it('writes a 0600 file before the next request only when a readwrite transaction completed; restores it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svcs-'));
    const key = randomBytes(32);
    const a = new CryptoStore({ dir, key }, owner, quiet);
    expect(await a.restore()).toBe(false);
    const factory = installIndexedDb();
    const db = await makeDb(factory, `${a.prefix}::matrix-sdk-crypto`);
    expect(a.dirty).toBe(true); // the schema upgrade counts as a write
    await a.flush();
    expect(a.dirty).toBe(false);
    await put(db, 'auto', { n: 1 });
    expect(a.dirty).toBe(true);
    await a.beforeRequest();
    expect(a.dirty).toBe(false);
    expect(a.snapshotStats.count).toBe(2);
    await a.beforeRequest();
    expect(a.snapshotStats.count).toBe(2); // nothing changed: no write
    const st = await stat(join(dir, STORE_FILE));
    expect(st.mode & 0o777).toBe(0o600);
    await put(db, 'auto', { n: 2 });
    await put(db, 'auto', { n: 3, bytes: new Uint8Array([9, 8]) });
    db.close();
    await a.close();
    expect(a.snapshotStats.count).toBe(3);
    const b = new CryptoStore({ dir, key }, owner, quiet);
    expect(await b.restore()).toBe(true);
    const snap = await dumpDatabases(factory, b.prefix);
    expect(snap[0]?.stores.find((s) => s.name === 'auto')?.values).toEqual([{ n: 1 }, { n: 2 }, { n: 3, bytes: new Uint8Array([9, 8]) }]);
    // One live store per account directory.
    await expect(new CryptoStore({ dir, key }, owner, quiet).restore()).rejects.toMatchObject({ kind: 'conflict' });
    await b.destroy();
    // Another device's file is not used; a wrong key is an error.
    const other = new CryptoStore({ dir, key }, { ...owner, deviceId: 'OTHER' }, quiet);
    expect(await other.restore()).toBe(false);
    await other.destroy();
    await expect(new CryptoStore({ dir, key: randomBytes(32) }, owner, quiet).restore()).rejects.toThrow(/wrong key/);
    const again = new CryptoStore({ dir, key }, owner, quiet); // the failed one released the directory
    expect(await again.restore()).toBe(true);
    await again.destroy();
    expect((await readFile(join(dir, STORE_FILE))).subarray(0, 5).toString()).toBe('SVCS1');
  });
});
