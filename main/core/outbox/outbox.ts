// The outbox: no message is lost and none is sent twice.
//  1. `enqueue` writes the pending message AND its outbox row in one transaction, before any
//     network call, so a crash right after the user pressed Enter still has it.
//  2. One worker per account sends rows oldest first, always with the row's own clientTxnId, so
//     replays (after reconnect, after a restart) are recognisable to the server and to our dedup.
//  3. A row leaves the outbox only on the server's ack (or our own echo, see the ingestor).
//  4. Transient errors keep it pending; after MAX_SEND_ATTEMPTS, or on an error retrying cannot
//     fix, it becomes 'failed' and waits for `message:retry`.
import { randomUUID } from 'node:crypto';
import { AppError, toErrorDto } from '../../../common/errors';
import type { AppErrorDto, ErrorKind } from '../../../common/errors';
import type { Patch } from '../../../common/api';
import type { AttachmentInfo, OutgoingMessage, ProtocolAdapter, SendAck } from '../../../protocols/contract';
import { backoffDelay } from '../accounts/backoff';
import type { CoreLogger, Scheduler, TimerHandle } from '../clock';
import { pendingMessageIdFor } from '../ids';
import type { ConversationRow, MessageRow, OutboxRow } from '../store/rows';
import type { Store } from '../store/store';
import { parseJson, previewOf, refsOf } from '../views';

export const MAX_SEND_ATTEMPTS = 5;

/** Errors worth retrying: the same request may well succeed later. */
const RETRYABLE: readonly ErrorKind[] = ['network', 'timeout', 'server', 'rate_limited', 'unknown'];

export interface OutboxPayload {
  readonly text: string;
  /** Global id of the message replied to. */
  readonly replyTo?: string;
  readonly attachment?: AttachmentInfo;
}

export interface OutboxHost {
  readonly store: Store;
  readonly scheduler: Scheduler;
  readonly log: CoreLogger;
  readonly random: () => number;
  /** The adapter, only while the account is connected. */
  connectedAdapter(accountId: string): ProtocolAdapter | null;
  emitMessages(conversationId: string, messageIds: readonly string[]): void;
  emitConversation(conversationId: string): void;
  emit(patch: Patch): void;
  /** The Join card for a meeting link in our own text (stored JSON), or null. */
  meetingOf(text: string): string | null;
}

export class Outbox {
  private readonly running = new Set<string>();
  private readonly retryTimers = new Map<string, TimerHandle>();

  constructor(private readonly host: OutboxHost) {}

  /** Store a new own message as pending (step 1). The caller then kicks the worker. */
  enqueue(conv: ConversationRow, sender: { id: string; name: string }, payload: OutboxPayload): MessageRow {
    const { store } = this.host;
    const clientTxnId = randomUUID();
    const id = pendingMessageIdFor(conv.id, clientTxnId);
    const now = this.host.scheduler.now();
    const replyNative = payload.replyTo !== undefined ? (store.getMessage(payload.replyTo)?.native_id ?? null) : null;
    store.tx(() => {
      store.insertMessage({
        id, conversation_id: conv.id, native_id: null, sender_id: sender.id, sender_name: sender.name, own: 1, ts: now,
        text: payload.text, edited_at: null, deleted: 0, reply_to: replyNative,
        attachments: JSON.stringify(payload.attachment ? [payload.attachment] : []), refs: '{}',
        status: 'pending', mentions_me: 0, client_txn_id: clientTxnId, cursor: null, meeting: this.host.meetingOf(payload.text),
      });
      store.insertOutbox({
        client_txn_id: clientTxnId, account_id: conv.account_id, conversation_id: conv.id,
        payload: JSON.stringify(payload), attempts: 0, state: 'pending', created_at: now, last_error: null,
      });
      store.bumpConversation(conv.id, now, previewOf(payload.text, payload.attachment ? [payload.attachment] : []), 0, 0);
    });
    return store.getMessage(id)!;
  }

  /** Start (or continue) sending this account's pending rows if it is connected. */
  kick(accountId: string): void {
    const t = this.retryTimers.get(accountId);
    if (t !== undefined) {
      this.host.scheduler.clearTimeout(t);
      this.retryTimers.delete(accountId);
    }
    void this.run(accountId);
  }

  /** `message:retry`: a failed message goes back to pending with a fresh attempt budget. */
  retry(message: MessageRow): void {
    const { store } = this.host;
    const row = message.client_txn_id !== null ? store.getOutbox(message.client_txn_id) : undefined;
    if (!row || message.status !== 'failed') throw new AppError('conflict', 'Only a failed message can be retried');
    store.tx(() => {
      store.updateOutbox(row.client_txn_id, 'pending', 0, null);
      store.setMessageStatus(message.id, 'pending');
    });
    this.host.emitMessages(message.conversation_id, [message.id]);
    this.kick(row.account_id);
  }

  /** Forget an own message that never reached the server (the user deleted it). */
  discard(message: MessageRow): void {
    const { store } = this.host;
    store.tx(() => {
      if (message.client_txn_id !== null) store.deleteOutbox(message.client_txn_id);
      store.deleteMessage(message.id);
    });
    this.host.emit({ type: 'messages.removed', conversationId: message.conversation_id, ids: [message.id] });
  }

  dispose(): void {
    for (const t of this.retryTimers.values()) this.host.scheduler.clearTimeout(t);
    this.retryTimers.clear();
  }

  private async run(accountId: string): Promise<void> {
    if (this.running.has(accountId)) return;
    this.running.add(accountId);
    try {
      for (;;) {
        const adapter = this.host.connectedAdapter(accountId);
        if (!adapter) return;
        const row = this.host.store.nextPendingOutbox(accountId);
        if (!row) return;
        const again = await this.sendOne(adapter, row);
        if (!again) return;
      }
    } catch (e) {
      this.host.log.error('outbox worker stopped', { accountId, error: String(e) });
    } finally {
      this.running.delete(accountId);
    }
  }

  /** Returns true to continue with the next row, false to stop the worker for now. */
  private async sendOne(adapter: ProtocolAdapter, row: OutboxRow): Promise<boolean> {
    const { store } = this.host;
    const conv = store.getConversation(row.conversation_id);
    const message = conv ? store.findMessageByTxn(conv.id, row.client_txn_id) : undefined;
    if (!conv || !message) {
      store.deleteOutbox(row.client_txn_id);
      return true;
    }
    // Count the attempt before the network call: a crash mid-send still uses up an attempt.
    const attempts = row.attempts + 1;
    store.updateOutbox(row.client_txn_id, 'pending', attempts, row.last_error);

    const payload = parseJson<OutboxPayload>(row.payload, { text: '' });
    let replyTo: OutgoingMessage['replyTo'];
    if (payload.replyTo !== undefined) {
      const target = store.getMessage(payload.replyTo);
      if (target?.native_id) replyTo = { id: target.native_id, refs: refsOf(target), senderId: target.sender_id, text: target.text };
    }
    const outgoing: OutgoingMessage = {
      clientTxnId: row.client_txn_id,
      text: payload.text,
      ...(replyTo ? { replyTo } : {}),
      ...(payload.attachment ? { attachment: payload.attachment } : {}),
    };

    let ack: SendAck;
    try {
      ack = await adapter.send(conv.native_id, outgoing);
    } catch (e) {
      const err = toErrorDto(e);
      // Our own echo may have confirmed it while we waited; then there is nothing to retry.
      if (!store.getOutbox(row.client_txn_id)) return true;
      if (!RETRYABLE.includes(err.kind) || attempts >= MAX_SEND_ATTEMPTS) {
        this.fail(row, message, err);
        return true;
      }
      store.updateOutbox(row.client_txn_id, 'pending', attempts, JSON.stringify(err));
      this.scheduleRetry(row.account_id, attempts, err);
      return false;
    }
    this.confirm(conv.id, row.client_txn_id, ack);
    return true;
  }

  /** The server acknowledged: the message is sent, under the id its echo will carry. */
  private confirm(conversationId: string, clientTxnId: string, ack: SendAck): void {
    const { store } = this.host;
    const removed: string[] = [];
    let confirmed: string | null = null;
    store.tx(() => {
      store.deleteOutbox(clientTxnId);
      const mine = store.findMessageByTxn(conversationId, clientTxnId);
      if (!mine) return;
      confirmed = mine.id;
      if (mine.native_id !== null && mine.status !== 'pending' && mine.status !== 'failed') return; // echo was first
      // An echo that came without our txn id was stored as its own row: keep ours, drop it.
      const twin = store.findMessageByNative(conversationId, ack.messageId);
      if (twin && twin.id !== mine.id) {
        store.deleteMessage(twin.id);
        removed.push(twin.id);
      }
      store.confirmMessage(mine.id, ack.messageId, JSON.stringify({ ...refsOf(mine), ...ack.refs }), 'sent', null);
    });
    if (removed.length > 0) this.host.emit({ type: 'messages.removed', conversationId, ids: removed });
    if (confirmed !== null) this.host.emitMessages(conversationId, [confirmed]);
  }

  private fail(row: OutboxRow, message: MessageRow, err: AppErrorDto): void {
    const { store } = this.host;
    store.tx(() => {
      store.updateOutbox(row.client_txn_id, 'failed', row.attempts + 1, JSON.stringify(err));
      store.setMessageStatus(message.id, 'failed');
    });
    this.host.log.warn('message failed', { conversationId: message.conversation_id, kind: err.kind });
    this.host.emitMessages(message.conversation_id, [message.id]);
    this.host.emit({
      type: 'notice', level: 'error', code: 'message-failed',
      params: { conversationId: message.conversation_id, messageId: message.id, kind: err.kind },
    });
  }

  /**
   * A transient failure while the account still looks connected (a send timeout, say): try again
   * later. If the connection really dropped, the reconnect kicks the worker sooner.
   */
  private scheduleRetry(accountId: string, attempts: number, err: AppErrorDto): void {
    if (this.retryTimers.has(accountId)) return;
    const delay = err.kind === 'rate_limited' && err.retryAfterMs !== undefined ? err.retryAfterMs : Math.max(1000, backoffDelay(attempts, this.host.random));
    this.retryTimers.set(
      accountId,
      this.host.scheduler.setTimeout(() => {
        this.retryTimers.delete(accountId);
        void this.run(accountId);
      }, delay),
    );
  }
}

