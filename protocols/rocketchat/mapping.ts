// Rocket.Chat shapes → contract shapes: messages (text = the Markdown source, rich = parsed),
// attachments (names sanitised, URLs rebuilt from ids so a hostile path cannot point elsewhere),
// video conferences, conversations and presence (protocols.md C.3/C.4).
import type { PresenceState } from '../../common/model';
import type { AttachmentInfo, ConversationInfo, MeetingInfo, MessageInfo } from '../contract';
import { guessMime, sanitizeFileName } from '../base/filenames';
import { markdownToRich } from '../base/rich';
import { rcMarkdownToCommonMark } from './dialect';
import type { RcMessage, RcRoom, RcSubscription } from './schemas';

export const RC_STATUS_NUMBERS: readonly PresenceState[] = ['offline', 'available', 'away', 'dnd'];

/** user-presence / user-status numbers 0–3 (OFFLINE, ONLINE, AWAY, BUSY). */
export function presenceFromNumber(n: number): PresenceState {
  return RC_STATUS_NUMBERS[n] ?? 'unknown';
}

export function presenceFromString(s: string | undefined): PresenceState {
  switch (s) {
    case 'online':
      return 'available';
    case 'away':
      return 'away';
    case 'busy':
      return 'dnd';
    case 'offline':
    case 'disabled':
      return 'offline';
    default:
      return 'unknown';
  }
}

/** What users.setStatus accepts for our own state; xa has no Rocket.Chat twin, away is closest. */
export function statusForPresence(state: PresenceState): 'online' | 'away' | 'busy' | 'offline' {
  switch (state) {
    case 'available':
      return 'online';
    case 'away':
    case 'xa':
      return 'away';
    case 'dnd':
      return 'busy';
    default:
      return 'offline';
  }
}

/** The message types a chat client shows as messages; the rest are room events (joins, renames…). */
export function isChatMessage(m: RcMessage): boolean {
  return (m.t === undefined || m.t === 'videoconf' || m.t === 'e2e') && m._hidden !== true;
}

export function videoConfCallId(m: RcMessage): string | undefined {
  if (m.t !== 'videoconf') return undefined;
  return m.blocks?.find((b) => b.type === 'video_conf' && typeof b.callId === 'string')?.callId;
}

/** The plain-text line for a video conference; the meetings layer turns refs.callId into a button later. */
export function videoConfText(senderName: string, joinUrl: string | null): string {
  return joinUrl
    ? `📹 ${senderName} started a video conference. Join: ${joinUrl}`
    : `📹 ${senderName} started a video conference (join it in Rocket.Chat).`;
}

/** The Join card of a video conference; without a known URL the core asks MeetingFeature.joinUrl. */
function meetingOf(joinUrl: string | null): MeetingInfo {
  return { system: 'Rocket.Chat', ...(joinUrl ? { url: joinUrl } : {}) };
}

export function attachmentsOf(m: RcMessage, baseUrl: string): AttachmentInfo[] {
  const files = m.files && m.files.length > 0 ? m.files : m.file ? [m.file] : [];
  return files.map((f) => {
    const name = sanitizeFileName(f.name ?? '', 'file');
    return {
      id: f._id,
      name,
      mime: guessMime(name),
      size: typeof f.size === 'number' ? f.size : null,
      url: `${baseUrl}/file-upload/${encodeURIComponent(f._id)}/${encodeURIComponent(name)}`,
    };
  });
}

export interface MapContext {
  readonly selfId: string;
  readonly baseUrl: string;
  readonly clientTxnFor: (id: string) => string | undefined;
  readonly joinUrlFor: (callId: string) => string | null;
}

export function toMessageInfo(m: RcMessage, ctx: MapContext, fromHistory: boolean): MessageInfo {
  const senderName = m.u.name ?? m.u.username ?? m.u._id;
  const callId = videoConfCallId(m);
  const mentions = m.mentions ?? [];
  const text = callId ? videoConfText(senderName, ctx.joinUrlFor(callId)) : m.t === 'e2e' ? '' : m.msg;
  const byName = new Map(mentions.filter((x) => x.username).map((x) => [x.username!, x._id]));
  const rich = callId || text === '' ? undefined : markdownToRich(rcMarkdownToCommonMark(text), { mentionNames: (name) => byName.get(name) ?? null });
  const attachments = attachmentsOf(m, ctx.baseUrl);
  const txn = ctx.clientTxnFor(m._id);
  const iso = new Date(m.ts).toISOString();
  return {
    id: m._id,
    conversationId: m.rid,
    senderId: m.u._id,
    senderName,
    own: m.u._id === ctx.selfId,
    ts: m.ts,
    text,
    ...(rich ? { rich } : {}),
    ...(callId ? { meeting: meetingOf(ctx.joinUrlFor(callId)) } : {}),
    ...(txn ? { clientTxnId: txn } : {}),
    ...(m.tmid ? { replyToId: m.tmid } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
    mentionsMe: mentions.some((x) => x._id === ctx.selfId || x._id === 'all' || x._id === 'here'),
    cursor: iso,
    refs: { rid: m.rid, ts: iso, ...(m.tmid ? { tmid: m.tmid } : {}), ...(callId ? { callId } : {}) },
    ...(fromHistory ? { fromHistory: true } : {}),
    ...(m.t === 'e2e' ? { undecryptable: true as const } : {}),
  };
}

/** username → the keys that user reacted with, Rocket.Chat keys as given. */
export function reactionsByUser(m: RcMessage): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, r] of Object.entries(m.reactions ?? {})) {
    for (const u of r.usernames) out.set(u, [...(out.get(u) ?? []), key]);
  }
  return out;
}

/** `host`: the server's host[:port], to write a DM partner's address as username@host. */
export function toConversation(room: RcRoom | undefined, sub: RcSubscription, host?: string): ConversationInfo {
  const t = sub.t || room?.t || 'c';
  const title = sub.fname || sub.name || room?.fname || room?.name || sub.rid;
  const last = room?.lm ?? room?._updatedAt;
  return {
    id: sub.rid,
    kind: t === 'd' ? 'direct' : 'group',
    title,
    isPrivate: t !== 'c',
    ...(last !== undefined ? { lastActivityAt: last } : {}),
    ...(room?.encrypted ? { encrypted: true } : {}),
    // A DM subscription's name is the other user's username.
    ...(t === 'd' && host && sub.name && /^[\w.-]{1,120}$/u.test(sub.name) ? { peer: `${sub.name}@${host}` } : {}),
  };
}
