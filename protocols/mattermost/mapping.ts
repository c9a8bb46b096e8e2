// Pure translations between Mattermost shapes and the contract's (unit-tested in
// test/unit/protocols/mattermost/mapping.test.ts).
import type { PresenceState } from '../../common/model';
import type { SyncState } from '../contract';
import type { MmChannel, MmPost, MmUser } from './schemas';

// ------------------------------------------------------------------ presence (protocols.md C.3/C.4)

export function presenceFromStatus(status: string): PresenceState {
  switch (status) {
    case 'online': return 'available';
    case 'away': return 'away';
    case 'ooo': return 'xa';
    case 'dnd': return 'dnd';
    case 'offline': return 'offline';
    default: return 'unknown';
  }
}

/** Mattermost has no "extended away" to set, so xa becomes away; unknown is treated as online. */
export function statusFromPresence(state: PresenceState): 'online' | 'away' | 'dnd' | 'offline' {
  switch (state) {
    case 'away':
    case 'xa': return 'away';
    case 'dnd': return 'dnd';
    case 'offline': return 'offline';
    default: return 'online';
  }
}

/** Text of the custom status in user.props.customStatus (a JSON string); '' when unset or expired. */
export function customStatusText(user: Pick<MmUser, 'props'>, now: number): string {
  const raw = user.props?.customStatus;
  if (typeof raw !== 'string' || raw === '') return '';
  try {
    const cs = JSON.parse(raw) as { text?: unknown; expires_at?: unknown; duration?: unknown };
    if (typeof cs.text !== 'string') return '';
    if (typeof cs.expires_at === 'string' && cs.duration !== 'dont_clear' && cs.duration !== '') {
      const t = Date.parse(cs.expires_at);
      if (Number.isFinite(t) && t > 0 && t < now) return '';
    }
    return cs.text.slice(0, 200);
  } catch {
    return '';
  }
}

// ------------------------------------------------------------------ names

export function displayName(u: Pick<MmUser, 'username' | 'first_name' | 'last_name' | 'nickname'>): string {
  const full = `${u.first_name} ${u.last_name}`.trim();
  return full || u.nickname || u.username;
}

export function channelTitle(displayNameOfChannel: string, teamDisplayName: string | null): string {
  return teamDisplayName ? `${displayNameOfChannel} (${teamDisplayName})` : displayNameOfChannel;
}

/** A channel name (URL slug) for a new private channel: lower-case ASCII plus a random tail. */
export function channelSlug(title: string, random: string): string {
  const base = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return `${base || 'channel'}-${random.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8)}`;
}

/** The other user of a DM channel (its name is "<id>__<id>"); ourselves for a self-DM. */
export function dmPartner(c: Pick<MmChannel, 'name'>, selfId: string): string {
  const [a = '', b = ''] = c.name.split('__');
  return a === selfId ? b : a;
}

/** NativeRefs of a post: its id, and the thread root that replies must point at. */
export function refsOf(p: Pick<MmPost, 'id' | 'root_id'>): Record<string, string> {
  return { postId: p.id, ...(p.root_id ? { rootId: p.root_id } : {}) };
}

// ------------------------------------------------------------------ reactions

/** Common emoji names of Mattermost's picker and their Unicode form. Others stay `:name:`. */
const EMOJI: ReadonlyArray<readonly [string, string]> = [
  ['+1', '👍'], ['thumbsup', '👍'], ['-1', '👎'], ['thumbsdown', '👎'], ['heart', '❤️'], ['smile', '😄'], ['slightly_smiling_face', '🙂'],
  ['grinning', '😀'], ['laughing', '😆'], ['joy', '😂'], ['wink', '😉'], ['cry', '😢'], ['open_mouth', '😮'], ['thinking_face', '🤔'],
  ['tada', '🎉'], ['clap', '👏'], ['pray', '🙏'], ['wave', '👋'], ['ok_hand', '👌'], ['eyes', '👀'], ['fire', '🔥'], ['rocket', '🚀'],
  ['100', '💯'], ['white_check_mark', '✅'], ['heavy_check_mark', '✔️'], ['x', '❌'], ['warning', '⚠️'], ['star', '⭐'], ['coffee', '☕'],
];
const TO_UNICODE = new Map(EMOJI);
const TO_NAME = new Map<string, string>();
for (const [name, uni] of EMOJI) if (!TO_NAME.has(uni)) TO_NAME.set(uni, name);

export function reactionKey(emojiName: string): string {
  return TO_UNICODE.get(emojiName) ?? `:${emojiName}:`;
}

/** The emoji name to send for a key, or null when the key has no Mattermost name we know. */
export function emojiNameForKey(key: string): string | null {
  const named = /^:([a-z0-9_+-]{1,64}):$/i.exec(key);
  if (named) return named[1]!.toLowerCase();
  return TO_NAME.get(key) ?? TO_NAME.get(key.replace(/\ufe0f/g, '')) ?? TO_NAME.get(`${key}\ufe0f`) ?? null;
}

// ------------------------------------------------------------------ mentions

/** Whether a message mentions the user: the server's list, or @username / @channel / @all / @here in the text. */
export function mentionsUser(text: string, username: string, mentionedIds: readonly string[], userId: string): boolean {
  if (mentionedIds.includes(userId)) return true;
  if (/(^|[^\p{L}\p{N}_])@(channel|all|here)(?![\p{L}\p{N}_-])/iu.test(text)) return true;
  if (!username) return false;
  const esc = username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}._@-])@${esc}(?![\\p{L}\\p{N}_-]|\\.[\\p{L}\\p{N}])`, 'iu').test(text);
}

/** `mentions` of a posted event: a JSON string array of user ids. */
export function parseMentions(raw: unknown): string[] {
  if (typeof raw !== 'string') return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** @names in a message (for resolving them to user ids before building the rich tree). */
export function mentionedNames(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?<![\p{L}\p{N}._@-])@([\p{L}\p{N}._-]+)/gu)) {
    const n = m[1]!.replace(/[._-]+$/, '').toLowerCase();
    if (n && !['channel', 'all', 'here'].includes(n)) out.add(n);
  }
  return [...out].slice(0, 50);
}

// ------------------------------------------------------------------ client transaction ids

/** pending_post_id for a send: Mattermost deduplicates retries by it (app/post.go). */
export function pendingPostId(selfId: string, clientTxnId: string): string {
  return `${selfId}:${clientTxnId}`;
}
export function clientTxnIdFrom(pending: string, selfId: string): string | undefined {
  const prefix = `${selfId}:`;
  return pending.startsWith(prefix) && pending.length > prefix.length ? pending.slice(prefix.length) : undefined;
}

// ------------------------------------------------------------------ catch-up cursors

/**
 * The sync state: `c:<channel id>` = newest update_at (server ms) emitted for that channel, and
 * `t` = the newest over all channels (the cursor for channels we first see after a gap).
 */
export class Cursors {
  private readonly map = new Map<string, number>();
  private global = 0;

  static from(state: SyncState): Cursors {
    const c = new Cursors();
    for (const [k, v] of Object.entries(state)) {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) continue;
      if (k === 't') c.global = n;
      else if (k.startsWith('c:')) c.map.set(k.slice(2), n);
    }
    return c;
  }

  get empty(): boolean {
    return this.global === 0 && this.map.size === 0;
  }
  channel(id: string): number | undefined {
    return this.map.get(id);
  }
  get newest(): number {
    return this.global;
  }
  /** Returns true when the cursor moved. */
  advance(channelId: string, t: number): boolean {
    const cur = this.map.get(channelId) ?? 0;
    if (t <= cur) return false;
    this.map.set(channelId, t);
    this.global = Math.max(this.global, t);
    return true;
  }
  /** Keep only channels we are still in, so the state does not grow forever. */
  retain(ids: ReadonlySet<string>): void {
    for (const k of [...this.map.keys()]) if (!ids.has(k)) this.map.delete(k);
  }
  toState(): SyncState {
    const out: Record<string, string> = { t: String(this.global) };
    for (const [k, v] of this.map) out[`c:${k}`] = String(v);
    return out;
  }
}
