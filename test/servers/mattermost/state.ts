// In-memory data of the test server: users, sessions, teams, channels, posts, reactions, files and
// statuses. Survives stop()/start() (it lives in the Node process), like a real server's database
// survives a restart. Every mutation that a real server broadcasts calls `publish` with the event
// name, data and broadcast scope of server/public/model/websocket_message.go.
import type { UserProfile, UserStatus } from '@mattermost/types/users';
import type { Team } from '@mattermost/types/teams';
import type { Channel, ChannelMembership, ChannelType } from '@mattermost/types/channels';
import type { Post } from '@mattermost/types/posts';
import type { Reaction } from '@mattermost/types/reactions';
import type { FileInfo } from '@mattermost/types/files';
import { ApiError } from './errors';
import { newId } from './ids';

export interface Broadcast {
  readonly user_id?: string;
  readonly channel_id?: string;
  readonly team_id?: string;
  readonly omit_users?: Readonly<Record<string, boolean>> | null;
}
export type Publish = (event: string, data: Record<string, unknown>, broadcast: Broadcast) => void;

export interface UserRecord {
  profile: UserProfile;
  password: string;
  /** The fixed second-factor code of an MFA user (see README: no real TOTP). */
  mfaCode: string | null;
}
export interface Session {
  readonly token: string;
  readonly userId: string;
  readonly kind: 'session' | 'pat';
  readonly csrf: string;
}
export interface StoredFile {
  info: FileInfo;
  data: Uint8Array;
}

/** Post.SanitizeProps: props only the server may set are dropped from what a client sends. */
function sanitizeProps(props: Record<string, unknown>): Record<string, unknown> {
  const { add_channel_member: _member, force_notification: _force, ...rest } = props;
  return rest;
}

const DEFAULT_NOTIFY = { desktop: 'mention', email: 'true', push: 'mention', mention_keys: '', channel: 'true', first_name: 'false' } as const;

export class State {
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, Session>();
  readonly teams = new Map<string, Team>();
  readonly teamMembers = new Map<string, Set<string>>();
  readonly channels = new Map<string, Channel>();
  readonly members = new Map<string, Map<string, ChannelMembership>>();
  readonly posts = new Map<string, Post>();
  readonly reactions = new Map<string, Reaction[]>();
  readonly files = new Map<string, StoredFile>();
  readonly statuses = new Map<string, UserStatus>();
  /** pending_post_id → post id: a retried create returns the first post (app/post.go deduplicateCreatePost). */
  readonly pending = new Map<string, string>();
  private lastMillis = 0;

  constructor(private readonly publish: Publish) {}

  /** Strictly increasing milliseconds so `since` queries never tie within one test. */
  now(): number {
    this.lastMillis = Math.max(Date.now(), this.lastMillis + 1);
    return this.lastMillis;
  }

  // ------------------------------------------------------------------ users and sessions

  createUser(opts: { username: string; password: string; firstName?: string; lastName?: string; nickname?: string; mfaCode?: string; authService?: string }): UserProfile {
    if ([...this.users.values()].some((u) => u.profile.username === opts.username)) throw new Error(`user ${opts.username} exists`);
    const t = this.now();
    const profile: UserProfile = {
      id: newId(), create_at: t, update_at: t, delete_at: 0, username: opts.username, password: '', auth_service: opts.authService ?? '',
      email: `${opts.username}@example.invalid`, nickname: opts.nickname ?? '', first_name: opts.firstName ?? '', last_name: opts.lastName ?? '',
      position: '', roles: 'system_user', props: {}, notify_props: { ...DEFAULT_NOTIFY, mention_keys: `${opts.username},@${opts.username}` } as unknown as UserProfile['notify_props'],
      last_password_update: t, last_picture_update: 0, locale: 'en', mfa_active: Boolean(opts.mfaCode), last_activity_at: 0, is_bot: false,
      bot_description: '', terms_of_service_id: '', terms_of_service_create_at: 0,
    };
    this.users.set(profile.id, { profile, password: opts.password, mfaCode: opts.mfaCode ?? null });
    this.statuses.set(profile.id, { user_id: profile.id, status: 'offline', manual: false, last_activity_at: 0 });
    return profile;
  }

  user(id: string): UserRecord {
    const u = this.users.get(id);
    if (!u) throw new ApiError('userNotFound');
    return u;
  }

  byUsername(name: string): UserRecord | undefined {
    return [...this.users.values()].find((u) => u.profile.username === name);
  }

  /** What other users and the user themself see: model.User.Sanitize drops the password etc. */
  sanitized(id: string): UserProfile {
    const p = this.user(id).profile;
    return { ...p, password: '' };
  }

  createSession(userId: string, kind: Session['kind']): Session {
    const s: Session = { token: newId(), userId, kind, csrf: newId() };
    this.sessions.set(s.token, s);
    return s;
  }

  revokeSessions(userId: string): void {
    for (const [t, s] of this.sessions) if (s.userId === userId) this.sessions.delete(t);
  }

  // ------------------------------------------------------------------ teams and channels

  createTeam(name: string, displayName: string, memberIds: readonly string[]): Team {
    const t = this.now();
    const team: Team = {
      id: newId(), create_at: t, update_at: t, delete_at: 0, display_name: displayName, name, description: '', email: '', type: 'O',
      company_name: '', allowed_domains: '', invite_id: newId(), allow_open_invite: true, scheme_id: '', group_constrained: false,
    };
    this.teams.set(team.id, team);
    this.teamMembers.set(team.id, new Set(memberIds));
    return team;
  }

  channel(id: string): Channel {
    const c = this.channels.get(id);
    if (!c) throw new ApiError('channelNotFound');
    return c;
  }

  createChannel(opts: { teamId: string; name: string; displayName: string; type: ChannelType; creatorId: string; memberIds?: readonly string[] }): Channel {
    if ([...this.channels.values()].some((c) => c.team_id === opts.teamId && c.name === opts.name)) throw new ApiError('channelNameExists');
    const t = this.now();
    const channel: Channel = {
      id: newId(), create_at: t, update_at: t, delete_at: 0, team_id: opts.teamId, type: opts.type, display_name: opts.displayName, name: opts.name,
      header: '', purpose: '', last_post_at: t, last_root_post_at: t, creator_id: opts.creatorId, scheme_id: '', group_constrained: false,
    };
    this.channels.set(channel.id, channel);
    this.members.set(channel.id, new Map());
    for (const uid of new Set([opts.creatorId, ...(opts.memberIds ?? [])].filter(Boolean))) this.addMember(channel.id, uid, false);
    if (opts.type === 'O' || opts.type === 'P') this.publish('channel_created', { channel_id: channel.id, team_id: channel.team_id }, { user_id: opts.creatorId });
    return channel;
  }

  /** DM channel name: the two ids sorted, joined by "__" (model.GetDMNameFromIds). */
  directChannel(a: string, b: string): Channel {
    const name = [a, b].sort().join('__');
    const found = [...this.channels.values()].find((c) => c.type === 'D' && c.name === name);
    if (found) return found;
    this.user(a);
    this.user(b);
    const t = this.now();
    const channel: Channel = {
      id: newId(), create_at: t, update_at: t, delete_at: 0, team_id: '', type: 'D', display_name: '', name, header: '', purpose: '',
      last_post_at: t, last_root_post_at: t, creator_id: a, scheme_id: '', group_constrained: false,
    };
    this.channels.set(channel.id, channel);
    this.members.set(channel.id, new Map());
    this.addMember(channel.id, a, false);
    if (b !== a) this.addMember(channel.id, b, false);
      // app/channel.go createDirectChannel: NewWebSocketEvent(DirectAdded, "", channel.Id, …) reaches both members.
    this.publish('direct_added', { creator_id: a, teammate_id: b }, { channel_id: channel.id });
    return channel;
  }

  /** Group message: name is the sha1 of the sorted ids in the real server; any stable name will do here. */
  groupChannel(ids: readonly string[]): Channel {
    const sorted = [...new Set(ids)].sort();
    const name = sorted.join('-').slice(0, 64);
    const found = [...this.channels.values()].find((c) => c.type === 'G' && c.name === name);
    if (found) return found;
    const t = this.now();
    const channel: Channel = {
      id: newId(), create_at: t, update_at: t, delete_at: 0, team_id: '', type: 'G',
      // model.GetGroupDisplayNameFromUsers: usernames sorted alphabetically.
      display_name: sorted.map((id) => this.user(id).profile.username).sort().join(', '), name, header: '', purpose: '',
      last_post_at: t, last_root_post_at: t, creator_id: sorted[0] ?? '', scheme_id: '', group_constrained: false,
    };
    this.channels.set(channel.id, channel);
    this.members.set(channel.id, new Map());
    for (const uid of sorted) this.addMember(channel.id, uid, false);
    this.publish('group_added', { teammate_ids: JSON.stringify(sorted) }, { channel_id: channel.id });
    return channel;
  }

  addMember(channelId: string, userId: string, announce = true): ChannelMembership {
    const channel = this.channel(channelId);
    this.user(userId);
    const m = this.members.get(channelId)!;
    const existing = m.get(userId);
    if (existing) return existing;
    const membership: ChannelMembership = {
      channel_id: channelId, user_id: userId, roles: channel.creator_id === userId ? 'channel_user channel_admin' : 'channel_user', last_viewed_at: 0,
      msg_count: 0, msg_count_root: 0, mention_count: 0, mention_count_root: 0, urgent_mention_count: 0,
      notify_props: { desktop: 'default', mark_unread: 'all' } as ChannelMembership['notify_props'], last_update_at: this.now(), scheme_user: true, scheme_admin: channel.creator_id === userId,
    };
    m.set(userId, membership);
    // app/channel.go postJoinChannelMessage / AddChannelMember: user_added goes to the channel (which now includes the user).
    if (announce) this.publish('user_added', { user_id: userId, team_id: channel.team_id }, { channel_id: channelId });
    return membership;
  }

  removeMember(channelId: string, userId: string): void {
    const m = this.members.get(channelId);
    if (!m?.delete(userId)) return;
    const data = { user_id: userId, channel_id: channelId, remover_id: userId };
    this.publish('user_removed', data, { channel_id: channelId });
    this.publish('user_removed', { channel_id: channelId, remover_id: userId }, { user_id: userId });
  }

  isMember(channelId: string, userId: string): boolean {
    return this.members.get(channelId)?.has(userId) ?? false;
  }

  requireMember(channelId: string, userId: string): Channel {
    const c = this.channel(channelId);
    if (!this.isMember(channelId, userId)) throw new ApiError('permissions');
    return c;
  }

  // ------------------------------------------------------------------ posts

  createPost(userId: string, input: { channel_id: string; message: string; root_id?: string; file_ids?: readonly string[]; pending_post_id?: string; type?: string; props?: Record<string, unknown> }): Post {
    const channel = this.requireMember(input.channel_id, userId);
    if (input.pending_post_id) {
      const prev = this.pending.get(input.pending_post_id);
      const post = prev ? this.posts.get(prev) : undefined;
      if (post) return this.withMetadata(post);
    }
    if (input.root_id) {
      const root = this.posts.get(input.root_id);
      if (!root || root.channel_id !== channel.id) throw new ApiError('invalidBodyParam', '', { Name: 'post.root_id' });
    }
    const t = this.now();
    const fileIds = (input.file_ids ?? []).filter((id) => this.files.get(id)?.info.user_id === userId);
    const post: Post = {
      id: newId(), create_at: t, update_at: t, edit_at: 0, delete_at: 0, is_pinned: false, user_id: userId, channel_id: channel.id,
      root_id: input.root_id ?? '', original_id: '', message: input.message, type: (input.type ?? '') as Post['type'], props: sanitizeProps(input.props ?? {}), hashtags: '',
      pending_post_id: input.pending_post_id ?? '', remote_id: '', reply_count: 0, last_reply_at: 0, participants: null, file_ids: fileIds,
      metadata: {} as Post['metadata'],
    };
    for (const id of fileIds) this.files.get(id)!.info.post_id = post.id;
    this.posts.set(post.id, post);
    if (input.pending_post_id) this.pending.set(input.pending_post_id, post.id);
    if (post.root_id) {
      const root = this.posts.get(post.root_id)!;
      root.reply_count += 1;
      root.last_reply_at = t;
    }
    channel.last_post_at = t;
    if (!post.root_id) channel.last_root_post_at = t;
    const sender = this.user(userId).profile;
    const mentions = this.mentionedUsers(channel.id, post.message, userId);
    const out = this.withMetadata(post);
    const data: Record<string, unknown> = {
      channel_display_name: channel.display_name, channel_name: channel.name, channel_type: channel.type, post: JSON.stringify(out),
      sender_name: `@${sender.username}`, set_online: true, team_id: channel.team_id,
    };
    if (mentions.length > 0) data.mentions = JSON.stringify(mentions);
    this.publish('posted', data, { channel_id: channel.id });
    return out;
  }

  /** Mentioned channel members: @username, and everyone for @channel/@all/@here (app/notification.go). */
  mentionedUsers(channelId: string, message: string, senderId: string): string[] {
    const members = [...(this.members.get(channelId)?.keys() ?? [])].filter((id) => id !== senderId);
    if (/(^|[^\w])@(channel|all|here)\b/i.test(message)) return members;
    return members.filter((id) => {
      const name = this.user(id).profile.username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`(^|[^\\w@])@${name}(?![\\w-])`, 'i').test(message);
    });
  }

  post(id: string): Post {
    const p = this.posts.get(id);
    if (!p || p.delete_at > 0) throw new ApiError('postNotFound');
    return p;
  }

  /** A post as the API returns it: files and reactions in metadata (app/post_metadata.go). */
  // Empty parts are omitted (PostMetadata fields are `omitempty`), so a plain post has "metadata":{}.
  withMetadata(p: Post): Post {
    if (p.delete_at > 0) return { ...p, message: '', file_ids: [], metadata: {} as Post['metadata'], state: 'DELETED' };
    const files = (p.file_ids ?? []).map((id) => this.files.get(id)?.info).filter((f): f is FileInfo => Boolean(f));
    const reactions = this.reactions.get(p.id) ?? [];
    const metadata = { ...(files.length > 0 ? { files } : {}), ...(reactions.length > 0 ? { reactions: [...reactions] } : {}) } as Post['metadata'];
    return { ...p, metadata };
  }

  patchPost(userId: string, id: string, message: string): Post {
    const p = this.post(id);
    if (p.user_id !== userId) throw new ApiError('permissions');
    const t = this.now();
    p.message = message;
    p.edit_at = t;
    p.update_at = t;
    const out = this.withMetadata(p);
    this.publish('post_edited', { post: JSON.stringify(out) }, { channel_id: p.channel_id });
    return out;
  }

  deletePost(userId: string, id: string): void {
    const p = this.post(id);
    if (p.user_id !== userId) throw new ApiError('permissions');
    const t = this.now();
    p.delete_at = t;
    p.update_at = t;
    // app/post.go DeletePost: the event carries the post as it was, with delete_at set.
    this.publish('post_deleted', { post: JSON.stringify({ ...this.withMetadata({ ...p, delete_at: 0 }), delete_at: t }), delete_by: userId }, { channel_id: p.channel_id });
  }

  addReaction(userId: string, postId: string, emoji: string): Reaction {
    const p = this.post(postId);
    this.requireMember(p.channel_id, userId);
    const list = this.reactions.get(postId) ?? [];
    const existing = list.find((r) => r.user_id === userId && r.emoji_name === emoji);
    if (existing) return existing;
    const reaction: Reaction = { user_id: userId, post_id: postId, emoji_name: emoji, create_at: this.now() };
    this.reactions.set(postId, [...list, reaction]);
    p.update_at = reaction.create_at;
    this.publish('reaction_added', { reaction: JSON.stringify(reaction) }, { channel_id: p.channel_id });
    return reaction;
  }

  removeReaction(userId: string, postId: string, emoji: string): void {
    const p = this.post(postId);
    const list = this.reactions.get(postId) ?? [];
    const found = list.find((r) => r.user_id === userId && r.emoji_name === emoji);
    if (!found) return;
    this.reactions.set(postId, list.filter((r) => r !== found));
    p.update_at = this.now();
    this.publish('reaction_removed', { reaction: JSON.stringify({ ...found }) }, { channel_id: p.channel_id });
  }

  viewChannel(userId: string, channelId: string): number {
    const m = this.members.get(channelId)?.get(userId);
    if (!m) throw new ApiError('permissions');
    const t = this.now();
    m.last_viewed_at = t;
    m.msg_count = [...this.posts.values()].filter((p) => p.channel_id === channelId && p.delete_at === 0).length;
    m.mention_count = 0;
    this.publish('multiple_channels_viewed', { channel_times: { [channelId]: t } }, { user_id: userId });
    return t;
  }

  // ------------------------------------------------------------------ status

  setStatus(userId: string, status: string, manual = true): UserStatus {
    this.user(userId);
    const s: UserStatus = { user_id: userId, status, manual, last_activity_at: this.now() };
    this.statuses.set(userId, s);
    this.publish('status_change', { status, user_id: userId }, {});
    return s;
  }

  /** Custom status lives in the user's props as a JSON string (model.User.SetCustomStatus). */
  setCustomStatus(userId: string, custom: { emoji: string; text: string; duration?: string; expires_at?: string } | null): void {
    const u = this.user(userId).profile;
    const props = { ...u.props };
    if (custom) props.customStatus = JSON.stringify({ emoji: custom.emoji, text: custom.text, duration: custom.duration ?? '', expires_at: custom.expires_at ?? '0001-01-01T00:00:00Z' });
    else props.customStatus = '';
    u.props = props;
    u.update_at = this.now();
    this.publish('user_updated', { user: this.sanitized(userId) }, {});
  }
}
