// Test-side helpers around the harness: an adapter with an event recorder, and a raw @xmpp/client
// "peer" that logs in with PLAIN on loopback (fast; SCRAM costs ~0.5 s of client-side hashing).
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { createXmppAdapter } from '../../../protocols/xmpp';
import type { AdapterEvent, AccountConfig, ProtocolAdapter, SyncState } from '../../../protocols/contract';
import type { ProsodyServer } from './prosody';

export { xml };
export type { Element };

export interface Recorder {
  readonly events: AdapterEvent[];
  /** Resolve with the first recorded (past or future) event matching pred. */
  waitFor<T extends AdapterEvent>(pred: (e: AdapterEvent) => e is T, timeoutMs?: number, label?: string): Promise<T>;
  waitFor(pred: (e: AdapterEvent) => boolean, timeoutMs?: number, label?: string): Promise<AdapterEvent>;
  clear(): void;
  /** Latest sync state the adapter emitted. */
  sync(): SyncState;
}

export function record(adapter: ProtocolAdapter): Recorder {
  const events: AdapterEvent[] = [];
  const waiters = new Set<{ pred: (e: AdapterEvent) => boolean; resolve: (e: AdapterEvent) => void }>();
  let lastSync: SyncState = {};
  adapter.onEvent((e) => {
    events.push(e);
    if (e.type === 'sync') lastSync = e.state;
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.delete(w);
        w.resolve(e);
      }
    }
  });
  return {
    events,
    waitFor(pred: (e: AdapterEvent) => boolean, timeoutMs = 10_000, label = 'event'): Promise<AdapterEvent> {
      const hit = events.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (e: AdapterEvent) => {
            clearTimeout(t);
            resolve(e);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timeout waiting for ${label}; got: ${events.map((e) => e.type).join(',')}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    clear() {
      events.length = 0;
    },
    sync: () => lastSync,
  } as Recorder;
}

export const testLog = {
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (): void => undefined,
  error: (): void => undefined,
};

export function makeAdapter(server: ProsodyServer, user: string, extra: Partial<AccountConfig> = {}): { adapter: ProtocolAdapter; rec: Recorder } {
  const adapter = createXmppAdapter(
    { address: `${user}@${server.domain}`, serviceUrl: server.serviceUrl, allowPlaintext: true, ...extra },
    { log: testLog, now: () => Date.now() },
  );
  return { adapter, rec: record(adapter) };
}

export type RawPeer = ReturnType<typeof client>;

export async function rawPeer(server: ProsodyServer, user: string, password: string, resource = 'peer'): Promise<RawPeer> {
  const c = client({
    service: server.serviceUrl,
    domain: server.domain,
    resource,
    credentials: (authenticate: (c: { username: string; password: string }, m: string) => Promise<void>, mechanisms: string[]) =>
      authenticate({ username: user, password }, mechanisms.includes('PLAIN') ? 'PLAIN' : mechanisms[0]!),
  } as unknown as Parameters<typeof client>[0]);
  c.reconnect.stop();
  c.on('error', () => undefined);
  await c.start();
  return c;
}

export function waitForStanza(c: RawPeer, pred: (s: Element) => boolean, timeoutMs = 10_000, label = 'stanza'): Promise<Element> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      c.removeListener('stanza', on);
      reject(new Error(`timeout waiting for ${label}`));
    }, timeoutMs);
    function on(s: Element): void {
      if (pred(s)) {
        clearTimeout(t);
        c.removeListener('stanza', on);
        resolve(s);
      }
    }
    c.on('stanza', on);
  });
}

export async function stopPeer(c: RawPeer): Promise<void> {
  await c.stop().catch(() => undefined);
}

/** A connected adapter for `user` (registered with `password`), with its recorder. */
export async function connectedAdapter(
  server: ProsodyServer,
  user: string,
  password: string,
  syncState: SyncState = {},
): Promise<{ adapter: ProtocolAdapter; rec: Recorder }> {
  const a = makeAdapter(server, user);
  await a.adapter.connect({ credentials: { kind: 'password', password }, syncState });
  return a;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
