// The WebSocket side: /api/v4/websocket (server/channels/api4/websocket.go, app/platform/web_conn.go,
// web_hub.go). Clients authenticate with an `authentication_challenge` action, then get `hello`
// with a connection_id. Every event for a connection gets the next `seq` and is kept in a
// "dead queue" of 128 events, also while the socket is gone; a reconnect with that connection_id
// and a sequence_number still in the queue resumes: the missed events are replayed with their
// original seq and no new hello is sent. Otherwise the client gets a fresh connection_id (hello),
// which tells it that it must resync over REST. stop() forgets all connections like a restart.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Broadcast, State } from './state';
import { ApiError } from './errors';
import { newId } from './ids';

const DEAD_QUEUE_SIZE = 128;
export const SERVER_VERSION = '11.9.0.11.9.0.test.false';

export interface WsEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly broadcast: {
    readonly omit_users: Readonly<Record<string, boolean>> | null;
    readonly user_id: string;
    readonly channel_id: string;
    readonly team_id: string;
    readonly connection_id: string;
    readonly omit_connection_id: string;
  };
  readonly seq: number;
}

interface Conn {
  readonly id: string;
  readonly userId: string;
  readonly token: string;
  seq: number;
  readonly dead: WsEvent[];
  socket: WebSocket | null;
}

export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Map<string, Conn>();
  /** Frames the next authenticated send turns into a fault (tests). */
  private faults: ('malformed' | 'close-mid-message')[] = [];

  constructor(private readonly state: State) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, url.searchParams.get('connection_id') ?? '', Number(url.searchParams.get('sequence_number') ?? '0')));
  }

  private attach(ws: WebSocket, wantedId: string, wantedSeq: number): void {
    let conn: Conn | null = null;
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let req: { seq?: unknown; action?: unknown; data?: unknown };
      try {
        req = JSON.parse(raw.toString()) as typeof req;
      } catch {
        return; // web_conn.go ReadPump logs and drops undecodable frames
      }
      const seq = typeof req.seq === 'number' ? req.seq : 0;
      const data = (typeof req.data === 'object' && req.data !== null ? req.data : {}) as Record<string, unknown>;
      if (req.action === 'authentication_challenge') {
        const session = typeof data.token === 'string' ? this.state.sessions.get(data.token) : undefined;
        if (!session) {
          ws.send(JSON.stringify({ status: 'FAIL', seq_reply: seq, error: new ApiError('wsNoAuth').body() }));
          return;
        }
        conn = this.register(ws, session.userId, session.token, wantedId, wantedSeq, seq);
        return;
      }
      if (!conn) {
        ws.send(JSON.stringify({ status: 'FAIL', seq_reply: seq, error: new ApiError('wsNoAuth').body() }));
        return;
      }
      if (req.action === 'user_typing' && typeof data.channel_id === 'string') {
        const parent = typeof data.parent_id === 'string' ? data.parent_id : '';
        if (this.state.isMember(data.channel_id, conn.userId)) {
          this.publish('typing', { parent_id: parent, user_id: conn.userId }, { channel_id: data.channel_id, omit_users: { [conn.userId]: true } });
        }
        ws.send(JSON.stringify({ status: 'OK', seq_reply: seq }));
        return;
      }
      if (req.action === 'ping') {
        // web_conn.go / websocket_router.go: ping answers pong with the server version and time.
        ws.send(JSON.stringify({ status: 'OK', seq_reply: seq, data: { text: 'pong', version: SERVER_VERSION, server_time: Date.now(), node_id: '' } }));
        return;
      }
      if (req.action === 'get_statuses') {
        const out: Record<string, string> = {};
        for (const s of this.state.statuses.values()) out[s.user_id] = s.status;
        ws.send(JSON.stringify({ status: 'OK', seq_reply: seq, data: out }));
        return;
      }
      ws.send(JSON.stringify({ status: 'FAIL', seq_reply: seq, error: { id: 'api.web_socket_router.bad_action.app_error', message: 'Unknown WebSocket action.', detailed_error: '', status_code: 501 } }));
    });
    ws.on('close', () => {
      if (conn && conn.socket === ws) conn.socket = null;
    });
    ws.on('error', () => undefined);
  }

  private register(ws: WebSocket, userId: string, token: string, wantedId: string, wantedSeq: number, replySeq: number): Conn {
    const old = wantedId ? this.conns.get(wantedId) : undefined;
    const canResume = old !== undefined && old.userId === userId && (wantedSeq === old.seq || old.dead.some((e) => e.seq === wantedSeq));
    ws.send(JSON.stringify({ status: 'OK', seq_reply: replySeq }));
    if (canResume) {
      old.socket?.terminate();
      old.socket = ws;
      for (const e of old.dead) if (e.seq >= wantedSeq) ws.send(JSON.stringify(e));
      return old;
    }
    const conn: Conn = { id: newId(), userId, token, seq: 0, dead: [], socket: ws };
    this.conns.set(conn.id, conn);
    this.deliver(conn, 'hello', { connection_id: conn.id, server_version: SERVER_VERSION, server_hostname: '' }, { user_id: userId });
    // A connecting user becomes online unless they chose a status themselves (app/status.go SetStatusOnline).
    const st = this.state.statuses.get(userId);
    if (!st?.manual && st?.status !== 'online') this.state.setStatus(userId, 'online', false);
    return conn;
  }

  publish(event: string, data: Record<string, unknown>, b: Broadcast): void {
    const recipients = this.recipients(b);
    for (const conn of this.conns.values()) {
      if (!recipients.has(conn.userId) || b.omit_users?.[conn.userId]) continue;
      this.deliver(conn, event, data, b);
    }
  }

  private recipients(b: Broadcast): Set<string> {
    if (b.user_id) return new Set([b.user_id]);
    if (b.channel_id) return new Set(this.state.members.get(b.channel_id)?.keys() ?? []);
    if (b.team_id) return new Set(this.state.teamMembers.get(b.team_id) ?? []);
    return new Set(this.state.users.keys());
  }

  private deliver(conn: Conn, event: string, data: Record<string, unknown>, b: Broadcast): void {
    const msg: WsEvent = {
      event, data, seq: conn.seq++,
      broadcast: { omit_users: b.omit_users ?? null, user_id: b.user_id ?? '', channel_id: b.channel_id ?? '', team_id: b.team_id ?? '', connection_id: '', omit_connection_id: '' },
    };
    conn.dead.push(msg);
    if (conn.dead.length > DEAD_QUEUE_SIZE) conn.dead.shift();
    const ws = conn.socket;
    if (!ws || ws.readyState !== ws.OPEN) return;
    const fault = event === 'hello' ? undefined : this.faults.shift();
    if (fault === 'malformed') {
      ws.send('{"event":"posted","data":{"post":"{\\"id\\":'); // truncated JSON in a complete frame
      ws.send(JSON.stringify(msg));
    } else if (fault === 'close-mid-message') {
      // First fragment of the event, then the TCP connection is cut: the frame never completes.
      ws.send(JSON.stringify(msg).slice(0, 20), { fin: false });
      setTimeout(() => ws.terminate(), 10);
    } else {
      ws.send(JSON.stringify(msg));
    }
  }

  /** The next event sent to anyone is preceded by a frame that is not valid JSON. */
  injectMalformedFrame(): void {
    this.faults.push('malformed');
  }
  /** The next event sent to anyone is cut off mid-frame and the connection dropped. */
  closeMidMessage(): void {
    this.faults.push('close-mid-message');
  }

  /** Cut every socket; connections stay resumable (their dead queues are kept). */
  dropAll(): void {
    for (const c of this.conns.values()) {
      c.socket?.terminate();
      c.socket = null;
    }
  }

  /** Sockets of one session (revoked token). */
  dropSession(token: string): void {
    for (const c of this.conns.values()) if (c.token === token) c.socket?.terminate();
  }

  /** Forget all connection ids (a restart, or a long outage): the next hello has a new id. */
  forgetConnections(): void {
    this.dropAll();
    this.conns.clear();
  }

  onlineUsers(): Set<string> {
    return new Set([...this.conns.values()].filter((c) => c.socket).map((c) => c.userId));
  }

  close(): void {
    this.forgetConnections();
    for (const ws of this.wss.clients) ws.terminate();
  }
}
