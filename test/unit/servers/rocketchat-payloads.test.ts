// Pins the fake Rocket.Chat's answers and DDP frames to recorded examples from Rocket.Chat's
// documentation and source (test/servers/rocketchat/fixtures/*.json, each naming its source):
// every field of the example must exist in the fake's answer with the same JSON type. Values
// (ids, dates) differ by nature; structure and types must not.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRocketChat } from '../../servers/rocketchat/server';
import type { RocketChatServer } from '../../servers/rocketchat/server';

const dir = new URL('../../servers/rocketchat/fixtures/', import.meta.url);

function fixture(name: string): unknown {
  const f = JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as { _source?: unknown; example: unknown };
  expect(typeof f._source).toBe('string');
  return f.example;
}

/** Where `actual` lacks a field of `expected` or has another JSON type there. */
function shapeDiff(expected: unknown, actual: unknown, path = '$'): string[] {
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(expected) !== kind(actual)) return [`${path}: expected ${kind(expected)}, got ${kind(actual)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0) return [];
    if (actual.length === 0) return [`${path}: expected a non-empty array`];
    return shapeDiff(expected[0], actual[0], `${path}[0]`);
  }
  if (kind(expected) === 'object') {
    const a = actual as Record<string, unknown>;
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      k in a ? shapeDiff(v, a[k], `${path}.${k}`) : [`${path}.${k}: missing`]);
  }
  return [];
}

let srv: RocketChatServer;
let auth: Record<string, string>;
let rid: string;
let n = 0;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = auth): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(`${srv.baseUrl}/api/v1/${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

beforeAll(async () => {
  srv = await startRocketChat();
  srv.createUser('wolf');
  srv.createUser('cat');
  const pat = srv.createPat('wolf');
  auth = { 'X-User-Id': pat.userId, 'X-Auth-Token': pat.token };
  rid = srv.openDirect('wolf', 'cat');
});
afterAll(async () => {
  await srv.dispose();
});

describe('REST answers match the recorded examples', () => {
  it('login success', async () => {
    const r = await api('POST', 'login', { user: 'wolf', password: 'wolf-pw' }, {});
    expect(r.status).toBe(200);
    expect(shapeDiff(fixture('rest-login-success.json'), r.json)).toEqual([]);
  });

  it('login needing TOTP, and a wrong password', async () => {
    srv.createUser(`otp${n}`, { twoFactor: 'totp' });
    const r = await api('POST', 'login', { user: `otp${n++}`, password: `otp${n - 1}-pw` }, {});
    expect(r.status).toBe(401);
    expect(shapeDiff(fixture('rest-login-totp-required.json'), r.json)).toEqual([]);
    const w = await api('POST', 'login', { user: 'wolf', password: 'bad' }, {});
    expect(w.status).toBe(401);
    expect(shapeDiff(fixture('rest-login-wrong-password.json'), w.json)).toEqual([]);
  });

  it('unauthorized, rate limited, failure', async () => {
    const u = await api('GET', 'me', undefined, {});
    expect(u.status).toBe(401);
    expect(shapeDiff(fixture('rest-unauthorized.json'), u.json)).toEqual([]);

    srv.rateLimitNext(1, 10_000);
    const before = Date.now();
    const rl = await api('GET', 'me');
    const f = fixture('rest-rate-limited.json') as { status: number; headers: Record<string, string>; body: unknown };
    expect(rl.status).toBe(f.status);
    for (const h of Object.keys(f.headers)) expect(rl.headers.get(h)).not.toBeNull();
    expect(rl.headers.get('retry-after')).toBeNull();
    expect(Number(rl.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(before + 10_000);
    expect(shapeDiff(f.body, rl.json)).toEqual([]);

    const nf = await api('GET', 'im.history?roomId=nope');
    expect(nf.status).toBe(400);
    expect(shapeDiff(fixture('rest-failure-room-not-found.json'), nf.json)).toEqual([]);
  });

  it('chat.sendMessage, im.history, chat.syncMessages', async () => {
    const s = await api('POST', 'chat.sendMessage', { message: { rid, msg: 'This is a test!' } });
    expect(shapeDiff(fixture('rest-chat-sendMessage.json'), s.json)).toEqual([]);
    const h = await api('GET', `im.history?roomId=${rid}&count=5`);
    expect(shapeDiff(fixture('rest-im-history.json'), h.json)).toEqual([]);
    const gone = srv.post('wolf', rid, 'to delete');
    srv.deleteMessage(gone._id);
    const sy = await api('GET', `chat.syncMessages?roomId=${rid}&lastUpdate=${new Date(0).toISOString()}`);
    expect(shapeDiff(fixture('rest-chat-syncMessages.json'), sy.json)).toEqual([]);
  });

  it('im.create, subscriptions.get', async () => {
    const c = await api('POST', 'im.create', { username: 'cat' });
    expect(shapeDiff(fixture('rest-im-create.json'), c.json)).toEqual([]);
    const s = await api('GET', 'subscriptions.get');
    expect(shapeDiff(fixture('rest-subscriptions-get.json'), s.json)).toEqual([]);
  });

  it('rooms.media upload and the video conference message and join', async () => {
    const form = new FormData();
    form.append('file', new Blob(['%PDF'], { type: 'application/pdf' }), 'report.pdf');
    const up = await fetch(`${srv.baseUrl}/api/v1/rooms.media/${rid}`, { method: 'POST', headers: auth, body: form });
    expect(shapeDiff(fixture('rest-rooms-media.json'), await up.json())).toEqual([]);

    const { callId, messageId } = srv.startVideoConference('cat', rid);
    const m = await api('GET', `chat.getMessage?msgId=${messageId}`);
    expect(shapeDiff(fixture('message-videoconf.json'), (m.json as { message: unknown }).message)).toEqual([]);
    const j = await api('POST', 'video-conference.join', { callId, state: { mic: true, cam: false } });
    expect(shapeDiff(fixture('rest-video-conference-join.json'), j.json)).toEqual([]);
  });
});

describe('DDP frames match the recorded examples', () => {
  it('handshake, login, subscriptions and stream deliveries', async () => {
    const frames = fixture('ddp-frames.json') as Record<string, unknown>;
    const ws = new WebSocket(`${srv.baseUrl.replace('http', 'ws')}/websocket`);
    const got: Record<string, unknown>[] = [];
    const waiters: { pred: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void }[] = [];
    ws.onmessage = (ev) => {
      const f = JSON.parse(String(ev.data)) as Record<string, unknown>;
      got.push(f);
      for (const w of [...waiters]) if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
    };
    const next = (pred: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
      const hit = got.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    };
    const send = (f: unknown): void => ws.send(JSON.stringify(f));
    await new Promise((r) => (ws.onopen = r));

    send({ msg: 'connect', version: '1', support: ['1'] });
    expect(shapeDiff(frames.connected, await next((f) => f.msg === 'connected'))).toEqual([]);
    send({ msg: 'method', method: 'login', id: 'bad', params: [{ user: { username: 'wolf' }, password: 'nope' }] });
    expect(shapeDiff(frames.loginError, await next((f) => f.msg === 'result' && f.id === 'bad'))).toEqual([]);
    send({ msg: 'method', method: 'login', id: '42', params: [{ resume: auth['X-Auth-Token'] }] });
    expect(shapeDiff(frames.loginResult, await next((f) => f.msg === 'result' && f.id === '42'))).toEqual([]);

    const uid = auth['X-User-Id']!;
    const subs: [string, string][] = [
      ['stream-room-messages', '__my_messages__'], ['stream-notify-room', `${rid}/user-activity`], ['stream-notify-room', `${rid}/deleteMessage`],
      ['stream-notify-logged', 'user-status'], ['stream-notify-user', `${uid}/subscriptions-changed`],
    ];
    for (const [i, [name, key]] of subs.entries()) send({ msg: 'sub', id: `s${i}`, name, params: [key, { useCollection: false, args: [] }] });
    expect(shapeDiff(frames.ready, await next((f) => f.msg === 'ready'))).toEqual([]);
    await next((f) => f.msg === 'ready' && Array.isArray(f.subs) && f.subs.includes(`s${subs.length - 1}`));
    send({ msg: 'sub', id: 'deny', name: 'stream-notify-user', params: ['someone-else/subscriptions-changed', { useCollection: false, args: [] }] });
    expect(shapeDiff(frames.nosub, await next((f) => f.msg === 'nosub'))).toEqual([]);

    const posted = srv.post('cat', rid, 'over the stream');
    const changed = (collection: string, eventName?: string) => (f: Record<string, unknown>): boolean =>
      f.msg === 'changed' && f.collection === collection && (eventName === undefined || (f.fields as { eventName?: string }).eventName === eventName);
    expect(shapeDiff(frames.roomMessage, await next(changed('stream-room-messages')))).toEqual([]);
    srv.typing('cat', rid, true);
    expect(shapeDiff(frames.userActivity, await next(changed('stream-notify-room', `${rid}/user-activity`)))).toEqual([]);
    srv.deleteMessage(posted._id);
    expect(shapeDiff(frames.deleteMessage, await next(changed('stream-notify-room', `${rid}/deleteMessage`)))).toEqual([]);
    srv.setStatus('cat', 'away', 'lunch');
    expect(shapeDiff(frames.userStatus, await next(changed('stream-notify-logged', 'user-status')))).toEqual([]);
    srv.createRoom('c', 'newroom', 'cat', ['wolf']);
    expect(shapeDiff(frames.subscriptionsChanged, await next(changed('stream-notify-user', `${uid}/subscriptions-changed`)))).toEqual([]);
    ws.close();
  });
});

describe('shapeDiff itself', () => {
  it('reports missing fields and type changes', () => {
    expect(shapeDiff({ a: 1, b: { c: 'x' } }, { a: 'one', b: {} })).toEqual(['$.a: expected number, got string', '$.b.c: missing']);
    expect(shapeDiff({ a: [{ x: 1 }] }, { a: [] })).toEqual(['$.a: expected a non-empty array']);
  });
});
