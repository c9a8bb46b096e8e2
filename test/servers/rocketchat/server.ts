// startRocketChat(): an in-process fake Rocket.Chat (REST /api/v1 + DDP /websocket + Meteor
// OAuth + /file-upload) on 127.0.0.1 with a free port, and the control surface tests use to set
// up users and rooms, act as other users and inject faults. See README.md for what is modelled
// on which source.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { IMessage } from '@rocket.chat/core-typings';
import { freePort } from '../ports';
import { confirmFile, handleRest, sendMessageAs, startVideoConf } from './rest';
import { randomId } from './ids';
import type { Faults, RestContext } from './rest';
import { Realtime } from './realtime';
import { Store } from './store';
import type { FakeUser, UserStatus } from './store';
import { newTotpSecret } from './totp';
import { oauthSettings } from './sso';
import { send } from './http-util';

export interface CreatedUser {
  readonly _id: string;
  readonly username: string;
  readonly password: string;
  /** Base32 secret for totpCode() when created with twoFactor 'totp'. */
  readonly totpSecret: string | null;
}

export interface RocketChatServer {
  readonly baseUrl: string;
  readonly port: number;
  readonly host: string;
  createUser(username: string, opts?: { password?: string; name?: string; twoFactor?: 'totp' | 'email' }): CreatedUser;
  /** Personal access token: logs in as X-User-Id + X-Auth-Token, like a resume token. */
  createPat(username: string): { userId: string; token: string };
  createRoom(type: 'c' | 'p', name: string, owner: string, members?: readonly string[]): string;
  openDirect(a: string, b: string): string;
  post(username: string, rid: string, text: string, extra?: { tmid?: string }): IMessage;
  /** Upload + confirm as another client would, with the file name exactly as given. */
  postFile(username: string, rid: string, name: string, data: Uint8Array, text?: string): IMessage;
  edit(msgId: string, text: string): void;
  react(username: string, msgId: string, emoji: string): void;
  deleteMessage(msgId: string): void;
  typing(username: string, rid: string, typing: boolean): void;
  setStatus(username: string, status: UserStatus, text?: string): void;
  startVideoConference(username: string, rid: string, title?: string): { callId: string; messageId: string };
  /** Install (a name) or remove (null) the video conference provider app; default 'jitsi'. */
  setVideoConfProvider(name: string | null): void;
  /** The code the last 2FA e-mail to this user contained. */
  lastEmailCode(username: string): string | null;
  messages(rid: string): IMessage[];
  unread(username: string, rid: string): number;
  /** Invalidate all of a user's login tokens (revoked while the client runs); their sockets close. */
  expireTokens(username: string): void;
  failNext(fault: 'unauthorized' | 'malformed', count?: number): void;
  rateLimitNext(count: number, resetMs: number): void;
  sendMalformedFrame(text?: string): void;
  closeMidMessage(): void;
  dropWebSockets(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startRocketChat(opts: { port?: number } = {}): Promise<RocketChatServer> {
  const host = '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const baseUrl = `http://${host}:${port}`;
  const store = new Store();
  const faults: Faults = { unauthorized: 0, rateLimited: { count: 0, resetMs: 0 }, malformed: 0 };
  const realtime = new Realtime(store);
  const ctx: RestContext = { store, faults, baseUrl: () => baseUrl, onLogout: () => undefined };
  let http: Server | null = null;

  const user = (name: string): FakeUser => {
    const u = store.userByName(name);
    if (!u) throw new Error(`no user ${name}`);
    return u;
  };
  const message = (id: string): IMessage => {
    const m = store.messages.get(id);
    if (!m) throw new Error(`no message ${id}`);
    return m;
  };

  async function start(): Promise<void> {
    if (http) return;
    const srv = createServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://x').pathname === '/api/v1/settings.oauth') {
        send(res, 200, oauthSettings(baseUrl));
        return;
      }
      void handleRest(ctx, req, res);
    });
    srv.on('upgrade', (req, socket, head) => realtime.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => resolve());
    });
    http = srv;
  }

  async function stop(): Promise<void> {
    const srv = http;
    if (!srv) return;
    http = null;
    realtime.dropAll();
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }

  await start();

  return {
    baseUrl, port, host,
    createUser(username, o = {}) {
      const password = o.password ?? `${username}-pw`;
      const u = store.createUser(username, password, o.name ?? username[0]!.toUpperCase() + username.slice(1));
      if (o.twoFactor) {
        u.twoFactor = o.twoFactor;
        if (o.twoFactor === 'totp') u.totpSecret = newTotpSecret();
      }
      return { _id: u._id, username, password, totpSecret: u.totpSecret };
    },
    createPat(username) {
      const u = user(username);
      return { userId: u._id, token: store.issueToken(u) };
    },
    createRoom(type, name, owner, members = []) {
      return store.createRoom(type, name, user(owner), members.map(user))._id;
    },
    openDirect(a, b) {
      return store.openDirect(user(a), user(b))._id;
    },
    post(username, rid, text, extra = {}) {
      return sendMessageAs(store, user(username), { rid, msg: text, ...extra });
    },
    postFile(username, rid, name, data, text = '') {
      const u = user(username);
      const id = randomId();
      const f = { _id: id, rid, userId: u._id, name, type: 'application/octet-stream', data: Buffer.from(data), confirmed: false };
      store.files.set(id, f);
      return confirmFile(store, u, f, text, undefined);
    },
    edit(msgId, text) {
      const m = message(msgId);
      Object.assign(m, { msg: text, mentions: store.mentionsIn(text, m.rid), editedAt: store.now(), editedBy: { _id: m.u._id, username: m.u.username } });
      store.touch(m);
    },
    react(username, msgId, emoji) {
      const u = user(username);
      const m = message(msgId);
      const reactions = { ...(m.reactions ?? {}) };
      reactions[emoji] = { usernames: [...new Set([...(reactions[emoji]?.usernames ?? []), u.username])] };
      (m as { reactions?: IMessage['reactions'] }).reactions = reactions;
      store.touch(m);
    },
    deleteMessage(msgId) {
      store.deleteMessage(message(msgId));
    },
    typing(username, rid, typing) {
      const u = user(username);
      store.publish({ stream: 'stream-notify-room', eventName: `${rid}/user-activity`, args: [u.username, typing ? ['user-typing'] : [], {}], audience: (id) => id !== u._id && store.isMember(rid, id) });
    },
    setStatus(username, status, text) {
      const u = user(username);
      u.statusDefault = status;
      if (text !== undefined) u.statusText = text;
      store.publishStatus(u);
    },
    setVideoConfProvider(name) {
      store.videoConfProvider = name;
    },
    startVideoConference(username, rid, title = '') {
      const r = startVideoConf(ctx, user(username), rid, title);
      return { callId: r.callId, messageId: r.message._id };
    },
    lastEmailCode: (username) => user(username).lastEmail,
    messages: (rid) => [...store.messages.values()].filter((m) => m.rid === rid),
    unread: (username, rid) => store.subFor(rid, user(username)._id)?.unread ?? 0,
    expireTokens(username) {
      const u = user(username);
      u.tokens.clear();
      // Meteor's accounts-base watches the login token of each DDP connection and closes the
      // connection when the token is removed (AccountsServer._setLoginToken / _removeTokenFromConnection).
      realtime.dropUser(u._id);
    },
    failNext(fault, count = 1) {
      faults[fault] += count;
    },
    rateLimitNext(count, resetMs) {
      faults.rateLimited = { count, resetMs };
    },
    sendMalformedFrame: (text = '{"msg":"changed","collection":') => realtime.sendRaw(text),
    closeMidMessage: () => realtime.closeMidMessage(),
    dropWebSockets: () => realtime.dropAll(),
    stop,
    start,
    async dispose() {
      await stop();
      realtime.close();
    },
  };
}
