// Adapter events → store → patches. Events are queued and applied in one transaction per batch
// (a microtask, or sooner when the queue is large): SQLite commits are the expensive part, so a
// burst of history or a reconnect catch-up costs a handful of commits instead of thousands.
// Every event runs in its own savepoint: a bad one is rolled back and counted, the rest commit.
// Patches are built from the database AFTER the commit, so the UI only ever sees stored state.
import type { Patch } from '../../../common/api';
import type { AdapterEvent, MeetingInfo, MessageInfo } from '../../../protocols/contract';
import { safeMeetingUrl } from '../../../common/meetings';
import { detectMeeting } from '../../../common/meeting-links';
import type { CoreLogger, Scheduler } from '../clock';
import { contactIdFor, conversationIdFor, messageIdFor } from '../ids';
import type { ConversationRow, MessageRow } from '../store/rows';
import type { Store } from '../store/store';
import { previewOf, previewOfRow, refsOf } from '../views';
import { checkEvent } from './event-guard';
import { isRichTree, RICH_LIMITS, richToPlainText } from '../../../common/rich-text';
import type { TypingTracker } from './typing-tracker';

/** Queue length at which we stop waiting for the microtask and write at once (bounded memory). */
export const INGEST_BATCH = 1000;

export interface IngestHost {
  readonly store: Store;
  readonly scheduler: Scheduler;
  readonly log: CoreLogger;
  readonly typing: TypingTracker;
  selfId(accountId: string): string | null;
  /** Hosts known to run Jitsi (meeting servers of the accounts and policy), to recognise links. */
  jitsiHosts(): readonly string[];
  /** Do not disturb: no notifications for this account's messages. */
  silenced(accountId: string): boolean;
  /** Patches for stored state (message views, conversation rows, contacts) are built by the host. */
  emitMessages(conversationId: string, messageIds: readonly string[]): void;
  emitConversation(conversationId: string): void;
  emitContact(accountId: string, address: string): void;
  emit(patch: Patch): void;
}

/** Ordering of message statuses: receipts only ever move a message forward. */
/**
 * The stored form of an adapter's formatted text: checked against the allowlist (a tree that
 * fails is dropped and the plain text shown, so the message itself is never lost) and size-capped.
 */
export function richJson(rich: unknown): string | null {
  if (rich === undefined || !isRichTree(rich) || rich.length === 0) return null;
  const json = JSON.stringify(rich);
  return json.length <= RICH_LIMITS.maxJsonBytes ? json : null;
}

/** A meeting the UI may offer to join: a named system and, if given, an https URL without credentials. */
export function meetingJson(meeting: MeetingInfo | undefined): string | null {
  if (meeting === undefined || typeof meeting !== 'object' || meeting === null) return null;
  const system = typeof meeting.system === 'string' ? meeting.system.trim().slice(0, 80) : '';
  if (!system) return null;
  const title = typeof meeting.title === 'string' ? meeting.title.slice(0, 300) : undefined;
  const url = typeof meeting.url === 'string' ? safeMeetingUrl(meeting.url) : null;
  if (typeof meeting.url === 'string' && url === null) return null; // a bad link is not offered at all
  return JSON.stringify({ system, ...(title ? { title } : {}), ...(url ? { url } : {}) });
}

const STATUS_RANK: Record<string, number> = { pending: 0, failed: 0, sent: 1, received: 1, delivered: 2, displayed: 3 };

/** `paging`: fetched because the user scrolled back; such messages were seen, never unread. */
interface Queued {
  readonly accountId: string;
  readonly event: AdapterEvent;
  readonly paging?: boolean;
}

/** What one batch touched; turned into patches after the commit. */
class BatchEffects {
  readonly messages = new Map<string, Set<string>>();
  readonly conversations = new Set<string>();
  readonly contacts = new Map<string, { accountId: string; address: string }>();
  readonly presence: { accountId: string; userId: string }[] = [];
  readonly removedMessages = new Map<string, string[]>();
  readonly other: Patch[] = [];
  readonly malformed = new Map<string, { count: number; detail: string }>();
  /** Conversation rows read in this batch (existence and last_read_at); dropped when those change. */
  readonly convCache = new Map<string, ConversationRow>();

  message(conversationId: string, id: string): void {
    let s = this.messages.get(conversationId);
    if (!s) this.messages.set(conversationId, (s = new Set()));
    s.add(id);
    this.conversations.add(conversationId);
  }
  contact(accountId: string, address: string): void {
    this.contacts.set(contactIdFor(accountId, address), { accountId, address });
  }
}

export class Ingestor {
  private queue: Queued[] = [];
  private scheduled = false;
  /** Seq range for the history page being stored (see ingestHistory); reset on every attempt. */
  private pagingBase = 0;
  private pagingSeq = 0;
  /** Malformed events per account since start (diagnostics; the UI gets a notice per batch). */
  readonly malformedCount = new Map<string, number>();

  constructor(private readonly host: IngestHost) {}

  enqueue(accountId: string, event: AdapterEvent): void {
    this.queue.push({ accountId, event });
    if (this.queue.length >= INGEST_BATCH) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Apply queued events now (also used before reads that must see them, and on close). */
  flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      this.applyBatch(batch);
    }
  }

  /** History pages are applied synchronously: the command returns what is now stored. */
  ingestHistory(accountId: string, messages: readonly MessageInfo[]): void {
    this.flush();
    // An older page is stored below everything stored so far, in its own oldest→newest order.
    this.pagingBase = this.host.store.seqBelowAll(messages.length);
    this.applyBatch(messages.map((m): Queued => ({ accountId, event: { type: 'message', message: { ...m, fromHistory: true } }, paging: true })));
  }

  private applyBatch(batch: readonly Queued[]): void {
    const { log } = this.host;
    // Fast path: the whole batch in one transaction. If any event throws, roll it all back and
    // redo the batch with a savepoint per event, so only the bad events are lost. Savepoints for
    // every event would cost a third of the ingestion rate on the common, all-good path.
    let fx = new BatchEffects();
    try {
      this.applyAll(batch, fx, false);
    } catch (fast) {
      log.warn('ingestion batch had a bad event; retrying event by event', { error: String(fast) });
      fx = new BatchEffects();
      try {
        this.applyAll(batch, fx, true);
      } catch (e) {
        // The commit itself failed (disk full, db closed): nothing of this batch is stored.
        log.error('ingestion batch failed', { error: String(e), events: batch.length });
        return;
      }
    }
    try {
      // One read transaction for all the lookups: cheaper than an implicit one per statement.
      this.host.store.tx(() => this.publish(fx));
    } catch (e) {
      // The data is stored; a failure to describe it to the UI must not fail the caller.
      log.error('building patches failed', { error: String(e) });
    }
  }

  private applyAll(batch: readonly Queued[], fx: BatchEffects, isolate: boolean): void {
    const { store, log } = this.host;
    const malformedBefore = new Map(this.malformedCount);
    this.pagingSeq = this.pagingBase; // a retried batch reuses the same range
    try {
      store.tx(() => {
        for (const { accountId, event, paging } of batch) {
          const problem = checkEvent(event);
          if (problem !== null) {
            this.countMalformed(fx, accountId, problem);
            continue;
          }
          if (!isolate) {
            this.apply(accountId, event, fx, paging === true);
            continue;
          }
          try {
            store.tx(() => this.apply(accountId, event, fx, paging === true));
          } catch (e) {
            log.warn('adapter event could not be applied', { accountId, type: event.type, error: String(e) });
            this.countMalformed(fx, accountId, `${event.type} event could not be applied`);
          }
        }
      });
    } catch (e) {
      // Rolled back: forget what this attempt counted, the retry counts again.
      this.malformedCount.clear();
      for (const [k, v] of malformedBefore) this.malformedCount.set(k, v);
      throw e;
    }
  }

  private countMalformed(fx: BatchEffects, accountId: string, detail: string): void {
    this.malformedCount.set(accountId, (this.malformedCount.get(accountId) ?? 0) + 1);
    const m = fx.malformed.get(accountId);
    if (m) m.count++;
    else fx.malformed.set(accountId, { count: 1, detail });
  }

  private publish(fx: BatchEffects): void {
    const h = this.host;
    for (const [conversationId, ids] of fx.removedMessages) h.emit({ type: 'messages.removed', conversationId, ids });
    for (const [conversationId, ids] of fx.messages) h.emitMessages(conversationId, [...ids]);
    for (const p of fx.presence) {
      for (const c of h.store.directConversationIds(p.accountId, p.userId)) fx.conversations.add(c);
      fx.contact(p.accountId, p.userId);
    }
    for (const c of fx.conversations) h.emitConversation(c);
    for (const { accountId, address } of fx.contacts.values()) {
      if (h.store.getContact(accountId, address)) h.emitContact(accountId, address);
    }
    for (const p of fx.other) h.emit(p);
    for (const [accountId, m] of fx.malformed) {
      h.emit({ type: 'notice', level: 'warn', code: 'malformed-input', params: { accountId, count: String(m.count), detail: m.detail } });
    }
  }

  private apply(accountId: string, e: AdapterEvent, fx: BatchEffects, paging: boolean): void {
    const { store, typing } = this.host;
    const now = this.host.scheduler.now();
    switch (e.type) {
      case 'connection':
      case 'capabilities':
        return; // handled by the account runtime, never queued
      case 'conversation': {
        const c = e.conversation;
        const id = conversationIdFor(accountId, c.id);
        store.upsertConversation({
          id, account_id: accountId, native_id: c.id, kind: c.kind, title: c.title,
          is_private: c.isPrivate ? 1 : 0, last_activity_at: c.lastActivityAt ?? 0,
          ...(c.encrypted === undefined ? {} : { encrypted: c.encrypted ? 1 : 0 }),
          avatar: c.avatar ?? null,
          ...(c.kind === 'direct' && typeof c.peer === 'string' && c.peer.length > 0 && c.peer.length <= 320 ? { peer: c.peer } : {}),
        });
        fx.conversations.add(id);
        return;
      }
      case 'conversation.removed': {
        const id = conversationIdFor(accountId, e.conversationId);
        if (!store.getConversation(id)) return;
        store.deleteConversation(id);
        fx.convCache.delete(id);
        typing.forget(id);
        fx.conversations.delete(id);
        fx.messages.delete(id);
        fx.other.push({ type: 'conversation.removed', conversationId: id });
        return;
      }
      case 'message':
        this.applyMessage(accountId, e.message, fx, paging);
        return;
      case 'message.edited': {
        const convId = conversationIdFor(accountId, e.conversationId);
        const target = store.findMessageByNative(convId, e.targetId);
        // Only the author may edit: a correction claiming someone else's message is ignored.
        if (!target || target.deleted === 1 || target.sender_id !== e.senderId) return;
        store.editMessage(target.id, e.text, richJson(e.rich), e.ts);
        this.refreshPreviewIfNewest(convId, target);
        fx.message(convId, target.id);
        return;
      }
      case 'message.deleted': {
        const convId = conversationIdFor(accountId, e.conversationId);
        const target = store.findMessageByNative(convId, e.targetId);
        if (!target || target.deleted === 1) return;
        store.markMessageDeleted(target.id);
        this.refreshPreviewIfNewest(convId, target);
        fx.message(convId, target.id);
        return;
      }
      case 'reactions': {
        const convId = conversationIdFor(accountId, e.conversationId);
        const target = store.findMessageByNative(convId, e.targetId);
        if (!target || target.deleted === 1) return;
        store.setReactions(target.id, e.senderId, e.keys);
        fx.message(convId, target.id);
        return;
      }
      case 'receipt': {
        const convId = conversationIdFor(accountId, e.conversationId);
        const target = store.findMessageByNative(convId, e.targetId);
        if (!target) return;
        const self = this.host.selfId(accountId);
        if (target.own === 1) {
          if (e.kind === 'displayed') {
            for (const id of store.markOwnDisplayedUpTo(convId, target.ts)) fx.message(convId, id);
          } else if ((STATUS_RANK[target.status] ?? 0) < STATUS_RANK.delivered!) {
            store.setMessageStatus(target.id, 'delivered');
            fx.message(convId, target.id);
          }
        } else if (e.kind === 'displayed' && self !== null && e.senderId === self) {
          // We read it on another device: clear the unread badge here too.
          store.markConversationRead(convId, target.ts);
          fx.convCache.delete(convId);
          fx.conversations.add(convId);
        }
        return;
      }
      case 'typing': {
        const convId = conversationIdFor(accountId, e.conversationId);
        if (e.senderId === this.host.selfId(accountId)) return;
        if (typing.set(convId, e.senderId, e.typing)) fx.conversations.add(convId);
        return;
      }
      case 'presence':
        store.setPresence(accountId, e.userId, e.state, e.statusText, now);
        fx.presence.push({ accountId, userId: e.userId });
        if (typeof e.address === 'string' && e.address !== e.userId && e.address.length > 0 && e.address.length <= 320) {
          store.setPresence(accountId, e.address, e.state, e.statusText, now);
          fx.presence.push({ accountId, userId: e.address });
        }
        return;
      case 'contact':
        store.upsertContact(accountId, e.contact.address, e.contact.name, e.contact.subscription, JSON.stringify(e.contact.groups));
        fx.contact(accountId, e.contact.address);
        return;
      case 'contact.removed':
        if (store.deleteContact(accountId, e.address)) {
          fx.contacts.delete(contactIdFor(accountId, e.address));
          fx.other.push({ type: 'contact.removed', contactId: contactIdFor(accountId, e.address) });
        }
        return;
      case 'subscription.request': {
        // Show the requester in the contact list so the user can answer from there, without
        // downgrading what we already know about an existing contact.
        const existing = store.getContact(accountId, e.address);
        if (!existing || existing.subscription === 'none') {
          store.upsertContact(accountId, e.address, existing?.name ?? '', 'pending-in', existing?.groups ?? '[]');
          fx.contact(accountId, e.address);
        }
        // The request waits in the contact list; during do-not-disturb it does not interrupt.
        if (!this.host.silenced(accountId)) fx.other.push({ type: 'notice', level: 'info', code: 'subscription-request', params: { accountId, address: e.address } });
        return;
      }
      case 'room.invite':
        if (!this.host.silenced(accountId)) fx.other.push({ type: 'notice', level: 'info', code: 'room-invite', params: { accountId, roomId: e.roomId, from: e.from, reason: e.reason } });
        return;
      case 'sync':
        store.mergeSyncState(accountId, e.state);
        return;
      case 'malformed':
        this.countMalformed(fx, accountId, typeof e.detail === 'string' ? e.detail.slice(0, 200) : 'malformed input');
        return;
    }
  }

  private applyMessage(accountId: string, m: MessageInfo, fx: BatchEffects, paging: boolean): void {
    const { store, typing } = this.host;
    const convId = conversationIdFor(accountId, m.conversationId);
    let conv = fx.convCache.get(convId) ?? store.getConversation(convId);
    if (!conv) {
      // Adapters announce conversations first; if one did not, keep the message anyway.
      store.upsertConversation({
        id: convId, account_id: accountId, native_id: m.conversationId, kind: 'direct',
        title: m.own ? m.conversationId : m.senderName || m.senderId, is_private: 0, last_activity_at: 0,
      });
      conv = store.getConversation(convId)!;
    }
    fx.convCache.set(convId, conv);

    const existing =
      store.findMessageByNative(convId, m.id) ?? (m.clientTxnId !== undefined ? store.findMessageByTxn(convId, m.clientTxnId) : undefined);
    if (existing) {
      this.mergeDuplicate(existing, m, fx);
      return;
    }

    const attachments = m.attachments ?? [];
    const row = {
      id: messageIdFor(convId, m.id),
      conversation_id: convId,
      native_id: m.id,
      sender_id: m.senderId,
      sender_name: m.senderName,
      own: m.own ? 1 : 0,
      ts: m.ts,
      text: m.text,
      edited_at: null,
      deleted: 0,
      reply_to: m.replyToId ?? null,
      attachments: JSON.stringify(attachments),
      refs: JSON.stringify(m.refs),
      status: m.own ? 'sent' : 'received',
      mentions_me: m.mentionsMe ? 1 : 0,
      client_txn_id: m.clientTxnId ?? null,
      cursor: m.cursor ?? null,
      undecryptable: m.undecryptable === true ? 1 : 0,
      rich: richJson(m.rich),
      // A call the protocol announced natively, else a meeting link in the text (Join card).
      meeting: m.meeting !== undefined ? meetingJson(m.meeting) : this.detectedMeeting(convId, m),
    };
    store.insertMessage(row, paging ? this.pagingSeq++ : undefined);
    if (row.meeting !== null && !m.own && !paging && !m.fromHistory && !this.host.silenced(accountId)) {
      // An invitation to a call, live: a notification with Join and Dismiss (not during DND).
      const meeting = JSON.parse(row.meeting) as { system: string };
      fx.other.push({
        type: 'notice', level: 'info', code: 'meeting-invite',
        params: { accountId, conversationId: convId, messageId: row.id, system: meeting.system, from: m.senderName || m.senderId },
      });
    }
    // Unread: not our own, not paged in by the user, and not backfill already read past.
    const counts = !m.own && !paging && (!m.fromHistory || m.ts > conv.last_read_at);
    store.bumpConversation(convId, m.ts, previewOf(row.rich !== null && m.rich ? richToPlainText(m.rich) : m.text, attachments), counts ? 1 : 0, counts && m.mentionsMe ? 1 : 0);
    if (!m.own && typing.clear(convId, m.senderId)) fx.conversations.add(convId);
    fx.message(convId, row.id);
  }

  /**
   * The same message again: a live echo of our own send, a carbon, or the archive copy. If it
   * confirms our pending message, that row becomes 'sent' (and leaves the outbox): one row, ever.
   */
  private mergeDuplicate(existing: MessageRow, m: MessageInfo, fx: BatchEffects): void {
    const { store } = this.host;
    const unconfirmed = existing.native_id === null || existing.status === 'pending' || existing.status === 'failed';
    if (unconfirmed) {
      const refs = { ...refsOf(existing), ...m.refs };
      store.confirmMessage(existing.id, m.id, JSON.stringify(refs), 'sent', m.cursor ?? null);
      this.adoptFormatting(existing, m);
      if (existing.client_txn_id !== null) store.deleteOutbox(existing.client_txn_id);
      fx.message(existing.conversation_id, existing.id);
      return;
    }
    if (this.adoptFormatting(existing, m)) fx.message(existing.conversation_id, existing.id);
    if (existing.undecryptable === 1 && m.undecryptable !== true) {
      // The keys arrived: the placeholder becomes the message (same row, same id).
      store.resolveUndecryptable(existing.id, {
        text: m.text, rich: richJson(m.rich), attachments: JSON.stringify(m.attachments ?? []), reply_to: m.replyToId ?? null, mentions_me: m.mentionsMe ? 1 : 0,
        meeting: m.meeting !== undefined ? meetingJson(m.meeting) : this.detectedMeeting(existing.conversation_id, m),
      });
      this.refreshPreviewIfNewest(existing.conversation_id, existing);
      fx.message(existing.conversation_id, existing.id);
    }
    if (existing.cursor === null && m.cursor !== undefined) {
      // The archive copy carries the paging cursor the live copy lacked.
      store.confirmMessage(existing.id, existing.native_id!, existing.refs, existing.status, m.cursor);
    }
  }

  /**
   * A meeting link in a message's text, unless the same call was just announced natively in this
   * conversation (Matrix sends a Jitsi widget and then the link as text: one card, not two).
   */
  private detectedMeeting(convId: string, m: MessageInfo): string | null {
    if (m.undecryptable) return null;
    const found = detectMeeting(m.text, () => this.host.jitsiHosts());
    if (!found) return null;
    if (this.host.store.hasMeetingNear(convId, found.url, m.ts, 120_000)) return null;
    return meetingJson(found);
  }

  /**
   * Our own message was stored as we typed it (plain); the server's copy carries the formatting
   * (Matrix formatted_body, Markdown rendered by the adapter). Adopt it unless the row changed since.
   */
  private adoptFormatting(existing: MessageRow, m: MessageInfo): boolean {
    if (existing.rich !== null || existing.edited_at !== null || existing.deleted === 1 || existing.text !== m.text) return false;
    const rich = richJson(m.rich);
    if (rich === null) return false;
    this.host.store.setMessageRich(existing.id, rich);
    return true;
  }

  private refreshPreviewIfNewest(convId: string, target: MessageRow): void {
    const { store } = this.host;
    const newest = store.newestVisibleMessage(convId);
    if (!newest || newest.ts <= target.ts) {
      store.setConversationPreview(convId, newest ? previewOfRow(newest) : '');
    }
  }
}

