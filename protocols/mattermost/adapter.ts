// The Mattermost adapter: one account, REST v4 (http.ts) plus the WebSocket (socket.ts), both over
// a fetch and `ws` that trust the account's extra CAs (transport.ts). Reconnect policy is the core's: when the WebSocket
// drops we report `disconnected` (auth if the token no longer works, otherwise network) and the
// core calls connect() again. That connect() passes the old connection_id and sequence number, so
// a server that still has our events replays them; when it does not (new connection_id, restart,
// new app instance) we fetch `posts?since=<cursor>` per channel. Cursors are the newest update_at
// emitted per channel and travel through `sync` events (mapping.ts Cursors). Live events are held
// until that catch-up was emitted, and every post passes one dedup map (id → update_at), so a post
// is emitted once whichever way it arrives.
import type {
  AccountConfig, AdapterContext, AdapterEvent, AdapterListener, AttachmentInfo, ConnectOptions, ConnectResult, ConversationInfo,
  DeleteFeature, DirectFeature, EditFeature, FileFeature, HistoryPage, HistoryRequest, MeetingFeature, MemberInfo, MessageInfo, OutgoingMessage,
  PresenceFeature, ProtocolAdapter, ReactionFeature, ReceiptFeature, RoomFeature, SendAck, TypingFeature, Credentials,
} from '../contract';
import type { DirectoryFeature } from '../contract';
import { searchUsers } from './user-search';
import type { Capabilities } from '../../common/model';
import { NO_CAPABILITIES } from '../../common/model';
import { AppError } from '../../common/errors';
import { EventHub } from '../base/emitter';
import { BoundedMap, BoundedSet } from '../base/bounded';
import { guessMime, sanitizeFileName } from '../base/filenames';
import { markdownToRich } from '../base/rich';
import { parseAddress, websocketUrl, type MattermostAddress } from './address';
import { MmHttp } from './http';
import { createTransport, type Transport } from './transport';
import { MmSocket, type WsEvent } from './socket';
import { MattermostSso } from './sso';
import { Directory } from './directory';
import { capabilitiesFrom } from './capabilities';
import {
  ChannelSchema, ClientConfigSchema, FileInfoSchema, MemberSchema, PostListSchema, PostSchema, ReactionSchema, SchemaError, StatusSchema, TeamSchema, UserSchema, check, parseJsonString,
  type MmChannel, type MmPost, type MmTeam, type MmUser,
} from './schemas';
import {
  Cursors, channelSlug, channelTitle, clientTxnIdFrom, displayName, dmPartner, refsOf, emojiNameForKey, mentionedNames, mentionsUser, parseMentions,
  pendingPostId, reactionKey, statusFromPresence,
} from './mapping';
import { z } from 'zod';
import { jitsiPost, meetingOfPost, meetingText } from './meetings';

type Phase = 'idle' | 'connecting' | 'connected' | 'closing';

/** Mattermost clients stop showing "typing" after a few seconds without a new event (webapp: 5 s). */
const TYPING_TIMEOUT_MS = 6_000;
const CATCH_UP_PARALLEL = 4;
const FILE_ID = /^[a-z0-9]{26}$/;

export class MattermostAdapter implements ProtocolAdapter {
  readonly protocol = 'mattermost' as const;
  private readonly hub = new EventHub();
  private phase: Phase = 'idle';
  /** Bumped by every connect/teardown; callbacks of an older connection do nothing. */
  private gen = 0;
  private transport: Transport | null = null;
  private http: MmHttp | null = null;
  private socket: MmSocket | null = null;
  private resumeFrom: { connectionId: string; nextSeq: number } | null = null;
  private token: string | null = null;
  private self: MmUser | null = null;
  private caps: Capabilities = NO_CAPABILITIES;
  private cursors = new Cursors();
  private channels = new Map<string, MmChannel>();
  private teams: MmTeam[] = [];
  private readonly dir = new Directory(() => this.http, () => this.ctx.now());
  /** post id → update_at of what we emitted for it (message or edit). */
  private readonly emitted = new BoundedMap<string, number>(50_000);
  private readonly deleted = new BoundedSet<string>(10_000);
  /** Newest post from someone else per channel: what our own read receipts (from other sessions) point at. */
  private readonly lastIncoming = new BoundedMap<string, string>(5_000);
  /** The WebSocket closed while connect() was still running. */
  private socketLost = false;
  /** Events were lost (new connection id, sequence gap) while connecting: fetch them over REST. */
  private needCatchUp = false;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private live = false;
  private held: WsEvent[] = [];
  private chain: Promise<void> = Promise.resolve();
  private ssoFeature: MattermostSso | null = null;
  private ssoTransport: Transport | null = null;

  constructor(
    private readonly config: AccountConfig,
    private readonly ctx: AdapterContext,
  ) {}

  // ---------------------------------------------------------------- lifecycle

  get sso(): MattermostSso {
    this.ssoFeature ??= new MattermostSso(() => this.config, () => (this.ssoTransport ??= createTransport(this.config.trustedCaPem)));
    return this.ssoFeature;
  }

  onEvent(listener: AdapterListener): () => void {
    return this.hub.on(listener);
  }

  capabilities(): Capabilities {
    return this.caps;
  }

  private emit(e: AdapterEvent): void {
    this.hub.emit(e);
  }

  async connect(opts: ConnectOptions): Promise<ConnectResult> {
    if (this.phase === 'connecting' || this.phase === 'connected') throw new AppError('conflict', 'already connected');
    const gen = ++this.gen;
    this.hub.unmute();
    this.phase = 'connecting';
    this.emit({ type: 'connection', state: 'connecting' });
    // disconnect() during connect bumps `gen`: stop at the next step instead of reviving the account.
    const alive = (): void => {
      if (gen !== this.gen || opts.signal?.aborted) throw new AppError('network', 'connect cancelled');
    };
    let socket: MmSocket | null = null;
    try {
      alive();
      const addr = parseAddress(this.config);
      const transport = createTransport(this.config.trustedCaPem);
      this.transport = transport;
      const http = new MmHttp(addr.baseUrl, transport, (e) => this.fail(gen, e));
      this.http = http;
      const { token, renewed } = await this.authenticate(http, addr, opts.credentials);
      alive();
      if (token !== this.token) this.resumeFrom = null; // another session cannot resume our WebSocket
      http.token = token;
      this.token = token;
      const me = check(UserSchema, await http.json<unknown>('GET', '/api/v4/users/me'), 'users/me');
      alive();
      if (addr.username && me.username.toLowerCase() !== addr.username) throw new AppError('auth', `the token belongs to ${me.username}, not ${addr.username}`);
      this.self = me;
      this.dir.remember(me);
      const cfg = await http.json<unknown>('GET', '/api/v4/config/client?format=old').then((c) => check(ClientConfigSchema, c, 'client config'), () => ({}));
      alive();
      this.caps = capabilitiesFrom(cfg);
      this.cursors = mergeCursors(this.cursors, Cursors.from(opts.syncState));
      await this.loadChannels(http);
      alive();
      this.live = false;
      this.held = [];
      this.socketLost = false;
      this.needCatchUp = false;
      socket = new MmSocket(transport, websocketUrl(addr.baseUrl), token, this.resumeFrom, {
        onEvent: (e) => this.onSocketEvent(gen, e),
        onMalformed: (detail) => this.gen === gen && this.emit({ type: 'malformed', detail }),
        // Before we are live, connect() runs the catch-up itself (one at a time, so no post is emitted twice).
        onGap: () => (this.live ? this.enqueue(gen, () => this.catchUp(gen)) : void (this.needCatchUp = true)),
        onClose: (code) => this.onSocketClosed(gen, code),
      });
      this.socket = socket;
      const opened = await socket.open();
      alive();
      this.emit({ type: 'capabilities', capabilities: this.caps });
      for (const c of this.channels.values()) this.emit({ type: 'conversation', conversation: this.info(c) });
      this.needCatchUp ||= !opened.resumed;
      while (this.needCatchUp) {
        this.needCatchUp = false;
        await this.catchUp(gen);
        alive();
      }
      if (this.socketLost) throw new AppError('network', 'WebSocket closed while connecting');
      this.cursors.retain(new Set(this.channels.keys()));
      this.emit({ type: 'sync', state: this.cursors.toState() });
      this.live = true;
      for (const e of this.held.splice(0)) this.enqueue(gen, () => this.handle(gen, e));
      this.enqueue(gen, () => this.refreshPresence(gen));
      this.phase = 'connected';
      this.emit({ type: 'connection', state: 'connected' });
      return { selfId: me.id, selfName: displayName(me), address: `${me.username}@${new URL(addr.baseUrl).host}`, ...(renewed ? { renewedCredentials: renewed } : {}) };
    } catch (e) {
      const err = e instanceof AppError ? e : e instanceof SchemaError ? new AppError('invalid_input', e.message) : new AppError('unknown', String(e), { cause: e });
      if (gen === this.gen) {
        this.teardown();
        this.phase = 'idle';
        this.emit({ type: 'connection', state: 'disconnected', error: err.toDto() });
      } else {
        socket?.close();
      }
      throw err;
    }
  }

  private async authenticate(http: MmHttp, addr: MattermostAddress, creds: Credentials): Promise<{ token: string; renewed?: Credentials }> {
    if (creds.kind === 'token') return { token: creds.token };
    if (creds.kind === 'sso-token') return { token: creds.token, renewed: { kind: 'token', token: creds.token } };
    if (!addr.username) throw new AppError('invalid_input', 'a password sign-in needs username@host');
    // api4/user.go login: the session token comes back in the Token header; `token` is the MFA code.
    const res = await http.raw('POST', '/api/v4/users/login', { 'Content-Type': 'application/json' }, JSON.stringify({
      login_id: addr.username, password: creds.password, token: creds.otp?.trim() ?? '', device_id: '',
    }));
    const token = res.headers.get('token');
    if (!token) throw new AppError('server', 'login answered without a Token header');
    // Keep the session token, never the password.
    return { token, renewed: { kind: 'token', token } };
  }

  /** Teams, their channels (DMs and group messages come with every team) and the users DMs name. */
  private async loadChannels(http: MmHttp): Promise<void> {
    const me = this.self!;
    this.teams = check(z.array(TeamSchema), await http.json<unknown>('GET', '/api/v4/users/me/teams'), 'teams');
    const map = new Map<string, MmChannel>();
    for (const t of this.teams) {
      const list = check(z.array(ChannelSchema), await http.json<unknown>('GET', `/api/v4/users/me/teams/${enc(t.id)}/channels`), 'channels');
      for (const c of list) if (c.delete_at === 0) map.set(c.id, c);
    }
    this.channels = map;
    const partners = [...map.values()].filter((c) => c.type === 'D').map((c) => dmPartner(c, me.id));
    await this.dir.ensureIds(partners);
    // Group titles list usernames; load those users so the titles can show their names.
    await this.dir.ensureNames([...map.values()].filter((c) => c.type === 'G').flatMap((c) => c.display_name.split(',').map((n) => n.trim().toLowerCase())));
  }

  private teardown(): void {
    this.gen++;
    this.socket?.close();
    if (this.socket?.resumePoint) this.resumeFrom = this.socket.resumePoint;
    this.socket = null;
    this.http = null;
    const t = this.transport;
    this.transport = null;
    void t?.close();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    this.live = false;
    this.held = [];
  }

  /** The connection is unusable (token revoked, socket gone): tell the core once. */
  private fail(gen: number, err: AppError): void {
    if (gen !== this.gen || this.phase !== 'connected') return;
    this.teardown();
    this.phase = 'idle';
    const dto = err.fatal ? err.toDto() : { ...err.toDto(), kind: err.kind === 'unknown' ? ('network' as const) : err.kind };
    this.emit({ type: 'connection', state: 'disconnected', error: dto });
  }

  private onSocketClosed(gen: number, code: number): void {
    if (gen !== this.gen) return;
    if (this.phase === 'connecting') {
      this.socketLost = true;
      return;
    }
    if (this.phase !== 'connected') return;
    const http = this.http;
    if (this.socket?.resumePoint) this.resumeFrom = this.socket.resumePoint;
    // Why did it close? A revoked token shows as 401 here (http reports it through fail()).
    void (async () => {
      try {
        await http?.json<unknown>('GET', '/api/v4/users/me');
        this.fail(gen, new AppError('network', `WebSocket closed (${code})`));
      } catch (e) {
        this.fail(gen, e instanceof AppError ? e : new AppError('network', `WebSocket closed (${code})`));
      }
    })();
  }

  async disconnect(): Promise<void> {
    if (this.phase !== 'idle' || this.socket) {
      this.phase = 'closing';
      this.teardown();
      this.phase = 'idle';
      this.emit({ type: 'connection', state: 'disconnected' });
    }
    this.hub.mute();
    // The SSO helper's connections (an adapter used only to ask for the login URL) end here too.
    const sso = this.ssoTransport;
    this.ssoTransport = null;
    await sso?.close();
  }

  async logout(): Promise<void> {
    let http = this.http;
    let temp: Transport | null = null;
    if (!http && this.token) {
      // Not connected, but the server session still exists: end it with a one-off client.
      temp = createTransport(this.config.trustedCaPem);
      http = new MmHttp(parseAddress(this.config).baseUrl, temp, () => undefined);
      http.token = this.token;
    }
    if (http) await http.json<unknown>('POST', '/api/v4/users/logout', {}).catch(() => undefined);
    await temp?.close();
    await this.disconnect();
    this.token = null;
    this.resumeFrom = null;
    this.cursors = new Cursors();
  }

  // ---------------------------------------------------------------- event plumbing

  private enqueue(gen: number, job: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (gen !== this.gen) return;
      try {
        await job();
      } catch (e) {
        if (e instanceof SchemaError) this.emit({ type: 'malformed', detail: e.message });
        else this.ctx.log.warn('mattermost event handling failed', { error: String(e).slice(0, 300) });
      }
    });
  }

  private onSocketEvent(gen: number, e: WsEvent): void {
    if (gen !== this.gen) return;
    if (!this.live) {
      this.held.push(e);
      return;
    }
    this.enqueue(gen, () => this.handle(gen, e));
  }

  private async handle(gen: number, e: WsEvent): Promise<void> {
    const d = e.data;
    switch (e.event) {
      case 'posted': {
        const post = check(PostSchema, parseJsonString(d.post, 'posted.post'), 'posted.post');
        this.stopTyping(post.channel_id, post.user_id);
        await this.ingest(gen, post, { history: false, since: -1, mentions: parseMentions(d.mentions) });
        return;
      }
      case 'post_edited':
        await this.ingest(gen, check(PostSchema, parseJsonString(d.post, 'post_edited.post'), 'post_edited.post'), { history: false, since: -1, mentions: [] });
        return;
      case 'post_deleted': {
        const post = check(PostSchema, parseJsonString(d.post, 'post_deleted.post'), 'post_deleted.post');
        await this.ingest(gen, { ...post, delete_at: post.delete_at || post.update_at }, { history: false, since: -1, mentions: [] });
        return;
      }
      case 'reaction_added':
      case 'reaction_removed': {
        const r = check(ReactionSchema, parseJsonString(d.reaction, `${e.event}.reaction`), `${e.event}.reaction`);
        await this.emitReactions(r.post_id, r.user_id, e.channelId);
        return;
      }
      case 'typing': {
        const uid = typeof d.user_id === 'string' ? d.user_id : '';
        if (!uid || !e.channelId || uid === this.self?.id) return;
        this.startTyping(gen, e.channelId, uid);
        return;
      }
      case 'status_change': {
        const s = check(StatusSchema, d, 'status_change');
        this.dir.setStatus(s.user_id, s.status);
        this.emitPresence(s.user_id);
        return;
      }
      case 'user_updated': {
        const u = check(UserSchema, d.user, 'user_updated.user');
        this.dir.remember(u);
        this.emitPresence(u.id);
        return;
      }
      case 'multiple_channels_viewed':
      case 'channel_viewed': {
        const times = typeof d.channel_times === 'object' && d.channel_times !== null ? Object.keys(d.channel_times) : typeof d.channel_id === 'string' ? [d.channel_id] : [];
        for (const id of times) {
          const last = this.lastIncoming.get(id);
          if (last && this.self) this.emit({ type: 'receipt', conversationId: id, targetId: last, senderId: this.self.id, kind: 'displayed' });
        }
        return;
      }
      case 'direct_added':
      case 'group_added':
      case 'channel_created':
      case 'channel_updated':
      case 'channel_restored':
      case 'channel_converted': {
        const id = e.channelId || (typeof d.channel_id === 'string' ? d.channel_id : '');
        if (id) await this.refreshChannel(id);
        return;
      }
      case 'user_added':
        if (d.user_id === this.self?.id && e.channelId) await this.refreshChannel(e.channelId);
        return;
      case 'user_removed': {
        const id = e.channelId && d.user_id === this.self?.id ? e.channelId : !e.channelId && typeof d.channel_id === 'string' ? d.channel_id : '';
        if (id && this.channels.delete(id)) this.emit({ type: 'conversation.removed', conversationId: id });
        return;
      }
      case 'channel_deleted':
        if (e.channelId && this.channels.delete(e.channelId)) this.emit({ type: 'conversation.removed', conversationId: e.channelId });
        return;
      default:
        return; // hello, preferences_changed, thread_updated, …: nothing the contract carries
    }
  }

  /** One path for every post, live or caught up: dedup by id and update_at, then emit. */
  private async ingest(gen: number, p: MmPost, o: { history: boolean; since: number; mentions: readonly string[] }): Promise<void> {
    if (gen !== this.gen) return;
    if (!this.channels.has(p.channel_id)) await this.refreshChannel(p.channel_id);
    const prev = this.emitted.get(p.id);
    const knew = prev !== undefined || p.create_at <= o.since;
    if (p.delete_at > 0) {
      if (knew && !this.deleted.has(p.id)) {
        this.deleted.add(p.id);
        this.emit({ type: 'message.deleted', conversationId: p.channel_id, targetId: p.id, senderId: p.user_id });
      }
    } else if (!knew) {
      // Reserve the id before the lookups below, so a second copy arriving meanwhile is a duplicate.
      this.emitted.set(p.id, p.update_at);
      let m: MessageInfo | null;
      try {
        m = await this.toMessage(p, o.history, o.mentions);
      } catch (e) {
        this.emitted.delete(p.id);
        throw e;
      }
      if (gen !== this.gen) {
        this.emitted.delete(p.id); // not emitted: the next connection's catch-up must bring it
        return;
      }
      if (m) {
        if (!m.own) this.lastIncoming.set(p.channel_id, p.id);
        this.emit({ type: 'message', message: m });
      }
    } else if (p.edit_at > 0 && p.edit_at > (prev ?? o.since)) {
      this.emitted.set(p.id, p.update_at);
      await this.lookups([], mentionedNames(p.message));
      const rich = this.rich(p.message);
      this.emit({ type: 'message.edited', conversationId: p.channel_id, targetId: p.id, text: p.message, ...(rich ? { rich } : {}), ts: p.edit_at, senderId: p.user_id });
    }
    if (o.history && p.delete_at === 0 && p.metadata?.reactions && p.update_at > o.since) {
      // Changed while we were away and maybe reacted to: re-state each reacting user's set. (A
      // user who removed their last reaction is not in the list; that removal is not caught up.)
      const byUser = new Map<string, string[]>();
      for (const r of p.metadata.reactions) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), reactionKey(r.emoji_name)]);
      for (const [senderId, keys] of byUser) this.emit({ type: 'reactions', conversationId: p.channel_id, targetId: p.id, senderId, keys: [...new Set(keys)] });
    }
    if (this.cursors.advance(p.channel_id, p.update_at)) this.emit({ type: 'sync', state: this.cursors.toState() });
  }

  /** posts?since per channel (protocols.md D.3): creations, edits and deletions we missed. */
  private async catchUp(gen: number): Promise<void> {
    const http = this.http;
    if (!http) return;
    const first = this.cursors.empty;
    const channels = [...this.channels.values()];
    if (first) {
      // A new account starts "now": history is paged on demand, not replayed as new messages.
      for (const c of channels) this.cursors.advance(c.id, Math.max(c.last_post_at, c.create_at));
      return;
    }
    const fetched = new Map<string, MmPost[]>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < channels.length) {
        const c = channels[next++]!;
        const since = this.sinceFor(c);
        const list = check(PostListSchema, await http.json<unknown>('GET', `/api/v4/channels/${enc(c.id)}/posts?since=${since}`), 'posts since');
        fetched.set(c.id, Object.values(list.posts).sort((a, b) => a.create_at - b.create_at || a.update_at - b.update_at));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CATCH_UP_PARALLEL, channels.length) }, worker));
    for (const c of channels) {
      const since = this.sinceFor(c);
      for (const p of fetched.get(c.id) ?? []) await this.ingest(gen, p, { history: true, since, mentions: [] });
    }
  }

  /** A channel we have no cursor for appeared while we were away: everything since we left, or since it was made. */
  private sinceFor(c: MmChannel): number {
    return this.cursors.channel(c.id) ?? Math.max(c.create_at - 1, this.cursors.newest);
  }

  private async refreshChannel(id: string): Promise<void> {
    const http = this.http;
    if (!http) return;
    const c = check(ChannelSchema, await http.json<unknown>('GET', `/api/v4/channels/${enc(id)}`), 'channel');
    if (c.type === 'D' && this.self) await this.dir.ensureIds([dmPartner(c, this.self.id)]);
    const known = this.channels.has(c.id);
    this.channels.set(c.id, c);
    // A channel that is new to us starts its cursor at its creation, so catch-up covers it whole.
    if (!known && this.cursors.channel(c.id) === undefined) this.cursors.advance(c.id, Math.max(0, c.create_at - 1));
    this.emit({ type: 'conversation', conversation: this.info(c) });
  }

  // ---------------------------------------------------------------- mapping with lookups

  /** Names for a message; a failed lookup costs a display name, never the message. */
  private async lookups(ids: readonly string[], names: readonly string[]): Promise<void> {
    try {
      await this.dir.ensureIds(ids);
      await this.dir.ensureNames(names);
    } catch (e) {
      this.ctx.log.warn('mattermost user lookup failed', { error: String(e).slice(0, 200) });
    }
  }

  private rich(text: string): MessageInfo['rich'] {
    try {
      return markdownToRich(text, { mentionNames: (name) => this.dir.idForName(name.toLowerCase()) ?? null });
    } catch (e) {
      this.ctx.log.warn('markdown rendering failed; showing plain text', { error: String(e).slice(0, 200) });
      return undefined;
    }
  }

  private async toMessage(p: MmPost, fromHistory: boolean, mentions: readonly string[]): Promise<MessageInfo | null> {
    // System posts (joins, header changes, …) are not chat messages.
    if (p.type.startsWith('system_')) return null;
    const me = this.self!;
    await this.lookups([p.user_id], mentionedNames(p.message));
    const sender = this.dir.user(p.user_id);
    const rich = this.rich(p.message);
    const txn = p.user_id === me.id ? clientTxnIdFrom(p.pending_post_id, me.id) : undefined;
    const attachments = (p.metadata?.files ?? []).map((f) => this.attachment(f));
    const own = p.user_id === me.id;
    const meeting = meetingOfPost(p);
    return {
      id: p.id,
      conversationId: p.channel_id,
      senderId: p.user_id,
      senderName: sender ? displayName(sender) : p.user_id,
      own,
      ts: p.create_at,
      text: p.message === '' && meeting ? meetingText(meeting) : p.message,
      ...(rich ? { rich } : {}),
      ...(meeting ? { meeting } : {}),
      ...(txn ? { clientTxnId: txn } : {}),
      ...(p.root_id ? { replyToId: p.root_id } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
      mentionsMe: !own && mentionsUser(p.message, me.username, mentions, me.id),
      cursor: p.id,
      refs: refsOf(p),
      ...(fromHistory ? { fromHistory: true } : {}),
    };
  }

  private attachment(f: { id: string; name: string; mime_type: string; size: number }): AttachmentInfo {
    const name = sanitizeFileName(f.name);
    return { id: f.id, name, mime: guessMime(name), size: f.size, url: `${this.requireHttp().baseUrl}/api/v4/files/${enc(f.id)}` };
  }

  private info(c: MmChannel): ConversationInfo {
    const me = this.self;
    let title = c.display_name || c.name;
    let peer: string | undefined;
    if (c.type === 'D' && me) {
      const u = this.dir.user(dmPartner(c, me.id));
      title = u ? displayName(u) : title;
      // The person's address as users write it (username@server), for the one contact list.
      if (u) peer = `${u.username}@${new URL(this.requireHttp().baseUrl).host}`;
    } else if (c.type === 'G' && me) {
      // The server's display_name lists usernames; show the others by their names.
      title = c.display_name.split(',').map((s) => s.trim()).filter((n) => n && n !== me.username)
        .map((n) => { const id = this.dir.idForName(n.toLowerCase()); const u = id ? this.dir.user(id) : undefined; return u ? displayName(u) : n; })
        .sort((x, y) => x.localeCompare(y, 'sv')).join(', ') || title;
    } else if (this.teams.length > 1) {
      title = channelTitle(title, this.teams.find((t) => t.id === c.team_id)?.display_name ?? null);
    }
    return {
      id: c.id, kind: c.type === 'D' ? 'direct' : 'group', title, isPrivate: c.type !== 'O',
      ...(c.last_post_at > 0 ? { lastActivityAt: c.last_post_at } : {}),
      ...(peer ? { peer } : {}),
    };
  }

  private async emitReactions(postId: string, userId: string, channelId: string): Promise<void> {
    const list = check(z.array(ReactionSchema), await this.requireHttp().json<unknown>('GET', `/api/v4/posts/${enc(postId)}/reactions`), 'reactions');
    const keys = list.filter((r) => r.user_id === userId).sort((a, b) => a.create_at - b.create_at).map((r) => reactionKey(r.emoji_name));
    const conversationId = channelId || list[0]?.post_id || '';
    this.emit({ type: 'reactions', conversationId, targetId: postId, senderId: userId, keys: [...new Set(keys)] });
  }

  private startTyping(gen: number, channelId: string, userId: string): void {
    const key = `${channelId}\u0000${userId}`;
    const old = this.typingTimers.get(key);
    if (old) clearTimeout(old);
    else this.emit({ type: 'typing', conversationId: channelId, senderId: userId, typing: true });
    this.typingTimers.set(key, setTimeout(() => {
      this.typingTimers.delete(key);
      if (gen === this.gen) this.emit({ type: 'typing', conversationId: channelId, senderId: userId, typing: false });
    }, TYPING_TIMEOUT_MS));
  }

  private stopTyping(channelId: string, userId: string): void {
    const key = `${channelId}\u0000${userId}`;
    const t = this.typingTimers.get(key);
    if (!t) return;
    clearTimeout(t);
    this.typingTimers.delete(key);
    this.emit({ type: 'typing', conversationId: channelId, senderId: userId, typing: false });
  }

  private emitPresence(userId: string): void {
    const p = this.dir.presenceOf(userId);
    const u = this.dir.user(userId);
    const address = u && this.http ? `${u.username}@${new URL(this.http.baseUrl).host}` : undefined;
    this.emit({ type: 'presence', userId, ...(address ? { address } : {}), state: p.state, statusText: p.statusText });
  }

  /** Bulk status of the people we have DMs with (and ourselves): POST /users/status/ids. */
  private async refreshPresence(gen: number): Promise<void> {
    const me = this.self;
    if (!me || !this.caps.presence) return;
    const ids = [...new Set([me.id, ...[...this.channels.values()].filter((c) => c.type === 'D').map((c) => dmPartner(c, me.id))])];
    await this.dir.fetchStatuses(ids);
    if (gen !== this.gen) return;
    for (const id of ids) this.emitPresence(id);
  }

  private requireHttp(): MmHttp {
    if (!this.http || !this.self) throw new AppError('network', 'not connected');
    return this.http;
  }

  private async userIdFor(address: string): Promise<string> {
    const name = address.trim().replace(/^@/, '').split('@')[0]!.toLowerCase();
    if (!/^[a-z0-9._-]{1,64}$/.test(name)) throw new AppError('invalid_input', `not a Mattermost user: ${address}`);
    await this.dir.ensureNames([name]);
    const id = this.dir.idForName(name);
    if (!id) throw new AppError('not_found', `no such user: ${name}`);
    return id;
  }

  private channelOrThrow(id: string): MmChannel {
    const c = this.channels.get(id);
    if (!c) throw new AppError('not_found', `unknown conversation ${id}`);
    return c;
  }

  // ---------------------------------------------------------------- core calls

  async listConversations(): Promise<readonly ConversationInfo[]> {
    this.requireHttp();
    return [...this.channels.values()].map((c) => this.info(c));
  }

  async getHistory(conversationId: string, req: HistoryRequest): Promise<HistoryPage> {
    const http = this.requireHttp();
    this.channelOrThrow(conversationId);
    const per = Math.max(1, Math.min(200, Math.floor(req.limit)));
    if (req.before !== undefined && !/^[a-z0-9]{26}$/.test(req.before)) throw new AppError('invalid_input', 'bad history cursor');
    const q = new URLSearchParams({ per_page: String(per), ...(req.before ? { before: req.before } : {}) });
    const list = check(PostListSchema, await http.json<unknown>('GET', `/api/v4/channels/${enc(conversationId)}/posts?${q.toString()}`), 'posts');
    const posts = list.order.map((id) => list.posts[id]).filter((p): p is MmPost => p !== undefined && p.delete_at === 0).reverse();
    const messages: MessageInfo[] = [];
    for (const p of posts) {
      const m = await this.toMessage(p, true, []);
      if (m) messages.push(m);
    }
    // The newest page tells us the channel's last incoming post, which own read receipts point at.
    const newestIncoming = posts.filter((p) => p.user_id !== this.self?.id).pop();
    if (!req.before && newestIncoming && !this.lastIncoming.has(conversationId)) this.lastIncoming.set(conversationId, newestIncoming.id);
    const oldest = list.order[list.order.length - 1];
    return { messages, olderCursor: list.prev_post_id && oldest ? oldest : null };
  }

  async send(conversationId: string, msg: OutgoingMessage): Promise<SendAck> {
    const http = this.requireHttp();
    this.channelOrThrow(conversationId);
    const rootId = msg.replyTo ? msg.replyTo.refs.rootId || msg.replyTo.refs.postId || msg.replyTo.id : '';
    if (msg.attachment && !FILE_ID.test(msg.attachment.id)) throw new AppError('invalid_input', 'attachment was not uploaded to this server');
    const post = check(PostSchema, await http.json<unknown>('POST', '/api/v4/posts', {
      channel_id: conversationId,
      message: msg.text,
      // The server returns the first post again for a retried pending_post_id: no duplicates from the outbox.
      pending_post_id: pendingPostId(this.self!.id, msg.clientTxnId),
      ...(rootId ? { root_id: rootId } : {}),
      ...(msg.attachment ? { file_ids: [msg.attachment.id] } : {}),
    }), 'post');
    return { clientTxnId: msg.clientTxnId, messageId: post.id, refs: refsOf(post), ts: post.create_at };
  }

  // ---------------------------------------------------------------- features

  readonly meetings: MeetingFeature = {
    /** The Jitsi plugin's own post shape, so Mattermost clients with the plugin show their meeting card. */
    invite: async (conversationId, call) => {
      const http = this.requireHttp();
      this.channelOrThrow(conversationId);
      const post = jitsiPost(call);
      check(PostSchema, await http.json<unknown>('POST', '/api/v4/posts', {
        channel_id: conversationId, message: post.message, type: post.type, props: post.props,
        pending_post_id: pendingPostId(this.self!.id, crypto.randomUUID()),
      }), 'post');
      return { joinUrl: call.url };
    },
  };

  readonly presence: PresenceFeature = {
    set: async (state, statusText) => {
      const http = this.requireHttp();
      const me = this.self!;
      await http.json<unknown>('PUT', '/api/v4/users/me/status', { user_id: me.id, status: statusFromPresence(state) });
      const text = statusText.trim().slice(0, 100);
      if (text) await http.json<unknown>('PUT', '/api/v4/users/me/status/custom', { emoji: 'speech_balloon', text, duration: 'dont_clear' });
      else await http.json<unknown>('DELETE', '/api/v4/users/me/status/custom');
    },
  };

  readonly typing: TypingFeature = {
    set: async (conversationId, typing) => {
      // Mattermost has no "stopped typing": the others time it out (TYPING_TIMEOUT_MS).
      if (!typing) return;
      this.requireHttp();
      this.channelOrThrow(conversationId);
      if (!this.socket?.send('user_typing', { channel_id: conversationId, parent_id: '' })) throw new AppError('network', 'WebSocket not open');
    },
  };

  readonly edits: EditFeature = {
    edit: async (_conversationId, target, text) => {
      await this.requireHttp().json<unknown>('PUT', `/api/v4/posts/${enc(target.refs.postId ?? target.id)}/patch`, { message: text });
    },
  };

  readonly deletes: DeleteFeature = {
    delete: async (_conversationId, target) => {
      await this.requireHttp().json<unknown>('DELETE', `/api/v4/posts/${enc(target.refs.postId ?? target.id)}`);
    },
  };

  readonly reactions: ReactionFeature = {
    set: async (_conversationId, target, keys) => {
      const http = this.requireHttp();
      const me = this.self!;
      const postId = target.refs.postId ?? target.id;
      const wanted = new Set<string>();
      for (const k of keys) {
        const name = emojiNameForKey(k);
        if (!name) throw new AppError('unsupported', `no Mattermost emoji name for ${k}`);
        wanted.add(name);
      }
      const current = check(z.array(ReactionSchema), await http.json<unknown>('GET', `/api/v4/posts/${enc(postId)}/reactions`), 'reactions')
        .filter((r) => r.user_id === me.id).map((r) => r.emoji_name);
      for (const name of current) if (!wanted.has(name)) await http.json<unknown>('DELETE', `/api/v4/users/${enc(me.id)}/posts/${enc(postId)}/reactions/${enc(name)}`);
      for (const name of wanted) {
        if (!current.includes(name)) await http.json<unknown>('POST', '/api/v4/reactions', { user_id: me.id, post_id: postId, emoji_name: name, create_at: 0 });
      }
    },
  };

  readonly receipts: ReceiptFeature = {
    markDisplayed: async (conversationId) => {
      await this.requireHttp().json<unknown>('POST', '/api/v4/channels/members/me/view', { channel_id: conversationId, prev_channel_id: '' });
    },
  };

  readonly rooms: RoomFeature = {
    create: async ({ name, members }) => {
      const http = this.requireHttp();
      const team = this.teams[0];
      if (!team) throw new AppError('unsupported', 'the account is in no team, so it cannot create channels');
      const ids = [];
      for (const m of members) ids.push(await this.userIdFor(m));
      const c = check(ChannelSchema, await http.json<unknown>('POST', '/api/v4/channels', {
        team_id: team.id, name: channelSlug(name, crypto.randomUUID()), display_name: name.trim().slice(0, 64) || 'channel', type: 'P',
      }), 'channel');
      for (const id of ids) await http.json<unknown>('POST', `/api/v4/channels/${enc(c.id)}/members`, { user_id: id });
      this.channels.set(c.id, c);
      this.cursors.advance(c.id, Math.max(0, c.create_at - 1));
      return this.info(c);
    },
    join: async (address) => {
      const http = this.requireHttp();
      const id = address.trim();
      if (!/^[a-z0-9]{26}$/.test(id)) throw new AppError('invalid_input', 'join needs a channel id');
      await http.json<unknown>('POST', `/api/v4/channels/${enc(id)}/members`, { user_id: this.self!.id });
      const c = check(ChannelSchema, await http.json<unknown>('GET', `/api/v4/channels/${enc(id)}`), 'channel');
      this.channels.set(c.id, c);
      this.cursors.advance(c.id, Math.max(0, c.create_at - 1));
      return this.info(c);
    },
    leave: async (conversationId) => {
      await this.requireHttp().json<unknown>('DELETE', `/api/v4/channels/${enc(conversationId)}/members/${enc(this.self!.id)}`);
      if (this.channels.delete(conversationId)) this.emit({ type: 'conversation.removed', conversationId });
    },
    members: async (conversationId) => {
      const http = this.requireHttp();
      const list = check(z.array(MemberSchema), await http.json<unknown>('GET', `/api/v4/channels/${enc(conversationId)}/members?page=0&per_page=200`), 'members');
      await this.dir.ensureIds(list.map((m) => m.user_id));
      if (this.caps.presence) await this.dir.fetchStatuses(list.map((m) => m.user_id));
      return list.map((m): MemberInfo => {
        const u = this.dir.user(m.user_id);
        return { id: m.user_id, name: u ? displayName(u) : m.user_id, role: /\bchannel_admin\b/.test(m.roles) ? 'admin' : 'member', presence: this.dir.presenceOf(m.user_id).state };
      });
    },
  };

  readonly directory: DirectoryFeature = {
    search: async (term, limit) => searchUsers(this.requireHttp(), this.self!.id, term, limit),
  };

  readonly direct: DirectFeature = {
    open: async (address) => {
      const http = this.requireHttp();
      const other = await this.userIdFor(address);
      const c = check(ChannelSchema, await http.json<unknown>('POST', '/api/v4/channels/direct', [this.self!.id, other]), 'channel');
      const known = this.channels.has(c.id);
      this.channels.set(c.id, c);
      if (!known && this.cursors.channel(c.id) === undefined) this.cursors.advance(c.id, Math.max(0, c.create_at - 1));
      return this.info(c);
    },
  };

  readonly files: FileFeature = {
    upload: async (conversationId, file) => {
      const http = this.requireHttp();
      this.channelOrThrow(conversationId);
      const max = this.caps.maxUploadBytes;
      if (max !== null && file.data.byteLength > max) throw new AppError('invalid_input', `file is larger than the server allows (${max} bytes)`);
      const name = sanitizeFileName(file.name);
      const res = check(z.object({ file_infos: z.array(FileInfoSchema).min(1) }), await http.upload('/api/v4/files', { channel_id: conversationId }, { name, mime: file.mime, data: file.data }), 'upload');
      return this.attachment(res.file_infos[0]!);
    },
    download: async (attachment) => {
      const http = this.requireHttp();
      const prefix = `${http.baseUrl}/api/v4/files/`;
      const id = attachment.url.startsWith(prefix) ? attachment.url.slice(prefix.length) : '';
      // Only files of this server, by id: the token must never go to a URL a message chose.
      if (!FILE_ID.test(id)) throw new AppError('invalid_input', 'not a file of this server');
      const res = await http.raw('GET', `/api/v4/files/${id}`);
      const name = sanitizeFileName(attachment.name);
      return { name, mime: guessMime(name), data: res.body };
    },
  };
}

// ---------------------------------------------------------------- helpers

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** What this instance saw since the stored state was written counts too (reconnect without restart). */
function mergeCursors(mem: Cursors, stored: Cursors): Cursors {
  const out = Cursors.from(stored.toState());
  for (const [k, v] of Object.entries(mem.toState())) if (k.startsWith('c:')) out.advance(k.slice(2), Number(v));
  return out;
}
