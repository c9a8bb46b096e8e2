// REST v4 routes the adapter uses (see README.md for the source of each). Handlers are plain
// functions over State; auth, JSON bodies, errors and injected faults are handled once in `handle`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Channel, ChannelType } from '@mattermost/types/channels';
import type { PostList } from '@mattermost/types/posts';
import type { FileInfo } from '@mattermost/types/files';
import type { UserStatus } from '@mattermost/types/users';
import { ApiError } from './errors';
import { newId } from './ids';
import type { Session, State } from './state';
import { SERVER_VERSION } from './ws-hub';

export interface Fault {
  readonly kind: 'unauthorized' | 'rate_limited' | 'malformed_json';
  /** Only requests whose "METHOD /path" matches; default: any authenticated API request. */
  readonly match?: RegExp;
  readonly retryAfterSec?: number;
}

export interface RestOptions {
  readonly siteUrl: () => string;
  readonly maxFileSize: number;
  readonly ssoServices: readonly string[];
  readonly onSessionRevoked: (token: string) => void;
}

export interface Req {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  session: Session | null;
}

type Reply = { status: number; json?: unknown; headers?: Record<string, string>; raw?: Uint8Array | string };
type Handler = (req: Req, m: Record<string, string>) => Reply | Promise<Reply>;

const ok = (json: unknown, status = 200): Reply => ({ status, json });
const STATUS_OK = { status: 'OK' };

/** Post types model.Post.IsValid accepts that do not start with `system_` (server/public/model/post.go). */
const PLAIN_POST_TYPES = new Set(['slack_attachment', 'me', 'reminder', 'wrangler', 'burn_on_read']);

/**
 * The type a user may give a post: CreatePostAsUser refuses `system_…` (api.context.invalid_param,
 * Name post.type), and Post.IsValid refuses anything that is neither a known type nor `custom_…`
 * (what plugins such as the Jitsi plugin post: `custom_jitsi`).
 */
function clientPostType(type: string): string {
  if (type.startsWith('system_')) throw new ApiError('invalidParam', '', { Name: 'post.type' });
  if (!type.startsWith('custom_') && !PLAIN_POST_TYPES.has(type)) throw new ApiError('invalidPostType', `id=${type}`);
  return type;
}

export class Rest {
  private readonly routes: { method: string; re: RegExp; keys: string[]; auth: boolean; h: Handler }[] = [];
  readonly faults: Fault[] = [];
  /** "METHOD /path?query" of every API request, for tests that check what the client asked. */
  readonly log: string[] = [];

  constructor(private readonly state: State, private readonly opts: RestOptions) {
    this.define();
  }

  private route(method: string, pattern: string, h: Handler, auth = true): void {
    const keys: string[] = [];
    const re = new RegExp(`^${pattern.replace(/\{(\w+)\}/g, (_m, k: string) => { keys.push(k); return '([^/]+)'; })}$`);
    this.routes.push({ method, re, keys, auth, h });
  }

  private me(req: Req): string {
    return req.session!.userId;
  }

  private json<T>(req: Req, name = 'body'): T {
    try {
      return JSON.parse(req.body.toString('utf8')) as T;
    } catch {
      throw new ApiError('invalidBodyParam', 'json decode failed', { Name: name });
    }
  }

  /** user_id path parameters accept "me" (api4/context.go). */
  private userParam(req: Req, id: string): string {
    const uid = id === 'me' ? this.me(req) : id;
    if (uid !== this.me(req)) throw new ApiError('permissions');
    return uid;
  }

  private define(): void {
    const s = this.state;
    this.route('GET', '/api/v4/system/ping', () => ok({ status: 'OK', ActiveSearchBackend: 'database' }), false);
    this.route('GET', '/api/v4/config/client', (req) => {
      if (req.query.get('format') !== 'old') throw new ApiError('invalidUrlParam', '', { Name: 'format' });
      const sso = this.opts.ssoServices;
      return ok({
        Version: SERVER_VERSION.split('.').slice(0, 3).join('.'), BuildNumber: 'test', SiteURL: this.opts.siteUrl(), SiteName: 'Mattermost',
        EnableSignInWithEmail: 'true', EnableSignInWithUsername: 'true', EnableSignUpWithGitLab: String(sso.includes('gitlab')),
        EnableSignUpWithGoogle: String(sso.includes('google')), EnableSignUpWithOffice365: String(sso.includes('office365')),
        EnableSignUpWithOpenId: String(sso.includes('openid')), OpenIdButtonText: 'OpenID', EnableSaml: 'false', EnableUserAccessTokens: 'true',
        EnableMultifactorAuthentication: 'true', MaxFileSize: String(this.opts.maxFileSize), EnableFileAttachments: 'true', EnableCustomEmoji: 'false',
        EnableUserTypingMessages: 'true', EnableCustomUserStatuses: 'true', CollapsedThreads: 'default_off', ExperimentalSharedChannels: 'false',
      });
    }, false);

    // ---------------------------------------------------------------- users (api4/user.go)
    this.route('POST', '/api/v4/users/login', (req) => {
      const body = this.json<{ login_id?: string; password?: string; token?: string; device_id?: string }>(req, 'login_id');
      const user = typeof body.login_id === 'string' ? s.byUsername(body.login_id) ?? [...s.users.values()].find((u) => u.profile.email === body.login_id) : undefined;
      if (!user || user.profile.auth_service !== '' || user.password !== body.password) throw new ApiError('invalidCredentials');
      if (user.mfaCode !== null) {
        if (!body.token) throw new ApiError('mfaRequired', 'token is empty');
        if (body.token.trim() !== user.mfaCode) throw new ApiError('mfaBadCode');
      }
      const session = s.createSession(user.profile.id, 'session');
      return {
        status: 200, json: s.sanitized(user.profile.id),
        headers: {
          Token: session.token,
          'Set-Cookie': `MMAUTHTOKEN=${session.token}; Path=/; HttpOnly; SameSite=Lax, MMUSERID=${user.profile.id}; Path=/; SameSite=Lax, MMCSRF=${session.csrf}; Path=/; SameSite=Lax`,
        },
      };
    }, false);
    this.route('POST', '/api/v4/users/logout', (req) => {
      if (req.session) s.sessions.delete(req.session.token);
      if (req.session) this.opts.onSessionRevoked(req.session.token);
      return ok(STATUS_OK);
    }, false);
    this.route('GET', '/api/v4/users/me', (req) => ok(s.sanitized(this.me(req))));
    this.route('POST', '/api/v4/users/ids', (req) => {
      const ids = this.json<unknown>(req, 'user_ids');
      if (!Array.isArray(ids)) throw new ApiError('invalidBodyParam', '', { Name: 'user_ids' });
      return ok(ids.filter((id): id is string => typeof id === 'string' && s.users.has(id)).map((id) => s.sanitized(id)));
    });
    this.route('POST', '/api/v4/users/usernames', (req) => {
      const names = this.json<unknown>(req, 'usernames');
      if (!Array.isArray(names)) throw new ApiError('invalidBodyParam', '', { Name: 'usernames' });
      return ok(names.map((n) => (typeof n === 'string' ? s.byUsername(n) : undefined)).filter((u) => u !== undefined).map((u) => s.sanitized(u.profile.id)));
    });
    // api4/user.go searchUsers → app.SearchUsersInTeam/SearchUsers → store/sqlstore/user_store.go
    // Search: every whitespace-separated word (a leading @ dropped) must prefix-match, case-
    // insensitively, the username, first name, last name or nickname — or the e-mail, which
    // PrivacySettings.ShowEmailAddress (default true) allows to non-admins. Sorted by username.
    this.route('POST', '/api/v4/users/search', (req) => {
      const body = this.json<{ term?: unknown; allow_inactive?: unknown; limit?: unknown }>(req, 'props');
      const term = typeof body.term === 'string' ? body.term : '';
      if (term === '') throw new ApiError('invalidParam', '', { Name: 'term' });
      // model.UserSearch: a missing or zero limit means UserSearchDefaultLimit (100).
      const limit = typeof body.limit === 'number' && body.limit !== 0 ? body.limit : 100;
      if (!Number.isInteger(limit) || limit < 0 || limit > 1000) throw new ApiError('invalidParam', '', { Name: 'limit' });
      const words = term.toLowerCase().split(/\s+/).map((w) => w.replace(/^@/, '')).filter((w) => w !== '');
      const hits = [...s.users.values()].map((u) => u.profile)
        .filter((p) => body.allow_inactive === true || p.delete_at === 0)
        .filter((p) => words.every((w) => [p.username, p.first_name, p.last_name, p.nickname, p.email].some((f) => f.toLowerCase().startsWith(w))))
        .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
        .slice(0, limit);
      return ok(hits.map((p) => s.sanitized(p.id)));
    });
    this.route('POST', '/api/v4/users/status/ids', (req) => {
      const ids = this.json<unknown>(req, 'user_ids');
      if (!Array.isArray(ids)) throw new ApiError('invalidBodyParam', '', { Name: 'user_ids' });
      return ok(ids.map((id) => (typeof id === 'string' ? s.statuses.get(id) : undefined)).filter((x): x is UserStatus => Boolean(x)));
    });
    this.route('PUT', '/api/v4/users/{user_id}/status', (req, m) => {
      const uid = this.userParam(req, m.user_id!);
      const body = this.json<{ user_id?: string; status?: string; dnd_end_time?: number }>(req, 'status');
      if (body.user_id !== uid) throw new ApiError('invalidBodyParam', '', { Name: 'user_id' });
      if (!['online', 'away', 'dnd', 'offline', 'ooo'].includes(body.status ?? '')) throw new ApiError('invalidBodyParam', '', { Name: 'status' });
      return ok(s.setStatus(uid, body.status!, true));
    });
    this.route('PUT', '/api/v4/users/{user_id}/status/custom', (req, m) => {
      const uid = this.userParam(req, m.user_id!);
      const body = this.json<{ emoji?: string; text?: string; duration?: string; expires_at?: string }>(req, 'custom_status');
      if (typeof body.text !== 'string' || body.text.length > 100) throw new ApiError('invalidBodyParam', '', { Name: 'custom_status' });
      s.setCustomStatus(uid, { emoji: body.emoji ?? '', text: body.text, ...(body.duration ? { duration: body.duration } : {}), ...(body.expires_at ? { expires_at: body.expires_at } : {}) });
      return ok(STATUS_OK);
    });
    this.route('DELETE', '/api/v4/users/{user_id}/status/custom', (req, m) => {
      s.setCustomStatus(this.userParam(req, m.user_id!), null);
      return ok(STATUS_OK);
    });

    // ---------------------------------------------------------------- teams and channels (api4/team.go, channel.go)
    this.route('GET', '/api/v4/users/{user_id}/teams', (req, m) => {
      const uid = this.userParam(req, m.user_id!);
      return ok([...s.teams.values()].filter((t) => s.teamMembers.get(t.id)?.has(uid)));
    });
    const myChannels = (uid: string, teamId: string): Channel[] => {
      if (!s.teamMembers.get(teamId)?.has(uid)) throw new ApiError('permissions');
      // Direct and group channels have no team and are returned for every team (store GetChannels).
      return [...s.channels.values()].filter((c) => (c.team_id === teamId || c.team_id === '') && s.isMember(c.id, uid) && c.delete_at === 0);
    };
    this.route('GET', '/api/v4/users/{user_id}/teams/{team_id}/channels', (req, m) => ok(myChannels(this.userParam(req, m.user_id!), m.team_id!)));
    this.route('GET', '/api/v4/users/{user_id}/teams/{team_id}/channels/members', (req, m) => {
      const uid = this.userParam(req, m.user_id!);
      return ok(myChannels(uid, m.team_id!).map((c) => s.members.get(c.id)!.get(uid)!));
    });
    this.route('GET', '/api/v4/channels/{channel_id}', (req, m) => {
      const c = s.channel(m.channel_id!);
      if (c.type !== 'O' && !s.isMember(c.id, this.me(req))) throw new ApiError('permissions');
      return ok(c);
    });
    this.route('POST', '/api/v4/channels', (req) => {
      const body = this.json<{ team_id?: string; name?: string; display_name?: string; type?: ChannelType }>(req, 'channel');
      if (!body.team_id || !s.teams.has(body.team_id)) throw new ApiError('invalidBodyParam', '', { Name: 'channel.team_id' });
      if (!s.teamMembers.get(body.team_id)?.has(this.me(req))) throw new ApiError('permissions');
      if (!body.name || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(body.name)) throw new ApiError('invalidBodyParam', '', { Name: 'channel.name' });
      if (body.type !== 'O' && body.type !== 'P') throw new ApiError('invalidBodyParam', '', { Name: 'channel.type' });
      return ok(s.createChannel({ teamId: body.team_id, name: body.name, displayName: body.display_name || body.name, type: body.type, creatorId: this.me(req) }), 201);
    });
    this.route('POST', '/api/v4/channels/direct', (req) => {
      const ids = this.json<unknown>(req, 'user_ids');
      if (!Array.isArray(ids) || ids.length !== 2 || !ids.every((x) => typeof x === 'string')) throw new ApiError('invalidBodyParam', '', { Name: 'user_ids' });
      if (!ids.includes(this.me(req))) throw new ApiError('permissions');
      return ok(s.directChannel(ids[0] as string, ids[1] as string), 201);
    });
    this.route('POST', '/api/v4/channels/group', (req) => {
      const ids = this.json<unknown>(req, 'user_ids');
      if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) throw new ApiError('invalidBodyParam', '', { Name: 'user_ids' });
      const all = [...new Set([...(ids as string[]), this.me(req)])];
      if (all.length < 3 || all.length > 8) throw new ApiError('invalidBodyParam', '', { Name: 'user_ids' });
      for (const id of all) s.user(id);
      return ok(s.groupChannel(all), 201);
    });
    this.route('GET', '/api/v4/channels/{channel_id}/members', (req, m) => {
      s.requireMember(m.channel_id!, this.me(req));
      const page = Number(req.query.get('page') ?? '0');
      const per = Math.min(200, Number(req.query.get('per_page') ?? '60'));
      return ok([...s.members.get(m.channel_id!)!.values()].slice(page * per, page * per + per));
    });
    this.route('POST', '/api/v4/channels/{channel_id}/members', (req, m) => {
      const c = s.channel(m.channel_id!);
      const body = this.json<{ user_id?: string }>(req, 'user_id');
      if (!body.user_id) throw new ApiError('invalidBodyParam', '', { Name: 'user_id' });
      // Members add others; anyone in the team may join a public channel themself.
      const selfJoin = body.user_id === this.me(req) && c.type === 'O' && s.teamMembers.get(c.team_id)?.has(this.me(req));
      if (!selfJoin) s.requireMember(c.id, this.me(req));
      if (c.type === 'D' || c.type === 'G') throw new ApiError('permissions');
      return ok(s.addMember(c.id, body.user_id), 201);
    });
    this.route('DELETE', '/api/v4/channels/{channel_id}/members/{user_id}', (req, m) => {
      const uid = this.userParam(req, m.user_id!);
      const c = s.requireMember(m.channel_id!, uid);
      if (c.type === 'D') throw new ApiError('invalidUrlParam', '', { Name: 'channel_id' });
      s.removeMember(c.id, uid);
      return ok(STATUS_OK);
    });
    this.route('POST', '/api/v4/channels/members/{user_id}/view', (req, m) => {
      const uid = this.userParam(req, m.user_id!);
      const body = this.json<{ channel_id?: string }>(req, 'channel_view');
      if (!body.channel_id) throw new ApiError('invalidBodyParam', '', { Name: 'channel_view.channel_id' });
      const t = s.viewChannel(uid, body.channel_id);
      return ok({ status: 'OK', last_viewed_at_times: { [body.channel_id]: t } });
    });

    // ---------------------------------------------------------------- posts (api4/post.go)
    this.route('GET', '/api/v4/channels/{channel_id}/posts', (req, m) => {
      const c = s.requireMember(m.channel_id!, this.me(req));
      return ok(this.postList(c.id, req.query));
    });
    this.route('POST', '/api/v4/posts', (req) => {
      const body = this.json<{ channel_id?: string; message?: string; root_id?: string; file_ids?: string[]; pending_post_id?: string; type?: string; props?: Record<string, unknown> }>(req, 'post');
      if (!body.channel_id) throw new ApiError('invalidBodyParam', '', { Name: 'post.channel_id' });
      if (typeof body.message !== 'string' || (body.message === '' && !(body.file_ids?.length))) throw new ApiError('invalidBodyParam', '', { Name: 'post.message' });
      return ok(s.createPost(this.me(req), {
        channel_id: body.channel_id, message: body.message, ...(body.root_id ? { root_id: body.root_id } : {}), ...(body.file_ids ? { file_ids: body.file_ids } : {}),
        ...(body.pending_post_id ? { pending_post_id: body.pending_post_id } : {}), ...(body.props ? { props: body.props } : {}),
        ...(typeof body.type === 'string' && body.type !== '' ? { type: clientPostType(body.type) } : {}),
      }), 201);
    });
    this.route('GET', '/api/v4/posts/{post_id}', (req, m) => {
      const p = s.post(m.post_id!);
      s.requireMember(p.channel_id, this.me(req));
      return ok(s.withMetadata(p));
    });
    this.route('PUT', '/api/v4/posts/{post_id}/patch', (req, m) => {
      const body = this.json<{ message?: string }>(req, 'post');
      if (typeof body.message !== 'string') throw new ApiError('invalidBodyParam', '', { Name: 'post' });
      return ok(s.patchPost(this.me(req), m.post_id!, body.message));
    });
    this.route('DELETE', '/api/v4/posts/{post_id}', (req, m) => {
      s.deletePost(this.me(req), m.post_id!);
      return ok(STATUS_OK);
    });
    this.route('GET', '/api/v4/posts/{post_id}/reactions', (req, m) => {
      const p = s.post(m.post_id!);
      s.requireMember(p.channel_id, this.me(req));
      return ok(s.reactions.get(p.id) ?? []);
    });
    this.route('POST', '/api/v4/reactions', (req) => {
      const body = this.json<{ user_id?: string; post_id?: string; emoji_name?: string }>(req, 'reaction');
      if (body.user_id !== this.me(req)) throw new ApiError('permissions');
      if (!body.post_id || !body.emoji_name || !/^[a-zA-Z0-9+_-]{1,64}$/.test(body.emoji_name)) throw new ApiError('invalidBodyParam', '', { Name: 'reaction' });
      return ok(s.addReaction(body.user_id, body.post_id, body.emoji_name), 201);
    });
    this.route('DELETE', '/api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}', (req, m) => {
      s.removeReaction(this.userParam(req, m.user_id!), m.post_id!, decodeURIComponent(m.emoji_name!));
      return ok(STATUS_OK);
    });

    // ---------------------------------------------------------------- files (api4/file.go)
    this.route('POST', '/api/v4/files', async (req) => {
      const ct = String(req.headers['content-type'] ?? '');
      if (!ct.startsWith('multipart/form-data')) throw new ApiError('invalidBodyParam', 'expected multipart', { Name: 'files' });
      const form = await new Request('http://local/', { method: 'POST', headers: { 'content-type': ct }, body: new Uint8Array(req.body) }).formData();
      const channelId = form.get('channel_id') ?? req.query.get('channel_id');
      if (typeof channelId !== 'string' || !channelId) throw new ApiError('invalidUrlParam', '', { Name: 'channel_id' });
      s.requireMember(channelId, this.me(req));
      const infos: FileInfo[] = [];
      for (const f of form.getAll('files')) {
        if (typeof f === 'string') continue;
        const data = new Uint8Array(await f.arrayBuffer());
        if (data.byteLength > this.opts.maxFileSize) return { status: 413, json: new ApiError('invalidBodyParam', 'too large', { Name: 'file' }).body() };
        const t = s.now();
        const ext = f.name.includes('.') ? f.name.split('.').pop()!.toLowerCase() : '';
        const info: FileInfo = {
          id: newId(), user_id: this.me(req), channel_id: channelId, create_at: t, update_at: t, delete_at: 0, name: f.name, extension: ext,
          size: data.byteLength, mime_type: f.type || 'application/octet-stream', width: 0, height: 0, has_preview_image: false, clientId: '', archived: false,
        };
        s.files.set(info.id, { info, data });
        infos.push(info);
      }
      if (infos.length === 0) throw new ApiError('invalidBodyParam', '', { Name: 'files' });
      return ok({ file_infos: infos, client_ids: [] }, 201);
    });
    const readableFile = (req: Req, id: string) => {
      const f = s.files.get(id);
      if (!f) throw new ApiError('fileNotFound');
      if (f.info.user_id !== this.me(req) && !s.isMember(f.info.channel_id, this.me(req))) throw new ApiError('permissions');
      return f;
    };
    this.route('GET', '/api/v4/files/{file_id}/info', (req, m) => ok(readableFile(req, m.file_id!).info));
    this.route('GET', '/api/v4/files/{file_id}', (req, m) => {
      const f = readableFile(req, m.file_id!);
      // web/handlers writeFileResponse: attachment disposition, nosniff.
      return {
        status: 200, raw: f.data,
        headers: {
          'Content-Type': f.info.mime_type, 'Content-Length': String(f.data.byteLength), 'X-Content-Type-Options': 'nosniff',
          'Content-Disposition': `attachment;filename="${f.info.name.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(f.info.name)}`,
        },
      };
    });
  }

  /** api4/post.go getPostsForChannel: since / before / after / page, newest first in `order`. */
  private postList(channelId: string, q: URLSearchParams): PostList {
    const s = this.state;
    const all = [...s.posts.values()].filter((p) => p.channel_id === channelId).sort((a, b) => b.create_at - a.create_at);
    const per = Math.max(1, Math.min(200, Number(q.get('per_page') ?? '60')));
    const page = Math.max(0, Number(q.get('page') ?? '0'));
    let picked = all.filter((p) => p.delete_at === 0);
    let prev = '';
    let next = '';
    if (q.has('since')) {
      const since = Number(q.get('since'));
      // store GetPostsSince: everything changed after `since`, deleted posts included.
      picked = all.filter((p) => p.update_at > since);
    } else if (q.get('before')) {
      const idx = picked.findIndex((p) => p.id === q.get('before'));
      const older = idx < 0 ? [] : picked.slice(idx + 1);
      picked = older.slice(page * per, page * per + per);
      next = q.get('before')!;
      prev = older.length > page * per + per ? picked[picked.length - 1]?.id ?? '' : '';
    } else if (q.get('after')) {
      const idx = picked.findIndex((p) => p.id === q.get('after'));
      const newer = idx < 0 ? [] : picked.slice(0, idx).reverse();
      picked = newer.slice(page * per, page * per + per).reverse();
    } else {
      const total = picked.length;
      picked = picked.slice(page * per, page * per + per);
      prev = total > page * per + per ? picked[picked.length - 1]?.id ?? '' : '';
    }
    const posts: PostList['posts'] = {};
    for (const p of picked) posts[p.id] = s.withMetadata(p);
    return { order: picked.map((p) => p.id), posts, next_post_id: next, prev_post_id: prev, first_inaccessible_post_time: 0 };
  }

  private authenticate(req: Req): Session | null {
    const h = String(req.headers.authorization ?? '');
    const m = /^(?:bearer|token)\s+(\S+)$/i.exec(h);
    const token = m?.[1] ?? req.query.get('access_token') ?? /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
    return token ? this.state.sessions.get(token) ?? null : null;
  }

  /** Returns false when no route matched (the caller answers 404). */
  async handle(req: Req, res: ServerResponse): Promise<boolean> {
    const route = this.routes.map((r) => ({ r, m: r.method === req.method ? r.re.exec(req.path) : null })).find((x) => x.m);
    if (!route) return false;
    this.log.push(`${req.method} ${req.path}${req.query.size > 0 ? `?${req.query.toString()}` : ''}`);
    req.session = this.authenticate(req);
    try {
      if (route.r.auth && !req.session) throw new ApiError('sessionExpired', 'token not found or expired');
      const fault = req.session ? this.takeFault(req) : undefined;
      if (fault?.kind === 'unauthorized') {
        // The token was revoked (e.g. by an admin) while the client was using it.
        this.state.sessions.delete(req.session!.token);
        this.opts.onSessionRevoked(req.session!.token);
        throw new ApiError('sessionExpired', 'token revoked');
      }
      if (fault?.kind === 'rate_limited') {
        // app/ratelimit.go RateLimitWriter: throttled's headers, then http.Error(…, "limit exceeded", 429).
        const after = String(fault.retryAfterSec ?? 1);
        res.writeHead(429, {
          'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'X-RateLimit-Limit': '10',
          'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': after, 'Retry-After': after,
        });
        res.end('limit exceeded\n');
        return true;
      }
      if (fault?.kind === 'malformed_json') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"id":"x","create_at":');
        return true;
      }
      const keys = route.r.keys;
      const params: Record<string, string> = {};
      keys.forEach((k, i) => (params[k] = decodeURIComponent(route.m![i + 1]!)));
      const out = await route.r.h(req, params);
      const headers: Record<string, string> = { 'X-Version-Id': SERVER_VERSION, 'X-Request-Id': newId(), ...(out.headers ?? {}) };
      if (out.raw !== undefined) {
        res.writeHead(out.status, headers);
        res.end(out.raw);
      } else {
        res.writeHead(out.status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(out.json));
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('invalidBodyParam', String(e), { Name: 'request' });
      res.writeHead(err.status, { 'Content-Type': 'application/json', 'X-Version-Id': SERVER_VERSION });
      res.end(JSON.stringify(err.body()));
    }
    return true;
  }

  private takeFault(req: Req): Fault | undefined {
    const key = `${req.method} ${req.path}`;
    const i = this.faults.findIndex((f) => !f.match || f.match.test(key));
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }
}
