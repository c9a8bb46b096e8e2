// A scriptable in-memory ProtocolAdapter for tests of the core (and for the lead's renderer e2e).
// `FakeServer` is the server side: users, conversations, an archive, rosters and files. Tests
// drive it (inject messages, fail the next connect, drop acks or the connection) and inspect what
// the client did (`sent`, `calls`). Adapters made by `fakeAdapterFactory(server)` talk to it.
import { AppError } from '../../common/errors';
import type { Capabilities, PresenceState } from '../../common/model';
import type {
  AccountConfig,
  AdapterEvent,
  AdapterFactory,
  AdapterListener,
  AttachmentInfo,
  CallInvite,
  ConnectOptions,
  ConnectResult,
  ContactInfo,
  ConversationInfo,
  HistoryPage,
  HistoryRequest,
  MemberInfo,
  MessageInfo,
  NativeRefs,
  OutgoingMessage,
  ProtocolAdapter,
  SendAck,
  SyncState,
} from '../../protocols/contract';
import type { ProtocolId } from '../../common/ids';
import type { DirectoryEntry } from '../../protocols/contract';

export const FAKE_CAPABILITIES: Capabilities = {
  edit: true,
  delete: true,
  reactions: true,
  replies: true,
  typing: true,
  receipts: true,
  upload: true,
  maxUploadBytes: 10 * 1024 * 1024,
  history: true,
  createRoom: true,
  presence: true,
  contacts: true,
  carbons: true,
  streamManagement: false,
  meetingDomain: null,
};

export type FakeFeature = 'presence' | 'contacts' | 'typing' | 'edits' | 'deletes' | 'reactions' | 'receipts' | 'rooms' | 'files' | 'direct' | 'avatars' | 'meetings' | 'directory';

export interface FakeServerOptions {
  /** When our own message comes back as a live event: never, before the ack, or after it. */
  readonly echo?: 'none' | 'before-ack' | 'after-ack';
  /** Does the server recognise a replayed clientTxnId and answer with the first id (Matrix does)? */
  readonly dedupeTxn?: boolean;
  readonly capabilities?: Partial<Capabilities>;
  readonly without?: readonly FakeFeature[];
}

export interface SentRecord {
  readonly from: string;
  readonly conversationId: string;
  readonly message: OutgoingMessage;
  readonly messageId: string;
}

export class FakeServer {
  readonly users = new Map<string, string>();
  readonly conversations = new Map<string, ConversationInfo>();
  readonly archive = new Map<string, MessageInfo[]>();
  readonly rosters = new Map<string, ContactInfo[]>();
  readonly files = new Map<string, Uint8Array>();
  /** Pictures by locator (ConversationInfo.avatar / MemberInfo.avatar). */
  readonly pictures = new Map<string, { mime: string; data: Uint8Array }>();
  /** Join links issued on request (MeetingFeature.joinUrl), by message id. */
  readonly meetingLinks = new Map<string, string>();
  /** People the server's user directory knows (DirectoryFeature.search matches name and address). */
  readonly directory: DirectoryEntry[] = [];
  /** When set, every directory search fails with it (a broken server). */
  directoryError: AppError | null = null;
  /** While true, directory searches never answer (a server that hangs). */
  hangDirectory = false;
  /** Every send that reached the server, including replays. */
  readonly sent: SentRecord[] = [];
  /** Feature calls made by clients: method name and arguments. */
  readonly calls: { readonly method: string; readonly args: readonly unknown[] }[] = [];
  readonly adapters = new Set<FakeAdapter>();
  connectCount = 0;
  lastSyncState: SyncState | null = null;
  /** While true, connect() never answers (until aborted). */
  hangConnect = false;
  private readonly connectFailures: AppError[] = [];
  private readonly sendFailures: AppError[] = [];
  private ackDrops = 0;
  private readonly txnIds = new Map<string, string>();
  private seq = 0;

  constructor(readonly options: FakeServerOptions = {}) {}

  addUser(address: string, password: string, roster: readonly ContactInfo[] = []): this {
    this.users.set(address, password);
    this.rosters.set(address, [...roster]);
    return this;
  }

  addConversation(info: ConversationInfo): this {
    this.conversations.set(info.id, info);
    if (!this.archive.has(info.id)) this.archive.set(info.id, []);
    return this;
  }

  failNextConnect(error: AppError, times = 1): void {
    for (let i = 0; i < times; i++) this.connectFailures.push(error);
  }

  clearConnectFailures(): void {
    this.connectFailures.length = 0;
  }

  failNextSend(error: AppError, times = 1): void {
    for (let i = 0; i < times; i++) this.sendFailures.push(error);
  }

  /** The next `n` sends reach the server, but the connection drops before the ack arrives. */
  dropNextAcks(n = 1): void {
    this.ackDrops += n;
  }

  /** Drop every connected session (as a network failure unless told otherwise). */
  dropConnection(error: AppError = new AppError('network', 'Connection reset')): void {
    for (const a of this.connected()) a.drop(error);
  }

  connected(): FakeAdapter[] {
    return [...this.adapters].filter((a) => a.isConnected);
  }

  nextId(prefix = 'srv'): string {
    return `${prefix}-${++this.seq}`;
  }

  /** A message from someone else arrives: archived, then delivered live to connected clients. */
  inject(conversationId: string, m: Partial<MessageInfo> & { text: string }, opts: { to?: string; live?: boolean } = {}): MessageInfo {
    const id = m.id ?? this.nextId('in');
    const msg: MessageInfo = {
      id,
      conversationId,
      senderId: m.senderId ?? 'peer@example.test',
      senderName: m.senderName ?? 'Peer',
      own: m.own ?? false,
      ts: m.ts ?? Date.now(),
      text: m.text,
      refs: m.refs ?? { stanzaId: id },
      cursor: m.cursor ?? id,
      ...(m.clientTxnId !== undefined ? { clientTxnId: m.clientTxnId } : {}),
      ...(m.replyToId !== undefined ? { replyToId: m.replyToId } : {}),
      ...(m.attachments !== undefined ? { attachments: m.attachments } : {}),
      ...(m.mentionsMe !== undefined ? { mentionsMe: m.mentionsMe } : {}),
      ...(m.rich !== undefined ? { rich: m.rich } : {}),
      ...(m.meeting !== undefined ? { meeting: m.meeting } : {}),
    };
    if (!this.conversations.has(conversationId)) this.addConversation({ id: conversationId, kind: 'direct', title: msg.senderName, isPrivate: false });
    this.archive.get(conversationId)!.push(msg);
    if (opts.live !== false) this.emit({ type: 'message', message: msg }, opts.to);
    return msg;
  }

  /** Deliver a raw event (possibly garbage) to connected clients. */
  emit(event: AdapterEvent, to?: string): void {
    for (const a of this.connected()) if (to === undefined || a.address === to) a.deliver(event);
  }

  /** Deliver something that is not an event at all. */
  emitGarbage(garbage: unknown, to?: string): void {
    this.emit(garbage as AdapterEvent, to);
  }

  // ── used by FakeAdapter ──
  takeConnectFailure(): AppError | undefined {
    return this.connectFailures.shift();
  }
  takeSendFailure(): AppError | undefined {
    return this.sendFailures.shift();
  }
  takeAckDrop(): boolean {
    if (this.ackDrops === 0) return false;
    this.ackDrops--;
    return true;
  }
  receive(from: string, conversationId: string, message: OutgoingMessage, ts: number): { id: string; replay: boolean } {
    const known = this.options.dedupeTxn !== false ? this.txnIds.get(message.clientTxnId) : undefined;
    const id = known ?? this.nextId();
    this.txnIds.set(message.clientTxnId, id);
    this.sent.push({ from, conversationId, message, messageId: id });
    if (!known) {
      if (!this.conversations.has(conversationId)) this.addConversation({ id: conversationId, kind: 'direct', title: conversationId, isPrivate: false });
      this.archive.get(conversationId)!.push({
        id, conversationId, senderId: from, senderName: from, own: true, ts, text: message.text,
        clientTxnId: message.clientTxnId, refs: { stanzaId: id }, cursor: id,
        ...(message.attachment ? { attachments: [message.attachment] } : {}),
        ...(message.replyTo ? { replyToId: message.replyTo.id } : {}),
      });
    }
    return { id, replay: known !== undefined };
  }
  record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }
  callsTo(method: string): (readonly unknown[])[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }
}

export class FakeAdapter implements ProtocolAdapter {
  readonly protocol: ProtocolId;
  readonly address: string;
  isConnected = false;
  private readonly listeners = new Set<AdapterListener>();
  private pendingConnect: { reject: (e: unknown) => void } | null = null;

  readonly presence?: ProtocolAdapter['presence'];
  readonly contacts?: ProtocolAdapter['contacts'];
  readonly typing?: ProtocolAdapter['typing'];
  readonly edits?: ProtocolAdapter['edits'];
  readonly deletes?: ProtocolAdapter['deletes'];
  readonly reactions?: ProtocolAdapter['reactions'];
  readonly receipts?: ProtocolAdapter['receipts'];
  readonly rooms?: ProtocolAdapter['rooms'];
  readonly files?: ProtocolAdapter['files'];
  readonly direct?: ProtocolAdapter['direct'];
  readonly avatars?: ProtocolAdapter['avatars'];
  readonly meetings?: ProtocolAdapter['meetings'];
  readonly directory?: ProtocolAdapter['directory'];

  constructor(
    private readonly server: FakeServer,
    config: AccountConfig,
    private readonly now: () => number,
    protocol: ProtocolId = 'xmpp',
  ) {
    this.protocol = protocol;
    this.address = config.address;
    server.adapters.add(this);
    const off = new Set(server.options.without ?? []);
    const s = server;
    const online = (): void => {
      if (!this.isConnected) throw new AppError('network', 'Not connected');
    };
    if (!off.has('presence')) this.presence = { set: async (state: PresenceState, text: string) => (online(), s.record('presence.set', state, text)) };
    if (!off.has('contacts')) {
      this.contacts = {
        list: async () => (online(), [...(s.rosters.get(this.address) ?? [])]),
        add: async (address: string, name?: string) => (online(), s.record('contacts.add', address, name)),
        remove: async (address: string) => (online(), s.record('contacts.remove', address)),
        respond: async (address: string, accept: boolean) => (online(), s.record('contacts.respond', address, accept)),
      };
    }
    if (!off.has('typing')) this.typing = { set: async (c: string, t: boolean) => (online(), s.record('typing.set', c, t)) };
    if (!off.has('edits')) {
      this.edits = {
        edit: async (c: string, target: { id: string; refs: NativeRefs }, text: string, txn: string) => (online(), s.record('edits.edit', c, target, text, txn)),
      };
    }
    if (!off.has('deletes')) this.deletes = { delete: async (c: string, target: { id: string; refs: NativeRefs }) => (online(), s.record('deletes.delete', c, target)) };
    if (!off.has('reactions')) {
      this.reactions = { set: async (c: string, target: { id: string; refs: NativeRefs }, keys: readonly string[]) => (online(), s.record('reactions.set', c, target, [...keys])) };
    }
    if (!off.has('receipts')) {
      this.receipts = {
        markDisplayed: async (c: string, target: { id: string; refs: NativeRefs; senderId: string }) => (online(), s.record('receipts.markDisplayed', c, target)),
      };
    }
    if (!off.has('rooms')) {
      this.rooms = {
        create: async ({ name, members }) => {
          online();
          const info: ConversationInfo = { id: `${name.toLowerCase().replace(/\W+/g, '-')}@rooms.example.test`, kind: 'group', title: name, isPrivate: true };
          s.addConversation(info);
          s.record('rooms.create', name, members);
          return info;
        },
        join: async (address: string) => {
          online();
          const info = s.conversations.get(address) ?? { id: address, kind: 'group' as const, title: address.split('@')[0] ?? address, isPrivate: false };
          s.addConversation(info);
          return info;
        },
        leave: async (c: string) => (online(), s.record('rooms.leave', c)),
        members: async (c: string): Promise<readonly MemberInfo[]> => (
          online(), [{ id: this.address, name: this.address, role: 'owner', presence: 'available' }, { id: `${c}/peer`, name: 'Peer', role: 'member', presence: 'away' }]
        ),
      };
    }
    if (!off.has('files')) {
      this.files = {
        upload: async (_c: string, file: { name: string; mime: string; data: Uint8Array }): Promise<AttachmentInfo> => {
          online();
          const url = `https://files.example.test/${s.nextId('file')}/${encodeURIComponent(file.name)}`;
          s.files.set(url, new Uint8Array(file.data));
          return { id: 'a1', name: file.name, mime: file.mime, size: file.data.byteLength, url };
        },
        download: async (a: AttachmentInfo) => {
          online();
          const data = s.files.get(a.url);
          if (!data) throw new AppError('not_found', 'No such file');
          return { name: a.name, mime: a.mime, data };
        },
      };
    }
    if (!off.has('avatars')) {
      this.avatars = {
        fetch: async (locator: string, size: number) => {
          online();
          s.record('avatars.fetch', locator, size);
          const pic = s.pictures.get(locator);
          if (!pic) throw new AppError('not_found', 'No such picture');
          return pic;
        },
      };
    }
    if (!off.has('meetings')) {
      this.meetings = {
        joinUrl: async (c: string, m: { id: string; refs: NativeRefs }) => {
          online();
          s.record('meetings.joinUrl', c, m.id);
          const url = s.meetingLinks.get(m.id);
          if (url === undefined) throw new AppError('not_found', 'No such call');
          return url;
        },
        invite: async (c: string, call: CallInvite) => {
          online();
          s.record('meetings.invite', c, call);
          return { joinUrl: call.url };
        },
      };
    }
    if (!off.has('directory')) {
      this.directory = {
        search: async (term: string, limit: number) => {
          online();
          s.record('directory.search', term, limit);
          if (s.hangDirectory) return new Promise<never>(() => undefined);
          if (s.directoryError) throw s.directoryError;
          const t = term.trim().toLowerCase();
          return s.directory.filter((e) => e.name.toLowerCase().includes(t) || e.address.toLowerCase().includes(t)).slice(0, limit);
        },
      };
    }
    if (!off.has('direct')) {
      this.direct = {
        open: async (address: string) => {
          online();
          const info = s.conversations.get(address) ?? { id: address, kind: 'direct' as const, title: address, isPrivate: false };
          s.addConversation(info);
          return info;
        },
      };
    }
  }

  async connect(opts: ConnectOptions): Promise<ConnectResult> {
    const s = this.server;
    s.connectCount++;
    s.lastSyncState = opts.syncState;
    await Promise.resolve();
    if (s.hangConnect) {
      await new Promise<never>((_resolve, reject) => {
        this.pendingConnect = { reject };
        opts.signal?.addEventListener('abort', () => reject(new AppError('network', 'Connect aborted')));
      });
    }
    const failure = s.takeConnectFailure();
    if (failure) throw failure;
    const password = s.users.get(this.address);
    if (password === undefined || opts.credentials.kind !== 'password' || opts.credentials.password !== password) {
      throw new AppError('auth', 'Not authorized');
    }
    this.isConnected = true;
    this.deliver({ type: 'connection', state: 'connected' });
    this.deliver({ type: 'capabilities', capabilities: this.capabilities() });
    return { selfId: this.address, selfName: this.address.split('@')[0] ?? this.address };
  }

  async disconnect(): Promise<void> {
    this.isConnected = false;
    this.pendingConnect?.reject(new AppError('network', 'Disconnected'));
    this.pendingConnect = null;
  }

  async logout(): Promise<void> {
    await this.disconnect();
  }

  onEvent(listener: AdapterListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  capabilities(): Capabilities {
    return { ...FAKE_CAPABILITIES, ...this.server.options.capabilities };
  }

  async listConversations(): Promise<readonly ConversationInfo[]> {
    if (!this.isConnected) throw new AppError('network', 'Not connected');
    return [...this.server.conversations.values()];
  }

  async getHistory(conversationId: string, req: HistoryRequest): Promise<HistoryPage> {
    if (!this.isConnected) throw new AppError('network', 'Not connected');
    const all = this.server.archive.get(conversationId) ?? [];
    const end = req.before === undefined ? all.length : all.findIndex((m) => m.id === req.before);
    const stop = end < 0 ? all.length : end;
    const start = Math.max(0, stop - req.limit);
    return { messages: all.slice(start, stop), olderCursor: start > 0 ? all[start]!.id : null };
  }

  async send(conversationId: string, msg: OutgoingMessage): Promise<SendAck> {
    if (!this.isConnected) throw new AppError('network', 'Not connected');
    await Promise.resolve();
    const failure = this.server.takeSendFailure();
    if (failure) throw failure;
    const ts = this.now();
    const { id } = this.server.receive(this.address, conversationId, msg, ts);
    const echo: AdapterEvent = {
      type: 'message',
      message: { id, conversationId, senderId: this.address, senderName: this.address, own: true, ts, text: msg.text, clientTxnId: msg.clientTxnId, refs: { stanzaId: id }, cursor: id },
    };
    if (this.server.takeAckDrop()) {
      this.drop(new AppError('network', 'Connection lost before the server acknowledged'));
      throw new AppError('network', 'Connection lost before the server acknowledged');
    }
    const mode = this.server.options.echo ?? 'after-ack';
    if (mode === 'before-ack') this.deliver(echo);
    if (mode === 'after-ack') queueMicrotask(() => this.isConnected && this.deliver(echo));
    return { clientTxnId: msg.clientTxnId, messageId: id, refs: { stanzaId: id }, ts };
  }

  /** Server side: the session ends. */
  drop(error: AppError): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.deliver({ type: 'connection', state: 'disconnected', error: error.toDto() });
  }

  deliver(event: AdapterEvent): void {
    for (const l of [...this.listeners]) l(event);
  }
}

export function fakeAdapterFactory(server: FakeServer, protocol: ProtocolId = 'xmpp'): AdapterFactory {
  return (config, ctx) => new FakeAdapter(server, config, () => ctx.now(), protocol);
}
