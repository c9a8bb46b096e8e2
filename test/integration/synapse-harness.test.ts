// The Synapse test harness itself (test/servers/synapse/synapse.ts) against the real, pinned Synapse,
// using only the raw client-server API (fetch): registration, rooms, invites, messages, /sync,
// restart with data and tokens kept. Needs .venv-synapse (scripts/synapse/ensure-venv.sh); without
// it startSynapse() throws and every test here fails (deliberately not skipped).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';

interface MatrixEvent {
  type: string;
  sender: string;
  event_id: string;
  content: Record<string, unknown>;
}
interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline: { events: MatrixEvent[] } }>;
    invite?: Record<string, unknown>;
  };
}

describe('synapse harness', () => {
  let server: SynapseServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId = '';
  let firstEventId = '';
  let bobSince = '';
  let txn = 0;

  async function api<T>(user: RegisteredUser | null, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: {
        ...(user ? { authorization: `Bearer ${user.accessToken}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  const sync = (user: RegisteredUser, since?: string, timeoutMs = 0): Promise<SyncResponse> =>
    api<SyncResponse>(user, 'GET', `/_matrix/client/v3/sync?timeout=${timeoutMs}${since ? `&since=${encodeURIComponent(since)}` : ''}`);

  /** Long-poll /sync until `pick` finds something (or fail after `ms`). Returns it and the next token. */
  async function syncUntil<T>(user: RegisteredUser, since: string | undefined, pick: (s: SyncResponse) => T | undefined, ms = 10_000): Promise<{ value: T; since: string }> {
    const deadline = Date.now() + ms;
    let token = since;
    for (;;) {
      const s = await sync(user, token, token ? 1_000 : 0);
      const value = pick(s);
      token = s.next_batch;
      if (value !== undefined) return { value, since: token };
      if (Date.now() > deadline) throw new Error(`sync: condition not met within ${ms} ms`);
    }
  }

  const timeline = (s: SyncResponse, room: string): MatrixEvent[] => s.rooms?.join?.[room]?.timeline.events ?? [];
  const send = (user: RegisteredUser, room: string, text: string): Promise<{ event_id: string }> =>
    api(user, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/t${Date.now()}-${txn++}`, {
      msgtype: 'm.text',
      body: text,
    });

  // A start-up failure (e.g. no .venv-synapse) is rethrown by every test, so each one is reported as
  // failed with the harness' message instead of vitest's "skipped" for a failed beforeAll.
  let startError: unknown = null;
  const ready = (): void => {
    if (startError) throw startError;
  };

  beforeAll(async () => {
    try {
      server = await startSynapse();
      [alice, bob] = await Promise.all([server.registerUser('alice', 'alicepw', true), server.registerUser('bob', 'bobpw')]);
    } catch (e) {
      startError = e;
    }
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('serves the client API on loopback, with well-known and registration through the shared secret', async () => {
    ready();
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.serverName).toBe('localhost');
    expect(alice.userId).toBe('@alice:localhost');
    expect(bob.userId).toBe('@bob:localhost');
    expect(alice.deviceId).toBeTruthy();

    const versions = await api<{ versions: string[] }>(null, 'GET', '/_matrix/client/versions');
    expect(versions.versions.length).toBeGreaterThan(0);
    const wk = await api<{ 'm.homeserver': { base_url: string } }>(null, 'GET', '/.well-known/matrix/client');
    expect(wk['m.homeserver'].base_url).toBe(`${server.baseUrl}/`);
    // No federation resource on the listener.
    expect((await fetch(`${server.baseUrl}/_matrix/federation/v1/version`)).status).toBe(404);

    expect(await api<{ user_id: string }>(bob, 'GET', '/_matrix/client/v3/account/whoami')).toMatchObject({ user_id: bob.userId });
    // admin flag: alice may use the admin API, bob may not.
    await api(alice, 'GET', `/_synapse/admin/v2/users/${encodeURIComponent(bob.userId)}`);
    await expect(api(bob, 'GET', `/_synapse/admin/v2/users/${encodeURIComponent(alice.userId)}`)).rejects.toThrow(/403/);
    // open registration is off
    await expect(api(null, 'POST', '/_matrix/client/v3/register', { username: 'eve', password: 'evepw', auth: { type: 'm.login.dummy' } })).rejects.toThrow(/403/);
    // password login works (bcrypt_rounds 4)
    const login = await api<{ user_id: string; access_token: string }>(null, 'POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'bob' },
      password: 'bobpw',
    });
    expect(login.user_id).toBe(bob.userId);
  });

  it('A creates a room and invites B, B joins, B sees A\'s message via /sync', async () => {
    ready();
    const bobStart = await sync(bob);
    ({ room_id: roomId } = await api<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
      name: 'harness',
      preset: 'private_chat',
      invite: [bob.userId],
    }));
    const invited = await syncUntil(bob, bobStart.next_batch, (s) => (s.rooms?.invite?.[roomId] ? true : undefined));
    await api(bob, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    ({ event_id: firstEventId } = await send(alice, roomId, 'hello bob <b>&'));
    const got = await syncUntil(bob, invited.since, (s) => timeline(s, roomId).find((e) => e.event_id === firstEventId));
    expect(got.value).toMatchObject({ type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: 'hello bob <b>&' } });
    bobSince = got.since;
  });

  it('rate limits are effectively off (30 messages in a burst, default burst is 10)', async () => {
    ready();
    const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => send(alice, roomId, `burst ${i}`)));
    expect(new Set(sent.map((s) => s.event_id)).size).toBe(30);
    const got = await syncUntil(bob, bobSince, (s) => (timeline(s, roomId).some((e) => e.content.body === 'burst 29') ? true : undefined));
    bobSince = got.since;
  });

  it('restart keeps rooms, messages and access tokens; an old sync token still works', async () => {
    ready();
    const startsBefore = server.timings.startsMs.length;
    await server.restart();
    expect(server.timings.startsMs.length).toBe(startsBefore + 1);

    for (const u of [alice, bob]) {
      expect(await api<{ user_id: string }>(u, 'GET', '/_matrix/client/v3/account/whoami')).toMatchObject({ user_id: u.userId });
    }
    const history = await api<{ chunk: MatrixEvent[] }>(bob, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`);
    expect(history.chunk.find((e) => e.event_id === firstEventId)?.content.body).toBe('hello bob <b>&');
    const joined = await api<{ joined: Record<string, unknown> }>(bob, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`);
    expect(Object.keys(joined.joined).sort()).toEqual([alice.userId, bob.userId].sort());

    const { event_id } = await send(alice, roomId, 'after restart');
    const got = await syncUntil(bob, bobSince, (s) => timeline(s, roomId).find((e) => e.event_id === event_id));
    expect(got.value.content.body).toBe('after restart');
    // Logging shows up in the harness' log(): Synapse writes its start banner at WARNING.
    expect(server.log()).toContain('STARTING SERVER');
  });
});
