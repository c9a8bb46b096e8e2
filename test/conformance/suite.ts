// Protocol-agnostic conformance scenarios for ProtocolAdapter implementations. Uses only
// protocols/contract.ts: a harness per protocol supplies connected-able accounts on a real (or
// faithful) server and a way to restart it. Run with runConformance('xmpp', harness) in a test file.
import { describe, expect, it, afterEach } from 'vitest';
import type { AdapterEvent, ConnectOptions, MessageInfo, ProtocolAdapter, SyncState } from '../../protocols/contract';
import { record } from '../helpers/recorder';

export interface TestAccount {
  /** A fresh, not yet connected adapter. Called again for a "new instance" (app restart). */
  makeAdapter(): ProtocolAdapter;
  readonly credentials: ConnectOptions['credentials'];
  /** What the other account passes to direct.open to reach this one. */
  readonly address: string;
}

export interface ConformanceHarness {
  /** Two accounts that can talk to each other, with no history between them yet. */
  createPair(): Promise<{ subject: TestAccount; peer: TestAccount }>;
  restartServer(): Promise<void>;
  /** How long to wait for an event (default 10 s). */
  readonly eventTimeoutMs?: number;
}

interface Live {
  readonly adapter: ProtocolAdapter;
  readonly events: AdapterEvent[];
  sync(): SyncState;
  waitFor(pred: (e: AdapterEvent) => boolean, label: string): Promise<AdapterEvent>;
}

type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;

export function runConformance(name: string, harness: ConformanceHarness): void {
  const timeout = harness.eventTimeoutMs ?? 10_000;
  const open: ProtocolAdapter[] = [];

  function watch(adapter: ProtocolAdapter, initialSync: SyncState = {}): Live {
    const rec = record(adapter, initialSync);
    return {
      adapter,
      events: rec.events,
      sync: rec.sync,
      waitFor: (pred, label) => rec.waitFor(pred, timeout, `${name}: ${label}`),
    };
  }

  async function connect(acc: TestAccount, syncState: SyncState = {}, adapter = acc.makeAdapter()): Promise<Live> {
    const live = watch(adapter, syncState);
    open.push(adapter);
    await adapter.connect({ credentials: acc.credentials, syncState });
    return live;
  }

  async function conversationWith(live: Live, address: string): Promise<string> {
    if (!live.adapter.direct) throw new Error(`${name}: adapter has no direct.open`);
    return (await live.adapter.direct.open(address)).id;
  }

  const isText = (text: string) => (e: AdapterEvent): e is MsgEvent => e.type === 'message' && e.message.text === text;
  const count = (live: Live, text: string): number => live.events.filter(isText(text)).length;
  const settle = (ms = 400): Promise<void> => new Promise((r) => setTimeout(r, ms));
  let seq = 0;
  const uniq = (p: string): string => `${p}-${Date.now().toString(36)}-${seq++}`;

  describe(`conformance: ${name}`, () => {
    afterEach(async () => {
      await Promise.all(open.splice(0).map((a) => a.disconnect().catch(() => undefined)));
    });

    it('connects, reports connected and a capabilities event', async () => {
      const { subject } = await harness.createPair();
      const s = await connect(subject);
      await s.waitFor((e) => e.type === 'capabilities', 'capabilities');
      await s.waitFor((e) => e.type === 'connection' && e.state === 'connected', 'connected');
      expect(typeof s.adapter.capabilities().history).toBe('boolean');
    });

    it('lists conversations', async () => {
      const { subject, peer } = await harness.createPair();
      const s = await connect(subject);
      const conv = await conversationWith(s, peer.address);
      const list = await s.adapter.listConversations();
      expect(Array.isArray(list)).toBe(true);
      for (const c of list) {
        expect(typeof c.id).toBe('string');
        expect(['direct', 'group']).toContain(c.kind);
      }
      expect(typeof conv).toBe('string');
    });

    it('sends with clientTxnId: acknowledged, the peer receives it exactly once with the same id', async () => {
      const { subject, peer } = await harness.createPair();
      const [s, p] = await Promise.all([connect(subject), connect(peer)]);
      const conv = await conversationWith(s, peer.address);
      const text = uniq('hello');
      const ack = await s.adapter.send(conv, { clientTxnId: uniq('txn'), text });
      expect(ack.messageId).toBeTruthy();
      const got = (await p.waitFor(isText(text), 'peer receives')) as MsgEvent;
      expect(got.message.id).toBe(ack.messageId);
      expect(got.message.own).toBe(false);
      await settle();
      expect(count(p, text)).toBe(1);
    });

    it('receives a live message from the peer', async () => {
      const { subject, peer } = await harness.createPair();
      const [s, p] = await Promise.all([connect(subject), connect(peer)]);
      const text = uniq('from-peer');
      await p.adapter.send(await conversationWith(p, subject.address), { clientTxnId: uniq('txn'), text });
      const got = (await s.waitFor(isText(text), 'live message')) as MsgEvent;
      expect(got.message.own).toBe(false);
      expect(got.message.fromHistory).toBeFalsy();
    });

    it('pages history oldest→newest with cursors and a null cursor at the beginning', async () => {
      const { subject, peer } = await harness.createPair();
      const [s, p] = await Promise.all([connect(subject), connect(peer)]);
      if (!s.adapter.capabilities().history) return;
      const pconv = await conversationWith(p, subject.address);
      const texts = Array.from({ length: 7 }, (_, i) => uniq(`h${i}`));
      for (const t of texts) await p.adapter.send(pconv, { clientTxnId: uniq('txn'), text: t });
      await s.waitFor(isText(texts[6]!), 'last history message live');
      const conv = await conversationWith(s, peer.address);
      const pages: MessageInfo[][] = [];
      let before: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await s.adapter.getHistory(conv, { limit: 3, ...(before ? { before } : {}) });
        pages.unshift([...page.messages]);
        if (page.olderCursor === null) break;
        before = page.olderCursor;
      }
      const all = pages.flat().map((m) => m.text);
      expect(all).toEqual(texts);
      const ts = pages.flat().map((m) => m.ts);
      expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    });

    it('edits, deletes and reactions arrive when the capabilities say so', async () => {
      const { subject, peer } = await harness.createPair();
      const [s, p] = await Promise.all([connect(subject), connect(peer)]);
      const caps = s.adapter.capabilities();
      const pconv = await conversationWith(p, subject.address);
      const text = uniq('target');
      const ack = await p.adapter.send(pconv, { clientTxnId: uniq('txn'), text });
      const target = ((await s.waitFor(isText(text), 'target')) as MsgEvent).message;
      if (caps.edit && p.adapter.edits) {
        await p.adapter.edits.edit(pconv, { id: ack.messageId, refs: ack.refs }, `${text} (edited)`, uniq('txn'));
        const e = await s.waitFor((x) => x.type === 'message.edited' && x.targetId === target.id, 'edit');
        expect(e.type === 'message.edited' && e.text).toBe(`${text} (edited)`);
      }
      if (caps.reactions && p.adapter.reactions) {
        await p.adapter.reactions.set(pconv, { id: ack.messageId, refs: ack.refs }, ['👍']);
        const r = await s.waitFor((x) => x.type === 'reactions' && x.targetId === target.id, 'reaction');
        expect(r.type === 'reactions' && r.keys).toEqual(['👍']);
      }
      if (caps.delete && p.adapter.deletes) {
        await p.adapter.deletes.delete(pconv, { id: ack.messageId, refs: ack.refs });
        await s.waitFor((x) => x.type === 'message.deleted' && x.targetId === target.id, 'delete');
      }
    });

    it('emits nothing after disconnect() resolved', async () => {
      const { subject, peer } = await harness.createPair();
      const [s, p] = await Promise.all([connect(subject), connect(peer)]);
      await s.adapter.disconnect();
      const n = s.events.length;
      await p.adapter.send(await conversationWith(p, subject.address), { clientTxnId: uniq('txn'), text: uniq('ignored') });
      await settle(500);
      expect(s.events.length).toBe(n);
    });

    it('server restart: disconnected (non-fatal), reconnect, catch-up exactly once', async () => {
      const { subject, peer } = await harness.createPair();
      const [s, p] = await Promise.all([connect(subject), connect(peer)]);
      const pconv = await conversationWith(p, subject.address);
      const first = uniq('before');
      await p.adapter.send(pconv, { clientTxnId: uniq('txn'), text: first });
      await s.waitFor(isText(first), 'before restart');

      await harness.restartServer();
      const drop = await s.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 'disconnected');
      expect(drop.type === 'connection' && drop.error?.fatal).toBe(false);
      await p.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 'peer disconnected');

      // The peer comes back first and writes while the subject is still away.
      await p.adapter.connect({ credentials: peer.credentials, syncState: p.sync() });
      const missed = [uniq('missed'), uniq('missed')];
      for (const t of missed) await p.adapter.send(pconv, { clientTxnId: uniq('txn'), text: t });

      await s.adapter.connect({ credentials: subject.credentials, syncState: s.sync() });
      await s.waitFor(isText(missed[1]!), 'caught-up message');
      await settle(500);
      for (const t of missed) expect(count(s, t)).toBe(1);
      expect(count(s, first)).toBe(1);
      const after = uniq('after');
      await p.adapter.send(pconv, { clientTxnId: uniq('txn'), text: after });
      await s.waitFor(isText(after), 'live after reconnect');
    });
  });
}
