// The XMPP adapter: one account, one stream. It translates stanzas into contract events and
// contract calls into stanzas; policy (reconnect, dedup across sessions, unread) is the core's.
import type {
  AccountConfig, AdapterContext, AdapterEvent, AdapterListener, AttachmentInfo, ConnectOptions, ConnectResult, ContactInfo,
  ContactsFeature, ConversationInfo, DeleteFeature, DirectFeature, EditFeature, FileFeature, HistoryPage, HistoryRequest,
  MeetingFeature, MemberInfo, MessageInfo, NativeRefs, OutgoingMessage, PresenceFeature, ProtocolAdapter, ReactionFeature, ReceiptFeature,
  RoomFeature, SendAck, TypingFeature,
} from '../contract';
import type { DirectoryFeature } from '../contract';
import { searchRoster } from './roster-search';
import type { Capabilities, PresenceState } from '../../common/model';
import { NO_CAPABILITIES } from '../../common/model';
import { AppError } from '../../common/errors';
import { EventHub } from '../base/emitter';
import { BoundedMap, BoundedSet } from '../base/bounded';
import { sanitizeFileName } from '../base/filenames';
import { createSession, xml } from './sdk';
import type { Element, XmppSession } from './sdk';
import { NS } from './ns';
import { parseJid, jidLabel } from './jid';
import { toAppError } from './errors';
import { attr, child, children } from './stanza';
import { parseMessage, unwrapLive } from './inbound';
import type { Envelope, ParseContext, ParsedMessage } from './inbound';
import * as out from './outbound';
import { callInviteElement, callInviteText, callMeetingOf } from './calls';
import { queryArchive, isArchiveResult } from './mam';
import { discover } from './disco';
import { rosterItemToContact, rosterQuery, rosterSet, presenceOf, aggregate, ownPresence } from './roster';
import type { ResourcePresence } from './roster';
import { listBookmarks, addBookmark, removeBookmark } from './bookmarks';
import { joinRoom, leaveRoom, configureRoom, setAffiliations, getAffiliations, invite, roomLocalPart, roomName } from './muc';
import { requestSlot, putFile, download } from './upload';

type Phase = 'idle' | 'connecting' | 'connected' | 'closing';

interface Occupant {
  readonly nick: string;
  readonly realJid: string | undefined;
  readonly role: string;
  readonly affiliation: string;
  readonly presence: PresenceState;
}
interface RoomState {
  nick: string;
  title: string;
  joined: boolean;
  readonly occupants: Map<string, Occupant>;
}

const CONNECT_TIMEOUT_MS = 30_000;
const ACK_TIMEOUT_MS = 30_000;
const CATCH_UP_PAGE = 50;
const CATCH_UP_MAX_PAGES = 40;
/** Outgoing bodies beyond this would exceed common server stanza limits (Prosody: 256 KiB). */
const MAX_OUTGOING_TEXT = 200_000;
const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;
const SELF_ARCHIVE_KEY = 'self';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new AppError('timeout', `${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class XmppAdapter implements ProtocolAdapter {
  readonly protocol = 'xmpp' as const;
  private readonly hub = new EventHub();
  private session: XmppSession | null = null;
  private phase: Phase = 'idle';
  private caps: Capabilities = NO_CAPABILITIES;
  private ownBare = '';
  private uploadService: string | null = null;
  private mucService: string | null = null;
  private bookmarks2 = false;
  private readonly roomStates = new Map<string, RoomState>();
  private readonly contactsByJid = new Map<string, ContactInfo>();
  private readonly presences = new Map<string, Map<string, ResourcePresence>>();
  private readonly pendingIn = new Set<string>();
  private readonly directs = new Set<string>();
  /** Message ids already emitted: offline delivery, carbons and catch-up overlap by design. */
  private readonly seen = new BoundedSet<string>(20_000);
  private readonly sentOrigins = new BoundedSet<string>(5_000);
  /** `${conversation}\n${any native id}` → MessageInfo.id, to resolve edits/reactions/receipts. */
  private readonly refIndex = new BoundedMap<string, string>(50_000);
  /** MessageInfo.id → room stanza-id (reactions/retractions in rooms reference it). */
  private readonly roomStanzaIds = new BoundedMap<string, string>(20_000);
  private sync: Record<string, string> = {};
  private readonly dropHandlers = new Set<(e: AppError) => void>();

  constructor(
    private readonly config: AccountConfig,
    private readonly ctx: AdapterContext,
  ) {}

  // ---------------------------------------------------------------- lifecycle

  async connect(opts: ConnectOptions): Promise<ConnectResult> {
    if (this.phase === 'connecting' || this.phase === 'connected') throw new AppError('conflict', 'already connected');
    if (opts.credentials.kind !== 'password') throw new AppError('auth', 'XMPP needs a password');
    const me = parseJid(this.config.address);
    if (!me || !me.local) throw new AppError('invalid_input', `not an XMPP address: ${this.config.address}`);
    this.hub.unmute();
    this.phase = 'connecting';
    this.sync = { ...opts.syncState };
    this.emit({ type: 'connection', state: 'connecting' });

    const session = createSession({
      service: this.config.serviceUrl ?? `xmpp://${me.domain}:5222`,
      domain: me.domain,
      username: me.local,
      password: opts.credentials.password,
      resource: `samverka-${Math.random().toString(36).slice(2, 10)}`,
      allowPlaintext: this.config.allowPlaintext === true,
      trustedCaPem: this.config.trustedCaPem ?? [],
      onAuthMechanism: (m, secure) => this.ctx.log.debug('xmpp auth', { mechanism: m, secure }),
    });
    this.session = session;
    this.attach(session);

    const abort = (): void => {
      void session.entity.disconnect().catch(() => undefined);
    };
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (opts.signal?.aborted) throw new AppError('network', 'connect aborted');
      const started = performance.now();
      const smDone = this.watchStreamManagement(session);
      await withTimeout(session.entity.start(), CONNECT_TIMEOUT_MS, 'login');
      // 'online' fires at resource binding, before XEP-0198 is enabled: wait for that outcome so
      // capabilities and send acknowledgements know whether SM is on.
      await withTimeout(smDone(), 10_000, 'stream management');
      this.ctx.log.info('xmpp online', { ms: Math.round(performance.now() - started) });
      const bare = parseJid(session.entity.jid?.toString())?.bare;
      if (!bare) throw new AppError('server', 'server bound an invalid JID');
      this.ownBare = bare;
      await this.afterLogin(session);
      if (this.session !== session) throw new AppError('network', 'connection lost during setup');
      this.phase = 'connected';
      return { selfId: this.ownBare, selfName: me.local };
    } catch (e) {
      const err = opts.signal?.aborted ? new AppError('network', 'connect aborted') : toAppError(this.lastError ?? e, 'connect');
      await this.teardown();
      this.phase = 'idle';
      this.emit({ type: 'connection', state: 'disconnected', error: err.toDto() });
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', abort);
      this.lastError = null;
    }
  }

  private lastError: unknown = null;

  private watchStreamManagement(session: XmppSession): () => Promise<void> {
    let offered = false;
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((r) => (settle = r));
    const onNonza = (el: Element): void => {
      if (el.is('features', 'http://etherx.jabber.org/streams') && child(el, 'sm', NS.sm)) offered = true;
      if (el.is('enabled', NS.sm) || el.is('failed', NS.sm)) settle();
    };
    session.entity.on('nonza', onNonza as (...args: never[]) => void);
    return async () => {
      try {
        if (offered) await settled;
        // The library marks SM enabled one microtask after <enabled/>; let it.
        await new Promise((r) => setImmediate(r));
      } finally {
        session.entity.removeListener('nonza', onNonza as (...args: never[]) => void);
      }
    };
  }

  private attach(session: XmppSession): void {
    const { entity } = session;
    entity.on('error', ((e: unknown) => {
      // Stream errors (e.g. system-shutdown) come here just before the socket closes.
      this.lastError ??= e;
      this.ctx.log.debug('xmpp error', { error: String(e) });
    }) as (...args: never[]) => void);
    entity.on('stanza', ((s: Element) => {
      if (this.session !== session) return;
      try {
        this.onStanza(s);
      } catch (e) {
        this.emit({ type: 'malformed', detail: `stanza handling failed: ${String(e).slice(0, 200)}` });
      }
    }) as (...args: never[]) => void);
    entity.on('disconnect', (() => {
      if (this.session !== session) return;
      this.onDropped(session);
    }) as (...args: never[]) => void);
    session.iqCallee.set(NS.roster, 'query', (c) => this.onRosterPush(c.stanza, c.element));
    session.iqCallee.get(NS.ping, 'ping', () => true);
    session.iqCallee.get(NS.discoInfo, 'query', () =>
      xml(
        'query',
        { xmlns: NS.discoInfo },
        xml('identity', { category: 'client', type: 'pc', name: 'Samverka' }),
        ...[NS.discoInfo, NS.ping, NS.receipts, NS.markers, NS.chatStates, NS.correction, NS.retract1, NS.reactions, NS.oob, NS.reply].map((v) =>
          xml('feature', { var: v }),
        ),
      ),
    );
  }

  private async afterLogin(session: XmppSession): Promise<void> {
    const iq = session.iqCaller;
    const [disc] = await Promise.all([
      discover(session, this.ownBare, parseJid(this.ownBare)!.domain, session.sm.enabled),
      this.loadRoster(session),
    ]);
    this.caps = disc.capabilities;
    this.uploadService = disc.uploadService;
    this.mucService = disc.mucService;
    this.bookmarks2 = disc.bookmarks2;
    if (this.caps.carbons) {
      try {
        await iq.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: NS.carbons })), 10_000);
      } catch (e) {
        this.ctx.log.warn('carbons enable failed', { error: String(e) });
        this.caps = { ...this.caps, carbons: false };
      }
    }
    this.emit({ type: 'capabilities', capabilities: this.caps });
    this.emit({ type: 'connection', state: 'connected' });

    // Catch up on the personal archive before going available, so the offline-storage flood
    // that follows initial presence is recognised as already seen.
    if (this.caps.history) await this.catchUp(session, this.ownBare);
    await session.entity.send(xml('presence'));

    const bookmarks = await listBookmarks(session, this.bookmarks2);
    for (const b of bookmarks) {
      if (!b.autojoin) continue;
      try {
        await this.joinAndTrack(session, b.room, b.nick ?? jidLabel(this.ownBare), b.name);
        await this.catchUp(session, b.room);
      } catch (e) {
        this.ctx.log.warn('autojoin failed', { room: b.room, error: String(e) });
      }
    }
  }

  private onDropped(session: XmppSession): void {
    const wasConnected = this.phase === 'connected';
    const err = this.lastError
      ? toAppError(this.lastError, 'connection lost')
      : new AppError('network', 'connection lost');
    // A dropped stream is retried by the core, so anything here is non-fatal unless auth changed.
    const dto = err.fatal ? err.toDto() : { ...err.toDto(), kind: err.kind === 'unknown' ? 'network' as const : err.kind };
    this.session = null;
    for (const h of [...this.dropHandlers]) h(new AppError('network', 'connection lost before the server acknowledged'));
    for (const r of this.roomStates.values()) {
      r.joined = false;
      r.occupants.clear();
    }
    this.presences.clear();
    session.entity.removeAllListeners('stanza');
    if (wasConnected) {
      this.phase = 'idle';
      this.lastError = null;
      this.emit({ type: 'connection', state: 'disconnected', error: dto });
    }
  }

  private async teardown(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (!session) return;
    for (const h of [...this.dropHandlers]) h(new AppError('network', 'disconnected'));
    session.entity.removeAllListeners('stanza');
    session.entity.removeAllListeners('disconnect');
    try {
      await withTimeout(session.entity.stop(), 3_000, 'stop');
    } catch {
      const sock = session.entity.socket as { destroy?: () => void; socket?: { destroy?: () => void } } | null;
      sock?.socket?.destroy?.();
      sock?.destroy?.();
    }
    for (const r of this.roomStates.values()) {
      r.joined = false;
      r.occupants.clear();
    }
    this.presences.clear();
  }

  async disconnect(): Promise<void> {
    if (this.phase === 'idle' && !this.session) return;
    this.phase = 'closing';
    await this.teardown();
    this.phase = 'idle';
    this.emit({ type: 'connection', state: 'disconnected' });
    this.hub.mute();
  }

  async logout(): Promise<void> {
    await this.disconnect();
    this.sync = {};
    this.roomStates.clear();
    this.contactsByJid.clear();
    this.directs.clear();
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

  private requireSession(): XmppSession {
    if (!this.session || this.phase !== 'connected') throw new AppError('network', 'not connected');
    return this.session;
  }

  // ---------------------------------------------------------------- inbound

  private parseContext(): ParseContext {
    return {
      ownBare: this.ownBare,
      isRoom: (bare) => this.roomStates.get(bare)?.joined === true,
      ownNick: (room) => this.roomStates.get(room)?.nick,
      isOwnOrigin: (id) => this.sentOrigins.has(id),
      contactName: (bare) => this.contactsByJid.get(bare)?.name,
      occupantRealJid: (occ) => {
        const j = parseJid(occ);
        return j ? this.roomStates.get(j.bare)?.occupants.get(j.resource)?.realJid : undefined;
      },
      now: () => this.ctx.now(),
    };
  }

  private onStanza(s: Element): void {
    if (s.is('message')) {
      if (isArchiveResult(s)) return; // consumed by the MAM query that asked for it
      const env = unwrapLive(s, this.ownBare);
      if ('malformed' in env) {
        this.emit({ type: 'malformed', detail: env.malformed });
        return;
      }
      this.handleEnvelope(env, false);
      if (env.via === 'live') this.onPepEvent(s);
    } else if (s.is('presence')) {
      this.onPresence(s);
    }
  }

  /** Handle one message; returns the MessageInfo when it was (or would be) a new chat message. */
  private handleEnvelope(env: Envelope, fromHistory: boolean, emitMessage = true): MessageInfo | null {
    const parsed = parseMessage(env, this.parseContext());
    if (parsed === null) return null;
    if ('malformed' in parsed) {
      this.emit({ type: 'malformed', detail: parsed.malformed });
      return null;
    }
    if ('invite' in parsed) {
      this.emit({ type: 'room.invite', roomId: parsed.invite.roomId, from: parsed.invite.from, reason: parsed.invite.reason });
      return null;
    }
    const p = parsed;
    this.index(p);
    const live = !fromHistory && env.via !== 'archive';
    if (p.chatState && !p.own && live) {
      this.emit({ type: 'typing', conversationId: p.conversationId, senderId: p.senderId, typing: p.chatState === 'composing' });
    }
    if (p.retraction) {
      this.emit({ type: 'message.deleted', conversationId: p.conversationId, targetId: this.resolve(p.conversationId, p.retraction), senderId: p.senderId });
      return null;
    }
    if (p.correction) {
      this.emit({
        type: 'message.edited', conversationId: p.conversationId, targetId: this.resolve(p.conversationId, p.correction),
        text: p.body ?? '', ts: p.ts, senderId: p.senderId,
      });
      return null;
    }
    if (p.reactions) {
      this.emit({ type: 'reactions', conversationId: p.conversationId, targetId: this.resolve(p.conversationId, p.reactions.target), senderId: p.senderId, keys: p.reactions.keys });
      return null;
    }
    if (p.receipt) {
      this.emit({ type: 'receipt', conversationId: p.conversationId, targetId: this.resolve(p.conversationId, p.receipt.target), senderId: p.senderId, kind: p.receipt.kind });
      return null;
    }
    if (p.body === undefined && p.attachments.length === 0) return null;

    const info = this.toMessageInfo(p, fromHistory || env.via === 'archive', env.archive?.id);
    if (!p.isGroup && !this.directs.has(p.conversationId) && !this.contactsByJid.has(p.conversationId)) {
      this.directs.add(p.conversationId);
      this.emit({ type: 'conversation', conversation: this.directInfo(p.conversationId) });
    }
    if (live && !p.own && p.requestsReceipt && !p.isGroup && p.elementId && this.contactsByJid.has(p.conversationId)) {
      void this.session?.entity.send(out.receiptMessage(p.conversationId, p.elementId)).catch(() => undefined);
    }
    if (!emitMessage) return info;
    if (this.seen.has(info.id)) return null;
    this.seen.add(info.id);
    this.emit({ type: 'message', message: info });
    if (live && env.via === 'live' && p.stanzaId && !p.isGroup) this.advanceSync(SELF_ARCHIVE_KEY, p.stanzaId);
    if (live && p.isGroup && p.stanzaId) this.advanceSync(p.conversationId, p.stanzaId);
    return info;
  }

  private toMessageInfo(p: ParsedMessage, fromHistory: boolean, archiveId: string | undefined): MessageInfo {
    const refs: Record<string, string> = {};
    if (p.stanzaId) refs.stanzaId = p.stanzaId;
    if (p.originId) refs.originId = p.originId;
    if (p.elementId) refs.elementId = p.elementId;
    refs.senderKey = p.senderId;
    return {
      id: p.messageId,
      conversationId: p.conversationId,
      senderId: p.senderId,
      senderName: p.senderName,
      own: p.own,
      ts: p.ts,
      text: p.body ?? '',
      ...(p.own && p.originId ? { clientTxnId: p.originId } : {}),
      ...(p.replyTo ? { replyToId: this.resolve(p.conversationId, p.replyTo) } : {}),
      ...(p.attachments.length > 0 ? { attachments: p.attachments } : {}),
      ...(p.meeting ? { meeting: p.meeting } : {}),
      ...(p.mentionsMe ? { mentionsMe: true } : {}),
      ...(archiveId ? { cursor: archiveId } : {}),
      refs,
      ...(fromHistory ? { fromHistory: true } : {}),
    };
  }

  private index(p: ParsedMessage): void {
    if (p.body === undefined && p.attachments.length === 0) return;
    for (const ref of [p.originId, p.elementId, p.stanzaId]) if (ref) this.refIndex.set(`${p.conversationId}\n${ref}`, p.messageId);
    if (p.isGroup && p.stanzaId) this.roomStanzaIds.set(p.messageId, p.stanzaId);
  }

  /** Native reference → MessageInfo.id; unknown references are passed on as they are. */
  private resolve(conversationId: string, ref: string): string {
    return this.refIndex.get(`${conversationId}\n${ref}`) ?? ref;
  }

  private advanceSync(key: string, archiveId: string): void {
    this.sync = { ...this.sync, [key]: archiveId };
    this.emit({ type: 'sync', state: this.sync });
  }

  private onPepEvent(s: Element): void {
    // Bookmarks changed on another device: join newly bookmarked autojoin rooms.
    const items = child(child(s, 'event', NS.pubsubEvent), 'items');
    if (!items || attr(items, 'node') !== NS.bookmarks2) return;
    const from = parseJid(attr(s, 'from') ?? this.ownBare)?.bare;
    if (from !== this.ownBare || !this.session) return;
    const session = this.session;
    for (const item of children(items, 'item')) {
      const room = parseJid(attr(item, 'id'))?.bare;
      const conf = child(item, 'conference', NS.bookmarks2);
      if (!room || !conf || this.roomStates.get(room)?.joined || attr(conf, 'autojoin') !== 'true') continue;
      void this.joinAndTrack(session, room, jidLabel(this.ownBare), attr(conf, 'name') ?? '').catch(() => undefined);
    }
  }

  private onPresence(s: Element): void {
    const from = parseJid(attr(s, 'from'));
    if (!from) return;
    const type = attr(s, 'type');
    const room = this.roomStates.get(from.bare);
    if (room && child(s, 'x', NS.mucUser)) {
      this.onOccupantPresence(room, from.bare, from.resource, s);
      return;
    }
    if (type === 'subscribe') {
      if (this.pendingIn.has(from.bare)) return;
      this.pendingIn.add(from.bare);
      const c = this.contactsByJid.get(from.bare);
      if (c && c.subscription === 'none') this.setContact({ ...c, subscription: 'pending-in' });
      this.emit({ type: 'subscription.request', address: from.bare });
      return;
    }
    if (type === 'subscribed' || type === 'unsubscribe' || type === 'unsubscribed' || type === 'error' || type === 'probe') return;
    if (from.bare === this.ownBare) return; // our other devices
    const res = this.presences.get(from.bare) ?? new Map<string, ResourcePresence>();
    this.presences.set(from.bare, res);
    const pr = presenceOf(s);
    if (pr.state === 'offline') res.delete(from.resource);
    else res.set(from.resource, pr);
    const agg = aggregate(res.values());
    this.emit({ type: 'presence', userId: from.bare, state: agg.state, statusText: agg.status });
  }

  private onOccupantPresence(room: RoomState, roomJid: string, nick: string, s: Element): void {
    if (!nick) return;
    const item = child(child(s, 'x', NS.mucUser), 'item');
    if (attr(s, 'type') === 'unavailable') {
      room.occupants.delete(nick);
      return;
    }
    room.occupants.set(nick, {
      nick,
      realJid: parseJid(attr(item, 'jid'))?.bare,
      role: attr(item, 'role') ?? 'participant',
      affiliation: attr(item, 'affiliation') ?? 'none',
      presence: presenceOf(s).state,
    });
    void roomJid;
  }

  // ---------------------------------------------------------------- roster

  private async loadRoster(session: XmppSession): Promise<ContactInfo[]> {
    const res = await session.iqCaller.request(rosterQuery(), 15_000);
    const list: ContactInfo[] = [];
    for (const item of children(child(res, 'query', NS.roster), 'item')) {
      const c = rosterItemToContact(item, this.pendingIn);
      if (c && c !== 'remove') list.push(c);
    }
    this.contactsByJid.clear();
    for (const c of list) this.contactsByJid.set(c.address, c);
    return list;
  }

  private onRosterPush(stanza: Element, query: Element): boolean {
    // Only our own server may push roster changes (RFC 6121 §2.1.6).
    const from = attr(stanza, 'from');
    if (from !== undefined && parseJid(from)?.bare !== this.ownBare) {
      this.emit({ type: 'malformed', detail: 'roster push from a foreign entity' });
      return false;
    }
    for (const item of children(query, 'item')) {
      const c = rosterItemToContact(item, this.pendingIn);
      const jid = parseJid(attr(item, 'jid'))?.bare;
      if (c === 'remove' && jid) {
        this.contactsByJid.delete(jid);
        this.emit({ type: 'contact.removed', address: jid });
      } else if (c && c !== 'remove') {
        if (c.subscription === 'both' || c.subscription === 'from') this.pendingIn.delete(c.address);
        this.setContact(c);
      }
    }
    return true;
  }

  private setContact(c: ContactInfo): void {
    this.contactsByJid.set(c.address, c);
    this.emit({ type: 'contact', contact: c });
  }

  private directInfo(bare: string): ConversationInfo {
    return { id: bare, kind: 'direct', title: this.contactsByJid.get(bare)?.name ?? jidLabel(bare), isPrivate: true };
  }

  // ---------------------------------------------------------------- sending

  /**
   * Send and resolve once the server has the stanza: the XEP-0198 ack for exactly this stanza when
   * stream management is on, otherwise a ping round-trip (the server handles stanzas in order).
   */
  private async sendConfirmed(stanza: Element): Promise<void> {
    const session = this.requireSession();
    const { sm, entity } = session;
    let onAck: ((s: Element) => void) | null = null;
    let onFail: ((s: Element) => void) | null = null;
    let onDrop: ((e: AppError) => void) | null = null;
    const confirmed = new Promise<void>((resolve, reject) => {
      onDrop = (e) => reject(e);
      this.dropHandlers.add(onDrop);
      if (sm.enabled) {
        onAck = (s) => {
          if (s === stanza) resolve();
        };
        onFail = (s) => {
          if (s === stanza) reject(new AppError('network', 'stanza not acknowledged before the stream ended'));
        };
        sm.on('ack', onAck);
        sm.on('fail', onFail);
      }
    });
    confirmed.catch(() => undefined);
    try {
      await entity.send(stanza);
      if (sm.enabled) {
        // Ask for the ack now instead of waiting for the library's debounce.
        await entity.send(xml('r', { xmlns: NS.sm }));
      } else {
        const domain = parseJid(this.ownBare)!.domain;
        await Promise.race([session.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: NS.ping })), ACK_TIMEOUT_MS), confirmed]);
        return;
      }
      await withTimeout(confirmed, ACK_TIMEOUT_MS, 'server acknowledgement');
    } catch (e) {
      throw toAppError(e, 'send');
    } finally {
      if (onAck) sm.removeListener('ack', onAck);
      if (onFail) sm.removeListener('fail', onFail);
      if (onDrop) this.dropHandlers.delete(onDrop);
    }
  }

  private conversationType(conversationId: string): out.MsgType {
    return this.roomStates.has(conversationId) ? 'groupchat' : 'chat';
  }

  private checkConversation(conversationId: string): void {
    const j = parseJid(conversationId);
    if (!j || j.resource) throw new AppError('invalid_input', `not a conversation: ${conversationId}`);
    if (this.roomStates.has(conversationId) && !this.roomStates.get(conversationId)!.joined) throw new AppError('forbidden', 'not joined to this room');
  }

  async send(conversationId: string, msg: OutgoingMessage): Promise<SendAck> {
    this.checkConversation(conversationId);
    if (msg.text.length > MAX_OUTGOING_TEXT) throw new AppError('invalid_input', 'message too long');
    const id = msg.clientTxnId;
    const type = this.conversationType(conversationId);
    const url = msg.attachment?.url;
    const text = msg.text.length > 0 ? msg.text : (url ?? '');
    let replyTo: { id: string; to: string } | undefined;
    if (msg.replyTo) {
      const r = msg.replyTo.refs;
      const rid = type === 'groupchat' ? (r.stanzaId ?? this.roomStanzaIds.get(msg.replyTo.id)) : (r.elementId ?? r.originId);
      if (rid) replyTo = { id: rid, to: msg.replyTo.senderId };
    }
    const stanza = out.chatMessage({ to: conversationId, type, id, text, ...(url ? { oobUrl: url } : {}), ...(replyTo ? { replyTo } : {}) });
    await this.sendOwnMessage(conversationId, type, id, stanza);
    return { clientTxnId: id, messageId: id, refs: { originId: id, elementId: id }, ts: this.ctx.now() };
  }

  /** Our own 1:1 invitation as a message: 1:1 has no echo, and the archive copy is marked seen. */
  private emitOwnInvite(conversationId: string, id: string, stanza: Element): void {
    const meeting = callMeetingOf(stanza);
    this.emit({
      type: 'message',
      message: {
        id, conversationId, senderId: this.ownBare, senderName: jidLabel(this.ownBare), own: true, ts: this.ctx.now(),
        text: stanza.getChildText('body') ?? '', ...(meeting ? { meeting } : {}),
        refs: { originId: id, elementId: id, senderKey: this.ownBare },
      },
    });
  }

  /** Remember our own message's id (MUC reflection, archive copy) and send it confirmed. */
  private async sendOwnMessage(conversationId: string, type: out.MsgType, id: string, stanza: Element): Promise<void> {
    this.sentOrigins.add(id);
    this.refIndex.set(`${conversationId}\n${id}`, id);
    if (type === 'chat') {
      this.seen.add(id); // no echo in 1:1; the archive copy must not come back as new
      if (!this.directs.has(conversationId)) this.directs.add(conversationId);
    }
    await this.sendConfirmed(stanza);
  }

  private targetRef(conversationId: string, target: { id: string; refs: NativeRefs }, purpose: 'edit' | 'point'): string {
    if (purpose === 'edit') return target.refs.elementId ?? target.refs.originId ?? target.id;
    if (this.conversationType(conversationId) === 'groupchat') {
      const sid = target.refs.stanzaId ?? this.roomStanzaIds.get(target.id);
      if (!sid) throw new AppError('not_found', 'the room has not assigned an id to this message yet');
      return sid;
    }
    return target.refs.originId ?? target.refs.elementId ?? target.id;
  }

  private newId(): string {
    return globalThis.crypto.randomUUID();
  }

  // ---------------------------------------------------------------- history

  private isRoomConversation(conversationId: string): boolean {
    return this.roomStates.has(conversationId);
  }

  async getHistory(conversationId: string, req: HistoryRequest): Promise<HistoryPage> {
    this.checkConversation(conversationId);
    const session = this.requireSession();
    if (!this.caps.history && !this.isRoomConversation(conversationId)) throw new AppError('unsupported', 'the server keeps no archive');
    const isRoom = this.isRoomConversation(conversationId);
    const limit = Math.max(1, Math.min(100, Math.floor(req.limit)));
    let page;
    try {
      page = await queryArchive(session, {
        archive: isRoom ? conversationId : this.ownBare,
        ownBare: this.ownBare,
        ...(isRoom ? {} : { with: conversationId }),
        before: req.before ?? '',
        max: limit,
      });
    } catch (e) {
      throw toAppError(e, 'history');
    }
    for (const d of page.dropped) this.emit({ type: 'malformed', detail: d });
    const messages: MessageInfo[] = [];
    const ctx = this.parseContext();
    for (const env of page.results) {
      const p = parseMessage(env, ctx);
      if (!p || 'malformed' in p || 'invite' in p) continue;
      this.index(p);
      // Fold edits and retractions that target messages on this page.
      if (p.retraction) {
        const t = this.resolve(conversationId, p.retraction);
        const i = messages.findIndex((m) => m.id === t);
        if (i >= 0) messages.splice(i, 1);
        continue;
      }
      if (p.correction) {
        const t = this.resolve(conversationId, p.correction);
        const i = messages.findIndex((m) => m.id === t && m.senderId === p.senderId);
        if (i >= 0) messages[i] = { ...messages[i]!, text: p.body ?? '' };
        continue;
      }
      if (p.reactions || p.receipt || (p.body === undefined && p.attachments.length === 0)) continue;
      messages.push(this.toMessageInfo(p, true, env.archive?.id));
    }
    const olderCursor = page.complete || page.results.length === 0 ? null : (page.first ?? null);
    return { messages, olderCursor };
  }

  /** Page forward through an archive from the last id we saw, emitting what we missed. */
  private async catchUp(session: XmppSession, archive: string): Promise<void> {
    const key = archive === this.ownBare ? SELF_ARCHIVE_KEY : archive;
    let after = this.sync[key];
    const started = performance.now();
    try {
      if (after === undefined) {
        // First login: nothing to catch up on; remember where the archive ends now.
        const last = await queryArchive(session, { archive, ownBare: this.ownBare, before: '', max: 1 });
        if (last.last) this.advanceSync(key, last.last);
        else this.advanceSync(key, '');
        return;
      }
      let emitted = 0;
      for (let i = 0; i < CATCH_UP_MAX_PAGES; i++) {
        const page = await queryArchive(session, { archive, ownBare: this.ownBare, ...(after ? { after } : {}), max: CATCH_UP_PAGE });
        for (const d of page.dropped) this.emit({ type: 'malformed', detail: d });
        for (const env of page.results) if (this.handleEnvelope(env, true)) emitted++;
        if (page.last) {
          after = page.last;
          this.advanceSync(key, after);
        }
        if (page.complete || page.results.length === 0) break;
      }
      this.ctx.log.info('xmpp catch-up', { archive, emitted, ms: Math.round(performance.now() - started) });
    } catch (e) {
      // item-not-found: our cursor expired from the archive. Start afresh rather than fail login.
      this.ctx.log.warn('catch-up failed', { archive, error: String(e) });
      if ((e as { condition?: string }).condition === 'item-not-found') {
        const { [key]: _drop, ...rest } = this.sync;
        this.sync = rest;
        await this.catchUp(session, archive);
      }
    }
  }

  // ---------------------------------------------------------------- conversations & rooms

  async listConversations(): Promise<readonly ConversationInfo[]> {
    const list: ConversationInfo[] = [];
    for (const [id, r] of this.roomStates) if (r.joined) list.push({ id, kind: 'group', title: r.title || jidLabel(id), isPrivate: true });
    const directs = new Set([...this.contactsByJid.keys(), ...this.directs]);
    for (const d of directs) list.push(this.directInfo(d));
    return list;
  }

  private async joinAndTrack(session: XmppSession, room: string, nick: string, title: string): Promise<{ created: boolean }> {
    const existing = this.roomStates.get(room);
    if (existing?.joined) return { created: false };
    const state: RoomState = existing ?? { nick, title, joined: false, occupants: new Map() };
    state.nick = nick;
    if (title) state.title = title;
    // Track before joining so the occupant presences that precede our own are recorded.
    this.roomStates.set(room, state);
    try {
      const res = await joinRoom(session, room, nick);
      state.nick = res.nick;
      state.joined = true;
      // Joined by address (an invitation, a pasted link): ask the room for its name.
      if (!state.title && !res.created) state.title = await roomName(session, room);
      this.emit({ type: 'conversation', conversation: { id: room, kind: 'group', title: state.title || jidLabel(room), isPrivate: true } });
      return { created: res.created };
    } catch (e) {
      if (!existing) this.roomStates.delete(room);
      throw e;
    }
  }

  readonly meetings: MeetingFeature = {
    /** One message: the link in the body, XEP-0066 oob and an XEP-0482 invite (calls.ts); 1:1 and rooms alike. */
    invite: async (conversationId, call) => {
      this.checkConversation(conversationId);
      const type = this.conversationType(conversationId);
      const id = this.newId();
      const stanza = out.chatMessage({ to: conversationId, type, id, text: callInviteText(call), oobUrl: call.url, callInvite: callInviteElement(call) });
      await this.sendOwnMessage(conversationId, type, id, stanza);
      // A room reflects the message back; 1:1 has no echo, so our own history shows it from here.
      if (type === 'chat') this.emitOwnInvite(conversationId, id, stanza);
      return { joinUrl: call.url };
    },
  };

  readonly rooms: RoomFeature = {
    create: async ({ name, members }) => {
      const session = this.requireSession();
      if (!this.mucService) throw new AppError('unsupported', 'the server has no group chat service');
      const room = `${roomLocalPart(name)}@${this.mucService}`;
      const nick = jidLabel(this.ownBare);
      const { created } = await this.joinAndTrack(session, room, nick, name).catch((e: unknown) => {
        throw toAppError(e, 'create room');
      });
      if (!created) throw new AppError('conflict', 'room already exists');
      const valid = members.map((m) => parseJid(m)?.bare).filter((m): m is string => m !== undefined && m !== this.ownBare);
      try {
        await configureRoom(session, room, name);
        await setAffiliations(session, room, valid, 'member');
        for (const m of valid) await invite(session, room, m, name);
        await addBookmark(session, this.bookmarks2, { room, name, autojoin: true, nick }).catch((e: unknown) =>
          this.ctx.log.warn('bookmark failed', { error: String(e) }),
        );
      } catch (e) {
        throw toAppError(e, 'configure room');
      }
      await this.catchUp(session, room);
      return { id: room, kind: 'group', title: name, isPrivate: true };
    },
    join: async (address) => {
      const session = this.requireSession();
      const j = parseJid(address);
      if (!j || !j.local || j.resource) throw new AppError('invalid_input', `not a room address: ${address}`);
      const nick = jidLabel(this.ownBare);
      await this.joinAndTrack(session, j.bare, nick, '');
      await addBookmark(session, this.bookmarks2, { room: j.bare, name: this.roomStates.get(j.bare)?.title ?? '', autojoin: true, nick }).catch(() => undefined);
      await this.catchUp(session, j.bare);
      const r = this.roomStates.get(j.bare)!;
      return { id: j.bare, kind: 'group', title: r.title || jidLabel(j.bare), isPrivate: true };
    },
    leave: async (conversationId) => {
      const session = this.requireSession();
      const r = this.roomStates.get(conversationId);
      if (!r) throw new AppError('not_found', 'not in that room');
      await leaveRoom(session, conversationId, r.nick).catch(() => undefined);
      this.roomStates.delete(conversationId);
      const { [conversationId]: _drop, ...rest } = this.sync;
      this.sync = rest;
      this.emit({ type: 'sync', state: this.sync });
      await removeBookmark(session, this.bookmarks2, conversationId).catch(() => undefined);
      this.emit({ type: 'conversation.removed', conversationId });
    },
    members: async (conversationId) => {
      const session = this.requireSession();
      const r = this.roomStates.get(conversationId);
      if (!r) throw new AppError('not_found', 'not in that room');
      const byId = new Map<string, MemberInfo>();
      for (const o of r.occupants.values()) {
        const id = o.realJid ?? `${conversationId}/${o.nick}`;
        byId.set(id, { id, name: o.nick, role: o.affiliation !== 'none' ? o.affiliation : o.role, presence: o.presence });
      }
      // Absent members: the affiliation lists (only admins/owners may read them).
      for (const aff of ['owner', 'admin', 'member']) {
        const list = await getAffiliations(session, conversationId, aff).catch(() => []);
        for (const m of list) {
          if (!byId.has(m.jid)) byId.set(m.jid, { id: m.jid, name: m.nick || this.contactsByJid.get(m.jid)?.name || jidLabel(m.jid), role: aff, presence: 'offline' });
        }
      }
      return [...byId.values()];
    },
  };

  // ---------------------------------------------------------------- features

  readonly presence: PresenceFeature = {
    set: async (state, statusText) => {
      const session = this.requireSession();
      await session.entity.send(ownPresence(state, statusText));
      // Rooms need the new presence too, addressed to our occupant JID.
      for (const [room, r] of this.roomStates) {
        if (!r.joined) continue;
        const p = ownPresence(state, statusText);
        p.attrs.to = `${room}/${r.nick}`;
        await session.entity.send(p);
      }
    },
  };

  readonly contacts: ContactsFeature = {
    list: async () => this.loadRoster(this.requireSession()),
    add: async (address, name) => {
      const session = this.requireSession();
      const j = parseJid(address);
      if (!j || j.resource || !j.local) throw new AppError('invalid_input', `not an address: ${address}`);
      await session.iqCaller.request(rosterSet(j.bare, { ...(name ? { name } : {}) }), 15_000).catch((e: unknown) => {
        throw toAppError(e, 'add contact');
      });
      await session.entity.send(xml('presence', { to: j.bare, type: 'subscribe' }));
    },
    remove: async (address) => {
      const session = this.requireSession();
      const j = parseJid(address);
      if (!j) throw new AppError('invalid_input', `not an address: ${address}`);
      await session.iqCaller.request(rosterSet(j.bare, { remove: true }), 15_000).catch((e: unknown) => {
        throw toAppError(e, 'remove contact');
      });
    },
    respond: async (address, accept) => {
      const session = this.requireSession();
      const j = parseJid(address);
      if (!j) throw new AppError('invalid_input', `not an address: ${address}`);
      this.pendingIn.delete(j.bare);
      await session.entity.send(xml('presence', { to: j.bare, type: accept ? 'subscribed' : 'unsubscribed' }));
      const c = this.contactsByJid.get(j.bare);
      if (accept && c?.subscription !== 'to' && c?.subscription !== 'both') {
        // Mutual subscription is what users expect from "accept".
        await session.entity.send(xml('presence', { to: j.bare, type: 'subscribe' }));
      }
    },
  };

  readonly typing: TypingFeature = {
    set: async (conversationId, typing) => {
      this.checkConversation(conversationId);
      const session = this.requireSession();
      await session.entity.send(out.chatStateMessage(conversationId, this.conversationType(conversationId), typing ? 'composing' : 'paused'));
    },
  };

  readonly edits: EditFeature = {
    edit: async (conversationId, target, text, clientTxnId) => {
      this.checkConversation(conversationId);
      if (text.length > MAX_OUTGOING_TEXT) throw new AppError('invalid_input', 'message too long');
      this.sentOrigins.add(clientTxnId);
      await this.sendConfirmed(out.correctionMessage(conversationId, this.conversationType(conversationId), clientTxnId, this.targetRef(conversationId, target, 'edit'), text));
    },
  };

  readonly deletes: DeleteFeature = {
    delete: async (conversationId, target) => {
      this.checkConversation(conversationId);
      const id = this.newId();
      this.sentOrigins.add(id);
      await this.sendConfirmed(out.retractionMessage(conversationId, this.conversationType(conversationId), id, this.targetRef(conversationId, target, 'point')));
    },
  };

  readonly reactions: ReactionFeature = {
    set: async (conversationId, target, keys) => {
      this.checkConversation(conversationId);
      const clean = [...new Set(keys.map((k) => k.trim()).filter((k) => k.length > 0 && k.length <= 64))];
      const id = this.newId();
      this.sentOrigins.add(id);
      await this.sendConfirmed(out.reactionsMessage(conversationId, this.conversationType(conversationId), id, this.targetRef(conversationId, target, 'point'), clean));
    },
  };

  readonly receipts: ReceiptFeature = {
    markDisplayed: async (conversationId, target) => {
      this.checkConversation(conversationId);
      const session = this.requireSession();
      const type = this.conversationType(conversationId);
      const ref = type === 'groupchat' ? this.targetRef(conversationId, target, 'point') : (target.refs.elementId ?? target.refs.originId ?? target.id);
      await session.entity.send(out.displayedMessage(conversationId, type, ref));
    },
  };

  readonly files: FileFeature = {
    upload: async (_conversationId, file) => {
      const session = this.requireSession();
      if (!this.uploadService) throw new AppError('unsupported', 'the server has no upload service');
      const max = this.caps.maxUploadBytes;
      if (max !== null && file.data.byteLength > max) throw new AppError('invalid_input', `file larger than the server allows (${max} bytes)`);
      const name = sanitizeFileName(file.name);
      const mime = /^[\w.+-]+\/[\w.+-]+$/.test(file.mime) ? file.mime : 'application/octet-stream';
      const slot = await requestSlot(session, this.uploadService, { name, size: file.data.byteLength, mime }).catch((e: unknown) => {
        throw toAppError(e, 'upload slot');
      });
      await putFile(slot, file.data, mime);
      const att: AttachmentInfo = { id: 'upload', name, mime, size: file.data.byteLength, url: slot.getUrl };
      return att;
    },
    download: async (attachment) => {
      const { data, mime } = await download(attachment.url, MAX_DOWNLOAD_BYTES);
      return { name: sanitizeFileName(attachment.name), mime: attachment.mime || mime, data };
    },
  };

  readonly directory: DirectoryFeature = {
    search: async (term, limit) => searchRoster(this.contactsByJid.values(), term, limit),
  };

  readonly direct: DirectFeature = {
    open: async (address) => {
      const j = parseJid(address.trim());
      if (!j || !j.local || j.resource) throw new AppError('invalid_input', `not an XMPP address: ${address}`);
      if (this.roomStates.has(j.bare)) throw new AppError('invalid_input', 'that address is a group chat');
      this.directs.add(j.bare);
      return this.directInfo(j.bare);
    },
  };
}
