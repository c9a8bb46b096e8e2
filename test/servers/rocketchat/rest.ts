// REST /api/v1 of the fake Rocket.Chat: exactly the endpoints the adapter uses, with the real
// server's URLs, parameters and body shapes (apps/meteor/app/api/server/v1/*.ts,
// packages/rest-typings/src/v1/*.ts). Fault injection happens before routing, as the real
// server's rate limiter and auth check also run before the endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IMessage } from '@rocket.chat/core-typings';
import type { OperationResult, PathPattern } from '@rocket.chat/rest-typings';
import { ApiError, cookies, failure, readBody, readJson, send, str, success, unauthorized } from './http-util';
import { meOf, restLogin } from './auth';
import type { FakeUser, Room, Store, StoredFile, UserStatus } from './store';
import { hashLoginToken, randomId } from './ids';
import { handleOAuth } from './sso';

export interface Faults {
  unauthorized: number;
  rateLimited: { count: number; resetMs: number };
  malformed: number;
}

export interface RestContext {
  readonly store: Store;
  readonly faults: Faults;
  baseUrl(): string;
  /** Called after logout so the DDP layer can drop that token's sockets. */
  onLogout(userId: string): void;
}

/** Compile-time check that an answer has the shape rest-typings declares for that endpoint. */
function typed<P extends PathPattern, M extends 'GET' | 'POST'>(_method: M, _path: P, body: OperationResult<M, P>): Record<string, unknown> {
  return body as Record<string, unknown>;
}

type Handler = (ctx: RestContext, u: FakeUser, q: URLSearchParams, body: () => Promise<Record<string, unknown>>, req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;

function roomOr404(store: Store, rid: string, u: FakeUser): Room {
  const room = store.rooms.get(rid);
  if (!room || (room.t !== 'c' && !store.isMember(rid, u._id))) {
    throw new ApiError(400, 'error-room-not-found', 'The required "roomId" or "roomName" param provided does not match any channel');
  }
  return room;
}

function messageOr404(store: Store, id: string): IMessage {
  const m = store.messages.get(id);
  if (!m) throw new ApiError(400, 'error-message-not-found', 'No message found with the id of "' + id + '".');
  return m;
}

function since(q: URLSearchParams, name: string): number {
  const raw = q.get(name);
  if (raw === null) return -Infinity;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new ApiError(400, 'error-roomId-param-invalid', `The "${name}" query parameter must be a valid date.`);
  return t;
}

function history(ctx: RestContext, u: FakeUser, q: URLSearchParams, res: ServerResponse, kind: 'c' | 'p' | 'd'): void {
  const room = roomOr404(ctx.store, str(q.get('roomId'), 'roomId'), u);
  if (room.t !== kind) throw new ApiError(400, 'error-room-not-found', 'The required "roomId" param provided does not match any room of this type');
  const latest = q.has('latest') ? Date.parse(q.get('latest')!) : Infinity;
  const oldest = q.has('oldest') ? Date.parse(q.get('oldest')!) : -Infinity;
  const inclusive = q.get('inclusive') === 'true';
  const count = Math.min(Number(q.get('count') ?? 20) || 20, 100);
  const msgs = [...ctx.store.messages.values()]
    // Thread replies are included unless showThreadMessages=false (getChannelHistory's default).
    .filter((m) => m.rid === room._id && (!m.tmid || m.tshow === true || q.get('showThreadMessages') !== 'false'))
    .filter((m) => {
      const t = m.ts.getTime();
      return (inclusive ? t <= latest : t < latest) && (inclusive ? t >= oldest : t > oldest);
    })
    .sort((a, b) => b.ts.getTime() - a.ts.getTime())
    .slice(0, count);
  const body = { messages: msgs, count: msgs.length, offset: 0, total: msgs.length };
  success(res, kind === 'd' ? typed('GET', '/v1/im.history', body) : kind === 'p' ? typed('GET', '/v1/groups.history', body) : typed('GET', '/v1/channels.history', body));
}

function members(ctx: RestContext, u: FakeUser, q: URLSearchParams, res: ServerResponse): void {
  const room = roomOr404(ctx.store, str(q.get('roomId'), 'roomId'), u);
  const list = ctx.store.members(room._id).map((m) => ({ _id: m._id, username: m.username, name: m.name, status: ctx.store.status(m), _updatedAt: new Date() }));
  success(res, { members: list, count: list.length, offset: 0, total: list.length });
}

function leave(ctx: RestContext, u: FakeUser, rid: string, res: ServerResponse): void {
  roomOr404(ctx.store, rid, u);
  ctx.store.removeSubscription(rid, u._id);
  success(res, {});
}

function react(store: Store, u: FakeUser, m: IMessage, emoji: string, shouldReact: boolean | undefined): void {
  const key = emoji.startsWith(':') ? emoji : `:${emoji}:`;
  const cur = m.reactions?.[key]?.usernames ?? [];
  const has = cur.includes(u.username);
  const want = shouldReact ?? !has;
  if (want === has) return;
  const next = want ? [...cur, u.username] : cur.filter((n) => n !== u.username);
  // Rocket.Chat drops a key with no users left, and the whole field when no key is left.
  const entries = Object.entries(m.reactions ?? {}).filter(([k]) => k !== key);
  if (next.length > 0) entries.push([key, { usernames: next }]);
  const target = m as { reactions?: IMessage['reactions'] };
  if (entries.length > 0) target.reactions = Object.fromEntries(entries);
  else delete target.reactions;
  store.touch(m);
}

export function sendMessageAs(store: Store, u: FakeUser, raw: Record<string, unknown>): IMessage {
  const rid = str(raw.rid, 'rid');
  const room = roomOr404(store, rid, u);
  if (!store.isMember(room._id, u._id)) throw new ApiError(400, 'error-not-allowed', 'Not allowed');
  const text = typeof raw.msg === 'string' ? raw.msg : '';
  const id = typeof raw._id === 'string' ? raw._id : randomId();
  // Messages.insertOne with a client id that exists already fails on the unique index.
  if (store.messages.has(id) || store.trash.has(id)) {
    throw new ApiError(400, 'MongoServerError', `E11000 duplicate key error collection: rocketchat.rocketchat_message index: _id_ dup key: { _id: "${id}" }`);
  }
  const tmid = typeof raw.tmid === 'string' ? raw.tmid : undefined;
  if (tmid) messageOr404(store, tmid);
  const m = store.newMessage(u, rid, text, { _id: id, ...(tmid ? { tmid } : {}) });
  store.insertMessage(m);
  if (tmid) {
    const parent = store.messages.get(tmid)!;
    const p = parent as { tcount?: number; tlm?: Date; replies?: string[] };
    p.tcount = (p.tcount ?? 0) + 1;
    p.tlm = m.ts;
    p.replies = [...new Set([...(p.replies ?? []), u._id])];
    store.touch(parent);
  }
  return m;
}

/** The installed provider, or the failure the real server gives when there is none. */
function videoConfProvider(ctx: RestContext): string {
  const p = ctx.store.videoConfProvider;
  if (p === null) throw new ApiError(400, 'no-videoconf-provider-app', 'no-videoconf-provider-app');
  return p;
}

export function startVideoConf(ctx: RestContext, u: FakeUser, rid: string, title: string): { callId: string; message: IMessage } {
  const store = ctx.store;
  roomOr404(store, rid, u);
  const callId = randomId();
  const msg = store.newMessage(u, rid, '', {
    t: 'videoconf',
    blocks: [{ type: 'video_conf', blockId: callId, callId, appId: 'videoconf-core' }],
  } as Partial<IMessage>);
  store.videoconfs.set(callId, {
    _id: callId, rid, title, createdAt: msg.ts, messageId: msg._id, status: 1, users: [],
    createdBy: { _id: u._id, username: u.username, name: u.name },
    url: `https://meet.example.invalid/RocketChat${callId}`,
  });
  store.insertMessage(msg);
  return { callId, message: msg };
}

const MIME_EXT = /\.[A-Za-z0-9]+$/;

/** The message rooms.mediaConfirm creates: file + files + a file attachment with title_link. */
export function confirmFile(store: Store, u: FakeUser, f: StoredFile, text: string, tmid: string | undefined, description?: string): IMessage {
  f.confirmed = true;
  const path = `/file-upload/${f._id}/${encodeURIComponent(f.name)}`;
  const fileProp = { _id: f._id, name: f.name, type: f.type, size: f.data.length, format: MIME_EXT.exec(f.name)?.[0].slice(1) ?? '' };
  const m = store.newMessage(u, f.rid, text, {
    file: fileProp, files: [fileProp],
    attachments: [{ ts: new Date(), title: f.name, title_link: path, title_link_download: true, type: 'file', description, format: fileProp.format, size: f.data.length }],
    ...(tmid ? { tmid } : {}),
  } as Partial<IMessage>);
  store.insertMessage(m);
  return m;
}

const routes: Record<string, Handler> = {
  'GET me': (ctx, u, _q, _b, _req, res) => success(res, meOf(ctx.store, u)),
  'GET info': (_ctx, _u, _q, _b, _req, res) => success(res, { info: { version: '7.4.0', build: { nodeVersion: 'v22' } } }),
  'POST logout': (ctx, u, _q, _b, req, res) => {
    u.tokens.delete(hashLoginToken(String(req.headers['x-auth-token'])));
    ctx.onLogout(u._id);
    success(res, { status: 'success', data: { message: "You've been logged out!" } });
  },
  'GET settings.public': (_ctx, _u, q, _b, _req, res) => {
    const all = [{ _id: 'FileUpload_MaxFileSize', value: 10 * 1024 * 1024 }, { _id: 'Message_AllowEditing', value: true }, { _id: 'Message_AllowDeleting', value: true }];
    const id = q.get('_id');
    const settings = id ? all.filter((s) => s._id === id) : all;
    success(res, { settings, count: settings.length, offset: 0, total: settings.length });
  },
  'GET rooms.get': (ctx, u, q, _b, _req, res) => {
    const from = since(q, 'updatedSince');
    const update = [...ctx.store.rooms.values()].filter((r) => ctx.store.isMember(r._id, u._id) && r._updatedAt.getTime() > from);
    success(res, typed('GET', '/v1/rooms.get', { update, remove: [] }));
  },
  'GET subscriptions.get': (ctx, u, q, _b, _req, res) => {
    const from = since(q, 'updatedSince');
    const update = [...ctx.store.subs.values()].filter((s) => s.u._id === u._id && s._updatedAt.getTime() > from);
    success(res, typed('GET', '/v1/subscriptions.get', { update, remove: [] }));
  },
  'POST subscriptions.read': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const rid = str(b.rid ?? b.roomId, 'rid');
    const sub = ctx.store.subFor(rid, u._id);
    if (!sub) throw new ApiError(400, 'error-invalid-subscription', 'Invalid subscription');
    Object.assign(sub, { unread: 0, alert: false, userMentions: 0, groupMentions: 0, ls: ctx.store.now(), _updatedAt: ctx.store.now() });
    ctx.store.publish({ stream: 'stream-notify-user', eventName: `${u._id}/subscriptions-changed`, args: ['updated', sub], audience: (id) => id === u._id });
    success(res, {});
  },
  'POST chat.sendMessage': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    if (!b.message || typeof b.message !== 'object') throw new ApiError(400, 'error-invalid-params', 'The "message" parameter must be provided.');
    success(res, typed('POST', '/v1/chat.sendMessage', { message: sendMessageAs(ctx.store, u, b.message as Record<string, unknown>) }));
  },
  'GET chat.getMessage': (ctx, u, q, _b, _req, res) => {
    const m = messageOr404(ctx.store, str(q.get('msgId'), 'msgId'));
    roomOr404(ctx.store, m.rid, u);
    success(res, typed('GET', '/v1/chat.getMessage', { message: m }));
  },
  'POST chat.update': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const m = messageOr404(ctx.store, str(b.msgId, 'msgId'));
    if (m.rid !== b.roomId) throw new ApiError(400, 'error-invalid-params', 'The room id provided does not match where the message is from.');
    if (m.u._id !== u._id) throw new ApiError(400, 'error-action-not-allowed', 'Message editing not allowed');
    const text = str(b.text, 'text');
    Object.assign(m, { msg: text, mentions: ctx.store.mentionsIn(text, m.rid), editedAt: ctx.store.now(), editedBy: { _id: u._id, username: u.username } });
    ctx.store.touch(m);
    success(res, { message: m });
  },
  'POST chat.delete': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const m = messageOr404(ctx.store, str(b.msgId, 'msgId'));
    if (m.rid !== b.roomId) throw new ApiError(400, 'error-invalid-params', 'The room id provided does not match where the message is from.');
    if (m.u._id !== u._id) throw new ApiError(400, 'error-action-not-allowed', 'Not allowed');
    ctx.store.deleteMessage(m);
    success(res, typed('POST', '/v1/chat.delete', { _id: m._id, ts: new Date().toISOString(), message: { _id: m._id, rid: m.rid, u: m.u } }));
  },
  'POST chat.react': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const m = messageOr404(ctx.store, str(b.messageId ?? b.msgId, 'messageId'));
    roomOr404(ctx.store, m.rid, u);
    react(ctx.store, u, m, str(b.emoji ?? b.reaction, 'emoji'), typeof b.shouldReact === 'boolean' ? b.shouldReact : undefined);
    success(res, {});
  },
  'GET chat.syncMessages': (ctx, u, q, _b, _req, res) => {
    const room = roomOr404(ctx.store, str(q.get('roomId'), 'roomId'), u);
    if (!q.get('lastUpdate')) throw new ApiError(400, 'error-lastUpdate-param-not-provided', 'The required "lastUpdate" query param is missing.');
    const from = since(q, 'lastUpdate');
    const updated = [...ctx.store.messages.values()].filter((m) => m.rid === room._id && m._updatedAt.getTime() > from).sort((a, b) => a._updatedAt.getTime() - b._updatedAt.getTime());
    const deleted = [...ctx.store.trash.values()].filter((d) => d.rid === room._id && d._deletedAt.getTime() > from).map((d) => ({ _id: d._id, _deletedAt: d._deletedAt.toISOString() }));
    success(res, typed('GET', '/v1/chat.syncMessages', { result: { updated, deleted, cursor: { next: null, previous: null } } }));
  },
  'GET channels.history': (ctx, u, q, _b, _req, res) => history(ctx, u, q, res, 'c'),
  'GET groups.history': (ctx, u, q, _b, _req, res) => history(ctx, u, q, res, 'p'),
  'GET im.history': (ctx, u, q, _b, _req, res) => history(ctx, u, q, res, 'd'),
  'GET channels.members': (ctx, u, q, _b, _req, res) => members(ctx, u, q, res),
  'GET groups.members': (ctx, u, q, _b, _req, res) => members(ctx, u, q, res),
  'GET im.members': (ctx, u, q, _b, _req, res) => members(ctx, u, q, res),
  'POST channels.join': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const room = typeof b.roomId === 'string' ? ctx.store.rooms.get(b.roomId) : [...ctx.store.rooms.values()].find((r) => r.t === 'c' && r.name === b.roomName);
    if (!room || room.t !== 'c') throw new ApiError(400, 'error-room-not-found', 'The required "roomId" or "roomName" param provided does not match any channel');
    if (!ctx.store.isMember(room._id, u._id)) ctx.store.addSubscription(room, u, room.name ?? '', room.fname ?? room.name ?? '');
    success(res, { channel: room });
  },
  'POST channels.leave': async (ctx, u, _q, body, _req, res) => leave(ctx, u, str((await body()).roomId, 'roomId'), res),
  'POST groups.leave': async (ctx, u, _q, body, _req, res) => leave(ctx, u, str((await body()).roomId, 'roomId'), res),
  'POST groups.create': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const name = str(b.name, 'name');
    if (!/^[0-9a-zA-Z-_.]+$/.test(name)) throw new ApiError(400, 'error-invalid-room-name', `${name} is not a valid room name`, { channel_name: name });
    if ([...ctx.store.rooms.values()].some((r) => r.name === name)) throw new ApiError(400, 'error-duplicate-channel-name', `A channel with name '${name}' exists`, { channel_name: name });
    const names = Array.isArray(b.members) ? b.members.filter((x): x is string => typeof x === 'string') : [];
    const members = names.map((n) => ctx.store.userByName(n)).filter((x): x is FakeUser => x !== undefined);
    success(res, typed('POST', '/v1/groups.create', { group: ctx.store.createRoom('p', name, u, members) }));
  },
  'POST im.create': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const other = ctx.store.userByName(str(b.username, 'username'));
    if (!other) throw new ApiError(400, 'error-invalid-user', 'Invalid user', { method: 'createDirectMessage' });
    const room = ctx.store.openDirect(u, other);
    success(res, typed('POST', '/v1/im.create', { room: { ...room, rid: room._id } }));
  },
  'POST users.setStatus': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const status = b.status;
    if (status !== undefined && !['online', 'away', 'busy', 'offline'].includes(String(status))) {
      throw new ApiError(400, 'error-invalid-status', 'Valid status types include online, away, offline, and busy.', { method: 'users.setStatus' });
    }
    if (typeof status === 'string') u.statusDefault = status as UserStatus;
    if (typeof b.message === 'string') u.statusText = b.message;
    ctx.store.publishStatus(u);
    success(res, {});
  },
  'GET users.getStatus': (ctx, u, q, _b, _req, res) => {
    const target = q.get('userId') ? ctx.store.users.get(q.get('userId')!) : q.get('username') ? ctx.store.userByName(q.get('username')!) : u;
    if (!target) throw new ApiError(400, 'error-invalid-user', 'Invalid user');
    success(res, { _id: target._id, message: target.statusText, connectionStatus: target.connections > 0 ? 'online' : 'offline', status: ctx.store.status(target) });
  },
  // apps/meteor/app/api/server/v1/users.ts (users.autocomplete) → server/api/lib/users.ts
  // findUsersToAutocomplete: `selector` is JSON {term, exceptions?, conditions?}; the term is an
  // escaped case-insensitive regex over username and name (Accounts_SearchFields), people the caller
  // has DMs with first, then other active users; sorted by username, 10 at most; no e-mails.
  'GET users.autocomplete': (ctx, u, q, _b, _req, res) => {
    let selector: { term?: unknown; exceptions?: unknown };
    try {
      selector = JSON.parse(str(q.get('selector'), 'selector')) as { term?: unknown; exceptions?: unknown };
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(400, 'error-invalid-params', 'The "selector" query parameter must be JSON.');
    }
    const term = typeof selector.term === 'string' ? selector.term.toLowerCase() : '';
    const except = new Set(Array.isArray(selector.exceptions) ? selector.exceptions.filter((x): x is string => typeof x === 'string') : []);
    const matches = (x: FakeUser): boolean => !except.has(x.username) && (x.username.toLowerCase().includes(term) || x.name.toLowerCase().includes(term));
    const byName = (a: FakeUser, b: FakeUser): number => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0);
    const dmPartners = new Set<FakeUser>();
    for (const r of ctx.store.rooms.values()) {
      if (r.t !== 'd' || !ctx.store.isMember(r._id, u._id)) continue;
      for (const m of ctx.store.members(r._id)) if (m._id !== u._id) dmPartners.add(m);
    }
    const contacts = [...dmPartners].filter(matches).sort(byName);
    const others = [...ctx.store.users.values()].filter((x) => !dmPartners.has(x) && matches(x)).sort(byName);
    const items = [...contacts, ...others].slice(0, 10).map((x) => ({ _id: x._id, name: x.name, username: x.username, status: ctx.store.status(x) }));
    success(res, { items });
  },
  'GET users.info': (ctx, _u, q, _b, _req, res) => {
    const target = q.get('userId') ? ctx.store.users.get(q.get('userId')!) : ctx.store.userByName(q.get('username') ?? '');
    if (!target) throw new ApiError(400, 'error-invalid-user', 'User not found.');
    success(res, { user: { _id: target._id, username: target.username, name: target.name, status: ctx.store.status(target), statusText: target.statusText, active: true, type: 'user', roles: ['user'], utcOffset: 0 } });
  },
  'GET users.presence': (ctx, _u, _q, _b, _req, res) => {
    const users = [...ctx.store.users.values()].map((x) => ({ _id: x._id, username: x.username, name: x.name, status: ctx.store.status(x), utcOffset: 0, statusText: x.statusText }));
    success(res, { users, full: true });
  },
  'POST rooms.media': async (ctx, u, _q, _b, req, res, params) => {
    const rid = params[0] ?? '';
    const room = roomOr404(ctx.store, rid, u);
    const raw = await readBody(req);
    const form = await new Request('http://fake.invalid/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: new Uint8Array(raw) }).formData().catch(() => null);
    const file = form?.get('file');
    if (!file || typeof file === 'string') throw new ApiError(400, 'error-invalid-field', 'No file uploaded');
    if (file.size > 10 * 1024 * 1024) throw new ApiError(400, 'error-file-too-large', 'File size exceeds the allowed size');
    const id = randomId();
    const name = file.name || 'file';
    ctx.store.files.set(id, { _id: id, rid: room._id, userId: u._id, name, type: file.type || 'application/octet-stream', data: Buffer.from(await file.arrayBuffer()), confirmed: false });
    // rest-typings declares only {url}; the server also returns _id, which clients pass to mediaConfirm.
    success(res, { file: { _id: id, ...typed('POST', '/v1/rooms.media/:rid', { file: { url: `/file-upload/${id}/${encodeURIComponent(name)}` } }).file as object } });
  },
  'POST rooms.mediaConfirm': async (ctx, u, _q, body, _req, res, params) => {
    const [rid = '', fileId = ''] = params;
    const f = ctx.store.files.get(fileId);
    if (!f || f.rid !== rid || f.userId !== u._id || f.confirmed) throw new ApiError(400, 'invalid-file', 'Invalid file');
    const b = await body();
    const m = confirmFile(ctx.store, u, f, typeof b.msg === 'string' ? b.msg : '', typeof b.tmid === 'string' ? b.tmid : undefined, typeof b.description === 'string' ? b.description : undefined);
    success(res, { message: m });
  },
  // VideoConfService.listCapabilities: the provider app's name and what it supports, or
  // Error('no-videoconf-provider-app') (a 400 failure) when no provider app is installed.
  'GET video-conference.capabilities': (ctx, _u, _q, _b, _req, res) => {
    const providerName = videoConfProvider(ctx);
    success(res, { providerName, capabilities: { mic: true, cam: true, title: true } });
  },
  'POST video-conference.start': async (ctx, u, _q, body, _req, res) => {
    videoConfProvider(ctx);
    const b = await body();
    const { callId } = startVideoConf(ctx, u, str(b.roomId, 'roomId'), typeof b.title === 'string' ? b.title : '');
    const rid = String(b.roomId);
    success(res, { data: { type: ctx.store.rooms.get(rid)?.t === 'd' ? 'direct' : 'videoconference', callId, rid, providerName: 'jitsi' } });
  },
  'GET video-conference.info': (ctx, u, q, _b, _req, res) => {
    const c = ctx.store.videoconfs.get(str(q.get('callId'), 'callId'));
    if (!c) throw new ApiError(400, 'invalid-params', 'Invalid callId');
    roomOr404(ctx.store, c.rid, u);
    success(res, { ...c, type: ctx.store.rooms.get(c.rid)?.t === 'd' ? 'direct' : 'videoconference', providerName: 'jitsi', anonymousUsers: 0, messages: { started: c.messageId } });
  },
  'POST video-conference.join': async (ctx, u, _q, body, _req, res) => {
    const b = await body();
    const c = ctx.store.videoconfs.get(str(b.callId, 'callId'));
    if (!c) throw new ApiError(400, 'invalid-params', 'Invalid callId');
    c.users.push({ _id: u._id, username: u.username, name: u.name, ts: new Date() });
    success(res, typed('POST', '/v1/video-conference.join', { url: c.url, providerName: 'jitsi' }));
  },
};

function authUser(ctx: RestContext, req: IncomingMessage): FakeUser | undefined {
  const c = cookies(req);
  const userId = req.headers['x-user-id'] ?? c.rc_uid;
  const token = req.headers['x-auth-token'] ?? c.rc_token;
  if (typeof userId !== 'string' || typeof token !== 'string') return undefined;
  return ctx.store.userByToken(userId, token);
}

function serveFile(ctx: RestContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  const u = authUser(ctx, req);
  const f = ctx.store.files.get(id);
  if (!u || !f || !ctx.store.isMember(f.rid, u._id)) {
    res.writeHead(403).end('Forbidden');
    return;
  }
  res.writeHead(200, {
    'content-type': f.type, 'content-length': String(f.data.length),
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(f.name)}`,
  });
  res.end(f.data);
}

/** Returns false when the path is not ours (the DDP upgrade and 404 are handled by the caller). */
export async function handleRest(ctx: RestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  try {
    if (path === '/api/info') return send(res, 200, { version: '7.4.0', success: true });
    if (path.startsWith('/file-upload/')) return serveFile(ctx, req, res, path.split('/')[2] ?? '');
    if (path.startsWith('/_oauth/') || path.startsWith('/idp/')) return await handleOAuth(ctx.store, ctx.baseUrl(), req, res, url);
    if (!path.startsWith('/api/v1/')) return send(res, 404, { success: false, error: 'Not found' });
    const rest = path.slice('/api/v1/'.length);
    const [name = '', ...params] = rest.split('/').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (ctx.faults.rateLimited.count > 0) {
      ctx.faults.rateLimited.count -= 1;
      const seconds = Math.ceil(ctx.faults.rateLimited.resetMs / 1000);
      // The real limiter sets only X-RateLimit-* (Reset is an epoch in ms) and no Retry-After.
      return send(res, 429, { success: false, error: `Error, too many requests. Please slow down. You must wait ${seconds} seconds before trying this endpoint again. [error-too-many-requests]` }, {
        'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Date.now() + ctx.faults.rateLimited.resetMs),
      });
    }
    if (name === 'login' && method === 'POST') return restLogin(ctx.store, await readJson(req), req, res);
    const route = routes[`${method} ${name}`];
    if (!route) return send(res, 404, { success: false, error: `Endpoint ${path} not found` });
    const u = authUser(ctx, req);
    if (!u || ctx.faults.unauthorized > 0) {
      if (u) ctx.faults.unauthorized -= 1;
      return unauthorized(res);
    }
    if (ctx.faults.malformed > 0) {
      ctx.faults.malformed -= 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"success":true,"messages":[{"_id":');
      return;
    }
    await route(ctx, u, url.searchParams, () => readJson(req), req, res, params);
  } catch (e) {
    if (e instanceof ApiError) return failure(res, e);
    send(res, 500, { success: false, error: e instanceof Error ? e.message : String(e) });
  }
}
