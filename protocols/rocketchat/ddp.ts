// A small DDP client (Meteor's Distributed Data Protocol, version 1) for Rocket.Chat's realtime
// API: connect/connected, ping/pong both ways, methods with ids and results, subscriptions with
// ready/nosub, and `changed` frames for the stream-* collections. We write our own instead of
// @rocket.chat/ddp-client because that package cannot be installed from the registry alone (see
// README.md); DDP is small and this keeps the failure modes (timeouts, bounded pending calls,
// malformed frames) under our control.
import { AppError } from '../../common/errors';
import { certificateError } from '../base/net-errors';

/** The part of the WHATWG WebSocket this client uses; a fake can stand in for unit tests. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface DdpOptions {
  readonly url: string;
  /** Default: the global WebSocket (Node 22, browsers, Electron). */
  readonly createSocket?: (url: string) => SocketLike;
  readonly callTimeoutMs?: number;
  /** More calls than this in flight is a bug or a stuck server: refuse rather than grow. */
  readonly maxPending?: number;
  /** Our own ping; no frame at all for two intervals means the link is dead. */
  readonly pingIntervalMs?: number;
  onChanged(collection: string, eventName: string, args: readonly unknown[]): void;
  /** A frame we could not understand; it is dropped and the connection goes on. */
  onMalformed(detail: string): void;
  /** The connection ended without close() (network, server restart, ping timeout). */
  onLost(reason: string): void;
}

/** A Meteor.Error sent back for a method or subscription. */
export class DdpError extends Error {
  constructor(
    readonly error: string | number,
    readonly reason: string,
    readonly details: unknown,
  ) {
    super(`${reason} [${String(error)}]`);
    this.name = 'DdpError';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

function asRecord(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function toDdpError(v: unknown): DdpError {
  const e = asRecord(v);
  const code = e && (typeof e.error === 'string' || typeof e.error === 'number') ? e.error : 'unknown';
  const reason = e && typeof e.reason === 'string' ? e.reason : e && typeof e.message === 'string' ? e.message : 'error';
  return new DdpError(code, reason, e?.details);
}

export class DdpClient {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly subs = new Map<string, Pending>();
  private readonly connectedHooks: (() => Promise<void>)[] = [];
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private closedByUs = false;
  session: string | null = null;

  constructor(private readonly opts: DdpOptions) {}

  /**
   * Run after every successful handshake, in order (login, subscriptions). A client that
   * reconnects the same DdpClient gets its session back without the caller repeating itself.
   */
  onConnected(hook: () => Promise<void>): void {
    this.connectedHooks.push(hook);
  }

  get isOpen(): boolean {
    return this.socket?.readyState === OPEN && this.session !== null;
  }

  /** Open the socket, do the DDP handshake and run the connected hooks. */
  async connect(timeoutMs = 15_000): Promise<void> {
    this.close();
    this.closedByUs = false;
    const make = this.opts.createSocket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
    const socket = make(this.opts.url);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new AppError('timeout', 'DDP handshake timed out')), timeoutMs);
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.teardown();
        if (socket.readyState <= OPEN) socket.close(1000, 'handshake failed');
        reject(e);
      };
      socket.onopen = () => socket.send(JSON.stringify({ msg: 'connect', version: '1', support: ['1'] }));
      // `ws` passes the socket or TLS error along (ev.error): an untrusted certificate says so.
      socket.onerror = (ev) => fail(certificateError((ev as { error?: unknown } | null)?.error, 'WebSocket') ?? new AppError('network', 'WebSocket error'));
      socket.onclose = (ev) => fail(new AppError('network', `WebSocket closed during handshake (${ev.code})`));
      socket.onmessage = (ev) => {
        const f = this.parse(ev.data);
        if (!f) return;
        if (f.msg === 'connected') {
          settled = true;
          clearTimeout(timer);
          this.session = typeof f.session === 'string' ? f.session : '';
          this.attach(socket);
          resolve();
        } else if (f.msg === 'failed') {
          fail(new AppError('unsupported', `server refused DDP version 1 (offers ${JSON.stringify(f.version)})`));
        } else {
          this.handle(f);
        }
      };
    });
    for (const hook of this.connectedHooks) await hook();
  }

  /** Call a Meteor method; resolves with its result or rejects with DdpError / AppError. */
  call(method: string, params: readonly unknown[], timeoutMs = this.opts.callTimeoutMs ?? 20_000): Promise<unknown> {
    const id = String(this.nextId++);
    return this.track(this.pending, id, timeoutMs, `method ${method}`, { msg: 'method', method, params, id });
  }

  /** Subscribe; resolves on `ready`, rejects on `nosub` with an error. Returns the sub id. */
  async subscribe(name: string, params: readonly unknown[], timeoutMs = this.opts.callTimeoutMs ?? 20_000): Promise<string> {
    const id = `s${this.nextId++}`;
    await this.track(this.subs, id, timeoutMs, `subscription ${name}`, { msg: 'sub', id, name, params });
    return id;
  }

  /** Close on purpose: pending calls fail, onLost is not called. */
  close(): void {
    this.closedByUs = true;
    const s = this.socket;
    this.teardown();
    if (s && s.readyState <= OPEN) s.close(1000, 'bye');
  }

  private track(map: Map<string, Pending>, id: string, timeoutMs: number, what: string, frame: Record<string, unknown>): Promise<unknown> {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return Promise.reject(new AppError('network', `not connected (${what})`));
    if (this.pending.size + this.subs.size >= (this.opts.maxPending ?? 256)) {
      return Promise.reject(new AppError('network', `too many requests in flight (${what})`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        map.delete(id);
        reject(new AppError('timeout', `${what} timed out`));
      }, timeoutMs);
      map.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify(frame));
    });
  }

  private attach(socket: SocketLike): void {
    this.lastFrameAt = Date.now();
    socket.onmessage = (ev) => {
      const f = this.parse(ev.data);
      if (f) this.handle(f);
    };
    socket.onerror = () => undefined;
    socket.onclose = (ev) => this.lost(`WebSocket closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`);
    const interval = this.opts.pingIntervalMs ?? 25_000;
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > 2 * interval) {
        this.lost('no answer to ping');
        return;
      }
      if (socket.readyState === OPEN) socket.send(JSON.stringify({ msg: 'ping' }));
    }, interval);
  }

  private lost(reason: string): void {
    if (this.closedByUs || !this.socket) return;
    const s = this.socket;
    this.teardown();
    if (s.readyState <= OPEN) s.close(4000, 'lost');
    this.opts.onLost(reason);
  }

  private teardown(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const s = this.socket;
    if (s) {
      s.onopen = null;
      s.onmessage = null;
      s.onclose = null;
      s.onerror = null;
    }
    this.socket = null;
    this.session = null;
    for (const map of [this.pending, this.subs]) {
      for (const p of map.values()) {
        clearTimeout(p.timer);
        p.reject(new AppError('network', 'connection closed'));
      }
      map.clear();
    }
  }

  private parse(data: unknown): Record<string, unknown> | null {
    this.lastFrameAt = Date.now();
    if (typeof data !== 'string') {
      this.opts.onMalformed('non-text DDP frame');
      return null;
    }
    let v: unknown;
    try {
      v = JSON.parse(data);
    } catch {
      this.opts.onMalformed(`unparsable DDP frame: ${data.slice(0, 80)}`);
      return null;
    }
    const f = asRecord(v);
    if (!f) {
      this.opts.onMalformed('DDP frame is not an object');
      return null;
    }
    // The server's greeting {"server_id":"0"} is the one frame without `msg`.
    if (f.msg === undefined && 'server_id' in f) return null;
    if (typeof f.msg !== 'string') {
      this.opts.onMalformed('DDP frame without msg');
      return null;
    }
    return f;
  }

  private handle(f: Record<string, unknown>): void {
    switch (f.msg) {
      case 'ping':
        this.socket?.send(JSON.stringify(f.id === undefined ? { msg: 'pong' } : { msg: 'pong', id: f.id }));
        return;
      case 'pong':
      case 'updated':
      case 'added':
      case 'removed':
      case 'addedBefore':
      case 'movedBefore':
        return;
      case 'result': {
        const p = typeof f.id === 'string' ? this.pending.get(f.id) : undefined;
        if (!p) return;
        this.pending.delete(f.id as string);
        clearTimeout(p.timer);
        if (f.error !== undefined) p.reject(toDdpError(f.error));
        else p.resolve(f.result);
        return;
      }
      case 'ready': {
        for (const id of Array.isArray(f.subs) ? f.subs : []) {
          const p = typeof id === 'string' ? this.subs.get(id) : undefined;
          if (!p) continue;
          this.subs.delete(id as string);
          clearTimeout(p.timer);
          p.resolve(undefined);
        }
        return;
      }
      case 'nosub': {
        const p = typeof f.id === 'string' ? this.subs.get(f.id) : undefined;
        if (!p) return;
        this.subs.delete(f.id as string);
        clearTimeout(p.timer);
        p.reject(f.error === undefined ? new DdpError('nosub', 'subscription ended', undefined) : toDdpError(f.error));
        return;
      }
      case 'changed': {
        const fields = asRecord(f.fields);
        if (typeof f.collection !== 'string' || !fields) {
          this.opts.onMalformed('changed frame without collection/fields');
          return;
        }
        // Only Rocket.Chat streams carry {eventName, args}; other collections are not ours.
        if (!f.collection.startsWith('stream-')) return;
        if (typeof fields.eventName !== 'string' || !Array.isArray(fields.args)) {
          this.opts.onMalformed(`stream frame without eventName/args on ${f.collection}`);
          return;
        }
        this.opts.onChanged(f.collection, fields.eventName, fields.args);
        return;
      }
      case 'error':
        this.opts.onMalformed(`server could not parse our frame: ${String(f.reason)}`);
        return;
      default:
        this.opts.onMalformed(`unknown DDP message ${String(f.msg).slice(0, 40)}`);
    }
  }
}
