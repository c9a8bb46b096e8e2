// Global ids. The renderer treats them as opaque; the core derives them deterministically from
// the account and the protocol's own ids, so they are the same after a restart and never collide
// across accounts. encodeURIComponent escapes ':' and '#', so the separators below are unambiguous.
import { createHash } from 'node:crypto';
import type { AccountId, ConversationId, MessageId, ProtocolId } from '../../common/ids';

/** Same protocol + address + endpoint → same account id (adding it twice is a conflict). */
export function accountIdFor(protocol: ProtocolId, address: string, serviceUrl: string | undefined): AccountId {
  const h = createHash('sha256').update(`${protocol}\n${address.toLowerCase()}\n${serviceUrl ?? ''}`).digest('hex');
  return `${protocol}-${h.slice(0, 12)}`;
}

export function conversationIdFor(accountId: AccountId, nativeConversationId: string): ConversationId {
  return `${accountId}:${encodeURIComponent(nativeConversationId)}`;
}

export function messageIdFor(conversationId: ConversationId, nativeMessageId: string): MessageId {
  return `${conversationId}:${encodeURIComponent(nativeMessageId)}`;
}

/**
 * Our own message before the server named it. It keeps this id after the ack, so the renderer's
 * row never jumps; '#' cannot occur in the encoded native form, so it cannot collide.
 */
export function pendingMessageIdFor(conversationId: ConversationId, clientTxnId: string): MessageId {
  return `${conversationId}#${clientTxnId}`;
}

export function contactIdFor(accountId: AccountId, address: string): string {
  return `${accountId}:${encodeURIComponent(address)}`;
}
