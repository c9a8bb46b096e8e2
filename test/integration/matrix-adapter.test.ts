// The Matrix adapter's session handling against a real Synapse: password login → token, token
// restore, wrong password, unreachable server, expired/revoked tokens, logout, rate limiting,
// server facts (.well-known Jitsi domain, media limit), and presence with the server's presence
// enabled vs disabled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { MatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, AdapterLogger, Credentials, ProtocolAdapter } from '../../protocols/contract';
import type { AppError } from '../../common/errors';
import { rejection } from '../helpers/rejection';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let main: SynapseServer;
let other: SynapseServer; // presence disabled, Jitsi in .well-known, strict login rate limit
let seq = 0;
const open: ProtocolAdapter[] = [];

function adapterFor(srv: SynapseServer, userId: string, serviceUrl = srv.baseUrl, allowPlaintext = true): { adapter: ProtocolAdapter; events: AdapterEvent[] } {
  const adapter = createMatrixAdapter({ address: userId, serviceUrl, allowPlaintext }, { log: quiet, now: () => Date.now() });
  open.push(adapter);
  const events: AdapterEvent[] = [];
  adapter.onEvent((e) => events.push(e));
  return { adapter, events };
}

async function user(srv: SynapseServer, prefix: string): Promise<RegisteredUser & { password: string }> {
  const name = `${prefix}${seq++}`;
  return { ...(await srv.registerUser(name, `${name}-pw`)), password: `${name}-pw` };
}

async function whoami(srv: SynapseServer, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${srv.baseUrl}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}


const waitUntil = async (cond: () => boolean, label: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(async () => {
  [main, other] = await Promise.all([
    startSynapse(),
    startSynapse({
      extraConfig: {
        presence: { enabled: false },
        extra_well_known_client_content: { 'im.vector.riot.jitsi': { preferredDomain: 'meet.example.org' } },
        rc_login: {
          address: { per_second: 10000, burst_count: 10000 },
          account: { per_second: 10000, burst_count: 10000 },
          failed_attempts: { per_second: 0.01, burst_count: 2 },
        },
      },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((a) => a.disconnect().catch(() => undefined)));
  await Promise.all([main?.dispose(), other?.dispose()]);
});

describe('matrix login and session', () => {
  it('password login: connected, a token credential to store instead of the password, capabilities from the server', async () => {
    const u = await user(main, 'anna');
    const { adapter, events } = adapterFor(main, u.userId);
    const t0 = performance.now();
    const res = await adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} });
    const ms = performance.now() - t0;
    expect(res.selfId).toBe(u.userId);
    expect(res.renewedCredentials?.kind).toBe('token');
    const tok = JSON.parse((res.renewedCredentials as Extract<Credentials, { kind: 'token' }>).token) as Record<string, string>;
    expect(tok.userId).toBe(u.userId);
    expect(tok.deviceId).toBeTruthy();
    expect(JSON.stringify(res.renewedCredentials)).not.toContain(u.password);
    expect((await whoami(main, tok.accessToken!)).body).toMatchObject({ user_id: u.userId, device_id: tok.deviceId });
    expect(events.map((e) => (e.type === 'connection' ? e.state : null)).filter(Boolean)).toEqual(['connecting', 'connected']);
    expect(events.some((e) => e.type === 'sync' && typeof e.state.since === 'string')).toBe(true);
    const caps = adapter.capabilities();
    expect(caps).toMatchObject({ edit: true, delete: true, reactions: true, history: true, upload: true, maxUploadBytes: 50 * 1024 * 1024, presence: true });
    expect((adapter as MatrixAdapter).serverInfo).toMatchObject({ authenticatedMedia: true, canChangePassword: true, jitsiDomain: null });
    console.info(`matrix password login + initial sync: ${ms.toFixed(0)} ms`);
  });

  it('token restore reuses the device; no new credentials', async () => {
    const u = await user(main, 'tok');
    const first = adapterFor(main, u.userId);
    const res = await first.adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} });
    await first.adapter.disconnect();
    const second = adapterFor(main, u.userId);
    const t0 = performance.now();
    const again = await second.adapter.connect({ credentials: res.renewedCredentials!, syncState: {} });
    console.info(`matrix token restore + initial sync: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(again.selfId).toBe(u.userId);
    expect(again.renewedCredentials).toBeUndefined();
    expect(second.events.some((e) => e.type === 'connection' && e.state === 'connected')).toBe(true);
  });

  it('wrong password → auth (fatal); unreachable → network; http without allowPlaintext → insecure', async () => {
    const u = await user(main, 'wrong');
    const { adapter, events } = adapterFor(main, u.userId);
    const err = await rejection(adapter.connect({ credentials: { kind: 'password', password: 'nope' }, syncState: {} }));
    expect(err.kind).toBe('auth');
    const drop = events.find((e) => e.type === 'connection' && e.state === 'disconnected');
    expect(drop?.type === 'connection' && drop.error?.fatal).toBe(true);

    const dead = adapterFor(main, u.userId, 'http://127.0.0.1:45678');
    expect((await rejection(dead.adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} }))).kind).toBe('network');

    const plain = adapterFor(main, u.userId, main.baseUrl, false);
    expect((await rejection(plain.adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} }))).kind).toBe('insecure');
    expect((await rejection(adapter.connect({ credentials: { kind: 'token', token: 'garbage' }, syncState: {} }))).kind).toBe('auth');
  });

  it('a token logged out from another session → auth on the next connect; while connected → disconnected (fatal auth)', async () => {
    const u = await user(main, 'exp');
    const a = adapterFor(main, u.userId);
    const res = await a.adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} });
    const token = (JSON.parse((res.renewedCredentials as Extract<Credentials, { kind: 'token' }>).token) as { accessToken: string }).accessToken;
    // Another session (the admin API would do the same) logs this device out.
    const out = await fetch(`${main.baseUrl}/_matrix/client/v3/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(out.status).toBe(200);
    await waitUntil(() => a.events.some((e) => e.type === 'connection' && e.state === 'disconnected'), 'live session dropped');
    const drop = a.events.find((e) => e.type === 'connection' && e.state === 'disconnected');
    expect(drop?.type === 'connection' && drop.error).toMatchObject({ kind: 'auth', fatal: true });
    const b = adapterFor(main, u.userId);
    expect((await rejection(b.adapter.connect({ credentials: res.renewedCredentials!, syncState: {} }))).kind).toBe('auth');
  });

  it('logout() invalidates the device on the server', async () => {
    const u = await user(main, 'bye');
    const { adapter } = adapterFor(main, u.userId);
    const res = await adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} });
    const token = (JSON.parse((res.renewedCredentials as Extract<Credentials, { kind: 'token' }>).token) as { accessToken: string }).accessToken;
    expect((await whoami(main, token)).status).toBe(200);
    await adapter.logout();
    const after = await whoami(main, token);
    expect(after.status).toBe(401);
    expect(after.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('too many failed logins → rate_limited with retryAfterMs', async () => {
    const u = await user(other, 'rl');
    let last: AppError | null = null;
    for (let i = 0; i < 5 && last?.kind !== 'rate_limited'; i++) {
      last = await rejection(adapterFor(other, u.userId).adapter.connect({ credentials: { kind: 'password', password: 'bad' }, syncState: {} }));
    }
    expect(last?.kind).toBe('rate_limited');
    expect(last?.retryAfterMs).toBeGreaterThan(0);
  });
});

describe('matrix server facts and presence', () => {
  it('reads the Jitsi domain from .well-known', async () => {
    const u = await user(other, 'jit');
    const { adapter } = adapterFor(other, u.userId);
    await adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} });
    expect((adapter as MatrixAdapter).serverInfo?.jitsiDomain).toBe('meet.example.org');
    // Published with the capabilities, which the core keeps with the account.
    expect(adapter.capabilities().meetingDomain).toBe('meet.example.org');
  });

  it('presence enabled: own status set through the feature reaches the peer; members carry it', async () => {
    const [su, pu] = await Promise.all([user(main, 'ps'), user(main, 'pp')]);
    const s = adapterFor(main, su.userId);
    const p = adapterFor(main, pu.userId);
    await Promise.all([
      s.adapter.connect({ credentials: { kind: 'password', password: su.password }, syncState: {} }),
      p.adapter.connect({ credentials: { kind: 'password', password: pu.password }, syncState: {} }),
    ]);
    expect(s.adapter.capabilities().presence).toBe(true);
    const room = await p.adapter.direct!.open(su.userId);
    await waitUntil(() => s.events.some((e) => e.type === 'conversation' && e.conversation.id === room.id), 'DM joined');
    await s.adapter.presence!.set('away', 'på lunch');
    await waitUntil(() => p.events.some((e) => e.type === 'presence' && e.userId === su.userId && e.state === 'away' && e.statusText === 'på lunch'), 'away seen');
    const members = await p.adapter.rooms!.members(room.id);
    expect(members.find((m) => m.id === su.userId)?.presence).toBe('away');
    await s.adapter.presence!.set('available', '');
    await waitUntil(() => p.events.some((e) => e.type === 'presence' && e.userId === su.userId && e.state === 'available'), 'available seen');
  });

  it('presence disabled on the server: capability off, members are unknown (never offline), setting it is unsupported', async () => {
    const [su, pu] = await Promise.all([user(other, 'ds'), user(other, 'dp')]);
    const s = adapterFor(other, su.userId);
    const p = adapterFor(other, pu.userId);
    await Promise.all([
      s.adapter.connect({ credentials: { kind: 'password', password: su.password }, syncState: {} }),
      p.adapter.connect({ credentials: { kind: 'password', password: pu.password }, syncState: {} }),
    ]);
    expect(s.adapter.capabilities().presence).toBe(false);
    const room = await p.adapter.direct!.open(su.userId);
    await waitUntil(() => s.events.some((e) => e.type === 'conversation' && e.conversation.id === room.id), 'DM joined');
    const members = await s.adapter.rooms!.members(room.id);
    expect(members.map((m) => m.presence)).toEqual(['unknown', 'unknown']);
    expect((await rejection(s.adapter.presence!.set('away', ''))).kind).toBe('unsupported');
    expect([...s.events, ...p.events].some((e) => e.type === 'presence' && e.state === 'offline')).toBe(false);
  });
});
