// Data shapes the renderer sees. Plain, structured-clone-safe objects: no classes, no Dates
// (epoch milliseconds), no secrets, no file paths, no raw protocol objects.
import type { AccountId, ConversationId, MessageId, ProtocolId } from './ids';
import type { AppErrorDto } from './errors';
import type { RichNode } from './rich-text';

export const ACCOUNT_STATES = ['connecting', 'connected', 'reconnecting', 'needs-attention', 'disconnected'] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

export const PRESENCE_STATES = ['available', 'away', 'xa', 'dnd', 'offline', 'unknown'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];
/** What the user may choose for themselves. */
export const OWN_PRESENCE_STATES = ['available', 'away', 'dnd', 'offline'] as const;
export type OwnPresenceState = (typeof OWN_PRESENCE_STATES)[number];

/** What this account's server supports right now; the UI hides what is false and says why. */
export interface Capabilities {
  readonly edit: boolean;
  readonly delete: boolean;
  readonly reactions: boolean;
  readonly replies: boolean;
  readonly typing: boolean;
  readonly receipts: boolean;
  readonly upload: boolean;
  readonly maxUploadBytes: number | null;
  readonly history: boolean;
  readonly createRoom: boolean;
  readonly presence: boolean;
  readonly contacts: boolean;
  readonly carbons: boolean;
  readonly streamManagement: boolean;
  /**
   * The Jitsi domain this account's server advertises for meetings (Matrix `.well-known`
   * `im.vector.riot.jitsi.preferredDomain`), or null. Kept with the account's capabilities.
   */
  readonly meetingDomain: string | null;
}

export const NO_CAPABILITIES: Capabilities = {
  edit: false,
  delete: false,
  reactions: false,
  replies: false,
  typing: false,
  receipts: false,
  upload: false,
  maxUploadBytes: null,
  history: false,
  createRoom: false,
  presence: false,
  contacts: false,
  carbons: false,
  streamManagement: false,
  meetingDomain: null,
};

export interface AccountSummary {
  readonly id: AccountId;
  readonly protocol: ProtocolId;
  /** Human label: the user's address, e.g. anna@agency.se */
  readonly label: string;
  readonly server: string;
  readonly state: AccountState;
  readonly error: AppErrorDto | null;
  readonly attempt: number;
  readonly nextRetryAt: number | null;
  readonly capabilities: Capabilities;
  /** What this account shows others now (the chosen state, the account's override, or away when idle). */
  readonly ownPresence: PresenceState;
  /** This account's own presence instead of the one set for all accounts, or null. */
  readonly presenceOverride: OwnPresenceState | null;
}

export type ConversationKind = 'direct' | 'group';

export interface ConversationSummary {
  readonly id: ConversationId;
  readonly accountId: AccountId;
  readonly protocol: ProtocolId;
  readonly kind: ConversationKind;
  readonly title: string;
  /** Peer address (JID, Matrix id) for direct chats, room address for groups. */
  readonly address: string;
  readonly lastActivityAt: number;
  readonly lastMessagePreview: string;
  readonly unread: number;
  readonly mentions: number;
  readonly presence: PresenceState | null;
  readonly isPrivate: boolean;
  /** End-to-end encrypted (Matrix Megolm); false means transport encryption only. */
  readonly encrypted: boolean;
  /** Opaque key of the conversation's picture: pass it to `avatars:get`; null = none (initials). */
  readonly avatar: string | null;
  readonly typing: readonly string[];
}

export interface ReactionView {
  readonly key: string;
  readonly count: number;
  readonly mine: boolean;
  readonly senders: readonly string[];
}

export interface AttachmentView {
  readonly id: string;
  readonly name: string;
  readonly mime: string;
  readonly size: number | null;
}

export type MessageStatus = 'pending' | 'sent' | 'failed' | 'delivered' | 'displayed' | 'received';

export interface MeetingView {
  /** The hosting system's name, e.g. 'Jitsi', 'Rocket.Chat'. */
  readonly system: string;
  readonly title: string | null;
  /** Known link (https, checked); null when it is only known once the user asks to join. */
  readonly url: string | null;
}

export interface MessageView {
  readonly id: MessageId;
  readonly conversationId: ConversationId;
  readonly senderId: string;
  readonly senderName: string;
  readonly own: boolean;
  readonly ts: number;
  /**
   * The order in which the core stored the message. Archives stamp whole seconds, so messages
   * with the same `ts` are ordered by this, not by id.
   */
  readonly seq: number;
  /** End-to-end encrypted and not decryptable yet: `text` is empty; replaced when keys arrive. */
  readonly undecryptable: boolean;
  /** Plain text. The renderer shows it as text (never as HTML) when `rich` is null. */
  readonly text: string;
  /** The formatted version (allowlisted element tree, common/rich-text.ts), or null. */
  readonly rich: readonly RichNode[] | null;
  /** The message invites to a call: shown as a card with Join (`meeting:join`). */
  readonly meeting: MeetingView | null;
  readonly editedAt: number | null;
  readonly deleted: boolean;
  readonly replyTo: { readonly id: MessageId; readonly senderName: string; readonly text: string } | null;
  readonly reactions: readonly ReactionView[];
  readonly attachments: readonly AttachmentView[];
  readonly status: MessageStatus;
  readonly mentionsMe: boolean;
  readonly error: AppErrorDto | null;
}

export type ContactSubscription = 'both' | 'to' | 'from' | 'none' | 'pending-in' | 'pending-out';

export interface ContactView {
  readonly id: string;
  readonly accountId: AccountId;
  readonly protocol: ProtocolId;
  readonly address: string;
  readonly name: string;
  readonly presence: PresenceState;
  readonly statusText: string;
  readonly subscription: ContactSubscription;
}

export interface SearchHit {
  readonly messageId: MessageId;
  readonly conversationId: ConversationId;
  readonly accountId: AccountId;
  readonly conversationTitle: string;
  readonly senderName: string;
  readonly ts: number;
  /** Plain-text snippet; `[` `]` are never used as markup — ranges mark the matches. */
  readonly snippet: string;
  readonly matches: readonly (readonly [number, number])[];
}

export interface MemberView {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly presence: PresenceState;
  /** Opaque key of the member's picture for `avatar:get`, or null. */
  readonly avatar: string | null;
}

export interface HistoryResult {
  readonly messages: readonly MessageView[];
  readonly hasMore: boolean;
}

/** End-to-end encryption of one account (Matrix). */
export interface EncryptionStatusView {
  readonly enabled: boolean;
  /** Keys survive a restart. */
  readonly persistent: boolean;
  readonly deviceId: string;
  /** This device is verified by the account's own cross-signing identity. */
  readonly deviceVerified: boolean;
  /** A recovery key protects the account's secrets on the server. */
  readonly recoverySetUp: boolean;
  /** Message keys are backed up (encrypted) on the server. */
  readonly keyBackup: boolean;
}

export interface FileData {
  readonly name: string;
  readonly mime: string;
  readonly dataBase64: string;
}

/** Someone's address on one of the user's accounts, and which organisation it belongs to. */
export interface AccountAddress {
  readonly accountId: AccountId;
  readonly protocol: ProtocolId;
  /** The address to start a chat with on this account (conversation:start). */
  readonly address: string;
  /** The name this account knows the address by (roster/directory name, chat title). */
  readonly name: string;
  /** The organisation the address belongs to: its server/domain, e.g. "agency-b.se". */
  readonly agency: string;
  /** The domain is (a subdomain of) the domain of one of the user's own accounts or the policy's. */
  readonly internal: boolean;
  /** The direct conversation with this address on this account, if one exists. */
  readonly conversationId: ConversationId | null;
}

/** One address of a person: a contact or direct-chat peer on one of the user's accounts. */
export interface PersonAddressView extends AccountAddress {
  readonly presence: PresenceState;
  readonly statusText: string;
}

/**
 * A person across accounts: one or more addresses the user (or a reliable signal) joined. Merging
 * never changes where a message goes: every chat is started with one explicit address.
 */
export interface PersonView {
  readonly id: string;
  readonly name: string;
  /** The best presence of any address (available > dnd > away > xa > offline > unknown). */
  readonly presence: PresenceState;
  /** The address the presence comes from, or null when none reported any. */
  readonly presenceFrom: { readonly accountId: AccountId; readonly address: string } | null;
  readonly statusText: string;
  /** When any address last reported presence (epoch ms), or null when unknown. */
  readonly lastActiveAt: number | null;
  /** Internal if any address is. */
  readonly internal: boolean;
  readonly addresses: readonly PersonAddressView[];
}

export type PersonSuggestionReason = 'same-email' | 'same-user-same-domain';

/** People who may be the same person; the user merges them or says they are not. */
export interface PersonSuggestion {
  readonly id: string;
  readonly personIds: readonly string[];
  readonly reason: PersonSuggestionReason;
}

/** A person found in an account's directory (people:search), on exactly that account. */
export interface DirectoryHit extends AccountAddress {
  /** The person this address already belongs to (people:list), or null. */
  readonly personId: string | null;
}

/** An account whose directory could not be searched; the other accounts' hits still count. */
export interface DirectoryFailure {
  readonly accountId: AccountId;
  readonly error: AppErrorDto;
}

export interface DirectorySearchResult {
  readonly hits: readonly DirectoryHit[];
  readonly failed: readonly DirectoryFailure[];
}
