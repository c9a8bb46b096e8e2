// The Mattermost WebSocket for one connect(): authentication_challenge, hello / resume detection,
// sequence checking, client actions (user_typing). The server numbers events per connection; a
// reconnect that passes the old connection_id and the next expected sequence number gets the
// missed events replayed (no new hello), otherwise a hello with a *new* connection_id tells us
// that events were lost and must be fetched over REST (webapp/platform/client/src/websocket.ts).
import { AppError } from '../../common/errors';
import type { Transport } from './transport';
import { networkError } from './errors';
import { SchemaError, WsFrameSchema, check } from './schemas';

export interface WsEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly channelId: string;
  readonly seq: number;
}

export interface SocketHandlers {
  onEvent(e: WsEvent): void;
  /** A frame that is not a valid event; it was dropped. */
  onMalformed(detail: string): void;
  /** Events between `expected` and `got` were never delivered: the caller must resync. */
  onGap(expected: number, got: number): void;
  onClose(code: number): void;
}

export interface OpenResult {
  readonly connectionId: string;
  /** The server kept our connection and replays what we missed; no REST catch-up is needed. */
  readonly resumed: boolean;
}

/** How long to wait after a resume request for a hello that would say the replay was lost. */
const RESUME_GRACE_MS = 700;
const OPEN_TIMEOUT_MS = 20_000;
/** Like the web client: a `ping` action every 30 s; no answer by the next one = a dead connection. */
const PING_INTERVAL_MS = 30_000;
/** Close code the web client uses for a ping timeout (websocket.ts clientPingTimeoutErrCode). */
const PING_TIMEOUT_CODE = 4000;

export class MmSocket {
  private ws: ReturnType<Transport['openWebSocket']> | null = null;
  private actionSeq = 1;
  private replies = new Map<number, (ok: boolean, error: unknown) => void>();
  private expected: number;
  private connectionId: string;
  private closed = false;
  private pinger: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly url: string,
    private readonly token: string,
    prev: { connectionId: string; nextSeq: number } | null,
    private readonly h: SocketHandlers,
  ) {
    this.connectionId = prev?.connectionId ?? '';
    this.expected = prev?.nextSeq ?? 0;
  }

  /** Where to resume from next time. */
  get resumePoint(): { connectionId: string; nextSeq: number } | null {
    return this.connectionId ? { connectionId: this.connectionId, nextSeq: this.expected } : null;
  }

  open(): Promise<OpenResult> {
    const prevId = this.connectionId;
    const q = new URLSearchParams({ connection_id: prevId, sequence_number: String(this.expected) });
    return new Promise<OpenResult>((resolve, reject) => {
      let settled = false;
      let authed = false;
      let grace: ReturnType<typeof setTimeout> | null = null;
      const held: WsEvent[] = [];
      const finish = (err: AppError | null, result?: OpenResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (grace) clearTimeout(grace);
        if (err) {
          this.close();
          reject(err);
          return;
        }
        resolve(result!);
        this.startPinging();
        // Hand over what came with the decision now, before any later frame: several frames of
        // one TCP read are dispatched synchronously, and a later one must not overtake these.
        for (const e of held.splice(0)) this.deliver(e);
      };
      const timer = setTimeout(() => finish(new AppError('timeout', 'WebSocket: no answer to authentication')), OPEN_TIMEOUT_MS);
      let ws: ReturnType<Transport['openWebSocket']>;
      try {
        ws = this.transport.openWebSocket(`${this.url}?${q.toString()}`);
      } catch (e) {
        finish(networkError(e, 'WebSocket'));
        return;
      }
      this.ws = ws;
      ws.addEventListener('open', () => {
        this.send('authentication_challenge', { token: this.token }, (ok) => {
          if (!ok) {
            finish(new AppError('auth', 'WebSocket authentication was refused'));
            return;
          }
          authed = true;
          // A fresh connection always gets a hello; a resumed one may get nothing at all.
          if (prevId) grace = setTimeout(() => finish(null, { connectionId: prevId, resumed: true }), RESUME_GRACE_MS);
        });
      });
      ws.addEventListener('message', (ev: { data: unknown }) => {
        const frame = this.parse(ev.data);
        if (!frame) return;
        if ('seq_reply' in frame) {
          const cb = this.replies.get(frame.seq_reply);
          this.replies.delete(frame.seq_reply);
          cb?.(frame.status === 'OK', frame.error);
          return;
        }
        const e: WsEvent = { event: frame.event, data: frame.data, channelId: frame.broadcast.channel_id ?? '', seq: frame.seq };
        if (settled) {
          this.deliver(e);
          return;
        }
        if (e.event === 'hello') {
          const id = typeof e.data.connection_id === 'string' ? e.data.connection_id : '';
          const fresh = id !== prevId;
          this.connectionId = id;
          if (fresh) this.expected = e.seq;
          held.push(e);
          finish(null, { connectionId: id, resumed: !fresh });
          return;
        }
        held.push(e);
        if (authed && prevId && e.seq === this.expected) finish(null, { connectionId: prevId, resumed: true });
      });
      ws.addEventListener('error', () => undefined);
      ws.addEventListener('close', (ev: { code: number }) => {
        this.ws = null;
        this.stopPinging();
        for (const cb of this.replies.values()) cb(false, 'closed');
        this.replies.clear();
        if (!settled) finish(new AppError('network', `WebSocket closed during authentication (${ev.code})`));
        else if (!this.closed) this.h.onClose(ev.code);
        this.closed = true;
      });
    });
  }

  private parse(data: unknown): ReturnType<typeof WsFrameSchema.parse> | null {
    if (typeof data !== 'string') {
      this.h.onMalformed('WebSocket: binary frame');
      return null;
    }
    try {
      return check(WsFrameSchema, JSON.parse(data) as unknown, 'WebSocket frame');
    } catch (e) {
      this.h.onMalformed(e instanceof SchemaError ? e.message : `WebSocket: not JSON (${data.slice(0, 60)})`);
      return null;
    }
  }

  private deliver(e: WsEvent): void {
    if (this.closed) return;
    if (e.event !== 'hello' && e.seq !== this.expected) {
      if (e.seq < this.expected) return; // a replayed event we already had
      this.h.onGap(this.expected, e.seq);
    }
    this.expected = e.seq + 1;
    this.h.onEvent(e);
  }

  private startPinging(): void {
    let waiting = false;
    this.pinger = setInterval(() => {
      if (waiting) {
        // A half-open TCP connection never reports a close; treat silence as one.
        const ws = this.ws;
        this.close();
        if (ws) this.h.onClose(PING_TIMEOUT_CODE);
        return;
      }
      waiting = this.send('ping', {}, () => {
        waiting = false;
      });
    }, PING_INTERVAL_MS);
    this.pinger.unref?.();
  }

  private stopPinging(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  send(action: string, data: Record<string, unknown>, cb?: (ok: boolean, error: unknown) => void): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) return false;
    const seq = this.actionSeq++;
    if (cb) this.replies.set(seq, cb);
    ws.send(JSON.stringify({ seq, action, data }));
    return true;
  }

  close(): void {
    this.closed = true;
    this.stopPinging();
    const ws = this.ws;
    this.ws = null;
    try {
      ws?.close(1000);
    } catch {
      // already closing
    }
  }
}
