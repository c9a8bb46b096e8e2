// Mattermost connection trouble: WebSocket drops (resumed with replay, or fresh with REST catch-up),
// server restart, token revoked mid-session, rate limiting, malformed JSON, a socket cut mid-frame,
// and two accounts on two servers at once.
import { describe, expect, it } from 'vitest';
import { startMattermost } from '../servers/mattermost';
import { addUser, useMattermostServer, type LiveUser, type TestUser } from '../servers/mattermost/harness';
import type { AdapterEvent, ProtocolAdapter, SyncState } from '../../protocols/contract';
import { AppError } from '../../common/errors';

const mm = useMattermostServer();

interface Live extends LiveUser {
  /** As the core does: connect again with the last sync state. */
  reconnect(): Promise<void>;
}

async function connect(user: TestUser, adapter?: ProtocolAdapter, syncState: SyncState = {}): Promise<Live> {
  const live = await mm.connect(user, adapter, syncState);
  const credentials = live.result.renewedCredentials ?? user.credentials;
  const reconnect = async (): Promise<void> => void (await live.adapter.connect({ credentials, syncState: live.rec.sync() }));
  return { user, adapter: live.adapter, rec: live.rec, reconnect };
}

const isText = (text: string) => (e: AdapterEvent): boolean => e.type === 'message' && e.message.text === text;
const count = (l: Live, text: string): number => l.rec.events.filter(isText(text)).length;
const settle = (ms = 400): Promise<void> => new Promise((r) => setTimeout(r, ms));
const disconnected = (e: AdapterEvent): boolean => e.type === 'connection' && e.state === 'disconnected';

async function pairInDm(): Promise<{ a: TestUser; b: TestUser; dm: string; la: Live }> {
  const a = addUser(mm.srv, 'res');
  const b = addUser(mm.srv, 'resb');
  const dm = mm.srv.directChannel(a.id, b.id).id;
  const la = await connect(a);
  return { a, b, dm, la };
}

describe('mattermost reconnect and catch-up', () => {
  it('WebSocket drop: non-fatal disconnect; reconnect resumes and replays what was posted meanwhile, once', async () => {
    const { b, dm, la } = await pairInDm();
    mm.srv.post(b.id, dm, 'before drop');
    await la.rec.waitFor(isText('before drop'));
    mm.srv.dropWebSockets();
    const drop = await la.rec.waitFor(disconnected, 5000, 'disconnected');
    expect(drop.type === 'connection' && drop.error).toMatchObject({ kind: 'network', fatal: false });
    mm.srv.post(b.id, dm, 'while away 1');
    mm.srv.post(b.id, dm, 'while away 2');
    const before = mm.srv.requests.length;
    await la.reconnect();
    await la.rec.waitFor(isText('while away 2'), 5000, 'replayed');
    await settle();
    expect(count(la, 'while away 1')).toBe(1);
    expect(count(la, 'while away 2')).toBe(1);
    expect(count(la, 'before drop')).toBe(1);
    // The server still had the events: no REST catch-up was needed.
    expect(mm.srv.requests.slice(before).filter((r) => r.includes('posts?since='))).toEqual([]);
    mm.srv.post(b.id, dm, 'live again');
    await la.rec.waitFor(isText('live again'));
  });

  it('lost replay (fresh connection_id): posts, edits, deletions and reactions since the cursor come over REST, once', async () => {
    const { b, dm, la } = await pairInDm();
    const kept = mm.srv.post(b.id, dm, 'will be edited');
    const gone = mm.srv.post(b.id, dm, 'will be deleted');
    await la.rec.waitFor(isText('will be deleted'));
    mm.srv.forgetWebSocketConnections();
    await la.rec.waitFor(disconnected);
    mm.srv.post(b.id, dm, 'missed');
    mm.srv.state.patchPost(b.id, kept.id, 'edited while away');
    mm.srv.state.deletePost(b.id, gone.id);
    mm.srv.state.addReaction(b.id, kept.id, 'heart');
    const before = mm.srv.requests.length;
    await la.reconnect();
    await la.rec.waitFor(isText('missed'), 5000, 'caught up');
    await la.rec.waitFor((e) => e.type === 'message.edited' && e.targetId === kept.id && e.text === 'edited while away', 5000, 'edit caught up');
    await la.rec.waitFor((e) => e.type === 'message.deleted' && e.targetId === gone.id, 5000, 'delete caught up');
    const r = await la.rec.waitFor((e) => e.type === 'reactions' && e.targetId === kept.id, 5000, 'reaction caught up');
    expect(r.type === 'reactions' && [r.senderId, r.keys]).toEqual([b.id, ['❤️']]);
    expect(mm.srv.requests.slice(before).some((r) => r.startsWith(`GET /api/v4/channels/${dm}/posts?since=`))).toBe(true);
    await settle();
    expect(count(la, 'missed')).toBe(1);
    const caught = la.rec.events.find(isText('missed'));
    expect(caught?.type === 'message' && caught.message.fromHistory).toBe(true);
  });

  it('server restart with a new app instance: the stored sync state catches up a DM created meanwhile', async () => {
    const { a, b, la } = await pairInDm();
    mm.srv.post(b.id, mm.srv.directChannel(a.id, b.id).id, 'seen before');
    await la.rec.waitFor(isText('seen before'));
    const saved = la.rec.sync();
    await la.adapter.disconnect();
    await mm.srv.restart();
    const c = addUser(mm.srv, 'resc');
    const newDm = mm.srv.directChannel(a.id, c.id).id;
    mm.srv.post(c.id, newDm, 'new dm while away');
    const l2 = await connect(a, a.makeAdapter(), saved);
    await l2.rec.waitFor(isText('new dm while away'), 5000, 'new DM caught up');
    await settle();
    expect(count(l2, 'seen before')).toBe(0);
    expect(count(l2, 'new dm while away')).toBe(1);
    expect(l2.rec.events.some((e) => e.type === 'conversation' && e.conversation.id === newDm)).toBe(true);
  });

  it('a WebSocket cut in the middle of a frame: non-fatal disconnect, the cut message arrives after reconnect', async () => {
    const { b, dm, la } = await pairInDm();
    mm.srv.closeWebSocketMidMessage();
    mm.srv.post(b.id, dm, 'cut in half');
    await la.rec.waitFor(disconnected, 5000, 'disconnected');
    expect(la.rec.events.filter((e) => e.type === 'message').map((e) => e.type === 'message' && e.message.text)).toEqual([]);
    await la.reconnect();
    await la.rec.waitFor(isText('cut in half'), 5000, 'redelivered');
    await settle();
    expect(count(la, 'cut in half')).toBe(1);
  });

  it('a WebSocket frame with malformed JSON is reported and dropped; the next event still arrives', async () => {
    const { b, dm, la } = await pairInDm();
    mm.srv.injectMalformedFrame();
    mm.srv.post(b.id, dm, 'after garbage');
    const bad = await la.rec.waitFor((e) => e.type === 'malformed', 5000, 'malformed');
    expect(bad.type === 'malformed' && bad.detail).toMatch(/WebSocket/);
    await la.rec.waitFor(isText('after garbage'));
    expect(la.rec.events.some(disconnected)).toBe(false);
  });
});

describe('mattermost errors', () => {
  it('token revoked mid-session: auth error needing attention; the other account carries on', async () => {
    const { b, dm, la } = await pairInDm();
    const lb = await connect(b);
    mm.srv.failNext({ kind: 'unauthorized', match: /^POST \/api\/v4\/posts$/ });
    const err = await la.adapter.send(dm, { clientTxnId: 'x', text: 'rejected' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).kind).toBe('auth');
    const drop = await la.rec.waitFor(disconnected, 5000, 'auth disconnect');
    expect(drop.type === 'connection' && drop.error).toMatchObject({ kind: 'auth', fatal: true });
    await lb.adapter.send(dm, { clientTxnId: 'y', text: 'b still works' });
    await lb.rec.waitFor(isText('b still works'));
    expect(lb.rec.events.some(disconnected)).toBe(false);
  });

  it('token revoked while idle: the WebSocket closes and the adapter reports auth, not network', async () => {
    const { a, la } = await pairInDm();
    mm.srv.revokeSessions(a.id);
    const drop = await la.rec.waitFor(disconnected, 5000, 'auth disconnect');
    expect(drop.type === 'connection' && drop.error?.kind).toBe('auth');
  });

  it('429 becomes rate_limited with Retry-After in milliseconds; the next call works', async () => {
    const { dm, la } = await pairInDm();
    mm.srv.failNext({ kind: 'rate_limited', retryAfterSec: 7, match: /^POST \/api\/v4\/posts$/ });
    const err = (await la.adapter.send(dm, { clientTxnId: 'r', text: 'slow down' }).catch((e: unknown) => e)) as AppError;
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(7000);
    expect(la.rec.events.some(disconnected)).toBe(false);
    await la.adapter.send(dm, { clientTxnId: 'r', text: 'slow down' });
    await la.rec.waitFor(isText('slow down'));
  });

  it('a malformed JSON answer is a clear invalid_input error, nothing crashes', async () => {
    const { dm, la } = await pairInDm();
    mm.srv.failNext({ kind: 'malformed_json', match: /^GET \/api\/v4\/channels\/[^/]+\/posts$/ });
    const err = (await la.adapter.getHistory(dm, { limit: 5 }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.kind).toBe('invalid_input');
    expect(err.message).toMatch(/malformed JSON/);
    expect((await la.adapter.getHistory(dm, { limit: 5 })).messages).toEqual([]);
  });

  it('two accounts on two servers at once: each gets only its own server\'s messages', async () => {
    const other = await startMattermost();
    try {
      const a1 = addUser(mm.srv, 'two');
      const b1 = addUser(mm.srv, 'twob');
      const a2 = addUser(other, 'two');
      const b2 = addUser(other, 'twob');
      const dm1 = mm.srv.directChannel(a1.id, b1.id).id;
      const dm2 = other.directChannel(a2.id, b2.id).id;
      const [l1, l2] = await Promise.all([connect(a1), connect(a2)]);
      mm.srv.post(b1.id, dm1, 'from server one');
      other.post(b2.id, dm2, 'from server two');
      await l1.rec.waitFor(isText('from server one'));
      await l2.rec.waitFor(isText('from server two'));
      await other.stop();
      await l2.rec.waitFor(disconnected);
      mm.srv.post(b1.id, dm1, 'one still fine');
      await l1.rec.waitFor(isText('one still fine'));
      await settle(200);
      expect(count(l1, 'from server two')).toBe(0);
      expect(count(l2, 'from server one')).toBe(0);
      expect(l1.rec.events.some(disconnected)).toBe(false);
    } finally {
      await other.stop();
    }
  });
});
