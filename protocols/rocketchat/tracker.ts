// Turns the stream of full message documents Rocket.Chat sends (a new message, and the same
// document again after every edit, reaction or thread reply) into contract events: `message`
// once per id, `message.edited` when editedAt moves, `reactions` per user whose set changed,
// `message.deleted` once. Also keeps the per-room "last update" the catch-up starts from.
import type { AdapterEvent } from '../contract';
import { BoundedMap } from '../base/bounded';
import { reactionKeyFromRc } from './emoji';
import { isChatMessage, reactionsByUser, toMessageInfo } from './mapping';
import type { MapContext } from './mapping';
import type { RcMessage } from './schemas';

interface Seen {
  readonly senderId: string;
  readonly editedAt: number | undefined;
  /** username → sorted keys */
  readonly reactions: ReadonlyMap<string, string>;
  readonly deleted: boolean;
}

const MAX_SEEN = 5000;

export class MessageTracker {
  private readonly seen = new BoundedMap<string, Seen>(MAX_SEEN);
  /** username → user id, learnt from every message and status event (reactions and typing carry names only). */
  readonly userIds = new BoundedMap<string, string>(5000);
  /** `lu:<rid>` → epoch ms of the newest _updatedAt seen; `at` → newest overall. */
  private readonly sync = new Map<string, string>();

  constructor(private readonly emit: (e: AdapterEvent) => void) {}

  loadSync(state: Readonly<Record<string, string>>): void {
    this.sync.clear();
    for (const [k, v] of Object.entries(state)) if (k === 'at' || k.startsWith('lu:')) this.sync.set(k, v);
  }

  syncState(): Record<string, string> {
    return Object.fromEntries(this.sync);
  }

  /** Where catch-up for a room starts: its own mark, else the account-wide one, else nothing. */
  lastUpdate(rid: string): number | null {
    const v = this.sync.get(`lu:${rid}`) ?? this.sync.get('at');
    return v === undefined ? null : Number(v);
  }

  /**
   * A room we have no mark for starts at the server's own last-change time of the room when we
   * first saw it: what is older is history (paged on demand), what is newer must be caught up.
   */
  baseline(rid: string, serverTime: number | undefined): void {
    if (serverTime === undefined || this.sync.has(`lu:${rid}`)) return;
    this.sync.set(`lu:${rid}`, String(serverTime));
  }

  idFor(username: string): string {
    return this.userIds.get(username) ?? username;
  }

  private bump(rid: string, t: number): void {
    const k = `lu:${rid}`;
    if (Number(this.sync.get(k) ?? 0) < t) this.sync.set(k, String(t));
    if (Number(this.sync.get('at') ?? 0) < t) this.sync.set('at', String(t));
  }

  /** Returns true when the sync state moved (the caller emits `sync`). */
  onMessage(m: RcMessage, ctx: MapContext, fromHistory: boolean): boolean {
    if (m.u.username) this.userIds.set(m.u.username, m.u._id);
    for (const x of m.mentions ?? []) if (x.username && x.type === 'user') this.userIds.set(x.username, x._id);
    const updated = m._updatedAt ?? m.ts;
    const before = this.lastUpdate(m.rid);
    this.bump(m.rid, updated);
    const moved = before === null || updated > before;
    if (!isChatMessage(m)) return moved;
    const prev = this.seen.get(m._id);
    const reactions = new Map([...reactionsByUser(m)].map(([u, keys]) => [u, [...keys].sort().join(' ')]));
    this.seen.set(m._id, { senderId: m.u._id, editedAt: m.editedAt, reactions, deleted: prev?.deleted ?? false });
    if (prev?.deleted) return moved;
    if (!prev) {
      this.emit({ type: 'message', message: toMessageInfo(m, ctx, fromHistory) });
      this.emitReactionDiff(m, new Map(), reactions);
      return moved;
    }
    if (m.editedAt !== undefined && m.editedAt !== prev.editedAt) {
      const info = toMessageInfo(m, ctx, fromHistory);
      this.emit({ type: 'message.edited', conversationId: m.rid, targetId: m._id, text: info.text, ...(info.rich ? { rich: info.rich } : {}), ts: m.editedAt, senderId: m.u._id });
    }
    this.emitReactionDiff(m, prev.reactions, reactions);
    return moved;
  }

  private emitReactionDiff(m: RcMessage, before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): void {
    for (const username of new Set([...before.keys(), ...after.keys()])) {
      const a = before.get(username) ?? '';
      const b = after.get(username) ?? '';
      if (a === b) continue;
      const keys = b === '' ? [] : b.split(' ').map(reactionKeyFromRc);
      this.emit({ type: 'reactions', conversationId: m.rid, targetId: m._id, senderId: this.idFor(username), keys });
    }
  }

  onDeleted(rid: string, id: string, at?: number): boolean {
    const prev = this.seen.get(id);
    if (at !== undefined) this.bump(rid, at);
    if (prev?.deleted) return at !== undefined;
    this.seen.set(id, { senderId: prev?.senderId ?? '', editedAt: prev?.editedAt, reactions: new Map(), deleted: true });
    this.emit({ type: 'message.deleted', conversationId: rid, targetId: id, senderId: prev?.senderId ?? '' });
    return at !== undefined;
  }
}
