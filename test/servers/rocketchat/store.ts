// In-memory state of the fake Rocket.Chat: users, rooms, subscriptions, messages (with a trash
// for deletions, as chat.syncMessages reports them), uploads and video conferences. Every change
// that the real server broadcasts goes through `publish`, which the DDP layer fans out.
import type { IMessage, IRoom, ISubscription, MessageMention } from '@rocket.chat/core-typings';
import { hashLoginToken, randomId, randomSecret } from './ids';

export type UserStatus = 'online' | 'away' | 'busy' | 'offline';
export const STATUS_NUMBER: Record<UserStatus, 0 | 1 | 2 | 3> = { offline: 0, online: 1, away: 2, busy: 3 };

export interface FakeUser {
  readonly _id: string;
  readonly username: string;
  name: string;
  password: string;
  /** What users.setStatus chose; shown while the user has a live connection. */
  statusDefault: UserStatus;
  statusText: string;
  connections: number;
  twoFactor: 'totp' | 'email' | null;
  totpSecret: string | null;
  /** Pending e-mail code and the last one "sent", for tests to read. */
  emailCode: { code: string; expires: number } | null;
  lastEmail: string | null;
  /** Hashed resume tokens and personal access tokens (both are login tokens in Rocket.Chat). */
  readonly tokens: Set<string>;
}

export interface StoredFile {
  readonly _id: string;
  readonly rid: string;
  readonly userId: string;
  readonly name: string;
  readonly type: string;
  readonly data: Buffer;
  confirmed: boolean;
}

export interface VideoConf {
  readonly _id: string;
  readonly rid: string;
  readonly createdBy: { _id: string; username: string; name: string };
  readonly createdAt: Date;
  readonly title: string;
  readonly url: string;
  readonly messageId: string;
  status: 0 | 1 | 2 | 3;
  readonly users: { _id: string; username: string; name: string; ts: Date }[];
}

/** What the realtime layer delivers: stream name, event name, args, and who may see it. */
export interface Publication {
  readonly stream: string;
  readonly eventName: string;
  readonly args: readonly unknown[];
  readonly audience: (userId: string) => boolean;
}

export type Room = IRoom & { _id: string; uids?: string[]; usernames?: string[] };

export class Store {
  readonly users = new Map<string, FakeUser>();
  readonly rooms = new Map<string, Room>();
  readonly subs = new Map<string, ISubscription>();
  readonly messages = new Map<string, IMessage>();
  readonly trash = new Map<string, { _id: string; rid: string; _deletedAt: Date }>();
  readonly files = new Map<string, StoredFile>();
  readonly videoconfs = new Map<string, VideoConf>();
  /** The video conference provider app (VideoConf_Default_Provider); null: none installed. */
  videoConfProvider: string | null = 'jitsi';
  /** Meteor OAuth pending credentials: credentialToken → {secret, userId}. */
  readonly pendingOAuth = new Map<string, { secret: string; userId: string }>();
  private readonly listeners = new Set<(p: Publication) => void>();
  private lastTs = 0;

  /** Strictly increasing timestamps: two writes in the same millisecond still order. */
  now(): Date {
    this.lastTs = Math.max(Date.now(), this.lastTs + 1);
    return new Date(this.lastTs);
  }

  onPublish(l: (p: Publication) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  publish(p: Publication): void {
    for (const l of this.listeners) l(p);
  }

  userByName(username: string): FakeUser | undefined {
    for (const u of this.users.values()) if (u.username === username) return u;
    return undefined;
  }

  userByToken(userId: string, token: string): FakeUser | undefined {
    const u = this.users.get(userId);
    return u && u.tokens.has(hashLoginToken(token)) ? u : undefined;
  }

  issueToken(u: FakeUser): string {
    const token = randomSecret();
    u.tokens.add(hashLoginToken(token));
    return token;
  }

  status(u: FakeUser): UserStatus {
    return u.connections > 0 ? u.statusDefault : 'offline';
  }

  /** notify-logged user-status: [[uid, username, status, statusText, name, roles]]. */
  publishStatus(u: FakeUser): void {
    const entry = [u._id, u.username, STATUS_NUMBER[this.status(u)], u.statusText, u.name, ['user']];
    this.publish({ stream: 'stream-notify-logged', eventName: 'user-status', args: [entry], audience: () => true });
    this.publish({ stream: 'stream-user-presence', eventName: u._id, args: [[u.username, STATUS_NUMBER[this.status(u)], u.statusText]], audience: () => true });
  }

  createUser(username: string, password: string, name: string): FakeUser {
    const u: FakeUser = {
      _id: randomId(), username, name, password, statusDefault: 'online', statusText: '', connections: 0,
      twoFactor: null, totpSecret: null, emailCode: null, lastEmail: null, tokens: new Set(),
    };
    this.users.set(u._id, u);
    return u;
  }

  members(rid: string): FakeUser[] {
    const out: FakeUser[] = [];
    for (const s of this.subs.values()) {
      if (s.rid !== rid) continue;
      const u = this.users.get(s.u._id);
      if (u) out.push(u);
    }
    return out;
  }

  subFor(rid: string, userId: string): ISubscription | undefined {
    for (const s of this.subs.values()) if (s.rid === rid && s.u._id === userId) return s;
    return undefined;
  }

  isMember(rid: string, userId: string): boolean {
    return this.subFor(rid, userId) !== undefined;
  }

  createRoom(t: 'c' | 'p', name: string, owner: FakeUser, members: readonly FakeUser[]): Room {
    const ts = this.now();
    const room = {
      _id: randomId(), t, name, fname: name, msgs: 0, usersCount: 0, ts, _updatedAt: ts,
      u: { _id: owner._id, username: owner.username }, default: false, ro: false, sysMes: true,
    } as unknown as Room;
    this.rooms.set(room._id, room);
    for (const m of [owner, ...members.filter((x) => x._id !== owner._id)]) this.addSubscription(room, m, name, name);
    return room;
  }

  /** A DM's id is the two user ids sorted and concatenated, as Rocket.Chat does. */
  openDirect(a: FakeUser, b: FakeUser): Room {
    const rid = [a._id, b._id].sort().join('');
    const existing = this.rooms.get(rid);
    if (existing) return existing;
    const ts = this.now();
    const room = {
      _id: rid, t: 'd', msgs: 0, usersCount: 2, ts, _updatedAt: ts,
      usernames: [a.username, b.username].sort(), uids: [a._id, b._id],
    } as unknown as Room;
    this.rooms.set(rid, room);
    this.addSubscription(room, a, b.username, b.name);
    if (a._id !== b._id) this.addSubscription(room, b, a.username, a.name);
    return room;
  }

  addSubscription(room: Room, u: FakeUser, name: string, fname: string): ISubscription {
    const ts = this.now();
    const sub = {
      _id: randomId(), rid: room._id, t: room.t, name, fname, open: true, alert: false, unread: 0,
      userMentions: 0, groupMentions: 0, ts, ls: ts, _updatedAt: ts,
      u: { _id: u._id, username: u.username, name: u.name },
    } as unknown as ISubscription;
    this.subs.set(sub._id, sub);
    (room as { usersCount: number }).usersCount = this.members(room._id).length;
    this.publish({ stream: 'stream-notify-user', eventName: `${u._id}/subscriptions-changed`, args: ['inserted', sub], audience: (id) => id === u._id });
    this.publish({ stream: 'stream-notify-user', eventName: `${u._id}/rooms-changed`, args: ['inserted', room], audience: (id) => id === u._id });
    return sub;
  }

  removeSubscription(rid: string, userId: string): void {
    const sub = this.subFor(rid, userId);
    if (!sub) return;
    this.subs.delete(sub._id);
    this.publish({ stream: 'stream-notify-user', eventName: `${userId}/subscriptions-changed`, args: ['removed', { _id: sub._id, rid }], audience: (id) => id === userId });
    this.publish({ stream: 'stream-notify-user', eventName: `${userId}/rooms-changed`, args: ['removed', { _id: rid }], audience: (id) => id === userId });
  }

  /** @username, @all and @here in the text, as the server's mention parser records them. */
  mentionsIn(text: string, rid: string): MessageMention[] {
    const out: MessageMention[] = [];
    const seen = new Set<string>();
    for (const m of text.matchAll(/(?:^|[\s(])@([A-Za-z0-9_.-]+)/g)) {
      const name = m[1]!.replace(/[.-]+$/, '');
      if (seen.has(name)) continue;
      seen.add(name);
      if (name === 'all' || name === 'here') {
        out.push({ _id: name, username: name });
        continue;
      }
      const u = this.userByName(name);
      if (u && this.isMember(rid, u._id)) out.push({ _id: u._id, username: u.username, name: u.name, type: 'user' });
    }
    return out;
  }

  insertMessage(m: IMessage): IMessage {
    this.messages.set(m._id, m);
    const room = this.rooms.get(m.rid);
    if (room) {
      const r = room as { msgs: number; lm?: Date; _updatedAt: Date; lastMessage?: IMessage };
      r.msgs += 1;
      r.lm = m.ts;
      r._updatedAt = m._updatedAt;
      r.lastMessage = m;
    }
    for (const s of this.subs.values()) {
      if (s.rid !== m.rid || s.u._id === m.u._id) continue;
      const sub = s as { unread: number; alert: boolean; userMentions: number; _updatedAt: Date };
      sub.unread += 1;
      sub.alert = true;
      if (m.mentions?.some((x) => x._id === s.u._id || x._id === 'all' || x._id === 'here')) sub.userMentions += 1;
      sub._updatedAt = this.now();
      this.publish({ stream: 'stream-notify-user', eventName: `${s.u._id}/subscriptions-changed`, args: ['updated', s], audience: (id) => id === s.u._id });
    }
    this.publishMessage(m);
    return m;
  }

  publishMessage(m: IMessage): void {
    this.publish({ stream: 'stream-room-messages', eventName: m.rid, args: [m], audience: (id) => this.isMember(m.rid, id) });
  }

  touch(m: IMessage): void {
    (m as { _updatedAt: Date })._updatedAt = this.now();
    this.publishMessage(m);
  }

  deleteMessage(m: IMessage): void {
    this.messages.delete(m._id);
    this.trash.set(m._id, { _id: m._id, rid: m.rid, _deletedAt: this.now() });
    this.publish({ stream: 'stream-notify-room', eventName: `${m.rid}/deleteMessage`, args: [{ _id: m._id }], audience: (id) => this.isMember(m.rid, id) });
  }

  newMessage(u: FakeUser, rid: string, msg: string, extra: Partial<IMessage> = {}): IMessage {
    const ts = this.now();
    return {
      _id: randomId(), rid, msg, ts, _updatedAt: ts, u: { _id: u._id, username: u.username, name: u.name },
      mentions: this.mentionsIn(msg, rid), channels: [], ...extra,
    } as IMessage;
  }
}
