// startMattermost(): an in-process stand-in for a Mattermost server on 127.0.0.1 (REST v4 +
// WebSocket + mobile SSO), faithful to the parts the adapter uses. See README.md.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { UserProfile } from '@mattermost/types/users';
import type { Team } from '@mattermost/types/teams';
import type { Channel } from '@mattermost/types/channels';
import type { Post } from '@mattermost/types/posts';
import { ApiError } from './errors';
import { Rest, type Fault } from './rest';
import { Sso } from './sso';
import { State } from './state';
import { WsHub } from './ws-hub';

export interface MattermostOptions {
  /** Services offered for SSO (default ['gitlab']). */
  readonly ssoServices?: readonly string[];
  /** NativeAppSettings.AppCustomURLSchemes (default the server's ["mmauth://", "mmauthbeta://"]). */
  readonly appCustomUrlSchemes?: readonly string[];
  readonly maxFileSize?: number;
  /** Serve https with this key and certificate (see tls.ts) instead of plain http. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export interface MattermostServer {
  readonly baseUrl: string;
  readonly port: number;
  /** Host part of account addresses (username@host:port). */
  readonly host: string;
  readonly state: State;
  /** "METHOD /path?query" of every REST request so far. */
  readonly requests: readonly string[];
  createUser(opts: { username: string; password: string; firstName?: string; lastName?: string; nickname?: string; mfaCode?: string; authService?: string }): UserProfile;
  createTeam(name: string, displayName: string, memberIds: readonly string[]): Team;
  createChannel(opts: { teamId: string; name: string; displayName: string; type: 'O' | 'P'; creatorId: string; memberIds?: readonly string[] }): Channel;
  directChannel(a: string, b: string): Channel;
  createPat(userId: string): string;
  revokeSessions(userId: string): void;
  /** Post as a user (channel members get `posted`). */
  post(userId: string, channelId: string, message: string, opts?: { rootId?: string; type?: string; props?: Record<string, unknown> }): Post;
  setStatus(userId: string, status: 'online' | 'away' | 'dnd' | 'offline' | 'ooo'): void;
  setCustomStatus(userId: string, custom: { emoji: string; text: string } | null): void;
  dropWebSockets(): void;
  /** Forget connection ids and dead queues: the next hello carries a new connection_id. */
  forgetWebSocketConnections(): void;
  /** Queue a fault for the next matching authenticated REST request. */
  failNext(fault: Fault): void;
  injectMalformedFrame(): void;
  closeWebSocketMidMessage(): void;
  stop(): Promise<void>;
  /** Listen again on the same port with the same data (connection ids are forgotten). */
  start(): Promise<void>;
  restart(): Promise<void>;
}

export async function startMattermost(opts: MattermostOptions = {}): Promise<MattermostServer> {
  let port = 0;
  const siteUrl = (): string => `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  let hub: WsHub | null = null;
  const state = new State((event, data, b) => hub?.publish(event, data, b));
  hub = new WsHub(state);
  const ws = hub;
  const rest = new Rest(state, {
    siteUrl, maxFileSize: opts.maxFileSize ?? 50 * 1024 * 1024, ssoServices: opts.ssoServices ?? ['gitlab'],
    onSessionRevoked: (token) => ws.dropSession(token),
  });
  const sso = new Sso(state, { siteUrl, services: opts.ssoServices ?? ['gitlab'], appCustomUrlSchemes: opts.appCustomUrlSchemes ?? ['mmauth://', 'mmauthbeta://'] });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', siteUrl());
      const body = Buffer.concat(chunks);
      const r = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, session: null };
      void (async () => {
        try {
          if (await sso.handle(r.method, r.path, r.query, body, res)) return;
          if (await rest.handle(r, res)) return;
          res.writeHead(404, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(new ApiError('notFoundRoute').body()));
        } catch (e) {
          if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ id: 'app.internal', message: String(e), detailed_error: '', request_id: '', status_code: 500 }));
        }
      })();
    });
  };

  let server: Server | null = null;
  const sockets = new Set<Socket>();
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const srv = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : createServer(onRequest);
      srv.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      srv.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        if (new URL(req.url ?? '/', siteUrl()).pathname !== '/api/v4/websocket') {
          socket.destroy();
          return;
        }
        ws.handleUpgrade(req, socket, head);
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const a = srv.address();
        port = typeof a === 'object' && a ? a.port : port;
        server = srv;
        resolve();
      });
    });
  const stop = async (): Promise<void> => {
    const srv = server;
    server = null;
    if (!srv) return;
    ws.close();
    const closed = new Promise<void>((r) => srv.close(() => r()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await listen();

  return {
    get baseUrl() {
      return siteUrl();
    },
    get port() {
      return port;
    },
    get host() {
      return `127.0.0.1:${port}`;
    },
    state,
    requests: rest.log,
    createUser: (o) => state.createUser(o),
    createTeam: (n, d, m) => state.createTeam(n, d, m),
    createChannel: (o) => state.createChannel(o),
    directChannel: (a, b) => state.directChannel(a, b),
    createPat: (userId) => state.createSession(userId, 'pat').token,
    revokeSessions: (userId) => {
      for (const s of [...state.sessions.values()]) if (s.userId === userId) ws.dropSession(s.token);
      state.revokeSessions(userId);
    },
    post: (userId, channelId, message, o) => state.createPost(userId, {
      channel_id: channelId, message, ...(o?.rootId ? { root_id: o.rootId } : {}), ...(o?.type ? { type: o.type } : {}), ...(o?.props ? { props: o.props } : {}),
    }),
    setStatus: (userId, status) => void state.setStatus(userId, status, true),
    setCustomStatus: (userId, custom) => state.setCustomStatus(userId, custom),
    dropWebSockets: () => ws.dropAll(),
    forgetWebSocketConnections: () => ws.forgetConnections(),
    failNext: (f) => void rest.faults.push(f),
    injectMalformedFrame: () => ws.injectMalformedFrame(),
    closeWebSocketMidMessage: () => ws.closeMidMessage(),
    stop,
    start: listen,
    restart: async () => {
      await stop();
      await listen();
    },
  };
}
