// DdpClient (protocols/rocketchat/ddp.ts) against a scripted socket: the DDP 1 framing Meteor's
// ddp-server speaks (packages/ddp-server/livedata_server.js, packages/ddp-common), Rocket.Chat
// stream deliveries, bounded pending calls, timeouts and broken frames.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DdpClient, DdpError } from '../../../../protocols/rocketchat/ddp';
import type { DdpOptions, SocketLike } from '../../../../protocols/rocketchat/ddp';

class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f: unknown): void {
    this.onmessage?.({ data: typeof f === 'string' ? f : JSON.stringify(f) });
  }
  serverClose(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  last(): Record<string, unknown> {
    return this.sent[this.sent.length - 1]!;
  }
}

function setup(opts: Partial<DdpOptions> = {}) {
  const socket = new FakeSocket();
  const changed: [string, string, readonly unknown[]][] = [];
  const malformed: string[] = [];
  const lost: string[] = [];
  const client = new DdpClient({
    url: 'ws://127.0.0.1:1/websocket',
    createSocket: () => socket,
    onChanged: (c, e, a) => changed.push([c, e, a]),
    onMalformed: (d) => malformed.push(d),
    onLost: (r) => lost.push(r),
    ...opts,
  });
  return { socket, client, changed, malformed, lost };
}

async function connected(opts: Partial<DdpOptions> = {}) {
  const t = setup(opts);
  const p = t.client.connect();
  t.socket.open();
  t.socket.frame({ server_id: '0' });
  t.socket.frame({ msg: 'connected', session: 'S1' });
  await p;
  return t;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('DdpClient', () => {
  it('handshakes with connect version 1 and ignores the server_id greeting', async () => {
    const { socket, client, malformed } = await connected();
    expect(socket.sent[0]).toEqual({ msg: 'connect', version: '1', support: ['1'] });
    expect(client.session).toBe('S1');
    expect(malformed).toEqual([]);
    client.close();
  });

  it('rejects the handshake when the server answers failed', async () => {
    const { socket, client } = setup();
    const p = client.connect();
    socket.open();
    socket.frame({ msg: 'failed', version: 'pre2' });
    await expect(p).rejects.toMatchObject({ kind: 'unsupported' });
  });

  it('methods: id-matched results and Meteor.Error rejections', async () => {
    const { socket, client } = await connected();
    const ok = client.call('login', [{ resume: 'tok' }]);
    const sent = socket.last();
    expect(sent).toMatchObject({ msg: 'method', method: 'login', params: [{ resume: 'tok' }] });
    const bad = client.call('nope', []);
    const badId = socket.last().id;
    socket.frame({ msg: 'result', id: badId, error: { isClientSafe: true, error: 403, reason: 'Denied', message: 'Denied [403]', errorType: 'Meteor.Error' } });
    socket.frame({ msg: 'result', id: sent.id, result: { id: 'U1', token: 'tok', tokenExpires: { $date: 1 } } });
    socket.frame({ msg: 'updated', methods: [sent.id] });
    await expect(ok).resolves.toMatchObject({ id: 'U1' });
    const err = await bad.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DdpError);
    expect(err).toMatchObject({ error: 403, reason: 'Denied' });
  });

  it('subscriptions resolve on ready and reject on nosub with an error', async () => {
    const { socket, client } = await connected();
    const a = client.subscribe('stream-room-messages', ['__my_messages__', { useCollection: false, args: [] }]);
    const subA = socket.last();
    expect(subA).toMatchObject({ msg: 'sub', name: 'stream-room-messages', params: ['__my_messages__', { useCollection: false, args: [] }] });
    const b = client.subscribe('stream-notify-room', ['x/user-activity', { useCollection: false, args: [] }]);
    const subB = socket.last();
    socket.frame({ msg: 'ready', subs: [subA.id] });
    socket.frame({ msg: 'nosub', id: subB.id, error: { error: 'not-allowed', reason: 'Not allowed' } });
    await expect(a).resolves.toBe(subA.id);
    await expect(b).rejects.toMatchObject({ error: 'not-allowed' });
  });

  it('answers server pings with pong (echoing the id)', async () => {
    const { socket } = await connected();
    socket.frame({ msg: 'ping', id: 'p7' });
    expect(socket.last()).toEqual({ msg: 'pong', id: 'p7' });
    socket.frame({ msg: 'ping' });
    expect(socket.last()).toEqual({ msg: 'pong' });
  });

  it('delivers stream-* changed frames as (collection, eventName, args) and skips other collections', async () => {
    const { socket, changed } = await connected();
    socket.frame({ msg: 'changed', collection: 'stream-room-messages', id: 'id', fields: { eventName: 'R1', args: [{ _id: 'm1' }] } });
    socket.frame({ msg: 'changed', collection: 'users', id: 'U1', fields: { status: 'online' } });
    socket.frame({ msg: 'added', collection: 'users', id: 'U1', fields: {} });
    expect(changed).toEqual([['stream-room-messages', 'R1', [{ _id: 'm1' }]]]);
  });

  it('reports broken frames as malformed and keeps going', async () => {
    const { socket, client, malformed, changed } = await connected();
    socket.frame('{"msg":"changed","collection":');
    socket.frame('[1,2]');
    socket.frame({ nomsg: true });
    socket.frame({ msg: 'changed', collection: 'stream-notify-room', id: 'id', fields: { eventName: 5 } });
    expect(malformed).toHaveLength(4);
    socket.frame({ msg: 'changed', collection: 'stream-notify-room', id: 'id', fields: { eventName: 'R/typing', args: ['a', true] } });
    expect(changed).toHaveLength(1);
    expect(client.isOpen).toBe(true);
  });

  it('bounds the calls in flight', async () => {
    const { client } = await connected({ maxPending: 2 });
    void client.call('a', []).catch(() => undefined);
    void client.call('b', []).catch(() => undefined);
    await expect(client.call('c', [])).rejects.toMatchObject({ kind: 'network' });
    client.close();
  });

  it('times a call out', async () => {
    const { client } = await connected();
    vi.useFakeTimers();
    const p = client.call('slow', [], 1000);
    vi.advanceTimersByTime(1001);
    await expect(p).rejects.toMatchObject({ kind: 'timeout' });
    client.close();
  });

  it('a server-side close fails pending calls and reports the loss; our own close does not', async () => {
    const t = await connected();
    const p = t.client.call('x', []);
    t.socket.serverClose(1006);
    await expect(p).rejects.toMatchObject({ kind: 'network' });
    expect(t.lost).toHaveLength(1);
    const u = await connected();
    u.client.close();
    expect(u.lost).toEqual([]);
  });

  it('runs connected hooks after every handshake, in order', async () => {
    const { socket, client } = setup();
    const order: string[] = [];
    client.onConnected(async () => {
      order.push('login');
    });
    client.onConnected(async () => {
      order.push('subscribe');
    });
    const p = client.connect();
    socket.open();
    socket.frame({ msg: 'connected', session: 'S' });
    await p;
    expect(order).toEqual(['login', 'subscribe']);
  });
});
