// MmSocket against a scripted fake WebSocket: authentication, fresh vs resumed connections,
// sequence gaps, malformed frames and the ping timeout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MmSocket, type SocketHandlers, type WsEvent } from '../../../../protocols/mattermost/socket';
import type { Transport } from '../../../../protocols/mattermost/transport';

class FakeWs {
  readonly OPEN = 1;
  readyState = 0;
  readonly sent: { seq: number; action: string; data: Record<string, unknown> }[] = [];
  private readonly listeners = new Map<string, ((ev: never) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, fn: (ev: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  private fire(type: string, ev: unknown): void {
    for (const fn of this.listeners.get(type) ?? []) (fn as (e: unknown) => void)(ev);
  }
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  frame(data: unknown): void {
    this.fire('message', { data: typeof data === 'string' ? data : JSON.stringify(data) });
  }
  send(s: string): void {
    this.sent.push(JSON.parse(s) as FakeWs['sent'][number]);
  }
  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire('close', { code: 1000 });
  }
}

function setup(prev: { connectionId: string; nextSeq: number } | null) {
  const sockets: FakeWs[] = [];
  const transport = { fetch: vi.fn(), close: vi.fn(), openWebSocket: (url: string) => { const w = new FakeWs(url); sockets.push(w); return w; } } as unknown as Transport;
  const events: WsEvent[] = [];
  const h: SocketHandlers & { malformed: string[]; gaps: [number, number][]; closes: number[] } = {
    malformed: [], gaps: [], closes: [],
    onEvent: (e) => events.push(e),
    onMalformed: (d) => h.malformed.push(d),
    onGap: (a, b) => h.gaps.push([a, b]),
    onClose: (c) => h.closes.push(c),
  };
  const sock = new MmSocket(transport, 'ws://x/api/v4/websocket', 'tok', prev, h);
  return { sock, sockets, events, h };
}

const ev = (event: string, seq: number, data: Record<string, unknown> = {}) => ({ event, seq, data, broadcast: { channel_id: 'c1', user_id: '' } });

/** A fresh connection (no resume point), authenticated and past its hello; for tests of what follows. */
async function connected() {
  const t = setup(null);
  const opening = t.sock.open();
  const ws = t.sockets[0]!;
  ws.open();
  ws.frame({ status: 'OK', seq_reply: 1 });
  ws.frame(ev('hello', 0, { connection_id: 'c' }));
  await opening;
  return { ...t, ws };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MmSocket', () => {
  it('authenticates with a challenge and reports a fresh connection on hello', async () => {
    const { sock, sockets, events } = setup(null);
    const opening = sock.open();
    const ws = sockets[0]!;
    expect(ws.url).toBe('ws://x/api/v4/websocket?connection_id=&sequence_number=0');
    ws.open();
    expect(ws.sent[0]).toEqual({ seq: 1, action: 'authentication_challenge', data: { token: 'tok' } });
    ws.frame({ status: 'OK', seq_reply: 1 });
    ws.frame(ev('hello', 0, { connection_id: 'conn1' }));
    expect(await opening).toEqual({ connectionId: 'conn1', resumed: false });
    ws.frame(ev('posted', 1));
    expect(events.map((e) => [e.event, e.seq, e.channelId])).toEqual([['hello', 0, 'c1'], ['posted', 1, 'c1']]);
    expect(sock.resumePoint).toEqual({ connectionId: 'conn1', nextSeq: 2 });
  });

  it('refused authentication rejects with auth', async () => {
    const { sock, sockets } = setup(null);
    const opening = sock.open();
    sockets[0]!.open();
    sockets[0]!.frame({ status: 'FAIL', seq_reply: 1, error: { id: 'x' } });
    await expect(opening).rejects.toMatchObject({ kind: 'auth' });
  });

  it('resumes when replayed events continue the sequence, and keeps several frames in order', async () => {
    const { sock, sockets, events, h } = setup({ connectionId: 'conn1', nextSeq: 5 });
    const opening = sock.open();
    const ws = sockets[0]!;
    expect(ws.url).toContain('connection_id=conn1&sequence_number=5');
    ws.open();
    ws.frame({ status: 'OK', seq_reply: 1 });
    ws.frame(ev('posted', 5));
    ws.frame(ev('posted', 6));
    expect(await opening).toEqual({ connectionId: 'conn1', resumed: true });
    expect(events.map((e) => e.seq)).toEqual([5, 6]);
    expect(h.gaps).toEqual([]);
  });

  it('a hello with a different connection_id means the replay was lost', async () => {
    const { sock, sockets } = setup({ connectionId: 'old', nextSeq: 9 });
    const opening = sock.open();
    sockets[0]!.open();
    sockets[0]!.frame({ status: 'OK', seq_reply: 1 });
    sockets[0]!.frame(ev('hello', 0, { connection_id: 'new' }));
    expect(await opening).toEqual({ connectionId: 'new', resumed: false });
  });

  it('reports sequence gaps, drops stale replays and malformed frames', async () => {
    const { ws, events, h } = await connected();
    ws.frame(ev('posted', 3));
    expect(h.gaps).toEqual([[1, 3]]);
    ws.frame(ev('posted', 2));
    ws.frame('{"event":');
    ws.frame({ event: 'posted', data: {}, broadcast: {} });
    expect(events.map((e) => e.seq)).toEqual([0, 3]);
    expect(h.malformed).toHaveLength(2);
  });

  it('closes and reports a connection that stops answering pings', async () => {
    vi.useFakeTimers();
    const { ws, h } = await connected();
    vi.advanceTimersByTime(30_000);
    expect(ws.sent.at(-1)?.action).toBe('ping');
    vi.advanceTimersByTime(30_000);
    expect(h.closes).toEqual([4000]);
    expect(ws.readyState).toBe(3);
  });
});
