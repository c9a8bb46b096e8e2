// MAM paging, catch-up after being offline, and a server restart mid-conversation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { makeAdapter, rawPeer, stopPeer, xml, sleep } from '../servers/prosody/clients';
import type { RawPeer } from '../servers/prosody/clients';
import type { AdapterEvent, MessageInfo } from '../../protocols/contract';

type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;
const msgs = (events: AdapterEvent[], prefix: string): MessageInfo[] =>
  events.filter((e): e is MsgEvent => e.type === 'message' && e.message.text.startsWith(prefix)).map((e) => e.message);

async function sendN(peer: RawPeer, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${i}`;
    await peer.send(xml('message', { to: 'anna@localhost', type: 'chat', id }, xml('body', {}, id), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id })));
  }
  // a ping round trip: the server has processed (and archived) everything before it
  await peer.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

describe('xmpp adapter: history, catch-up, restart', () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody();
    await Promise.all([server.register('anna', 'annapw'), server.register('bob', 'bobpw')]);
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('pages 30 messages as 3 pages of 10, oldest→newest, cursor null at the end', async () => {
    const bob = await rawPeer(server, 'bob', 'bobpw');
    await sendN(bob, 'p', 30);
    await stopPeer(bob);
    const { adapter } = makeAdapter(server, 'anna');
    await adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} });
    try {
      const seen: string[][] = [];
      let before: string | undefined;
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const page = await adapter.getHistory('bob@localhost', { limit: 10, ...(before ? { before } : {}) });
        times.push(performance.now() - t0);
        seen.push(page.messages.map((m) => m.text));
        if (i < 2) expect(page.olderCursor).not.toBeNull();
        else expect(page.olderCursor).toBeNull();
        before = page.olderCursor ?? undefined;
      }
      console.log(`[timing] xmpp MAM pages of 10: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
      const expected = Array.from({ length: 30 }, (_, i) => `p${i}`);
      expect(seen[0]).toEqual(expected.slice(20));
      expect(seen[1]).toEqual(expected.slice(10, 20));
      expect(seen[2]).toEqual(expected.slice(0, 10));
    } finally {
      await adapter.disconnect();
    }
  });

  it('catches up (exactly once) on what was sent while it was disconnected', async () => {
    const first = makeAdapter(server, 'anna');
    await first.adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} });
    const bob = await rawPeer(server, 'bob', 'bobpw');
    try {
      await sendN(bob, 'live', 2);
      await first.rec.waitFor((e) => e.type === 'message' && e.message.text === 'live1');
      const sync = first.rec.sync();
      expect(sync.self).toBeTruthy();
      await first.adapter.disconnect();

      await sendN(bob, 'missed', 5);
      // A fresh adapter instance (as after an app restart) with the persisted sync state.
      const second = makeAdapter(server, 'anna');
      const t0 = performance.now();
      await second.adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: sync });
      console.log(`[timing] xmpp connect + catch-up of 5: ${(performance.now() - t0).toFixed(0)} ms`);
      await sleep(300); // offline-storage delivery after initial presence would duplicate, if not deduplicated
      const missed = msgs(second.rec.events, 'missed');
      expect(missed.map((m) => m.text)).toEqual(['missed0', 'missed1', 'missed2', 'missed3', 'missed4']);
      expect(missed.every((m) => m.fromHistory === true)).toBe(true);
      expect(msgs(second.rec.events, 'live')).toHaveLength(0);
      await second.adapter.disconnect();
    } finally {
      await stopPeer(bob);
    }
  });

  it('server restart: disconnected (non-fatal), reconnect, nothing lost or duplicated', async () => {
    const { adapter, rec } = makeAdapter(server, 'anna');
    await adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} });
    let bob = await rawPeer(server, 'bob', 'bobpw');
    await sendN(bob, 'before', 3);
    await rec.waitFor((e) => e.type === 'message' && e.message.text === 'before2');

    await server.restart();
    const drop = await rec.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 10_000, 'disconnected');
    expect(drop.type === 'connection' && drop.error).toMatchObject({ fatal: false });
    await expect(adapter.send('bob@localhost', { clientTxnId: 'x', text: 'x' })).rejects.toMatchObject({ kind: 'network' });

    bob = await rawPeer(server, 'bob', 'bobpw');
    await sendN(bob, 'during', 4);
    await adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: rec.sync() });
    await sendN(bob, 'after', 2);
    await rec.waitFor((e) => e.type === 'message' && e.message.text === 'after1');
    await sleep(300);
    const texts = rec.events.filter((e): e is MsgEvent => e.type === 'message').map((e) => e.message.text);
    expect(texts.filter((t) => /^(before|during|after)/.test(t))).toEqual([
      'before0', 'before1', 'before2', 'during0', 'during1', 'during2', 'during3', 'after0', 'after1',
    ]);
    await adapter.disconnect();
    await stopPeer(bob);
  });
});
