// Row shapes as SQLite returns them (snake_case, 0/1 booleans, JSON as text). Only the store and
// the view builders see these; everything above speaks in views (common/model) or adapter types.
import type { ProtocolId } from '../../../common/ids';

export interface AccountRow {
  readonly id: string;
  readonly protocol: ProtocolId;
  readonly address: string;
  readonly server: string;
  readonly service_url: string | null;
  readonly allow_plaintext: number;
  readonly created_at: number;
  /** JSON of AccountSettings. */
  readonly settings: string;
  readonly self_id: string | null;
  readonly self_name: string | null;
}

export interface ConversationRow {
  readonly id: string;
  readonly account_id: string;
  readonly native_id: string;
  readonly kind: 'direct' | 'group';
  readonly title: string;
  readonly is_private: number;
  readonly last_activity_at: number;
  readonly last_preview: string;
  readonly unread: number;
  readonly mentions: number;
  readonly last_read_at: number;
  readonly history_cursor: string | null;
  readonly history_complete: number;
  /** 1 when the conversation is end-to-end encrypted. */
  readonly encrypted: number;
  /** The adapter's locator of the conversation's picture (AvatarFeature), or null. */
  readonly avatar: string | null;
  /** Direct chats: the other person's address when native_id is a room/channel id. */
  readonly peer: string | null;
}

/** A conversation joined with what the inbox needs from other tables. */
export interface ConversationListRow extends ConversationRow {
  readonly protocol: ProtocolId;
  readonly presence_state: string | null;
}

export interface MessageRow {
  readonly seq: number;
  readonly id: string;
  readonly conversation_id: string;
  readonly native_id: string | null;
  readonly sender_id: string;
  readonly sender_name: string;
  readonly own: number;
  readonly ts: number;
  readonly text: string;
  readonly edited_at: number | null;
  readonly deleted: number;
  /** Native id of the message replied to. */
  readonly reply_to: string | null;
  /** JSON AttachmentInfo[] (with protocol URLs, which never reach the renderer). */
  readonly attachments: string;
  /** JSON NativeRefs. */
  readonly refs: string;
  readonly status: string;
  readonly mentions_me: number;
  readonly client_txn_id: string | null;
  readonly cursor: string | null;
  /** 1 while an end-to-end encrypted message cannot be decrypted (text is empty). */
  readonly undecryptable: number;
  /** JSON RichNode[] (checked with isRichTree before it is stored), or null for plain text. */
  readonly rich: string | null;
  /** JSON MeetingInfo (checked before it is stored), or null. */
  readonly meeting: string | null;
}

export type NewMessageRow = Omit<MessageRow, 'seq' | 'undecryptable' | 'rich' | 'meeting'> & {
  readonly undecryptable?: number;
  readonly rich?: string | null;
  readonly meeting?: string | null;
};

export interface ReactionRow {
  readonly message_id: string;
  readonly sender_id: string;
  readonly key: string;
}

export interface ContactRow {
  readonly account_id: string;
  readonly address: string;
  readonly name: string;
  readonly subscription: string;
  readonly groups: string;
  readonly protocol: ProtocolId;
  readonly presence_state: string | null;
  readonly status_text: string | null;
}

export type OutboxState = 'pending' | 'failed';

export interface OutboxRow {
  readonly client_txn_id: string;
  readonly account_id: string;
  readonly conversation_id: string;
  /** JSON OutboxPayload. */
  readonly payload: string;
  readonly attempts: number;
  readonly state: OutboxState;
  readonly created_at: number;
  /** JSON AppErrorDto. */
  readonly last_error: string | null;
}

export interface PersonRow {
  readonly id: number;
  readonly name: string;
  /** 1 when the user chose the name. */
  readonly renamed: number;
}

/** One address of a person, joined with what is known about it on its account. */
export interface PersonAddressRow {
  readonly person_id: number;
  readonly account_id: string;
  readonly address: string;
  /** JSON string[] of e-mail addresses an adapter reported (may be empty). */
  readonly emails: string;
  readonly protocol: ProtocolId;
  /** Null when the address is not (or no longer) a contact. */
  readonly contact_name: string | null;
  readonly subscription: string | null;
  /** The direct conversation with the address, if any. */
  readonly conversation_id: string | null;
  readonly conversation_title: string | null;
  readonly presence_state: string | null;
  readonly status_text: string | null;
  readonly presence_at: number | null;
}

/** A contact or direct-chat peer that has no person yet. */
export interface UnassignedPeerRow {
  readonly account_id: string;
  readonly address: string;
  readonly protocol: ProtocolId;
  /** 1 for a contact, 0 for a direct-chat peer only. */
  readonly is_contact: number;
}
