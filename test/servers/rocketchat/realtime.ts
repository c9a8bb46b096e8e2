// DDP over /websocket as Meteor's ddp-server and Rocket.Chat's Streamer speak it:
//   open → {"server_id":"0"}; connect → connected{session}; ping ↔ pong;
//   method → result{id, result|error} then updated{methods}; sub → ready{subs} or nosub{id, error};
//   stream deliveries → changed{collection: "stream-<name>", id: "id", fields: {eventName, args}}.
// Dates inside DDP payloads are EJSON ({"$date": ms}), unlike REST (ISO strings).
// Sources: meteor/meteor packages/ddp-server (livedata_server.js), packages/ddp-common,
// RocketChat/Rocket.Chat apps/meteor/server/modules/streamer, ee/packages/ddp-client/src/types/streams.ts.
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ddpLoginError, meteorLogin } from './auth';
import { randomId } from './ids';
import type { FakeUser, Publication, Store } from './store';

interface Conn {
  readonly ws: WebSocket;
  user: FakeUser | null;
  /** sub id → {stream, eventName} */
  readonly subs: Map<string, { stream: string; eventName: string }>;
}

/** EJSON: Date → {$date: ms}, recursively. */
export function toEjson(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.getTime() };
  if (Array.isArray(v)) return v.map(toEjson);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toEjson(x);
    return out;
  }
  return v;
}

const STREAMS = new Set(['stream-room-messages', 'stream-notify-user', 'stream-notify-room', 'stream-notify-logged', 'stream-user-presence', 'stream-notify-all']);

export class Realtime {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Set<Conn>();
  private readonly off: () => void;

  constructor(private readonly store: Store) {
    this.off = store.onPublish((p) => this.deliver(p));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/websocket') {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const conn: Conn = { ws, user: null, subs: new Map() };
    this.conns.add(conn);
    ws.send(JSON.stringify({ server_id: '0' }));
    ws.on('message', (data) => this.onFrame(conn, data.toString()));
    ws.on('close', () => this.closed(conn));
    ws.on('error', () => undefined);
  }

  private closed(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    this.setUser(conn, null);
  }

  private setUser(conn: Conn, user: FakeUser | null): void {
    const prev = conn.user;
    if (prev) {
      prev.connections -= 1;
      if (prev.connections === 0) this.store.publishStatus(prev);
    }
    conn.user = user;
    if (user) {
      user.connections += 1;
      if (user.connections === 1) this.store.publishStatus(user);
    }
  }

  private out(conn: Conn, frame: Record<string, unknown>): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(toEjson(frame)));
  }

  private onFrame(conn: Conn, raw: string): void {
    let f: Record<string, unknown>;
    try {
      f = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      this.out(conn, { msg: 'error', reason: 'Bad request', offendingMessage: raw.slice(0, 200) });
      return;
    }
    switch (f.msg) {
      case 'connect':
        this.out(conn, { msg: 'connected', session: randomId() });
        return;
      case 'ping':
        this.out(conn, f.id === undefined ? { msg: 'pong' } : { msg: 'pong', id: f.id });
        return;
      case 'pong':
        return;
      case 'method':
        this.method(conn, String(f.id), String(f.method), Array.isArray(f.params) ? f.params : []);
        return;
      case 'sub':
        this.sub(conn, String(f.id), String(f.name), Array.isArray(f.params) ? f.params : []);
        return;
      case 'unsub':
        conn.subs.delete(String(f.id));
        this.out(conn, { msg: 'nosub', id: f.id });
        return;
      default:
        this.out(conn, { msg: 'error', reason: 'Bad request', offendingMessage: raw.slice(0, 200) });
    }
  }

  private method(conn: Conn, id: string, name: string, params: unknown[]): void {
    const reply = (body: { result?: unknown; error?: unknown }): void => {
      this.out(conn, { msg: 'result', id, ...body });
      this.out(conn, { msg: 'updated', methods: [id] });
    };
    if (name === 'login') {
      try {
        const r = meteorLogin(this.store, (params[0] ?? {}) as Record<string, unknown>);
        this.setUser(conn, this.store.users.get(r.id) ?? null);
        reply({ result: { id: r.id, token: r.token, tokenExpires: new Date(Date.now() + 90 * 86_400_000), type: r.type } });
      } catch (e) {
        reply({ error: ddpLoginError(e) });
      }
      return;
    }
    if (!conn.user) {
      reply({ error: { isClientSafe: true, error: 'error-not-allowed', reason: 'Not allowed', message: 'Not allowed [error-not-allowed]', errorType: 'Meteor.Error' } });
      return;
    }
    if (name === 'stream-notify-room') {
      // Client typing: [`${rid}/user-activity`, username, activities[], extras?]
      const [event, username, activities] = params;
      const [rid = '', kind = ''] = String(event).split('/');
      if (kind === 'user-activity' && this.store.isMember(rid, conn.user._id) && username === conn.user.username) {
        const sender = conn.user._id;
        this.store.publish({ stream: 'stream-notify-room', eventName: String(event), args: [username, Array.isArray(activities) ? activities : [], {}], audience: (uid) => uid !== sender && this.store.isMember(rid, uid) });
      }
      reply({ result: true });
      return;
    }
    if (name === 'UserPresence:setDefaultStatus' || name === 'UserPresence:online' || name === 'UserPresence:away') {
      reply({ result: true });
      return;
    }
    reply({ error: { isClientSafe: true, error: 404, reason: `Method '${name}' not found`, message: `Method '${name}' not found [404]`, errorType: 'Meteor.Error' } });
  }

  private sub(conn: Conn, id: string, name: string, params: unknown[]): void {
    const eventName = String(params[0] ?? '');
    const deny = (reason: string): void => this.out(conn, { msg: 'nosub', id, error: { isClientSafe: true, error: 'not-allowed', reason, message: `${reason} [not-allowed]`, errorType: 'Meteor.Error' } });
    if (!STREAMS.has(name)) return deny(`Subscription '${name}' not found`);
    const u = conn.user;
    if (!u) return deny('Not allowed');
    if (name === 'stream-notify-user' && !eventName.startsWith(`${u._id}/`)) return deny('Not allowed');
    if (name === 'stream-notify-room') {
      const rid = eventName.split('/')[0] ?? '';
      if (!this.store.isMember(rid, u._id)) return deny('Not allowed');
    }
    if (name === 'stream-room-messages' && eventName !== '__my_messages__' && !this.store.isMember(eventName, u._id)) return deny('Not allowed');
    conn.subs.set(id, { stream: name, eventName });
    this.out(conn, { msg: 'ready', subs: [id] });
  }

  private deliver(p: Publication): void {
    for (const conn of this.conns) {
      const u = conn.user;
      if (!u || !p.audience(u._id)) continue;
      const wanted = [...conn.subs.values()].some((s) =>
        s.stream === p.stream && (s.eventName === p.eventName || (p.stream === 'stream-room-messages' && s.eventName === '__my_messages__')));
      if (wanted) this.out(conn, { msg: 'changed', collection: p.stream, id: 'id', fields: { eventName: p.eventName, args: p.args } });
    }
  }

  /** Fault: a frame that is not JSON / not DDP, to every logged-in socket. */
  sendRaw(text: string): void {
    for (const c of this.conns) if (c.user) c.ws.send(text);
  }

  /** Fault: start a fragmented frame (no FIN) and kill the TCP connection in the middle of it. */
  closeMidMessage(): void {
    for (const c of [...this.conns]) {
      c.ws.send('{"msg":"changed","collection":"stream-room-messages","id":"id","fields":{"eventName":"', { fin: false }, () => {
        c.ws.terminate();
      });
    }
  }

  dropUser(userId: string): void {
    for (const c of [...this.conns]) if (c.user?._id === userId) c.ws.terminate();
  }

  dropAll(): void {
    for (const c of [...this.conns]) c.ws.terminate();
  }

  close(): void {
    this.dropAll();
    this.off();
    this.wss.close();
  }
}
