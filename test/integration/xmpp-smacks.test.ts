// Regression test for the @xmpp/stream-management 0.14.0 race (patched via patch-package):
// stanzas that arrive in the same TCP chunk as <enabled/> were counted and then wiped by a reset
// that ran after an await, so the client's XEP-0198 'h' fell behind what the server sent. A proxy
// makes the coalescing deterministic; a peer floods the freshly bound resource meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { startCoalescingProxy } from '../servers/prosody/coalescing-proxy';
import { record, rawPeer, stopPeer, testLog, xml, sleep } from '../servers/prosody/clients';
import { createXmppAdapter } from '../../protocols/xmpp';

describe('xmpp stream management (XEP-0198) enable race', () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody({ smacks: true });
    await Promise.all([server.register('anna', 'annapw'), server.register('bob', 'bobpw')]);
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("counts stanzas that share a chunk with <enabled/>: client 'h' equals what the server sent", async () => {
    const proxy = await startCoalescingProxy(server.port, { holdMs: 1_000, minStanzas: 5 });
    const bob = await rawPeer(server, 'bob', 'bobpw');
    const adapter = createXmppAdapter(
      { address: 'anna@localhost', serviceUrl: `xmpp://127.0.0.1:${proxy.port}`, allowPlaintext: true },
      { log: testLog, now: () => Date.now() },
    );
    const rec = record(adapter);
    try {
      const connecting = adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} });
      const full = await proxy.boundJid();
      // Flood the new resource while it enables SM.
      const flood = (async () => {
        for (let i = 0; i < 30; i++) {
          await bob.send(xml('message', { to: full, type: 'chat', id: `f${i}` }, xml('body', {}, `flood ${i}`), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: `f${i}` })));
          await sleep(5);
        }
      })();
      await connecting;
      await flood;
      await rec.waitFor((e) => e.type === 'message' && e.message.text === 'flood 29', 10_000, 'last flood message');
      expect(adapter.capabilities().streamManagement).toBe(true);
      await sleep(300); // let everything in flight land
      expect(proxy.coalescedStanzas()).toBeGreaterThan(0); // the race condition was really produced

      const h = await proxy.requestAck();
      expect(h).toBe(proxy.stanzasSinceEnabled());

      // The server agrees: the stream stays up and a new message is acknowledged.
      const ack = await adapter.send('bob@localhost', { clientTxnId: 'after-race', text: 'still here' });
      expect(ack.messageId).toBe('after-race');
      await sleep(200);
      expect(rec.events.some((e) => e.type === 'connection' && e.state === 'disconnected')).toBe(false);
      expect(rec.events.filter((e) => e.type === 'message' && e.message.text.startsWith('flood '))).toHaveLength(30);
      expect(await proxy.requestAck()).toBe(proxy.stanzasSinceEnabled());
    } finally {
      await adapter.disconnect();
      await stopPeer(bob);
      await proxy.close();
    }
  });
});
