// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IpcResult, Patch } from '../../../common/api';
import { ApiError } from '../../../renderer/bridge/errors';
import { createElectronApi } from '../../../renderer/bridge/preload-bridge';
import type { ConnectionState } from '../../../renderer/bridge/types';
import { createWebSocketApi, takeTokenFromLocation } from '../../../renderer/bridge/websocket';

class FakeSocket {
  static readonly OPEN = 1;
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) { FakeSocket.instances.push(this); }
  send(data: string): void { this.sent.push(JSON.parse(data)); }
  close(): void { this.drop(1000); }
  open(): void { this.readyState = 1; this.onopen?.(); }
  drop(code = 1006): void { this.readyState = 3; this.onclose?.({ code }); }
  receive(frame: unknown): void { this.onmessage?.({ data: JSON.stringify(frame) }); }
}

afterEach(() => {
  FakeSocket.instances = [];
  vi.useRealTimers();
});

const make = () => createWebSocketApi({ url: 'ws://127.0.0.1:5555/api', token: 'sekret', WebSocketImpl: FakeSocket as unknown as typeof WebSocket, minDelayMs: 100, maxDelayMs: 1000 });

describe('web-mode bridge', () => {
  it('sends the token first, queues calls until open, resolves and rejects by id', async () => {
    const api = make();
    const p1 = api.invoke('inbox:list', {});
    const p2 = api.invoke('accounts:remove', { accountId: 'x' });
    const ws = FakeSocket.instances[0]!;
    expect(ws.url).toBe('ws://127.0.0.1:5555/api');
    ws.open();
    expect(ws.sent[0]).toEqual({ token: 'sekret' });
    expect(ws.sent[1]).toEqual({ id: 1, cmd: 'inbox:list', input: {} });
    expect(ws.sent[2]).toEqual({ id: 2, cmd: 'accounts:remove', input: { accountId: 'x' } });
    ws.receive({ id: 2, result: { ok: false, error: { kind: 'not_found', message: 'no', fatal: false } } });
    ws.receive({ id: 1, result: { ok: true, value: [] } });
    await expect(p1).resolves.toEqual([]);
    const err = await p2.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).dto.kind).toBe('not_found');
    api.close();
  });

  it('delivers patches, reports a lost link, reconnects with backoff and re-sends the token', async () => {
    vi.useFakeTimers();
    const api = make();
    const states: ConnectionState[] = [];
    api.onConnectionChange!((s) => states.push(s));
    const got: (readonly Patch[])[] = [];
    api.onPatches((p) => got.push(p));
    const ws = FakeSocket.instances[0]!;
    ws.open();
    ws.receive({ event: 'patches', patches: [{ type: 'presence.own', state: 'away', statusText: '' }] });
    expect(got).toHaveLength(1);
    const inFlight = api.invoke('inbox:list', {});
    ws.drop();
    await expect(inFlight).rejects.toMatchObject({ dto: { kind: 'network' } });
    expect(states).toEqual(['connecting', 'open', 'lost']);
    vi.advanceTimersByTime(150);
    const ws2 = FakeSocket.instances[1]!;
    expect(ws2).toBeTruthy();
    ws2.open();
    expect(ws2.sent[0]).toEqual({ token: 'sekret' });
    expect(states).toEqual(['connecting', 'open', 'lost', 'open']);
    api.close();
  });

  it('stops retrying when the host refuses the token', () => {
    vi.useFakeTimers();
    const api = make();
    const states: ConnectionState[] = [];
    api.onConnectionChange!((s) => states.push(s));
    FakeSocket.instances[0]!.drop(4401);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(states.at(-1)).toBe('unauthorized');
  });

  it('takes the token from the hash and removes it from the address bar', () => {
    window.history.replaceState(null, '', '/app?x=1#token=abc123');
    const replace = vi.spyOn(window.history, 'replaceState');
    expect(takeTokenFromLocation()).toBe('abc123');
    expect(replace).toHaveBeenCalledWith(null, '', '/app?x=1');
    expect(window.location.hash).toBe('');
    expect(takeTokenFromLocation()).toBe('abc123');
  });
});

describe('Electron bridge', () => {
  it('resolves values and rejects with the AppErrorDto', async () => {
    const results: IpcResult<unknown>[] = [{ ok: true, value: null }, { ok: false, error: { kind: 'auth', message: 'bad', fatal: true } }];
    const api = createElectronApi({ invoke: () => Promise.resolve(results.shift()!), onPatches: () => () => undefined });
    await expect(api.invoke('read:mark', { conversationId: 'c' })).resolves.toBeNull();
    await expect(api.invoke('read:mark', { conversationId: 'c' })).rejects.toMatchObject({ dto: { kind: 'auth' } });
  });
});
