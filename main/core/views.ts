// Rows → the plain view objects the renderer sees. This is the one place that decides what
// leaves the core: protocol URLs, refs, cursors and native ids stay behind.
import type { AppErrorDto } from '../../common/errors';
import type {
  MeetingView,
  AttachmentView,
  ContactSubscription,
  ContactView,
  ConversationSummary,
  MessageStatus,
  MessageView,
  PresenceState,
  ReactionView,
} from '../../common/model';
import { PRESENCE_STATES } from '../../common/model';
import { isRichTree, richToPlainText } from '../../common/rich-text';
import type { RichNode } from '../../common/rich-text';
import type { AttachmentInfo, NativeRefs } from '../../protocols/contract';
import { contactIdFor } from './ids';
import type { ContactRow, ConversationListRow, MessageRow, ReactionRow } from './store/rows';
import type { Store } from './store/store';

export const PREVIEW_CHARS = 140;

export function previewOf(text: string, attachments: readonly { name: string }[]): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length > 0) return t.length > PREVIEW_CHARS ? `${t.slice(0, PREVIEW_CHARS - 1)}…` : t;
  return attachments[0]?.name ?? '';
}

/** A stored message's preview: its formatted text as plain words (no Markdown marks), else its text. */
export function previewOfRow(row: MessageRow): string {
  const rich = richOf(row);
  return previewOf(rich ? richToPlainText(rich) : row.text, attachmentsOf(row));
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function attachmentsOf(row: MessageRow): AttachmentInfo[] {
  return parseJson<AttachmentInfo[]>(row.attachments, []);
}
export function refsOf(row: MessageRow): NativeRefs {
  return parseJson<NativeRefs>(row.refs, {});
}

function presenceOf(s: string | null): PresenceState | null {
  return s !== null && (PRESENCE_STATES as readonly string[]).includes(s) ? (s as PresenceState) : null;
}

export function conversationView(row: ConversationListRow, typing: readonly string[]): ConversationSummary {
  return {
    id: row.id,
    accountId: row.account_id,
    protocol: row.protocol,
    kind: row.kind,
    title: row.title,
    // Direct chats show (and are found by) the person's address, not a room id.
    address: row.kind === 'direct' ? (row.peer ?? row.native_id) : row.native_id,
    lastActivityAt: row.last_activity_at,
    lastMessagePreview: row.last_preview,
    unread: row.unread,
    mentions: row.mentions,
    presence: row.kind === 'direct' ? (presenceOf(row.presence_state) ?? 'unknown') : null,
    isPrivate: row.is_private === 1,
    encrypted: row.encrypted === 1,
    avatar: row.avatar,
    typing,
  };
}

export function contactView(row: ContactRow): ContactView {
  return {
    id: contactIdFor(row.account_id, row.address),
    accountId: row.account_id,
    protocol: row.protocol,
    address: row.address,
    name: row.name || row.address,
    presence: presenceOf(row.presence_state) ?? 'unknown',
    statusText: row.status_text ?? '',
    subscription: row.subscription as ContactSubscription,
  };
}

function reactionViews(rows: readonly ReactionRow[], selfId: string | null): ReactionView[] {
  const byKey = new Map<string, string[]>();
  for (const r of rows) {
    const list = byKey.get(r.key) ?? [];
    list.push(r.sender_id);
    byKey.set(r.key, list);
  }
  return [...byKey].map(([key, senders]) => ({ key, count: senders.length, mine: selfId !== null && senders.includes(selfId), senders }));
}

/**
 * Build views for rows of ONE account (selfId decides `mine`). Reactions and reply targets are
 * fetched in bulk; a failed own message carries its outbox error so the UI can say why.
 */
export function messageViews(
  store: Store,
  rows: readonly MessageRow[],
  selfId: string | null,
): MessageView[] {
  const reactionRows = store.reactionsFor(rows.map((r) => r.id));
  const reactionsById = new Map<string, ReactionRow[]>();
  for (const r of reactionRows) {
    const list = reactionsById.get(r.message_id) ?? [];
    list.push(r);
    reactionsById.set(r.message_id, list);
  }
  return rows.map((row) => {
    let replyTo: MessageView['replyTo'] = null;
    if (row.reply_to !== null) {
      const target = store.findMessageByNative(row.conversation_id, row.reply_to);
      if (target) replyTo = { id: target.id, senderName: target.sender_name, text: previewOfRow(target) };
    }
    const attachments: AttachmentView[] = attachmentsOf(row).map((a) => ({ id: a.id, name: a.name, mime: a.mime, size: a.size }));
    return {
      id: row.id,
      conversationId: row.conversation_id,
      senderId: row.sender_id,
      senderName: row.sender_name,
      own: row.own === 1,
      ts: row.ts,
      seq: row.seq,
      text: row.text,
      rich: richOf(row),
      meeting: meetingOf(row),
      undecryptable: row.undecryptable === 1,
      editedAt: row.edited_at,
      deleted: row.deleted === 1,
      replyTo,
      reactions: reactionViews(reactionsById.get(row.id) ?? [], selfId),
      attachments,
      status: row.status as MessageStatus,
      mentionsMe: row.mentions_me === 1,
      error: row.status === 'failed' && row.client_txn_id !== null ? outboxError(store, row.client_txn_id) : null,
    };
  });
}

function meetingOf(row: MessageRow): MeetingView | null {
  if (row.meeting === null || row.deleted === 1) return null;
  const m = parseJson<{ system?: unknown; title?: unknown; url?: unknown } | null>(row.meeting, null);
  if (!m || typeof m.system !== 'string') return null;
  return { system: m.system, title: typeof m.title === 'string' ? m.title : null, url: typeof m.url === 'string' ? m.url : null };
}

function richOf(row: MessageRow): readonly RichNode[] | null {
  if (row.rich === null || row.deleted === 1) return null;
  const tree = parseJson<unknown>(row.rich, null);
  return isRichTree(tree) ? tree : null;
}

function outboxError(store: Store, clientTxnId: string): AppErrorDto | null {
  return parseJson<AppErrorDto | null>(store.getOutbox(clientTxnId)?.last_error ?? null, null);
}
