// Pins the Mattermost test server's payloads to recorded examples from the real API (fixtures/*.json,
// each names its source): same keys, same JSON types, the real headers, ids and event envelopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startMattermost, isValidMobileAuthRedirectUrl, type MattermostServer } from '../../servers/mattermost';
import login from '../../servers/mattermost/fixtures/login.json';
import errorBody from '../../servers/mattermost/fixtures/error-body.json';
import rateLimit from '../../servers/mattermost/fixtures/rate-limit.json';
import wsAuth from '../../servers/mattermost/fixtures/ws-auth.json';
import wsHello from '../../servers/mattermost/fixtures/ws-hello.json';
import wsPosted from '../../servers/mattermost/fixtures/ws-posted.json';
import wsStatus from '../../servers/mattermost/fixtures/ws-status-change.json';
import postList from '../../servers/mattermost/fixtures/post-list.json';
import ssoFixture from '../../servers/mattermost/fixtures/sso-mobile-complete.json';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Frame = Record<string, Json>;

/** Every key of `example` is in `actual` with the same JSON type, recursively. Returns mismatches. */
function shapeDiff(example: Json, actual: Json, path = '$'): string[] {
  const kind = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(example) !== kind(actual)) return [`${path}: ${kind(example)} expected, got ${kind(actual)}`];
  if (kind(example) !== 'object') return [];
  const e = example as Record<string, Json>;
  const a = actual as Record<string, Json>;
  return Object.keys(e).flatMap((k) => (k in a ? shapeDiff(e[k]!, a[k]!, `${path}.${k}`) : [`${path}.${k}: missing`]));
}

const str = (f: Frame, ...path: string[]): string => {
  let cur: Json = f;
  for (const p of path) cur = (cur as Record<string, Json>)[p] ?? null;
  return typeof cur === 'string' ? cur : '';
};

let srv: MattermostServer;
let alice: { id: string };
let bob: { id: string };
let dm: string;

beforeAll(async () => {
  srv = await startMattermost();
  alice = srv.createUser({ username: 'alice', password: 'pw-alice' });
  bob = srv.createUser({ username: 'bob', password: 'pw-bob' });
  srv.createTeam('t', 'T', [alice.id, bob.id]);
  dm = srv.directChannel(alice.id, bob.id).id;
});
afterAll(async () => {
  await srv.stop();
});

async function loginToken(): Promise<string> {
  const res = await fetch(`${srv.baseUrl}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'alice', password: 'pw-alice' }) });
  return res.headers.get('token')!;
}

interface Client {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  next(pred: (f: Frame) => boolean): Promise<Frame>;
}

/** A WebSocket client speaking the documented protocol; collects every frame. */
async function socket(token: string, query = ''): Promise<Client> {
  const ws = new WebSocket(`${srv.baseUrl.replace('http', 'ws')}/api/v4/websocket${query}`);
  const frames: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString()) as Frame;
    frames.push(f);
    for (const w of [...waiters]) {
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ ...wsAuth.challenge, data: { token } }));
  return {
    ws,
    frames,
    next: (pred) => {
      const hit = frames.find(pred);
      return hit ? Promise.resolve(hit) : new Promise<Frame>((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

describe('REST payloads', () => {
  it('login: 200, Token header, a sanitised user object', async () => {
    const res = await fetch(`${srv.baseUrl}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'alice', password: 'pw-alice' }) });
    expect(res.status).toBe(login.status);
    expect(res.headers.get('token')).toMatch(/^[a-z0-9]{26}$/);
    expect(res.headers.get('x-version-id')).toBeTruthy();
    expect(await res.json()).toMatchObject({ id: alice.id, username: 'alice', password: '' });
  });

  it('errors: the AppError body with the real ids', async () => {
    const res = await fetch(`${srv.baseUrl}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'alice', password: 'wrong' }) });
    expect(res.status).toBe(401);
    const body = (await res.json()) as Json;
    expect(shapeDiff(errorBody.example, body)).toEqual([]);
    expect(body).toMatchObject({ id: 'api.user.login.invalid_credentials_email_username', status_code: 401 });
    const noAuth = await fetch(`${srv.baseUrl}/api/v4/users/me`);
    expect(await noAuth.json()).toMatchObject({ id: 'api.context.session_expired.app_error', status_code: 401 });
  });

  it('MFA: missing code and wrong code give the ids clients test for', async () => {
    srv.createUser({ username: 'mfa', password: 'pw', mfaCode: '123456' });
    const post = async (body: object): Promise<[number, string]> => {
      const r = await fetch(`${srv.baseUrl}/api/v4/users/login`, { method: 'POST', body: JSON.stringify(body) });
      const j = (await r.json()) as { id?: string };
      return [r.status, j.id ?? ''];
    };
    expect(await post({ login_id: 'mfa', password: 'pw' })).toEqual([400, 'mfa.validate_token.authenticate.app_error']);
    expect(await post({ login_id: 'mfa', password: 'pw', token: '000000' })).toEqual([401, 'api.user.check_user_mfa.bad_code.app_error']);
    expect((await post({ login_id: 'mfa', password: 'pw', token: '123456' }))[0]).toBe(200);
  });

  it('rate limiting: 429, plain text "limit exceeded", X-RateLimit-* and Retry-After', async () => {
    const token = await loginToken();
    srv.failNext({ kind: 'rate_limited', retryAfterSec: 1 });
    const res = await fetch(`${srv.baseUrl}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(rateLimit.status);
    expect(await res.text()).toBe(rateLimit.body);
    for (const [h, v] of Object.entries(rateLimit.headers)) expect(res.headers.get(h)).toBe(v);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('PostList: order newest first, posts by id', async () => {
    const token = await loginToken();
    const p1 = srv.post(bob.id, dm, 'one');
    const p2 = srv.post(bob.id, dm, 'two');
    const res = await fetch(`${srv.baseUrl}/api/v4/channels/${dm}/posts?per_page=2`, { headers: { Authorization: `Bearer ${token}` } });
    const list = (await res.json()) as { order: string[] };
    expect(shapeDiff(postList.example as Json, list as unknown as Json)).toEqual([]);
    expect(list.order).toEqual([p2.id, p1.id]);
  });
});

describe('WebSocket payloads', () => {
  it('authentication challenge → OK reply → hello with a connection_id (seq 0)', async () => {
    const c = await socket(await loginToken());
    expect(await c.next((f) => 'seq_reply' in f)).toEqual(wsAuth.ok);
    const hello = await c.next((f) => f.event === 'hello');
    expect(shapeDiff(wsHello.example as Json, hello)).toEqual([]);
    expect(hello.seq).toBe(0);
    expect(str(hello, 'data', 'connection_id')).toMatch(/^[a-z0-9]{26}$/);
    c.ws.close();
  });

  it('posted: envelope and data of a real event, data.post a JSON string with the real post fields, mentions', async () => {
    const c = await socket(await loginToken());
    await c.next((f) => f.event === 'hello');
    srv.post(bob.id, dm, 'hi @alice');
    const ev = await c.next((f) => f.event === 'posted');
    const example = wsPosted.example as unknown as Frame;
    const examplePost = str(example, 'data', 'post');
    expect(shapeDiff(example, ev)).toEqual([]);
    // props.disable_group_highlight was set by the sending web client, not by the server.
    const expectedPost = { ...(JSON.parse(examplePost) as Record<string, Json>), props: {} };
    expect(shapeDiff(expectedPost, JSON.parse(str(ev, 'data', 'post')) as Json)).toEqual([]);
    expect(typeof JSON.parse(wsPosted.mentionsExample)).toBe('object');
    expect(JSON.parse(str(ev, 'data', 'mentions'))).toEqual([alice.id]);
    expect(ev.seq).toBeGreaterThan(0);
    c.ws.close();
  });

  it('status_change and typing; user_typing is answered with its seq_reply', async () => {
    const c = await socket(await loginToken());
    await c.next((f) => f.event === 'hello');
    srv.setStatus(bob.id, 'away');
    const st = await c.next((f) => f.event === 'status_change' && str(f, 'data', 'user_id') === bob.id);
    expect(shapeDiff(wsStatus.example as Json, st)).toEqual([]);
    c.ws.send(JSON.stringify({ ...wsAuth.typingAction, data: { channel_id: dm, parent_id: '' } }));
    expect(await c.next((f) => f.seq_reply === 2)).toEqual(wsAuth.typingOk);
    c.ws.close();
  });

  it('resume: the same connection_id and sequence_number replays missed events without a new hello', async () => {
    const token = await loginToken();
    const first = await socket(token);
    const hello = await first.next((f) => f.event === 'hello');
    const connectionId = str(hello, 'data', 'connection_id');
    await new Promise((r) => setTimeout(r, 50));
    const lastSeq = Math.max(...first.frames.map((f) => (typeof f.seq === 'number' ? f.seq : -1)));
    const closed = new Promise((r) => first.ws.once('close', r));
    srv.dropWebSockets();
    await closed;
    srv.post(bob.id, dm, 'missed');
    const second = await socket(token, `?connection_id=${connectionId}&sequence_number=${lastSeq + 1}`);
    const replay = await second.next((f) => f.event === 'posted');
    expect(replay.seq).toBe(lastSeq + 1);
    expect(second.frames.some((f) => f.event === 'hello')).toBe(false);
    second.ws.close();
    srv.forgetWebSocketConnections();
    const third = await socket(token, `?connection_id=${connectionId}&sequence_number=${lastSeq + 2}`);
    const fresh = await third.next((f) => f.event === 'hello');
    expect(str(fresh, 'data', 'connection_id')).not.toBe(connectionId);
    third.ws.close();
  });
});

describe('SSO redirect validation', () => {
  it('matches the real prefix rule against the default schemes', () => {
    const ok = (u: string) => isValidMobileAuthRedirectUrl(ssoFixture.defaultSchemes, u);
    expect([ok('mmauth://callback'), ok('MMAUTH://callback'), ok('mmauthbeta://x')]).toEqual([true, true, true]);
    expect([ok('http://127.0.0.1:5000/cb'), ok('evilmmauth://x')]).toEqual([false, false]);
  });

  it('redirects to redirect_to with exactly the documented parameters', async () => {
    srv.createUser({ username: 'ssouser', password: 'idp-pw', authService: 'gitlab' });
    const start = await fetch(`${srv.baseUrl}/oauth/gitlab/mobile_login?redirect_to=${encodeURIComponent('mmauth://done')}`, { redirect: 'manual' });
    const idp = new URL(start.headers.get('location')!);
    expect(idp.searchParams.get('redirect_uri')).toBe(`${srv.baseUrl}/signup/gitlab/complete`);
    const back = await fetch(`${srv.baseUrl}/_fake_idp/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ state: idp.searchParams.get('state')!, redirect_uri: idp.searchParams.get('redirect_uri')!, username: 'ssouser', password: 'idp-pw' }),
    });
    const done = await fetch(back.headers.get('location')!, { redirect: 'manual' });
    const href = /href="([^"]+)"/.exec(await done.text())![1]!.replace(/&amp;/g, '&');
    expect([...new URL(href).searchParams.keys()].sort()).toEqual([...ssoFixture.redirectParams].sort());
    const bad = await fetch(`${srv.baseUrl}/oauth/gitlab/mobile_login?redirect_to=${encodeURIComponent('https://evil.example/')}`, { redirect: 'manual' });
    expect(new URL(bad.headers.get('location')!).searchParams.get('message')).toBe('Invalid custom URL scheme has been passed');
  });
});
