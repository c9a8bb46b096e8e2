// Rocket.Chat adapter: REST /api/v1 for everything that asks (login, rooms, history, sending),
// DDP streams for everything that is pushed (messages, deletions, typing, presence, room list).
// A dropped socket is reported as a non-fatal `disconnected`; the core reconnects by calling
// connect() again with the persisted sync state, and chat.syncMessages fills the gap per room.
import { AppError, toErrorDto } from '../../common/errors';
import type { Capabilities, PresenceState } from '../../common/model';
import type {
  AccountConfig, AdapterContext, AdapterEvent, AdapterListener, AttachmentInfo, CallInvite, ConnectOptions, ConnectResult,
  ConversationInfo, Credentials, HistoryPage, HistoryRequest, MemberInfo, MessageInfo, NativeRefs, OutgoingMessage,
  ProtocolAdapter, SendAck, SsoFeature,
} from '../contract';
import type { DirectoryFeature } from '../contract';
import { searchUsers } from './user-search';
import { BoundedMap } from '../base/bounded';
import { EventHub } from '../base/emitter';
import { guessMime, sanitizeFileName } from '../base/filenames';
import { DdpClient } from './ddp';
import type { SocketLike } from './ddp';
import { rootCertificates } from 'node:tls';
import { WebSocket as WsWebSocket } from 'ws';
import { fetchTrusting, parseTrustedCas } from '../base/tls-fetch';
import type { TrustingFetch } from '../base/tls-fetch';
import { errorFromDdp } from './errors';
import { baseUrlFor, messageIdFor, parseAddress, usernameOf, websocketUrl } from './ids';
import type { ParsedAddress } from './ids';
import { isChatMessage, presenceFromNumber, presenceFromString, statusForPresence, toConversation, toMessageInfo, videoConfCallId } from './mapping';
import type { MapContext } from './mapping';
import { reactionKeyToRc } from './emoji';
import { RestClient } from './rest';
import {
  anyOk, channelResponse, groupResponse, historyResponse, imCreateResponse, loginResponse, mediaResponse, meResponse,
  membersResponse, messageResponse, rcMessage, rcRoom, rcSubscription, roomsGet, settingsPublic, subscriptionsGet,
  syncResponse, userStatusEntry, usersInfo, videoConfCapabilities, videoConfInfo, videoConfJoin, videoConfStart,
} from './schemas';
import type { RcMessage, RcRoom, RcSubscription } from './schemas';
import { createSso, parseSsoToken } from './sso';
import { inviteText, safeMeetingUrl } from './meetings';
import { randomUUID } from 'node:crypto';
import { MessageTracker } from './tracker';

const HISTORY_ENDPOINT: Record<string, string> = { c: 'channels', p: 'groups', d: 'im' };
const SUB_CHUNK = 40;

interface RoomEntry {
  sub: RcSubscription;
  room: RcRoom | undefined;
}

interface Session {
  readonly rest: RestClient;
  readonly ddp: DdpClient;
  readonly userId: string;
  readonly username: string;
  readonly gen: number;
}

function baseCapabilities(maxUploadBytes: number | null): Capabilities {
  return {
    edit: true, delete: true, reactions: true, replies: true, typing: true,
    // Read receipts of others are an Enterprise feature; we only mark our own read state.
    receipts: false,
    upload: true, maxUploadBytes, history: true, createRoom: true, presence: true, contacts: false,
    // Our messages from other devices arrive on the same stream as everyone else's.
    carbons: true, streamManagement: false, meetingDomain: null,
  };
}

export class RocketChatAdapter implements ProtocolAdapter {
  readonly protocol = 'rocketchat' as const;
  private readonly hub = new EventHub();
  private readonly address: ParsedAddress | null;
  private readonly addressError: AppError | null;
  private session: Session | null = null;
  private connecting: Session | null = null;
  private gen = 0;
  private phase: 'idle' | 'connecting' | 'connected' = 'idle';
  private caps: Capabilities = baseCapabilities(null);
  private readonly roomMap = new Map<string, RoomEntry>();
  private readonly roomStreams = new Set<string>();
  private readonly tracker: MessageTracker;
  private readonly txnById = new BoundedMap<string, string>(2000);
  private readonly joinUrls = new BoundedMap<string, string | null>(500);
  private queue: Promise<void> = Promise.resolve();
  /** A REST client for calls before connect() (SSO); the session's client once connected. */
  private preRest: RestClient | null = null;

  readonly sso: SsoFeature;

  constructor(
    private readonly config: AccountConfig,
    private readonly ctx: AdapterContext,
  ) {
    let parsed: ParsedAddress | null = null;
    let err: AppError | null = null;
    try {
      parsed = parseAddress(config.address);
    } catch (e) {
      // SSO may run before there is a user name: accept a bare host with serviceUrl.
      err = e instanceof AppError ? e : new AppError('invalid_input', String(e));
    }
    this.address = parsed;
    this.addressError = err;
    this.tracker = new MessageTracker((e) => this.emit(e));
    this.sso = createSso(() => this.restForSso());
  }

  // ---------------------------------------------------------------- plumbing

  private emit(e: AdapterEvent): void {
    this.hub.emit(e);
  }

  onEvent(listener: AdapterListener): () => void {
    return this.hub.on(listener);
  }

  capabilities(): Capabilities {
    return this.caps;
  }

  /** host[:port] of the server, for addresses written username@host. */
  private host(): string {
    try {
      return new URL(this.baseUrl()).host;
    } catch {
      return '';
    }
  }

  private baseUrl(): string {
    if (this.address) return baseUrlFor(this.address, this.config.serviceUrl, this.config.allowPlaintext === true);
    if (this.config.serviceUrl) return baseUrlFor({ username: '', host: '' }, this.config.serviceUrl, this.config.allowPlaintext === true);
    throw this.addressError ?? new AppError('invalid_input', 'no address');
  }

  /**
   * The organisation's extra CAs (AccountConfig.trustedCaPem) for REST and the DDP socket alike:
   * base/tls-fetch and `ws` take a CA list; without one, the global fetch and WebSocket.
   */
  private network(): { readonly fetch?: typeof fetch; readonly createSocket?: (url: string) => SocketLike } {
    const cas = parseTrustedCas(this.config.trustedCaPem);
    if (cas.length === 0) return {};
    this.trusting ??= fetchTrusting(cas);
    return {
      fetch: this.trusting.fetch,
      createSocket: (url) => new WsWebSocket(url, { ca: [...rootCertificates, ...cas], maxPayload: 16 * 1024 * 1024 }) as unknown as SocketLike,
    };
  }
  private trusting: TrustingFetch | null = null;

  private newRest(base: string): RestClient {
    const net = this.network();
    return new RestClient(base, {
      ...(net.fetch ? { fetch: net.fetch } : {}),
      now: () => this.ctx.now(),
      onMalformed: (detail) => this.emit({ type: 'malformed', detail }),
      onUnauthorized: (e) => this.sessionLost(e),
    });
  }

  private restForSso(): RestClient {
    if (this.session) return this.session.rest;
    this.preRest ??= this.newRest(this.baseUrl());
    return this.preRest;
  }

  private live(): Session {
    if (!this.session || this.phase !== 'connected') throw new AppError('network', 'not connected');
    return this.session;
  }

  /** Stream work runs one at a time, in arrival order, so events keep the server's order. */
  private enqueue(task: () => Promise<void> | void): Promise<void> {
    const run = this.queue.then(task).catch((e: unknown) => {
      this.ctx.log.warn('rocketchat: event handling failed', { error: e instanceof Error ? e.message : String(e) });
    });
    this.queue = run;
    return run;
  }

  private emitSync(): void {
    this.emit({ type: 'sync', state: this.tracker.syncState() });
  }

  private mapContext(s: Session): MapContext {
    return {
      selfId: s.userId,
      baseUrl: s.rest.baseUrl,
      clientTxnFor: (id) => this.txnById.get(id),
      joinUrlFor: (callId) => this.joinUrls.get(callId) ?? null,
    };
  }

  // ---------------------------------------------------------------- connect

  async connect(opts: ConnectOptions): Promise<ConnectResult> {
    if (this.session || this.connecting) await this.teardown();
    this.hub.unmute();
    const gen = ++this.gen;
    this.phase = 'connecting';
    this.emit({ type: 'connection', state: 'connecting' });
    const abort = (): void => {
      this.connecting?.ddp.close();
    };
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (opts.signal?.aborted) throw new AppError('network', 'connect aborted');
      const base = this.baseUrl();
      const rest = this.newRest(base);
      const login = await this.login(rest, opts.credentials);
      if (opts.signal?.aborted) throw new AppError('network', 'connect aborted');
      rest.setAuth(login.userId, login.token);
      this.tracker.loadSync(opts.syncState);
      const { createSocket } = this.network();
      const ddp = new DdpClient({
        url: websocketUrl(base),
        ...(createSocket ? { createSocket } : {}),
        onChanged: (collection, eventName, args) => {
          if (this.gen === gen) this.onStream(collection, eventName, args);
        },
        onMalformed: (detail) => {
          if (this.gen === gen) this.emit({ type: 'malformed', detail });
        },
        onLost: (reason) => {
          if (this.gen === gen) this.connectionLost(new AppError('network', `connection lost: ${reason}`));
        },
      });
      const session: Session = { rest, ddp, userId: login.userId, username: login.username, gen };
      this.connecting = session;
      this.roomStreams.clear();
      ddp.onConnected(async () => {
        try {
          await ddp.call('login', [{ resume: login.token }]);
        } catch (e) {
          throw errorFromDdp(e, 'realtime login');
        }
        await this.subscribeStreams(session);
      });
      await this.loadRooms(rest);
      await ddp.connect();
      await this.subscribeRooms(session, [...this.roomMap.keys()]);
      this.caps = baseCapabilities(await this.maxUpload(rest));
      if (opts.signal?.aborted) throw new AppError('network', 'connect aborted');
      if (this.gen !== gen) throw new AppError('network', 'connection replaced');
      this.session = session;
      this.connecting = null;
      this.emit({ type: 'capabilities', capabilities: this.caps });
      for (const r of this.roomMap.values()) {
        this.emit({ type: 'conversation', conversation: toConversation(r.room, r.sub, this.host()) });
        this.tracker.baseline(r.sub.rid, r.room?._updatedAt ?? r.room?.lm ?? r.sub._updatedAt);
      }
      await this.catchUp(session);
      // The socket may have died while REST calls were still answering: do not report a dead session as connected.
      if (this.gen !== gen || this.session !== session || !ddp.isOpen) throw new AppError('network', 'connection lost during setup');
      this.phase = 'connected';
      this.emit({ type: 'connection', state: 'connected' });
      return {
        selfId: login.userId, selfName: login.username, address: `${login.username}@${new URL(this.baseUrl()).host}`,
        ...(login.renewed ? { renewedCredentials: login.renewed } : {}),
      };
    } catch (e) {
      const err = opts.signal?.aborted ? new AppError('network', 'connect aborted') : e instanceof AppError ? e : errorFromDdp(e, 'connect');
      if (this.gen === gen) {
        await this.teardown();
        this.emit({ type: 'connection', state: 'disconnected', error: err.toDto() });
      }
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', abort);
    }
  }

  private async login(rest: RestClient, creds: Credentials): Promise<{ userId: string; token: string; username: string; renewed?: Credentials }> {
    if (creds.kind === 'password') {
      if (!this.address) throw this.addressError ?? new AppError('invalid_input', 'no user name');
      const body = { user: this.address.username, password: creds.password, ...(creds.otp ? { code: creds.otp } : {}) };
      const r = await rest.post('login', body, loginResponse);
      return { userId: r.data.userId, token: r.data.authToken, username: r.data.me.username, renewed: { kind: 'token', token: r.data.authToken } };
    }
    if (creds.kind === 'sso-token') {
      const r = await rest.post('login', { oauth: parseSsoToken(creds.token) }, loginResponse);
      return { userId: r.data.userId, token: r.data.authToken, username: r.data.me.username, renewed: { kind: 'token', token: r.data.authToken } };
    }
    // A personal access token is "userId:token" (both are needed on every request); a token
    // without a colon is the resume token an earlier password or SSO login returned.
    const colon = creds.token.indexOf(':');
    if (colon > 0) {
      const userId = creds.token.slice(0, colon);
      const token = creds.token.slice(colon + 1);
      rest.setAuth(userId, token);
      try {
        const me = await rest.get('me', {}, meResponse);
        return { userId: me._id, token, username: me.username };
      } finally {
        rest.clearAuth();
      }
    }
    const r = await rest.post('login', { resume: creds.token }, loginResponse);
    return { userId: r.data.userId, token: r.data.authToken, username: r.data.me.username, renewed: { kind: 'token', token: r.data.authToken } };
  }

  private async loadRooms(rest: RestClient): Promise<void> {
    const [subs, rooms] = await Promise.all([rest.get('subscriptions.get', {}, subscriptionsGet), rest.get('rooms.get', {}, roomsGet)]);
    const byId = new Map(rooms.update.map((r) => [r._id, r]));
    const previous = new Set(this.roomMap.keys());
    this.roomMap.clear();
    for (const sub of subs.update) this.roomMap.set(sub.rid, { sub, room: byId.get(sub.rid) });
    for (const rid of previous) if (!this.roomMap.has(rid)) this.emit({ type: 'conversation.removed', conversationId: rid });
  }

  private async maxUpload(rest: RestClient): Promise<number | null> {
    try {
      const s = await rest.get('settings.public', { _id: 'FileUpload_MaxFileSize' }, settingsPublic);
      const v = s.settings.find((x) => x._id === 'FileUpload_MaxFileSize')?.value;
      return typeof v === 'number' && v > 0 ? v : null;
    } catch (e) {
      if (e instanceof AppError && (e.kind === 'auth' || e.kind === 'rate_limited')) throw e;
      return null;
    }
  }

  private async subscribeStreams(s: Session): Promise<void> {
    const p = (key: string): unknown[] => [key, { useCollection: false, args: [] }];
    await Promise.all([
      s.ddp.subscribe('stream-room-messages', p('__my_messages__')),
      s.ddp.subscribe('stream-notify-user', p(`${s.userId}/subscriptions-changed`)),
      s.ddp.subscribe('stream-notify-user', p(`${s.userId}/rooms-changed`)),
      s.ddp.subscribe('stream-notify-logged', p('user-status')),
    ]).catch((e: unknown) => {
      throw errorFromDdp(e, 'subscribe');
    });
  }

  /**
   * Typing and deletions are per-room streams; subscribe in chunks to stay under the pending-call
   * bound. A room the server refuses (nosub) costs only that room's typing/deletions; a broken
   * connection fails the whole setup.
   */
  private async subscribeRooms(s: Session, rids: readonly string[]): Promise<void> {
    const todo = rids.filter((r) => !this.roomStreams.has(r));
    for (const r of todo) this.roomStreams.add(r);
    for (let i = 0; i < todo.length; i += SUB_CHUNK) {
      const results = await Promise.allSettled(todo.slice(i, i + SUB_CHUNK).flatMap((rid) => [
        s.ddp.subscribe('stream-notify-room', [`${rid}/user-activity`, { useCollection: false, args: [] }]),
        s.ddp.subscribe('stream-notify-room', [`${rid}/deleteMessage`, { useCollection: false, args: [] }]),
      ]));
      for (const r of results) {
        if (r.status === 'fulfilled') continue;
        if (r.reason instanceof AppError) throw r.reason;
        this.ctx.log.warn('rocketchat: room stream refused', { error: errorFromDdp(r.reason, 'subscribe room').message });
      }
    }
  }

  /** chat.syncMessages per room from the persisted last update: what changed while we were away. */
  private async catchUp(s: Session): Promise<void> {
    for (const rid of [...this.roomMap.keys()]) {
      const from = this.tracker.lastUpdate(rid);
      if (from === null) continue;
      let res;
      try {
        res = await s.rest.get('chat.syncMessages', { roomId: rid, lastUpdate: new Date(from).toISOString() }, syncResponse);
      } catch (e) {
        if (e instanceof AppError && (e.kind === 'not_found' || e.kind === 'forbidden')) continue;
        throw e;
      }
      const parsed = res.result.updated.map((x) => rcMessage.safeParse(x)).filter((x) => {
        if (!x.success) this.emit({ type: 'malformed', detail: 'unreadable message in chat.syncMessages' });
        return x.success;
      }).map((x) => x.data!);
      parsed.sort((a, b) => (a._updatedAt ?? a.ts) - (b._updatedAt ?? b.ts));
      await this.enqueue(async () => {
        for (const m of parsed) await this.handleMessage(s, m, false);
        for (const d of res.result.deleted) this.tracker.onDeleted(rid, d._id);
        this.emitSync();
      });
    }
    await this.enqueue(() => this.emitSync());
  }

  // ---------------------------------------------------------------- inbound

  private onStream(collection: string, eventName: string, args: readonly unknown[]): void {
    const s = this.session ?? this.connecting;
    if (!s) return;
    switch (collection) {
      case 'stream-room-messages': {
        const parsed = rcMessage.safeParse(args[0]);
        if (!parsed.success) {
          this.emit({ type: 'malformed', detail: 'unreadable message on stream-room-messages' });
          return;
        }
        void this.enqueue(async () => {
          if (await this.handleMessage(s, parsed.data, false)) this.emitSync();
        });
        return;
      }
      case 'stream-notify-room':
        this.onRoomEvent(eventName, args);
        return;
      case 'stream-notify-user':
        this.onUserEvent(s, eventName, args);
        return;
      case 'stream-notify-logged':
        if (eventName === 'user-status') this.onStatus(args[0]);
        return;
      default:
        return;
    }
  }

  private async handleMessage(s: Session, m: RcMessage, fromHistory: boolean): Promise<boolean> {
    const callId = videoConfCallId(m);
    if (callId && !this.joinUrls.has(callId)) await this.loadJoinUrl(s, callId);
    for (const r of Object.values(m.reactions ?? {})) for (const u of r.usernames) await this.resolveUser(s, u);
    return this.tracker.onMessage(m, this.mapContext(s), fromHistory);
  }

  /**
   * Reactions and typing name users by username only; the contract wants user ids. Learn them
   * from messages and status events, and ask users.info for the rest (cached, bounded).
   */
  private async resolveUser(s: Session, username: string): Promise<string> {
    const known = this.tracker.userIds.get(username);
    if (known) return known;
    try {
      const r = await s.rest.get('users.info', { username }, usersInfo);
      this.tracker.userIds.set(username, r.user._id);
      return r.user._id;
    } catch (e) {
      if (e instanceof AppError && e.kind === 'auth') throw e;
      return username;
    }
  }

  /** The join URL of a call, from video-conference.info; null if the provider gives none. */
  private async loadJoinUrl(s: Session, callId: string): Promise<void> {
    try {
      const info = await s.rest.get('video-conference.info', { callId }, videoConfInfo);
      this.joinUrls.set(callId, safeMeetingUrl(info.url));
    } catch {
      this.joinUrls.set(callId, null);
    }
  }

  private onRoomEvent(eventName: string, args: readonly unknown[]): void {
    const slash = eventName.indexOf('/');
    const rid = eventName.slice(0, slash);
    const kind = eventName.slice(slash + 1);
    const self = this.session ?? this.connecting;
    if (kind === 'user-activity' || kind === 'typing') {
      const username = args[0];
      if (typeof username !== 'string') return void this.emit({ type: 'malformed', detail: `bad ${kind} event` });
      if (username === self?.username) return;
      const typing = kind === 'typing' ? args[1] === true : Array.isArray(args[1]) && args[1].includes('user-typing');
      if (!self) return;
      void this.enqueue(async () => {
        this.emit({ type: 'typing', conversationId: rid, senderId: await this.resolveUser(self, username), typing });
      });
      return;
    }
    if (kind === 'deleteMessage') {
      const id = (args[0] as { _id?: unknown } | undefined)?._id;
      if (typeof id !== 'string') return void this.emit({ type: 'malformed', detail: 'bad deleteMessage event' });
      void this.enqueue(() => {
        this.tracker.onDeleted(rid, id);
      });
    }
  }

  private onUserEvent(s: Session, eventName: string, args: readonly unknown[]): void {
    const [action, payload] = args;
    if (eventName.endsWith('/subscriptions-changed')) {
      if (action === 'removed') {
        const rid = (payload as { rid?: unknown } | undefined)?.rid;
        if (typeof rid === 'string' && this.roomMap.delete(rid)) this.emit({ type: 'conversation.removed', conversationId: rid });
        return;
      }
      const parsed = rcSubscription.safeParse(payload);
      if (!parsed.success) return void this.emit({ type: 'malformed', detail: 'bad subscriptions-changed event' });
      const sub = parsed.data;
      const entry = this.roomMap.get(sub.rid);
      this.roomMap.set(sub.rid, { sub, room: entry?.room });
      if (!entry) {
        this.emit({ type: 'conversation', conversation: toConversation(undefined, sub, this.host()) });
        this.tracker.baseline(sub.rid, sub._updatedAt);
        this.emitSync();
        void this.subscribeRooms(s, [sub.rid]).catch(() => undefined);
      }
      return;
    }
    if (eventName.endsWith('/rooms-changed')) {
      if (action === 'removed') return;
      const parsed = rcRoom.safeParse(payload);
      if (!parsed.success) return void this.emit({ type: 'malformed', detail: 'bad rooms-changed event' });
      const entry = this.roomMap.get(parsed.data._id);
      if (!entry) return;
      const before = toConversation(entry.room, entry.sub, this.host());
      entry.room = parsed.data;
      const after = toConversation(entry.room, entry.sub, this.host());
      if (before.title !== after.title || before.isPrivate !== after.isPrivate) this.emit({ type: 'conversation', conversation: after });
    }
  }

  private onStatus(entry: unknown): void {
    const parsed = userStatusEntry.safeParse(entry);
    if (!parsed.success) return void this.emit({ type: 'malformed', detail: 'bad user-status event' });
    const [uid, username, status, text] = parsed.data;
    this.tracker.userIds.set(username, uid);
    this.emit({
      type: 'presence', userId: uid, state: presenceFromNumber(status), statusText: typeof text === 'string' ? text : '',
      ...(/^[\w.-]{1,120}$/u.test(username) ? { address: `${username}@${this.host()}` } : {}),
    });
  }

  // ---------------------------------------------------------------- losing the connection

  private connectionLost(err: AppError): void {
    if (this.phase !== 'connected') return;
    void this.teardown().then(() => {
      this.emit({ type: 'connection', state: 'disconnected', error: err.toDto() });
    });
  }

  /** A 401 mid-session: the token expired or was revoked. Fatal: the user must sign in again. */
  private sessionLost(e: AppError): void {
    this.connectionLost(new AppError('auth', `session no longer valid: ${e.message}`));
  }

  private async teardown(): Promise<void> {
    this.gen++;
    const s = this.session ?? this.connecting;
    this.session = null;
    this.connecting = null;
    this.phase = 'idle';
    s?.ddp.close();
    this.roomStreams.clear();
    // Queued work may be waiting on a REST call; do not let disconnect() hang on it (its events
    // are dropped by the generation check or the muted hub anyway).
    await Promise.race([this.queue, new Promise<void>((r) => setTimeout(r, 2_000))]);
  }

  async disconnect(): Promise<void> {
    const wasActive = this.session !== null || this.connecting !== null;
    await this.teardown();
    if (wasActive) this.emit({ type: 'connection', state: 'disconnected' });
    this.hub.mute();
  }

  async logout(): Promise<void> {
    const s = this.session ?? this.connecting;
    if (s) {
      try {
        await s.rest.post('logout', {}, anyOk);
      } catch (e) {
        this.ctx.log.warn('rocketchat: logout failed', { error: toErrorDto(e).message });
      }
    }
    await this.disconnect();
  }

  // ---------------------------------------------------------------- conversations

  async listConversations(): Promise<readonly ConversationInfo[]> {
    const s = this.live();
    await this.loadRooms(s.rest);
    return [...this.roomMap.values()].map((r) => toConversation(r.room, r.sub, this.host()));
  }

  private roomType(rid: string): string {
    const t = this.roomMap.get(rid)?.sub.t;
    if (!t) throw new AppError('not_found', `not a member of ${rid}`);
    return t;
  }

  async getHistory(conversationId: string, req: HistoryRequest): Promise<HistoryPage> {
    const s = this.live();
    const endpoint = HISTORY_ENDPOINT[this.roomType(conversationId)] ?? 'channels';
    const limit = Math.max(1, Math.min(req.limit, 100));
    if (req.before !== undefined && Number.isNaN(Date.parse(req.before))) throw new AppError('invalid_input', 'bad history cursor');
    const res = await s.rest.get(`${endpoint}.history`, { roomId: conversationId, count: String(limit), ...(req.before ? { latest: req.before } : {}) }, historyResponse);
    const parsed: RcMessage[] = [];
    for (const raw of res.messages) {
      const p = rcMessage.safeParse(raw);
      if (p.success) parsed.push(p.data);
      else this.emit({ type: 'malformed', detail: 'unreadable message in history' });
    }
    parsed.sort((a, b) => a.ts - b.ts);
    const ctx = this.mapContext(s);
    const messages: MessageInfo[] = [];
    for (const m of parsed) {
      if (m.u.username) this.tracker.userIds.set(m.u.username, m.u._id);
      if (!isChatMessage(m)) continue;
      const callId = videoConfCallId(m);
      if (callId && !this.joinUrls.has(callId)) await this.loadJoinUrl(s, callId);
      messages.push(toMessageInfo(m, ctx, true));
    }
    const oldest = parsed[0];
    const olderCursor = res.messages.length < limit || !oldest ? null : new Date(oldest.ts).toISOString();
    return { messages, olderCursor };
  }

  async send(conversationId: string, msg: OutgoingMessage): Promise<SendAck> {
    const s = this.live();
    const tmid = msg.replyTo ? (msg.replyTo.refs.tmid ?? msg.replyTo.id) : undefined;
    if (msg.attachment) {
      const r = await s.rest.post(`rooms.mediaConfirm/${encodeURIComponent(conversationId)}/${encodeURIComponent(msg.attachment.id)}`,
        { msg: msg.text, ...(tmid ? { tmid } : {}) }, messageResponse);
      this.txnById.set(r.message._id, msg.clientTxnId);
      return this.ack(msg.clientTxnId, r.message);
    }
    const id = messageIdFor(s.userId, msg.clientTxnId);
    this.txnById.set(id, msg.clientTxnId);
    try {
      const r = await s.rest.post('chat.sendMessage', { message: { _id: id, rid: conversationId, msg: msg.text, ...(tmid ? { tmid } : {}) } }, messageResponse);
      return this.ack(msg.clientTxnId, r.message);
    } catch (e) {
      // A replay whose first attempt did reach the server: the id exists, and it is ours.
      if (e instanceof AppError && (e.kind === 'invalid_input' || e.kind === 'server' || e.kind === 'conflict')) {
        const existing = await s.rest.get('chat.getMessage', { msgId: id }, messageResponse).catch(() => null);
        if (existing && existing.message.u._id === s.userId && existing.message.rid === conversationId) return this.ack(msg.clientTxnId, existing.message);
      }
      throw e;
    }
  }

  private ack(clientTxnId: string, m: RcMessage): SendAck {
    const iso = new Date(m.ts).toISOString();
    return { clientTxnId, messageId: m._id, ts: m.ts, refs: { rid: m.rid, ts: iso, ...(m.tmid ? { tmid: m.tmid } : {}) } };
  }

  // ---------------------------------------------------------------- features

  readonly edits = {
    edit: async (conversationId: string, target: { id: string; refs: NativeRefs }, text: string): Promise<void> => {
      await this.live().rest.post('chat.update', { roomId: conversationId, msgId: target.id, text }, anyOk);
    },
  };

  readonly meetings = {
    /** video-conference.join: the provider's URL for this user (Jitsi, BigBlueButton, Pexip … apps). */
    joinUrl: async (_conversationId: string, message: { id: string; refs: NativeRefs }): Promise<string> => {
      const callId = message.refs.callId;
      if (!callId) throw new AppError('not_found', 'This message is not a video conference');
      const r = await this.live().rest.post('video-conference.join', { callId, state: { mic: false, cam: false } }, videoConfJoin);
      const url = safeMeetingUrl(r.url);
      if (!url) throw new AppError('unsupported', 'The video conference provider gave no link to join');
      return url;
    },
    /**
     * The server's own video conference when it has a provider app (its members get the
     * `videoconf` message and ringing, and join through their provider), else the link as text.
     */
    invite: async (conversationId: string, call: CallInvite): Promise<{ readonly joinUrl: string }> => {
      const s = this.live();
      if (!(await this.offersVideoConf(s))) {
        await this.send(conversationId, { clientTxnId: randomUUID(), text: inviteText(call) });
        return { joinUrl: call.url };
      }
      const started = await s.rest.post('video-conference.start', { roomId: conversationId, title: call.title ?? '', allowRinging: true }, videoConfStart);
      const joined = await s.rest.post('video-conference.join', { callId: started.data.callId, state: { mic: true, cam: call.video } }, videoConfJoin);
      const url = safeMeetingUrl(joined.url);
      if (!url) throw new AppError('unsupported', 'The video conference provider gave no link to join');
      return { joinUrl: url };
    },
  };

  /** video-conference.capabilities fails with no-videoconf-provider-app (or 404 before 5.0) when there is none. */
  private async offersVideoConf(s: Session): Promise<boolean> {
    try {
      await s.rest.get('video-conference.capabilities', {}, videoConfCapabilities);
      return true;
    } catch (e) {
      if (e instanceof AppError && (e.kind === 'unsupported' || e.kind === 'not_found')) return false;
      throw e;
    }
  }

  readonly deletes = {
    delete: async (conversationId: string, target: { id: string; refs: NativeRefs }): Promise<void> => {
      await this.live().rest.post('chat.delete', { roomId: conversationId, msgId: target.id }, anyOk);
    },
  };

  readonly reactions = {
    set: async (_conversationId: string, target: { id: string; refs: NativeRefs }, keys: readonly string[]): Promise<void> => {
      const s = this.live();
      const wanted = new Set<string>();
      for (const k of keys) {
        const rc = reactionKeyToRc(k);
        if (!rc) throw new AppError('invalid_input', `Rocket.Chat has no name for the emoji ${k}`);
        wanted.add(rc);
      }
      const { message } = await s.rest.get('chat.getMessage', { msgId: target.id }, messageResponse);
      const mine = new Set(Object.entries(message.reactions ?? {}).filter(([, r]) => r.usernames.includes(s.username)).map(([k]) => k));
      for (const k of mine) if (!wanted.has(k)) await s.rest.post('chat.react', { messageId: target.id, emoji: k, shouldReact: false }, anyOk);
      for (const k of wanted) if (!mine.has(k)) await s.rest.post('chat.react', { messageId: target.id, emoji: k, shouldReact: true }, anyOk);
    },
  };

  readonly receipts = {
    markDisplayed: async (conversationId: string): Promise<void> => {
      await this.live().rest.post('subscriptions.read', { rid: conversationId }, anyOk);
    },
  };

  readonly typing = {
    set: async (conversationId: string, typing: boolean): Promise<void> => {
      const s = this.live();
      try {
        await s.ddp.call('stream-notify-room', [`${conversationId}/user-activity`, s.username, typing ? ['user-typing'] : [], {}]);
      } catch (e) {
        throw errorFromDdp(e, 'typing');
      }
    },
  };

  readonly presence = {
    set: async (state: PresenceState, statusText: string): Promise<void> => {
      await this.live().rest.post('users.setStatus', { status: statusForPresence(state), message: statusText }, anyOk);
    },
  };


  readonly rooms = {
    create: async (opts: { name: string; members: readonly string[] }): Promise<ConversationInfo> => {
      const s = this.live();
      // Room names are restricted to [0-9a-zA-Z-_.] by default (UTF8_Channel_Names_Validation).
      const name = opts.name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/\s+/g, '-').replace(/[^0-9a-zA-Z\-_.]/g, '').slice(0, 64)
        || `group-${Date.now().toString(36)}`;
      const r = await s.rest.post('groups.create', { name, members: opts.members.map(usernameOf) }, groupResponse);
      return this.remember(s, r.group, { _id: '', rid: r.group._id, t: 'p', name: r.group.name ?? name, fname: r.group.fname ?? r.group.name ?? name });
    },
    join: async (address: string): Promise<ConversationInfo> => {
      const s = this.live();
      const roomName = address.trim().replace(/^#/, '');
      const r = await s.rest.post('channels.join', { roomName }, channelResponse);
      return this.remember(s, r.channel, { _id: '', rid: r.channel._id, t: 'c', name: r.channel.name ?? roomName, fname: r.channel.fname ?? r.channel.name ?? roomName });
    },
    leave: async (conversationId: string): Promise<void> => {
      const s = this.live();
      const t = this.roomType(conversationId);
      if (t === 'd') throw new AppError('unsupported', 'direct conversations cannot be left');
      await s.rest.post(`${HISTORY_ENDPOINT[t] ?? 'channels'}.leave`, { roomId: conversationId }, anyOk);
    },
    members: async (conversationId: string): Promise<readonly MemberInfo[]> => {
      const s = this.live();
      const t = this.roomType(conversationId);
      const r = await s.rest.get(`${HISTORY_ENDPOINT[t] ?? 'channels'}.members`, { roomId: conversationId, count: '500' }, membersResponse);
      const owner = this.roomMap.get(conversationId)?.room?.u?._id;
      return r.members.map((m) => {
        this.tracker.userIds.set(m.username, m._id);
        return { id: m._id, name: m.name || m.username, role: m._id === owner ? 'owner' : 'member', presence: presenceFromString(m.status) };
      });
    },
  };

  /** Track a room we just created/joined/opened and listen to its typing and deletions right away. */
  private async remember(s: Session, room: RcRoom, sub: RcSubscription): Promise<ConversationInfo> {
    const existing = this.roomMap.get(room._id);
    const entry = { sub: existing?.sub ?? sub, room };
    this.roomMap.set(room._id, entry);
    await this.subscribeRooms(s, [room._id]).catch((e: unknown) => {
      this.ctx.log.warn('rocketchat: room stream subscription failed', { error: toErrorDto(e).message });
    });
    return toConversation(entry.room, entry.sub, this.host());
  }

  readonly directory: DirectoryFeature = {
    search: async (term, limit) => {
      const s = this.live();
      return searchUsers(s.rest, { userId: s.userId, host: this.host() }, term, limit);
    },
  };

  readonly direct = {
    open: async (address: string): Promise<ConversationInfo> => {
      const s = this.live();
      const username = usernameOf(address);
      const r = await s.rest.post('im.create', { username }, imCreateResponse);
      return this.remember(s, r.room, { _id: '', rid: r.room._id, t: 'd', name: username, fname: username });
    },
  };

  readonly files = {
    upload: async (conversationId: string, file: { name: string; mime: string; data: Uint8Array }): Promise<AttachmentInfo> => {
      const s = this.live();
      const max = this.caps.maxUploadBytes;
      if (max !== null && file.data.byteLength > max) throw new AppError('invalid_input', `file is larger than the server allows (${max} bytes)`);
      const name = sanitizeFileName(file.name);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(file.data)], { type: file.mime || guessMime(name) }), name);
      const r = await s.rest.postForm(`rooms.media/${encodeURIComponent(conversationId)}`, form, mediaResponse);
      return {
        id: r.file._id, name, mime: file.mime || guessMime(name), size: file.data.byteLength,
        url: `${s.rest.baseUrl}/file-upload/${encodeURIComponent(r.file._id)}/${encodeURIComponent(name)}`,
      };
    },
    download: async (attachment: AttachmentInfo): Promise<{ name: string; mime: string; data: Uint8Array }> => {
      const s = this.live();
      // Only our own server's upload store: an attachment URL never sends our token elsewhere, and
      // dot segments (also percent-encoded ones, which URL parsing resolves) cannot climb out of it.
      const base = new URL(s.rest.baseUrl);
      let target: URL;
      try {
        target = new URL(attachment.url);
      } catch {
        throw new AppError('invalid_input', 'attachment URL is not a URL');
      }
      const uploads = `${base.pathname.replace(/\/+$/, '')}/file-upload/`;
      if (target.origin !== base.origin || !target.pathname.startsWith(uploads)) throw new AppError('invalid_input', 'attachment is not on this server');
      const res = await s.rest.download(target.pathname.slice(base.pathname.replace(/\/+$/, '').length) + target.search);
      const data = new Uint8Array(await res.arrayBuffer());
      const name = sanitizeFileName(attachment.name);
      return { name, mime: guessMime(name), data };
    },
  };
}
