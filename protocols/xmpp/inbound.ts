// Turn one received <message/> (already unwrapped from a carbon or an archive result) into a plain
// description. It decides nothing about events; the adapter does. Anything that is not a message
// we understand yields null (ignored) or { malformed } (reported and dropped). Never throws.
import type { Element } from './sdk';
import { NS } from './ns';
import { parseJid, jidLabel } from './jid';
import type { Jid } from './jid';
import { attr, child, children, childText, cleanId, parseStamp } from './stanza';
import { sanitizeFileName, guessMime } from '../base/filenames';
import type { AttachmentInfo, MeetingInfo } from '../contract';
import { callMeetingOf } from './calls';

export type Via = 'live' | 'carbon-received' | 'carbon-sent' | 'archive';

export interface Envelope {
  readonly message: Element;
  readonly via: Via;
  /** For archive results: the MAM result id, the archive's owner (own bare JID or room) and the stamp. */
  readonly archive?: { readonly id: string; readonly owner: string; readonly ts: number | undefined };
}

export interface ParseContext {
  readonly ownBare: string;
  isRoom(bare: string): boolean;
  /** Our nick in that room, if joined. */
  ownNick(room: string): string | undefined;
  /** True when we sent a stanza with this origin-id (MUC reflection of our own message). */
  isOwnOrigin(originId: string): boolean;
  contactName(bare: string): string | undefined;
  /** Real bare JID behind an occupant JID, when the room tells us (non-anonymous rooms). */
  occupantRealJid(occupant: string): string | undefined;
  now(): number;
}

export interface ParsedMessage {
  readonly conversationId: string;
  readonly isGroup: boolean;
  readonly own: boolean;
  readonly senderId: string;
  readonly senderName: string;
  readonly ts: number;
  readonly messageId: string;
  readonly originId?: string;
  readonly elementId?: string;
  readonly stanzaId?: string;
  readonly body?: string;
  readonly attachments: readonly AttachmentInfo[];
  /** The call this message invites to (XEP-0482, or an oob meeting link). */
  readonly meeting?: MeetingInfo;
  readonly replyTo?: string;
  readonly correction?: string;
  readonly retraction?: string;
  readonly reactions?: { readonly target: string; readonly keys: readonly string[] };
  readonly receipt?: { readonly kind: 'received' | 'displayed'; readonly target: string };
  readonly chatState?: 'composing' | 'paused' | 'active' | 'inactive' | 'gone';
  readonly requestsReceipt: boolean;
  readonly markable: boolean;
  readonly mentionsMe: boolean;
}

export interface ParsedInvite {
  readonly invite: { readonly roomId: string; readonly from: string; readonly reason: string };
}

export type ParseResult = ParsedMessage | ParsedInvite | { readonly malformed: string } | null;

/** Longest body we pass on; beyond it the text is cut (a UI cannot show megabytes of text anyway). */
export const MAX_INBOUND_TEXT = 1_048_576 + 1024;

/** Cut to at most `max` UTF-16 units without splitting a surrogate pair (no half emoji). */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
const MAX_REACTIONS = 64;
const CHAT_STATES = ['composing', 'paused', 'active', 'inactive', 'gone'] as const;

/** The id rule shared by live, carbon and archive copies: origin-id, else sender/@id, else stanza-id. */
export function messageIdOf(originId: string | undefined, senderKey: string, elementId: string | undefined, stanzaId: string | undefined): string | undefined {
  if (originId) return originId;
  if (elementId) return `${senderKey}/${elementId}`;
  return stanzaId;
}

function oobAttachments(msg: Element): AttachmentInfo[] {
  const out: AttachmentInfo[] = [];
  for (const x of children(msg, 'x', NS.oob)) {
    const url = childText(x, 'url')?.trim();
    if (!url || url.length > 4096) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      continue;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') continue;
    let last = parsed.pathname.split('/').pop() ?? '';
    try {
      last = decodeURIComponent(last);
    } catch {
      // keep the raw segment
    }
    const name = sanitizeFileName(last);
    out.push({ id: `oob-${out.length}`, name, mime: guessMime(name), size: null, url: parsed.toString() });
    if (out.length >= 10) break;
  }
  return out;
}

function stanzaIdBy(msg: Element, by: string): string | undefined {
  for (const s of children(msg, 'stanza-id', NS.sid)) {
    if (parseJid(attr(s, 'by'))?.bare === by) return cleanId(attr(s, 'id'));
  }
  return undefined;
}

function parseInvite(msg: Element, from: Jid): ParsedInvite | null {
  const mucUser = child(msg, 'x', NS.mucUser);
  const mediated = child(mucUser, 'invite');
  if (mediated) {
    const inviter = parseJid(attr(mediated, 'from'));
    return { invite: { roomId: from.bare, from: inviter?.bare ?? '', reason: childText(mediated, 'reason') ?? '' } };
  }
  const direct = child(msg, 'x', NS.conference);
  const room = parseJid(attr(direct, 'jid'));
  if (direct && room) {
    return { invite: { roomId: room.bare, from: from.bare, reason: attr(direct, 'reason') ?? '' } };
  }
  return null;
}

export function parseMessage(env: Envelope, ctx: ParseContext): ParseResult {
  const msg = env.message;
  if (!msg.is('message')) return { malformed: 'forwarded element is not a message' };
  const type = attr(msg, 'type') ?? 'normal';
  if (type === 'error') return null;
  const rawFrom = attr(msg, 'from');
  // Live stanzas without 'from' come from our own server account (RFC 6120 §8.1.2.1).
  const from = parseJid(rawFrom ?? (env.via === 'live' ? ctx.ownBare : undefined));
  if (!from) return { malformed: `message with missing or invalid from (${String(rawFrom).slice(0, 80)})` };
  const to = parseJid(attr(msg, 'to'));

  if (env.via === 'live' && type !== 'groupchat') {
    const invite = parseInvite(msg, from);
    if (invite) return invite;
  }

  const isGroup = type === 'groupchat';
  let conversationId: string;
  let own: boolean;
  let senderId: string;
  let senderName: string;
  let senderKey: string;

  if (isGroup) {
    const room = from.bare;
    // Groupchat only from rooms we are in (live) or from that room's archive.
    const archiveOk = env.via === 'archive' && env.archive?.owner === room;
    if (!archiveOk && (env.via !== 'live' || !ctx.isRoom(room))) return { malformed: `groupchat from unknown room ${room}` };
    if (!from.resource) return null; // room's own messages (subject, status): not chat content
    conversationId = room;
    senderKey = `${room}/${from.resource}`;
    const originId = cleanId(attr(child(msg, 'origin-id', NS.sid), 'id'));
    const nick = ctx.ownNick(room);
    // A real JID inside a live message is whatever the sender wrote: trust it only from the room's
    // own archive (checked above); live, only the room's occupant presence says who someone is.
    const mucItem = archiveOk ? child(child(msg, 'x', NS.mucUser), 'item') : undefined;
    const real = parseJid(attr(mucItem, 'jid'))?.bare ?? ctx.occupantRealJid(senderKey);
    own = (nick !== undefined && nick === from.resource) || real === ctx.ownBare || (originId !== undefined && ctx.isOwnOrigin(originId));
    senderId = own ? ctx.ownBare : (real ?? senderKey);
    senderName = from.resource;
  } else {
    if (type !== 'chat' && type !== 'normal') return null; // headlines are not conversation content
    // From a room's occupant (MUC private message) or from a room itself: not a 1:1 conversation.
    if (ctx.isRoom(from.bare)) return null;
    own = from.bare === ctx.ownBare;
    const peer = own ? to : from;
    if (!peer) return { malformed: 'own message without a valid to' };
    if (peer.bare === ctx.ownBare && env.via !== 'live') {
      // Note to self: the conversation is with ourselves.
    }
    conversationId = peer.bare;
    senderId = from.bare;
    senderName = own ? jidLabel(ctx.ownBare) : (ctx.contactName(from.bare) ?? jidLabel(from.bare));
    senderKey = from.bare;
  }

  const originId = cleanId(attr(child(msg, 'origin-id', NS.sid), 'id'));
  const elementId = cleanId(attr(msg, 'id'));
  const stanzaId = env.via === 'archive' ? cleanId(env.archive?.id) : stanzaIdBy(msg, isGroup ? conversationId : ctx.ownBare);
  // Ephemeral notifications (chat states, receipts) legitimately carry no id.
  const messageId = messageIdOf(originId, senderKey, elementId, stanzaId) ?? '';

  const delay = parseStamp(attr(child(msg, 'delay', NS.delay), 'stamp'));
  // A delay stamp is the sender's claim: never let it date a message into the future.
  const ts = env.archive?.ts ?? (delay === undefined ? ctx.now() : Math.min(delay, ctx.now()));

  let body = childText(msg, 'body', NS.client);
  if (body !== undefined && body.length > MAX_INBOUND_TEXT) body = truncateText(body, MAX_INBOUND_TEXT);
  const meeting = callMeetingOf(msg);
  // The call's link is the Join card, not a file to download.
  const attachments = oobAttachments(msg).filter((a) => a.url !== meeting?.url);
  // An invite with no body (not ours) still needs a line of text.
  if (body === undefined && meeting) body = meeting.url ?? '';
  // Clients put the upload URL in the body for old clients; with an oob attachment it is redundant.
  if (body !== undefined && attachments.length === 1 && body.trim() === attachments[0]!.url) body = '';

  const replace = child(msg, 'replace', NS.correction);
  const correction = replace ? cleanId(attr(replace, 'id')) : undefined;

  let retraction: string | undefined;
  const retract1 = child(msg, 'retract', NS.retract1);
  if (retract1) retraction = cleanId(attr(retract1, 'id'));
  const applyTo = child(msg, 'apply-to', NS.fasten);
  if (!retraction && applyTo && child(applyTo, 'retract', NS.retract0)) retraction = cleanId(attr(applyTo, 'id'));

  let reactions: ParsedMessage['reactions'];
  const reactionsEl = child(msg, 'reactions', NS.reactions);
  if (reactionsEl) {
    const target = cleanId(attr(reactionsEl, 'id'));
    if (!target) return { malformed: 'reactions without target id' };
    const keys = [...new Set(children(reactionsEl, 'reaction').map((r) => (r.text() ?? '').trim()).filter((k) => k.length > 0 && k.length <= 64))];
    reactions = { target, keys: keys.slice(0, MAX_REACTIONS) };
  }

  let receipt: ParsedMessage['receipt'];
  const received = child(msg, 'received', NS.receipts) ?? child(msg, 'received', NS.markers);
  const displayed = child(msg, 'displayed', NS.markers);
  const rTarget = cleanId(attr(displayed ?? received, 'id'));
  if ((displayed || received) && rTarget) receipt = { kind: displayed ? 'displayed' : 'received', target: rTarget };

  let chatState: ParsedMessage['chatState'];
  for (const s of CHAT_STATES) if (child(msg, s, NS.chatStates)) chatState = s;

  const replyEl = child(msg, 'reply', NS.reply);
  const replyTo = replyEl ? cleanId(attr(replyEl, 'id')) : undefined;

  const nick = isGroup ? ctx.ownNick(conversationId) : undefined;
  const mentionsMe = !own && body !== undefined && nick !== undefined && nick.length > 0 && body.toLowerCase().includes(nick.toLowerCase());

  const hasContent = body !== undefined || attachments.length > 0 || correction || retraction || reactions || receipt || chatState;
  if (!hasContent) return null;
  const needsId = body !== undefined || attachments.length > 0 || correction !== undefined;
  if (needsId && !messageId) return { malformed: 'message without any id' };

  return {
    conversationId,
    isGroup,
    own,
    senderId,
    senderName,
    ts,
    messageId,
    ...(originId ? { originId } : {}),
    ...(elementId ? { elementId } : {}),
    ...(stanzaId ? { stanzaId } : {}),
    ...(body !== undefined ? { body } : {}),
    attachments,
    ...(meeting ? { meeting } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(correction ? { correction } : {}),
    ...(retraction ? { retraction } : {}),
    ...(reactions ? { reactions } : {}),
    ...(receipt ? { receipt } : {}),
    ...(chatState ? { chatState } : {}),
    requestsReceipt: child(msg, 'request', NS.receipts) !== undefined,
    markable: child(msg, 'markable', NS.markers) !== undefined,
    mentionsMe,
  };
}

/**
 * Unwrap a live stanza: carbons (only when they come from our own account, XEP-0280 §11) or the
 * plain message. MAM results are handled by mam.ts, which knows its query ids.
 */
export function unwrapLive(stanza: Element, ownBare: string): Envelope | { malformed: string } {
  for (const dir of ['received', 'sent'] as const) {
    const wrap = child(stanza, dir, NS.carbons);
    if (!wrap) continue;
    // XEP-0280 §11: a carbon must come from our own bare JID (or from no one: our own account).
    const rawFrom = attr(stanza, 'from');
    const fromJid = rawFrom === undefined ? parseJid(ownBare) : parseJid(rawFrom);
    if (!fromJid || fromJid.bare !== ownBare || fromJid.resource !== '') return { malformed: `forged carbon from ${String(attr(stanza, 'from')).slice(0, 80)}` };
    const inner = child(child(wrap, 'forwarded', NS.forward), 'message');
    if (!inner) return { malformed: 'carbon without forwarded message' };
    return { message: inner, via: dir === 'sent' ? 'carbon-sent' : 'carbon-received' };
  }
  return { message: stanza, via: 'live' };
}
