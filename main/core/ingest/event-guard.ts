// Adapters are translated from untrusted network input and may have bugs. Before an event
// touches the store we check its shape, so a malformed event is dropped and counted instead of
// throwing inside a transaction (or writing `undefined` into SQLite).
import type { AdapterEvent } from '../../../protocols/contract';

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const strRecord = (v: unknown): boolean => obj(v) && Object.values(v).every(str);

/**
 * Longest text we keep from the network: above the adapters' own caps (XMPP cuts at 1 MiB), so a
 * long message the adapter accepted is stored whole; the UI shows long messages collapsed. More
 * than this is a bug or an attack, not a chat message.
 */
export const MAX_TEXT = 1_100_000;

function validMessage(m: unknown): boolean {
  if (!obj(m)) return false;
  return (
    str(m.id) && m.id.length > 0 &&
    str(m.conversationId) && m.conversationId.length > 0 &&
    str(m.senderId) && str(m.senderName) &&
    typeof m.own === 'boolean' && num(m.ts) &&
    str(m.text) && m.text.length <= MAX_TEXT &&
    optStr(m.clientTxnId) && optStr(m.replyToId) && optStr(m.cursor) &&
    strRecord(m.refs) &&
    (m.attachments === undefined ||
      (Array.isArray(m.attachments) &&
        m.attachments.every((a: unknown) => obj(a) && str(a.id) && str(a.name) && str(a.mime) && str(a.url) && (a.size === null || num(a.size)))))
  );
}

/** Why the event is unusable, or null if it is well-formed. */
export function checkEvent(e: unknown): string | null {
  if (!obj(e) || !str(e.type)) return 'event without a type';
  const ev = e as Record<string, unknown>;
  const ok = ((): boolean => {
    switch (ev.type as AdapterEvent['type']) {
      case 'connection':
        return str(ev.state) && ['connecting', 'connected', 'reconnecting', 'disconnected'].includes(ev.state);
      case 'capabilities':
        return obj(ev.capabilities);
      case 'conversation':
        return obj(ev.conversation) && str(ev.conversation.id) && ev.conversation.id.length > 0 && str(ev.conversation.title) &&
          (ev.conversation.kind === 'direct' || ev.conversation.kind === 'group');
      case 'conversation.removed':
        return str(ev.conversationId);
      case 'message':
        return validMessage(ev.message);
      case 'message.edited':
        return str(ev.conversationId) && str(ev.targetId) && str(ev.text) && ev.text.length <= MAX_TEXT && num(ev.ts) && str(ev.senderId);
      case 'message.deleted':
        return str(ev.conversationId) && str(ev.targetId) && str(ev.senderId);
      case 'reactions':
        return str(ev.conversationId) && str(ev.targetId) && str(ev.senderId) && Array.isArray(ev.keys) && ev.keys.every(str) && ev.keys.length <= 100;
      case 'receipt':
        return str(ev.conversationId) && str(ev.targetId) && str(ev.senderId) && (ev.kind === 'received' || ev.kind === 'displayed');
      case 'typing':
        return str(ev.conversationId) && str(ev.senderId) && typeof ev.typing === 'boolean';
      case 'presence':
        return str(ev.userId) && str(ev.state) && str(ev.statusText);
      case 'contact':
        return obj(ev.contact) && str(ev.contact.address) && str(ev.contact.name) && str(ev.contact.subscription) && Array.isArray(ev.contact.groups);
      case 'contact.removed':
      case 'subscription.request':
        return str(ev.address);
      case 'room.invite':
        return str(ev.roomId) && str(ev.from) && str(ev.reason);
      case 'sync':
        return strRecord(ev.state);
      case 'malformed':
        return true;
      default:
        return false;
    }
  })();
  return ok ? null : `malformed ${String(ev.type)} event`;
}
