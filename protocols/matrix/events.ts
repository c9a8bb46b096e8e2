// Raw Matrix events (as JSON from /sync, /messages, /context) → contract shapes. Pure functions
// plus one small stateful index for reactions. Nothing here trusts the event: every field is
// checked; `formatted_body` is only read through the allowlist sanitiser (formatting.ts), which
// turns it into a tree of known elements, so hostile HTML has nothing to run on.
import type { AdapterEvent, AttachmentInfo, MessageInfo } from '../contract';
import { BoundedMap } from '../base/bounded';
import { guessMime, sanitizeFileName } from '../base/filenames';
import { isEventId } from './ids';
import { richFromContent } from './formatting';
import type { RichNode } from '../../common/rich-text';
import { widgetMessage } from './widgets';

export interface RawEvent {
  readonly event_id: string;
  readonly type: string;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly content: Record<string, unknown>;
  readonly state_key?: string;
  readonly unsigned?: Record<string, unknown>;
  readonly redacts?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Validate the envelope every event must have; null = not an event at all. */
export function asRawEvent(v: unknown): RawEvent | null {
  if (!isObj(v)) return null;
  const { event_id, type, sender, origin_server_ts, content } = v;
  if (!isEventId(event_id) || typeof type !== 'string' || typeof sender !== 'string') return null;
  if (typeof origin_server_ts !== 'number' || !Number.isFinite(origin_server_ts)) return null;
  const ev: RawEvent = {
    event_id,
    type,
    sender,
    origin_server_ts,
    content: isObj(content) ? content : {},
    ...(typeof v.state_key === 'string' ? { state_key: v.state_key } : {}),
    ...(isObj(v.unsigned) ? { unsigned: v.unsigned } : {}),
    ...(typeof v.redacts === 'string' ? { redacts: v.redacts } : {}),
  };
  return ev;
}

/** Displayed text is capped: Synapse allows 64 KiB events, the UI does not need more. */
export const MAX_TEXT = 65_536;

const MEDIA_TYPES = new Set(['m.file', 'm.image', 'm.video', 'm.audio']);
/** Non-message types we know and ignore on purpose (no `malformed`). */
const IGNORED_TYPES = new Set([
  'm.room.encrypted', // decrypted before parsing (e2ee.ts); what stays encrypted is a placeholder
  'm.call.invite', 'm.call.answer', 'm.call.hangup', 'm.call.candidates', 'm.call.select_answer', 'm.call.negotiate', 'm.call.reject',
  'm.sticker', 'm.poll.start', 'org.matrix.msc3381.poll.start', 'm.key.verification.request', 'm.key.verification.ready',
  'm.key.verification.start', 'm.key.verification.done', 'm.key.verification.cancel', 'm.key.verification.key', 'm.key.verification.mac',
  'm.key.verification.accept',
]);

export interface Self {
  readonly userId: string;
  readonly localpart: string;
  displayName: string;
}

export function relatesTo(content: Obj): Obj | null {
  const r = content['m.relates_to'];
  return isObj(r) ? r : null;
}

export function isRedacted(ev: RawEvent): boolean {
  return ev.unsigned !== undefined && isObj(ev.unsigned.redacted_because);
}

/**
 * Reply fallbacks (spec ≤ v1.12): leading lines starting with "> " and then one blank line. Only
 * stripped when the event is a reply, so a message that merely starts with a quote is kept.
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (i === 0) return body;
  if (i < lines.length && lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

function mentions(content: Obj, body: string, self: Self): boolean {
  const m = content['m.mentions'];
  // With intentional mentions (spec v1.7) the sender said whom they mean: no keyword guessing.
  if (isObj(m)) {
    const ids = m.user_ids;
    return Array.isArray(ids) && ids.some((x) => x === self.userId);
  }
  const lower = body.toLowerCase();
  if (lower.includes(self.userId.toLowerCase())) return true;
  const words = [self.localpart, self.displayName].filter((w) => w.length >= 2).map((w) => w.toLowerCase());
  return words.some((w) => new RegExp(`(^|[^\\p{L}\\p{N}_])${escapeRe(w)}($|[^\\p{L}\\p{N}_])`, 'u').test(lower));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function attachmentOf(ev: RawEvent): AttachmentInfo | null | 'bad' {
  const c = ev.content;
  const msgtype = str(c.msgtype) ?? '';
  if (!MEDIA_TYPES.has(msgtype)) return null;
  const url = str(c.url);
  if (!url || !url.startsWith('mxc://')) return 'bad';
  const info = isObj(c.info) ? c.info : {};
  const rawName = str(c.filename) ?? str(c.body) ?? 'file';
  const name = sanitizeFileName(rawName, 'file');
  const declared = str(info.mimetype);
  const mime = declared && /^[a-z]+\/[a-z0-9.+-]+$/i.test(declared) ? declared.toLowerCase() : guessMime(name);
  const size = typeof info.size === 'number' && Number.isSafeInteger(info.size) && info.size >= 0 ? info.size : null;
  return { id: ev.event_id, name, mime, size, url };
}

export type Parsed =
  | { readonly kind: 'message'; readonly message: MessageInfo }
  | { readonly kind: 'edit'; readonly targetId: string; readonly text: string; readonly rich?: readonly RichNode[]; readonly ts: number; readonly senderId: string }
  | { readonly kind: 'reaction'; readonly targetId: string; readonly key: string; readonly senderId: string; readonly eventId: string }
  | { readonly kind: 'redaction'; readonly targetId: string; readonly senderId: string }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'malformed'; readonly detail: string };

const IGNORED: Parsed = { kind: 'ignored' };

/** The newest edit bundled by the server (unsigned.m.relations.m.replace), if valid. */
function bundledEdit(ev: RawEvent): { text: string; rich: readonly RichNode[] | undefined } | null {
  const rel = ev.unsigned?.['m.relations'];
  const rep = isObj(rel) ? rel['m.replace'] : undefined;
  if (!isObj(rep) || rep.sender !== ev.sender || !isObj(rep.content)) return null;
  const nc = rep.content['m.new_content'];
  return isObj(nc) && typeof nc.body === 'string' ? { text: nc.body.slice(0, MAX_TEXT), rich: richFromContent(nc) } : null;
}

export function parseEvent(roomId: string, ev: RawEvent, self: Self, opts: { fromHistory: boolean; senderName?: string }): Parsed {
  if (ev.state_key !== undefined) {
    // State is read through the SDK's room model; a Jitsi widget is also a call invitation.
    const call = isRedacted(ev) ? null : widgetMessage(roomId, ev, self, opts);
    return call ? { kind: 'message', message: call } : IGNORED;
  }
  const c = ev.content;
  switch (ev.type) {
    case 'm.room.message': {
      if (isRedacted(ev) || Object.keys(c).length === 0) return IGNORED;
      const rel = relatesTo(c);
      if (rel && rel.rel_type === 'm.replace') {
        const target = rel.event_id;
        const nc = c['m.new_content'];
        if (!isEventId(target) || !isObj(nc) || typeof nc.body !== 'string') return { kind: 'malformed', detail: `bad edit ${ev.event_id}` };
        const rich = richFromContent(nc);
        return { kind: 'edit', targetId: target, text: nc.body.slice(0, MAX_TEXT), ...(rich ? { rich } : {}), ts: ev.origin_server_ts, senderId: ev.sender };
      }
      const body = c.body;
      if (typeof body !== 'string' || typeof c.msgtype !== 'string') return { kind: 'malformed', detail: `message ${ev.event_id.slice(0, 80)} without a string body/msgtype` };
      const att = attachmentOf(ev);
      if (att === 'bad') return { kind: 'malformed', detail: `media message ${ev.event_id.slice(0, 80)} without an mxc url` };
      const inReply = rel && isObj(rel['m.in_reply_to']) ? rel['m.in_reply_to'].event_id : undefined;
      const threadRoot = rel && rel.rel_type === 'm.thread' && isEventId(rel.event_id) ? rel.event_id : undefined;
      const fallingBack = rel?.is_falling_back === true;
      const replyToId = isEventId(inReply) && !(threadRoot && fallingBack) ? inReply : threadRoot;
      let text = isEventId(inReply) && !threadRoot ? stripReplyFallback(body) : body;
      if (att) text = str(c.filename) !== undefined && body !== c.filename ? body : '';
      // Captions of files stay plain; a text message may carry HTML formatting.
      let rich = att ? undefined : richFromContent(c);
      const edited = bundledEdit(ev);
      if (edited !== null) {
        text = edited.text;
        rich = edited.rich;
      }
      if (text.length > MAX_TEXT) {
        text = `${text.slice(0, MAX_TEXT)}…`;
        rich = undefined;
      }
      const own = ev.sender === self.userId;
      const txn = own ? str(ev.unsigned?.transaction_id) : undefined;
      const message: MessageInfo = {
        id: ev.event_id,
        conversationId: roomId,
        senderId: ev.sender,
        senderName: opts.senderName ?? ev.sender,
        own,
        ts: ev.origin_server_ts,
        text,
        ...(rich ? { rich } : {}),
        ...(txn ? { clientTxnId: txn } : {}),
        ...(replyToId ? { replyToId } : {}),
        ...(att ? { attachments: [att] } : {}),
        mentionsMe: !own && mentions(c, att ? body : text, self),
        cursor: `e:${ev.event_id}`,
        refs: { eventId: ev.event_id, roomId, ...(threadRoot ? { threadRoot } : {}) },
        ...(opts.fromHistory ? { fromHistory: true } : {}),
      };
      return { kind: 'message', message };
    }
    case 'm.reaction': {
      if (isRedacted(ev)) return IGNORED;
      const rel = relatesTo(c);
      if (!rel || rel.rel_type !== 'm.annotation' || !isEventId(rel.event_id) || typeof rel.key !== 'string' || rel.key.length === 0 || rel.key.length > 256) {
        return { kind: 'malformed', detail: `bad reaction ${ev.event_id.slice(0, 80)}` };
      }
      return { kind: 'reaction', targetId: rel.event_id, key: rel.key, senderId: ev.sender, eventId: ev.event_id };
    }
    case 'm.room.redaction': {
      const target = ev.redacts ?? c.redacts; // top-level before room v11, in content since
      if (!isEventId(target)) return { kind: 'malformed', detail: `redaction ${ev.event_id.slice(0, 80)} without target` };
      return { kind: 'redaction', targetId: target, senderId: ev.sender };
    }
    default:
      if (IGNORED_TYPES.has(ev.type) || ev.type.startsWith('m.call.') || ev.type.startsWith('org.matrix.') || ev.type.startsWith('im.vector.')) return IGNORED;
      return { kind: 'malformed', detail: `unknown event type ${ev.type.slice(0, 80)}` };
  }
}

interface ReactionRef {
  readonly roomId: string;
  readonly targetId: string;
  readonly senderId: string;
  readonly key: string;
}

/** Reaction event id → what it annotates; (target, sender) → keys. Turns single annotations and
 *  redactions into the contract's "full key set per sender". */
export class ReactionIndex {
  private readonly byEvent = new BoundedMap<string, ReactionRef>(50_000);
  private readonly sets = new BoundedMap<string, Map<string, string>>(20_000);

  add(roomId: string, eventId: string, targetId: string, senderId: string, key: string): AdapterEvent | null {
    if (this.byEvent.has(eventId)) return null;
    this.byEvent.set(eventId, { roomId, targetId, senderId, key });
    const k = `${targetId}\n${senderId}`;
    const set = this.sets.get(k) ?? new Map<string, string>();
    const had = set.has(key);
    set.set(key, eventId);
    this.sets.set(k, set);
    return had ? null : { type: 'reactions', conversationId: roomId, targetId, senderId, keys: [...set.keys()] };
  }

  /** A redaction: if it removed a reaction we know, the sender's new key set. */
  redact(redactedId: string): AdapterEvent | 'unknown' | null {
    const ref = this.byEvent.get(redactedId);
    if (!ref) return 'unknown';
    this.byEvent.delete(redactedId);
    const k = `${ref.targetId}\n${ref.senderId}`;
    const set = this.sets.get(k);
    if (!set || set.get(ref.key) !== redactedId) return null;
    set.delete(ref.key);
    return { type: 'reactions', conversationId: ref.roomId, targetId: ref.targetId, senderId: ref.senderId, keys: [...set.keys()] };
  }
}

/** Who sent an event, where and when, as the start of a MessageInfo (same id live and from history). */
export function eventMessageBase(roomId: string, ev: RawEvent, self: Self, opts: { senderName?: string }): Pick<MessageInfo, 'id' | 'conversationId' | 'senderId' | 'senderName' | 'own' | 'ts'> {
  return { id: ev.event_id, conversationId: roomId, senderId: ev.sender, senderName: opts.senderName ?? ev.sender, own: ev.sender === self.userId, ts: ev.origin_server_ts };
}

/**
 * An encrypted event we cannot decrypt (yet): a message with empty text, marked `undecryptable`,
 * which the UI shows as a translated placeholder. Same id as the decrypted message will have.
 */
export function undecryptableMessage(roomId: string, ev: RawEvent, self: Self, opts: { fromHistory: boolean; senderName?: string }): MessageInfo {
  const base = eventMessageBase(roomId, ev, self, opts);
  const txn = base.own ? str(ev.unsigned?.transaction_id) : undefined;
  return {
    ...base,
    text: '',
    ...(txn ? { clientTxnId: txn } : {}),
    cursor: `e:${ev.event_id}`,
    refs: { eventId: ev.event_id, roomId },
    ...(opts.fromHistory ? { fromHistory: true } : {}),
    undecryptable: true,
  };
}
