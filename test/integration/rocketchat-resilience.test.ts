// Rocket.Chat adapter under failure: socket drops and server restarts with messages, edits and
// deletions in the gap (exactly once after catch-up), a token revoked mid-session, 429 with the
// real rate-limit headers, malformed JSON and DDP frames, a socket closed mid-frame.
import { describe, expect, it } from 'vitest';
import { countText, isMessageText, settle, useRocketChatServer } from '../servers/rocketchat/clients';
import type { RcClient } from '../servers/rocketchat/clients';

const rc = useRocketChatServer();
let n = 0;

async function setup(): Promise<{ a: RcClient; an: string; bn: string; rid: string }> {
  const an = `ada${n}`;
  const bn = `ben${n++}`;
  rc.srv.createUser(an);
  rc.srv.createUser(bn);
  const rid = rc.srv.createRoom('p', `ops-${n}`, bn, [an]);
  const a = rc.client(an);
  await a.connect();
  return { a, an, bn, rid };
}

const disconnected = (a: RcClient) =>
  a.rec.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 5000, 'disconnected');

describe('rocketchat reconnect and catch-up', () => {
  it('socket drop: non-fatal disconnect, then catch-up delivers new, edited and deleted messages exactly once', async () => {
    const { a, bn, rid } = await setup();
    const before = rc.srv.post(bn, rid, 'before drop');
    const doomed = rc.srv.post(bn, rid, 'will be deleted');
    await a.rec.waitFor(isMessageText('will be deleted'), 5000, 'seen before drop');

    rc.srv.dropWebSockets();
    const ev = await disconnected(a);
    expect(ev.type === 'connection' && ev.error?.fatal).toBe(false);
    rc.srv.post(bn, rid, 'missed 1');
    rc.srv.post(bn, rid, 'missed 2');
    rc.srv.edit(before._id, 'before drop (edited)');
    rc.srv.deleteMessage(doomed._id);

    await a.connect(undefined, a.rec.sync());
    await a.rec.waitFor(isMessageText('missed 2'), 5000, 'caught up');
    await a.rec.waitFor((e) => e.type === 'message.edited' && e.targetId === before._id && e.text === 'before drop (edited)', 5000, 'edit caught up');
    await a.rec.waitFor((e) => e.type === 'message.deleted' && e.targetId === doomed._id, 5000, 'delete caught up');
    await settle();
    for (const t of ['before drop', 'will be deleted', 'missed 1', 'missed 2']) expect(countText(a.rec, t)).toBe(1);
    rc.srv.post(bn, rid, 'live again');
    await a.rec.waitFor(isMessageText('live again'), 5000, 'live after reconnect');
  });

  it('app restart: a new instance with the persisted sync state gets only what it missed', async () => {
    const { a, an, bn, rid } = await setup();
    rc.srv.post(bn, rid, 'seen by old instance');
    await a.rec.waitFor(isMessageText('seen by old instance'), 5000, 'old instance');
    const last = rc.srv.messages(rid).at(-1)!._updatedAt.getTime();
    await a.rec.waitFor((e) => e.type === 'sync' && Number(e.state[`lu:${rid}`]) >= last, 5000, 'sync mark');
    const saved = a.rec.sync();
    await a.adapter.disconnect();
    await rc.srv.stop();
    await rc.srv.start();
    rc.srv.post(bn, rid, 'while app was closed');

    const fresh = rc.client(an);
    await fresh.connect(undefined, saved);
    await fresh.rec.waitFor(isMessageText('while app was closed'), 5000, 'missed while closed');
    await settle();
    expect(countText(fresh.rec, 'seen by old instance')).toBe(0);
    expect(countText(fresh.rec, 'while app was closed')).toBe(1);
  });

  it('a socket closed in the middle of a frame is a non-fatal drop, not a crash', async () => {
    const { a, bn, rid } = await setup();
    rc.srv.closeMidMessage();
    const ev = await disconnected(a);
    expect(ev.type === 'connection' && ev.error?.kind).toBe('network');
    rc.srv.post(bn, rid, 'after mid-frame close');
    await a.connect(undefined, a.rec.sync());
    await a.rec.waitFor(isMessageText('after mid-frame close'), 5000, 'recovered');
  });
});

describe('rocketchat errors', () => {
  it('a token revoked mid-session: the server closes the socket; reconnecting with it is auth (fatal)', async () => {
    const an = `rev${n++}`;
    rc.srv.createUser(an);
    const a = rc.client(an);
    const res = await a.connect();
    rc.srv.expireTokens(an);
    const drop = await disconnected(a);
    expect(drop.type === 'connection' && drop.error?.fatal).toBe(false);
    a.rec.clear();
    await expect(a.connect(res.renewedCredentials)).rejects.toMatchObject({ kind: 'auth' });
    const ev = await disconnected(a);
    expect(ev.type === 'connection' && ev.error?.kind).toBe('auth');
    expect(ev.type === 'connection' && ev.error?.fatal).toBe(true);
  });

  it('a 401 injected on one request also ends the session as auth', async () => {
    const { a, rid } = await setup();
    rc.srv.failNext('unauthorized');
    await expect(a.adapter.send(rid, { clientTxnId: 'x401', text: 'nope' })).rejects.toMatchObject({ kind: 'auth' });
    const ev = await disconnected(a);
    expect(ev.type === 'connection' && ev.error?.kind).toBe('auth');
  });

  it('429: rate_limited with retryAfterMs from X-RateLimit-Reset; the session stays up', async () => {
    const { a, rid } = await setup();
    rc.srv.rateLimitNext(1, 7_000);
    const err = await a.adapter.send(rid, { clientTxnId: 'x429', text: 'slow down' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rate_limited' });
    const ms = (err as { retryAfterMs?: number }).retryAfterMs ?? 0;
    expect(ms).toBeGreaterThan(5_000);
    expect(ms).toBeLessThanOrEqual(7_000);
    expect(a.rec.events.some((e) => e.type === 'connection' && e.state === 'disconnected')).toBe(false);
    const ack = await a.adapter.send(rid, { clientTxnId: 'x429', text: 'slow down' });
    expect(ack.messageId).toBeTruthy();
  });

  it('a malformed JSON answer: malformed event, the call fails cleanly, the next one works', async () => {
    const { a, bn, rid } = await setup();
    rc.srv.post(bn, rid, 'history item');
    rc.srv.failNext('malformed');
    await expect(a.adapter.getHistory(rid, { limit: 5 })).rejects.toMatchObject({ kind: 'server' });
    await a.rec.waitFor((e) => e.type === 'malformed', 2000, 'malformed event');
    const page = await a.adapter.getHistory(rid, { limit: 5 });
    expect(page.messages.map((m) => m.text)).toContain('history item');
  });

  it('a malformed DDP frame is reported and dropped; the stream keeps working', async () => {
    const { a, bn, rid } = await setup();
    rc.srv.sendMalformedFrame();
    rc.srv.sendMalformedFrame('{"msg":"changed","collection":"stream-room-messages","id":"id","fields":{"eventName":"x","args":[{"_id":42}]}}');
    await a.rec.waitFor((e) => e.type === 'malformed' && /unparsable/.test(e.detail), 2000, 'unparsable frame');
    await a.rec.waitFor((e) => e.type === 'malformed' && /stream-room-messages/.test(e.detail), 2000, 'bad message');
    rc.srv.post(bn, rid, 'still alive');
    await a.rec.waitFor(isMessageText('still alive'), 5000, 'still receiving');
    expect(a.rec.events.some((e) => e.type === 'connection' && e.state === 'disconnected')).toBe(false);
  });
});
