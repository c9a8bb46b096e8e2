// Test-side helpers around the harness: an adapter with an event recorder, and a raw @xmpp/client
// "peer" that logs in with PLAIN on loopback (fast; SCRAM costs ~0.5 s of client-side hashing).
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { createXmppAdapter } from '../../../protocols/xmpp';
import type { AccountConfig, ProtocolAdapter, SyncState } from '../../../protocols/contract';
import type { ProsodyServer } from './prosody';

export { xml };
export type { Element };

import { record, type Recorder } from '../../helpers/recorder';

export { record, type Recorder };

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
