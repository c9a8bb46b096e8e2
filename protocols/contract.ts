// The one interface every protocol adapter implements. Adapters translate between a protocol and
// these plain shapes; they do not decide. Reconnect policy, deduplication, unread counting, the
// outbox and merging across accounts belong to the core (main/core), written once.
//
// All ids here are the protocol's own (a JID, a Matrix room id, a Mattermost channel id). The core
// turns them into globally unique ids. Every method may reject with an AppError (common/errors).
import type { AppErrorDto } from '../common/errors';
import type { Capabilities, ContactSubscription, ConversationKind, PresenceState } from '../common/model';
import type { ProtocolId } from '../common/ids';
import type { RichNode } from '../common/rich-text';

export interface AdapterLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

export interface AccountConfig {
  /** The user's address, e.g. anna@agency.se (XMPP) or @anna:agency.se (Matrix). */
  readonly address: string;
  /** Explicit endpoint (xmpp://host:port, wss://…, https://…); otherwise derived from the address. */
  readonly serviceUrl?: string;
  /** Allow authentication without TLS. The core only sets it for loopback endpoints. */
  readonly allowPlaintext?: boolean;
  /** Extra certificate authorities (PEM) the organisation trusts. */
  readonly trustedCaPem?: readonly string[];
}

export type Credentials =
  /** `otp`: a second-factor code (TOTP or e-mail code) when the server asked for one (`second_factor`). */
  | { readonly kind: 'password'; readonly password: string; readonly otp?: string }
  | { readonly kind: 'token'; readonly token: string }
  /**
   * A one-time token from a browser sign-in (SSO, see SsoFeature): Matrix `loginToken`, Mattermost
   * `MMAUTHTOKEN`, Rocket.Chat the {credentialToken, credentialSecret} of its final page. connect()
   * trades it for a session and returns that as `renewedCredentials`; it is never stored.
   */
  | { readonly kind: 'sso-token'; readonly token: string };

/**
 * A private per-account directory and a 32-byte key for state the adapter must keep across
 * restarts and that the core does not understand (e.g. Matrix end-to-end encryption keys). The
 * adapter writes only inside `dir` and only encrypted under `key`. The key is fetched when needed
 * (at connect) because it lives in the async SecretStore while adapters are created synchronously.
 */
export interface AdapterStorage {
  readonly dir: string;
  key(): Promise<Uint8Array>;
}

export interface AdapterContext {
  readonly log: AdapterLogger;
  now(): number;
  /** Absent: the adapter keeps such state in memory only (and says so, e.g. EncryptionStatus.persistent). */
  readonly storage?: AdapterStorage;
}

/** Opaque per-account sync state the adapter asks the core to persist (e.g. last archive ids). */
export type SyncState = Readonly<Record<string, string>>;

export interface ConnectOptions {
  readonly credentials: Credentials;
  /** What the adapter last emitted as `sync`, to catch up from where it stopped. */
  readonly syncState: SyncState;
  readonly signal?: AbortSignal;
}

export interface ConnectResult {
  /** The account's own id on the server, e.g. the bare JID. */
  readonly selfId: string;
  readonly selfName: string;
  /**
   * The account's address as users write it, when selfId is an internal id (Mattermost and
   * Rocket.Chat user ids): `username@host`. Names an account that signed in through SSO.
   */
  readonly address?: string;
  /** Credentials to keep instead of the password, when the protocol issues a token. */
  readonly renewedCredentials?: Credentials;
}

export interface ConversationInfo {
  readonly id: string;
  readonly kind: ConversationKind;
  readonly title: string;
  readonly isPrivate: boolean;
  /** Epoch ms of the last known activity, if the server says. */
  readonly lastActivityAt?: number;
  /** End-to-end encrypted (Matrix m.room.encryption). Absent = not known / not encrypted. */
  readonly encrypted?: boolean;
  /** Locator of the conversation's picture for `avatars.fetch` (Matrix: an mxc:// URI). */
  readonly avatar?: string;
  /**
   * Direct chats whose id is not the other person's address (Matrix room ids, Mattermost and
   * Rocket.Chat channel ids): that address as users write it (@anna:agency.se, anna@chat.agency.se).
   * It names the person in the one contact list and carries their presence.
   */
  readonly peer?: string;
}

/** The protocol's references to one message, kept by the core and handed back for edits etc. */
export type NativeRefs = Readonly<Record<string, string>>;

export interface AttachmentInfo {
  /** Stable within the message; the core passes it back to `files.download`. */
  readonly id: string;
  readonly name: string;
  readonly mime: string;
  readonly size: number | null;
  /** Protocol-level locator (an HTTP URL for XMPP, an mxc:// URI for Matrix). Never shown as HTML. */
  readonly url: string;
}

/** A call the message invites to (Rocket.Chat video conference, Mattermost Jitsi post, …). */
export interface MeetingInfo {
  /** The system that hosts the call, as users know it: 'Jitsi', 'Rocket.Chat', 'BigBlueButton'. */
  readonly system: string;
  readonly title?: string;
  /** Where to join (https). Absent: the adapter works it out on demand (MeetingFeature.joinUrl). */
  readonly url?: string;
}

export interface MessageInfo {
  /**
   * Stable id of this message: the same message must get the same id whether it arrives live,
   * as a carbon copy or from the archive, so that the core can deduplicate.
   */
  readonly id: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly senderName: string;
  readonly own: boolean;
  readonly ts: number;
  /** Plain text (for previews, notifications, search; shown when `rich` is absent). */
  readonly text: string;
  /**
   * The same message formatted (Markdown, HTML), already parsed into the allowlisted tree of
   * common/rich-text.ts by protocols/base/rich. Absent: the text has no formatting.
   */
  readonly rich?: readonly RichNode[];
  /** The message is an invitation to a call: the UI shows a card with a Join button. */
  readonly meeting?: MeetingInfo;
  /** The client transaction id this message was sent with, when it is our own echo. */
  readonly clientTxnId?: string;
  readonly replyToId?: string;
  readonly attachments?: readonly AttachmentInfo[];
  readonly mentionsMe?: boolean;
  /** Opaque cursor for paging backwards from this message (e.g. the archive id). */
  readonly cursor?: string;
  readonly refs: NativeRefs;
  /** True when this came from history (archive/backfill), not live. */
  readonly fromHistory?: boolean;
  /**
   * An end-to-end encrypted message we cannot decrypt (yet): `text` is '' and the UI shows a
   * translated placeholder. If the keys arrive later, the same id is emitted again as a normal
   * message and replaces it.
   */
  readonly undecryptable?: true;
}

export interface OutgoingMessage {
  /** Made by the core and stored in the outbox first: replays reuse it, so no duplicates. */
  readonly clientTxnId: string;
  readonly text: string;
  readonly replyTo?: { readonly id: string; readonly refs: NativeRefs; readonly senderId: string; readonly text: string };
  readonly attachment?: AttachmentInfo;
}

export interface SendAck {
  readonly clientTxnId: string;
  /** The id the message will have when it comes back (live echo, archive). */
  readonly messageId: string;
  readonly refs: NativeRefs;
  readonly ts: number;
}

export interface HistoryRequest {
  /** Opaque cursor from an earlier page or from `MessageInfo.cursor`; absent = newest page. */
  readonly before?: string;
  readonly limit: number;
}

export interface HistoryPage {
  /** Oldest → newest. */
  readonly messages: readonly MessageInfo[];
  /** Cursor for the next older page, or null when the beginning was reached. */
  readonly olderCursor: string | null;
}

export interface ContactInfo {
  readonly address: string;
  readonly name: string;
  readonly subscription: ContactSubscription;
  readonly groups: readonly string[];
}

export interface MemberInfo {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly presence: PresenceState;
  /** Locator of the member's picture for `avatars.fetch`. */
  readonly avatar?: string;
}

export type AdapterConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export type AdapterEvent =
  | { readonly type: 'connection'; readonly state: AdapterConnectionState; readonly error?: AppErrorDto }
  | { readonly type: 'capabilities'; readonly capabilities: Capabilities }
  | { readonly type: 'conversation'; readonly conversation: ConversationInfo }
  | { readonly type: 'conversation.removed'; readonly conversationId: string }
  | { readonly type: 'message'; readonly message: MessageInfo }
  | { readonly type: 'message.edited'; readonly conversationId: string; readonly targetId: string; readonly text: string; readonly rich?: readonly RichNode[]; readonly ts: number; readonly senderId: string }
  | { readonly type: 'message.deleted'; readonly conversationId: string; readonly targetId: string; readonly senderId: string }
  | { readonly type: 'reactions'; readonly conversationId: string; readonly targetId: string; readonly senderId: string; readonly keys: readonly string[] }
  | { readonly type: 'receipt'; readonly conversationId: string; readonly targetId: string; readonly senderId: string; readonly kind: 'received' | 'displayed' }
  | { readonly type: 'typing'; readonly conversationId: string; readonly senderId: string; readonly typing: boolean }
  /**
   * `address`: the user's address as written (username@server) when `userId` is an internal id
   * (Mattermost, Rocket.Chat), so that direct chats and people named by address get it too.
   */
  | { readonly type: 'presence'; readonly userId: string; readonly address?: string; readonly state: PresenceState; readonly statusText: string }
  | { readonly type: 'contact'; readonly contact: ContactInfo }
  | { readonly type: 'contact.removed'; readonly address: string }
  | { readonly type: 'subscription.request'; readonly address: string }
  | { readonly type: 'room.invite'; readonly roomId: string; readonly from: string; readonly reason: string }
  | { readonly type: 'sync'; readonly state: SyncState }
  /** Something arrived that could not be understood; it was dropped, nothing else was affected. */
  | { readonly type: 'malformed'; readonly detail: string };

export type AdapterListener = (event: AdapterEvent) => void;

export interface PresenceFeature {
  set(state: PresenceState, statusText: string): Promise<void>;
}
export interface ContactsFeature {
  list(): Promise<readonly ContactInfo[]>;
  add(address: string, name?: string): Promise<void>;
  remove(address: string): Promise<void>;
  respond(address: string, accept: boolean): Promise<void>;
}
export interface TypingFeature {
  set(conversationId: string, typing: boolean): Promise<void>;
}
export interface EditFeature {
  edit(conversationId: string, target: { id: string; refs: NativeRefs }, text: string, clientTxnId: string): Promise<void>;
}
export interface DeleteFeature {
  delete(conversationId: string, target: { id: string; refs: NativeRefs }): Promise<void>;
}
export interface ReactionFeature {
  /** Replace our full set of reactions on the target (XEP-0444 semantics). */
  set(conversationId: string, target: { id: string; refs: NativeRefs }, keys: readonly string[]): Promise<void>;
}
export interface ReceiptFeature {
  markDisplayed(conversationId: string, target: { id: string; refs: NativeRefs; senderId: string }): Promise<void>;
}
export interface RoomFeature {
  create(opts: { name: string; members: readonly string[] }): Promise<ConversationInfo>;
  join(address: string): Promise<ConversationInfo>;
  leave(conversationId: string): Promise<void>;
  members(conversationId: string): Promise<readonly MemberInfo[]>;
}
export interface FileFeature {
  upload(conversationId: string, file: { name: string; mime: string; data: Uint8Array }): Promise<AttachmentInfo>;
  download(attachment: AttachmentInfo): Promise<{ name: string; mime: string; data: Uint8Array }>;
}
export interface AvatarFeature {
  /**
   * A small picture (thumbnail of about `size` px) for a locator this adapter gave out in
   * ConversationInfo.avatar or MemberInfo.avatar. Rejects with `invalid_input` for anything else.
   */
  fetch(locator: string, size: number): Promise<{ mime: string; data: Uint8Array }>;
}
/** A Jitsi meeting the user starts (issue 5): the core picks the server and an unguessable room. */
export interface CallInvite {
  /** https://<domain>/<room> (plus `?jwt=` when the server needs a token). */
  readonly url: string;
  readonly domain: string;
  /** ≥ 128 bits of randomness. */
  readonly room: string;
  readonly title?: string;
  /** Whether to start with video (false: audio only). */
  readonly video: boolean;
}

export interface MeetingFeature {
  /** The URL to join the call a message announced (e.g. Rocket.Chat `video-conference.join`). */
  joinUrl?(conversationId: string, message: { id: string; refs: NativeRefs }): Promise<string>;
  /**
   * Invite the conversation to a call in the protocol's native form, with the plain link as
   * fallback in the text (protocols.md B.2): Matrix a Jitsi widget state event plus a message;
   * Mattermost a `custom_jitsi` post; Rocket.Chat the server's own video conference when it offers
   * one; XMPP a message with the link, XEP-0066 oob and an XEP-0482 invite. Resolves with the URL
   * the caller joins (on Rocket.Chat the server's conference, otherwise `call.url`).
   */
  invite?(conversationId: string, call: CallInvite): Promise<{ readonly joinUrl: string }>;
}
/** A person found in a server's user directory. */
export interface DirectoryEntry {
  /** The address to open a direct chat with (direct.open): @anna:agency.se, anna@chat.agency.se. */
  readonly address: string;
  readonly name: string;
  /** When the server shows it (Mattermost, Rocket.Chat, vCard); used to suggest merges. */
  readonly email?: string;
}
export interface DirectoryFeature {
  /**
   * People matching `term` (name, user name, e-mail), at most `limit`: Matrix user directory,
   * Mattermost and Rocket.Chat user search, XMPP roster (+ vCard where the server has it).
   */
  search(term: string, limit: number): Promise<readonly DirectoryEntry[]>;
}
export interface DirectFeature {
  /** Open (or find) a 1:1 conversation with the address. */
  open(address: string): Promise<ConversationInfo>;
}

export interface SsoProvider {
  /** The server's id for the identity provider (Matrix: `identity_providers[].id`). */
  readonly id: string;
  readonly name: string;
}
/**
 * Sign-in through the system browser (RFC 8252 loopback redirect). The core listens on
 * `redirectUrl`, opens `loginUrl(…)` in the browser and, when the server redirects back with a
 * one-time token, connects with `{ kind: 'sso-token', token }`. Works before connect(): the
 * account's address may be just the server name.
 */
export interface SsoFeature {
  /** The identity providers offered; rejects with `unsupported` when the server has no SSO login. */
  providers(): Promise<readonly SsoProvider[]>;
  /** The URL to open in the browser; the server appends the token to `redirectUrl`. */
  loginUrl(redirectUrl: string, providerId?: string): Promise<string>;
  /** Name of the query parameter that carries the one-time token back (Matrix: `loginToken`). */
  readonly tokenParam: string;
  /**
   * How the sign-in comes back (default 'loopback'):
   * - 'loopback': the server redirects the browser to `redirectUrl` (http://127.0.0.1:port/…) with
   *   `?{tokenParam}=…` (Matrix; Mattermost once its admin allows that address, see its README).
   * - 'final-page': the server ends on a page of its own whose address carries the result
   *   (Rocket.Chat's Meteor OAuth, in the #fragment). The app hands that address to the core
   *   (accounts:ssoRedirect); `redirectUrl` is not used.
   */
  readonly returnVia?: 'loopback' | 'final-page';
  /** 'final-page': the address the result page starts with (e.g. `https://chat.agency.se/_oauth/`). */
  finalPagePrefix?(): string;
  /** 'final-page': the one-time credential in that page's address, or null when it has none. */
  tokenFromUrl?(url: URL): string | null;
}

export interface EncryptionStatus {
  /** Encryption is running for this account. */
  readonly enabled: boolean;
  /** Keys survive a restart (the adapter has AdapterStorage); otherwise each start is a new device. */
  readonly persistent: boolean;
  readonly deviceId: string;
  /** Our cross-signing keys exist and this device has the private parts. */
  readonly crossSigningReady: boolean;
  /** This device is signed by our own cross-signing identity. */
  readonly deviceVerified: boolean;
  /** Secret storage (recovery key) is set up on the server. */
  readonly secretStorageReady: boolean;
  /** Version of the server-side key backup this device uploads to, or null. */
  readonly keyBackupVersion: string | null;
}
export interface EncryptionFeature {
  status(): Promise<EncryptionStatus>;
  /**
   * Create cross-signing keys, secret storage and a key backup, all protected by a new recovery
   * key, which is returned once for the user to write down. `password` is used only if the server
   * asks for it (user-interactive auth to upload cross-signing keys).
   */
  setupRecovery(opts?: { password?: string }): Promise<{ recoveryKey: string }>;
  /** On a new device: unlock secret storage, verify this device and restore history keys from backup. */
  restoreWithRecoveryKey(recoveryKey: string): Promise<void>;
}

export interface ProtocolAdapter {
  readonly protocol: ProtocolId;
  connect(opts: ConnectOptions): Promise<ConnectResult>;
  /** Idempotent; no events are emitted after it resolves. */
  disconnect(): Promise<void>;
  /** End the server session and forget it. */
  logout(): Promise<void>;
  /** Subscribe to the ordered event stream; returns an unsubscribe function. */
  onEvent(listener: AdapterListener): () => void;
  capabilities(): Capabilities;
  listConversations(): Promise<readonly ConversationInfo[]>;
  getHistory(conversationId: string, req: HistoryRequest): Promise<HistoryPage>;
  /** Resolves only when the server acknowledged the message. */
  send(conversationId: string, msg: OutgoingMessage): Promise<SendAck>;

  readonly presence?: PresenceFeature;
  readonly contacts?: ContactsFeature;
  readonly typing?: TypingFeature;
  readonly edits?: EditFeature;
  readonly deletes?: DeleteFeature;
  readonly reactions?: ReactionFeature;
  readonly receipts?: ReceiptFeature;
  readonly rooms?: RoomFeature;
  readonly files?: FileFeature;
  readonly direct?: DirectFeature;
  readonly avatars?: AvatarFeature;
  readonly meetings?: MeetingFeature;
  readonly directory?: DirectoryFeature;
  readonly sso?: SsoFeature;
  readonly encryption?: EncryptionFeature;
}

export type AdapterFactory = (config: AccountConfig, ctx: AdapterContext) => ProtocolAdapter;
