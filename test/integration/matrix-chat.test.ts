// The Matrix adapter against a real Synapse: rooms, direct chats, messages and their relations,
// files, history, catch-up after a disconnect and a server restart, and hostile input. The peer is
// either a second adapter or a raw client-server API client (fetch with the peer's access token).
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, AdapterLogger, MessageInfo, ProtocolAdapter, SyncState } from '../../protocols/contract';
import { record } from '../helpers/recorder';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;

interface Live {
  readonly adapter: ProtocolAdapter;
  readonly events: AdapterEvent[];
  readonly user: RegisteredUser;
  sync(): SyncState;
  waitFor(pred: (e: AdapterEvent) => boolean, label: string, ms?: number): Promise<AdapterEvent>;
}

let server: SynapseServer;
let seq = 0;
const open: ProtocolAdapter[] = [];
const uniq = (p: string): string => `${p}-${Date.now().toString(36)}-${seq++}`;
const settle = (ms = 500): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isText = (text: string) => (e: AdapterEvent): boolean => e.type === 'message' && e.message.text === text;
const count = (l: Live, text: string): number => l.events.filter(isText(text)).length;
const msgOf = async (l: Live, text: string): Promise<MessageInfo> => ((await l.waitFor(isText(text), `message "${text}"`)) as MsgEvent).message;

function makeAdapter(user: RegisteredUser): ProtocolAdapter {
  const a = createMatrixAdapter({ address: user.userId, serviceUrl: server.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  open.push(a);
  return a;
}

function watch(adapter: ProtocolAdapter, user: RegisteredUser, initial: SyncState = {}): Live {
  const rec = record(adapter, initial);
  return { adapter, events: rec.events, user, sync: rec.sync, waitFor: (pred, label, ms = 10_000) => rec.waitFor(pred, ms, label) };
}

async function newUser(prefix: string): Promise<RegisteredUser & { password: string }> {
  const name = `${prefix}${seq++}`;
  const password = `${name}-pw`;
  return { ...(await server.registerUser(name, password)), password };
}

/** A connected adapter with token credentials for the user (so txnIds share one device). */
async function connectToken(user: RegisteredUser, syncState: SyncState = {}): Promise<Live> {
  const live = watch(makeAdapter(user), user, syncState);
  await live.adapter.connect({ credentials: { kind: 'token', token: JSON.stringify({ accessToken: user.accessToken, deviceId: user.deviceId, userId: user.userId }) }, syncState });
  return live;
}

async function api<T>(user: RegisteredUser | null, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...(user ? { authorization: `Bearer ${user.accessToken}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
const rawSend = (user: RegisteredUser, room: string, type: string, content: unknown, txn = uniq('t')): Promise<{ event_id: string }> =>
  api(user, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/${encodeURIComponent(type)}/${txn}`, content);

/** Subject (adapter) and peer (adapter) in a DM opened by the subject; the peer auto-joins. */
async function dmPair(): Promise<{ s: Live; p: Live; room: string }> {
  const [su, pu] = await Promise.all([newUser('s'), newUser('p')]);
  const [s, p] = await Promise.all([connectToken(su), connectToken(pu)]);
  const conv = await s.adapter.direct!.open(pu.userId);
  await p.waitFor((e) => e.type === 'conversation' && e.conversation.id === conv.id, 'peer joined the DM');
  return { s, p, room: conv.id };
}

beforeAll(async () => {
  server = await startSynapse();
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((a) => a.disconnect().catch(() => undefined)));
  await server?.dispose();
});

describe('matrix rooms and direct chats', () => {
  it('direct.open creates one is_direct room, the peer joins it, both list it as direct; a second open finds it', async () => {
    const { s, p, room } = await dmPair();
    const again = await s.adapter.direct!.open(p.user.userId);
    expect(again.id).toBe(room);
    const peerSide = await p.adapter.direct!.open(s.user.userId);
    expect(peerSide.id).toBe(room);
    const sList = await s.adapter.listConversations();
    const pList = await p.adapter.listConversations();
    expect(sList.find((c) => c.id === room)).toMatchObject({ kind: 'direct', isPrivate: true });
    expect(pList.find((c) => c.id === room)).toMatchObject({ kind: 'direct' });
    // m.direct account data was written on both sides
    const md = await api<Record<string, string[]>>(s.user, 'GET', `/_matrix/client/v3/user/${encodeURIComponent(s.user.userId)}/account_data/m.direct`);
    expect(md[p.user.userId]).toContain(room);
  });

  it('private room: create invites members, invite event, accept with rooms.join, members with roles; decline leaves the invite', async () => {
    const [su, pu, qu] = await Promise.all([newUser('s'), newUser('p'), newUser('q')]);
    const [s, p, q] = await Promise.all([connectToken(su), connectToken(pu), connectToken(qu)]);
    const name = uniq('Projekt Åland');
    const conv = await s.adapter.rooms!.create({ name, members: [pu.userId, qu.userId] });
    expect(conv).toMatchObject({ kind: 'group', title: name, isPrivate: true });
    const inv = await p.waitFor((e) => e.type === 'room.invite' && e.roomId === conv.id, 'invite');
    expect(inv.type === 'room.invite' && inv.from).toBe(su.userId);
    await q.waitFor((e) => e.type === 'room.invite' && e.roomId === conv.id, 'invite q');

    const joined = await p.adapter.rooms!.join(conv.id);
    expect(joined).toMatchObject({ id: conv.id, kind: 'group', title: name });
    await q.adapter.rooms!.leave(conv.id); // decline
    await settle(300);
    const members = await s.adapter.rooms!.members(conv.id);
    const byId = new Map(members.map((m) => [m.id, m]));
    expect(byId.get(su.userId)?.role).toBe('admin');
    expect(byId.get(pu.userId)?.role).toBe('member');
    expect(byId.has(qu.userId)).toBe(false);
    const state = await api<{ join_rule: string }>(su, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(conv.id)}/state/m.room.join_rules/`);
    expect(state.join_rule).toBe('invite');
    expect((await p.adapter.listConversations()).some((c) => c.id === conv.id && c.title === name)).toBe(true);
    expect((await q.adapter.listConversations()).some((c) => c.id === conv.id)).toBe(false);
  });
});

describe('matrix messages', () => {
  it('send both ways; resending the same clientTxnId (lost ack) gives the same event and one delivery', async () => {
    const { s, p, room } = await dmPair();
    const text = uniq('once');
    const txn = uniq('txn');
    const t0 = performance.now();
    const a1 = await s.adapter.send(room, { clientTxnId: txn, text });
    const ackMs = performance.now() - t0;
    const a2 = await s.adapter.send(room, { clientTxnId: txn, text });
    expect(a2.messageId).toBe(a1.messageId);
    const got = await msgOf(p, text);
    expect(got).toMatchObject({ id: a1.messageId, own: false, senderId: s.user.userId });
    const echo = await msgOf(s, text);
    expect(echo).toMatchObject({ own: true, clientTxnId: txn, id: a1.messageId });
    const back = uniq('back');
    await p.adapter.send(room, { clientTxnId: uniq('txn'), text: back });
    await msgOf(s, back);
    await settle();
    expect(count(p, text)).toBe(1);
    expect(count(s, text)).toBe(1);
    console.info(`matrix send ack: ${ackMs.toFixed(0)} ms`);
  });

  it('edits, redactions, reaction sets, replies (fallback stripped), threads and mentions', async () => {
    const { s, p, room } = await dmPair();
    const target = await s.adapter.send(room, { clientTxnId: uniq('t'), text: 'original' });
    const seen = await msgOf(p, 'original');

    await s.adapter.edits!.edit(room, { id: target.messageId, refs: target.refs }, 'changed', uniq('t'));
    const ed = await p.waitFor((e) => e.type === 'message.edited' && e.targetId === seen.id, 'edit');
    expect(ed).toMatchObject({ text: 'changed', senderId: s.user.userId });

    await s.adapter.reactions!.set(room, { id: target.messageId, refs: target.refs }, ['👍', '🎉']);
    await p.waitFor((e) => e.type === 'reactions' && e.targetId === seen.id && e.keys.length === 2, 'two reactions');
    await s.adapter.reactions!.set(room, { id: target.messageId, refs: target.refs }, ['🎉']);
    await p.waitFor((e) => e.type === 'reactions' && e.targetId === seen.id && e.keys.length === 1 && e.keys[0] === '🎉', 'only 🎉 left');
    await s.adapter.reactions!.set(room, { id: target.messageId, refs: target.refs }, []);
    await p.waitFor((e) => e.type === 'reactions' && e.targetId === seen.id && e.keys.length === 0, 'no reactions');

    // Reply from the peer with an old-style fallback in the body (raw, as older clients send it).
    const reply = await rawSend(p.user, room, 'm.room.message', {
      msgtype: 'm.text',
      body: `> <${s.user.userId}> original\n\nthe answer`,
      'm.relates_to': { 'm.in_reply_to': { event_id: target.messageId } },
    });
    const rep = await msgOf(s, 'the answer');
    expect(rep).toMatchObject({ id: reply.event_id, replyToId: target.messageId, mentionsMe: false });

    // Reply through the adapter: m.in_reply_to, and the replied-to user is mentioned.
    const viaAdapter = uniq('adapter-reply');
    await p.adapter.send(room, { clientTxnId: uniq('t'), text: viaAdapter, replyTo: { id: target.messageId, refs: target.refs, senderId: s.user.userId, text: 'original' } });
    expect(await msgOf(s, viaAdapter)).toMatchObject({ replyToId: target.messageId, mentionsMe: true });

    // Thread message: replyToId is the thread root, and a reply to it stays in the thread.
    const inThread = await rawSend(p.user, room, 'm.room.message', { msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: target.messageId, is_falling_back: true, 'm.in_reply_to': { event_id: target.messageId } } });
    const th = await msgOf(s, 'in thread');
    expect(th.replyToId).toBe(target.messageId);
    expect(th.refs.threadRoot).toBe(target.messageId);
    await s.adapter.send(room, { clientTxnId: uniq('t'), text: 'thread answer', replyTo: { id: th.id, refs: th.refs, senderId: p.user.userId, text: 'in thread' } });
    const ta = await msgOf(p, 'thread answer');
    expect(ta.refs.threadRoot).toBe(target.messageId);
    expect(ta.replyToId).toBe(inThread.event_id);

    // Mentions: m.mentions, and the plain localpart in the body.
    const local = s.user.userId.slice(1).split(':')[0]!;
    await rawSend(p.user, room, 'm.room.message', { msgtype: 'm.text', body: 'ping you', 'm.mentions': { user_ids: [s.user.userId] } });
    await rawSend(p.user, room, 'm.room.message', { msgtype: 'm.text', body: `hello ${local}, look` });
    await rawSend(p.user, room, 'm.room.message', { msgtype: 'm.text', body: 'nobody here' });
    expect((await msgOf(s, 'ping you')).mentionsMe).toBe(true);
    expect((await msgOf(s, `hello ${local}, look`)).mentionsMe).toBe(true);
    expect((await msgOf(s, 'nobody here')).mentionsMe).toBe(false);

    await s.adapter.deletes!.delete(room, { id: target.messageId, refs: target.refs });
    const del = await p.waitFor((e) => e.type === 'message.deleted' && e.targetId === seen.id, 'deleted');
    expect(del.type === 'message.deleted' && del.senderId).toBe(s.user.userId);
  });

  it('typing notifications and read receipts reach the peer', async () => {
    const { s, p, room } = await dmPair();
    await s.adapter.typing!.set(room, true);
    await p.waitFor((e) => e.type === 'typing' && e.conversationId === room && e.senderId === s.user.userId && e.typing, 'typing on');
    await s.adapter.typing!.set(room, false);
    await p.waitFor((e) => e.type === 'typing' && e.senderId === s.user.userId && !e.typing, 'typing off');

    const ack = await p.adapter.send(room, { clientTxnId: uniq('t'), text: 'read me' });
    const m = await msgOf(s, 'read me');
    await s.adapter.receipts!.markDisplayed(room, { id: m.id, refs: m.refs, senderId: m.senderId });
    const rc = await p.waitFor((e) => e.type === 'receipt' && e.targetId === ack.messageId && e.senderId === s.user.userId, 'receipt');
    expect(rc.type === 'receipt' && rc.kind).toBe('displayed');
    const fully = await api<{ event_id: string }>(s.user, 'GET', `/_matrix/client/v3/user/${encodeURIComponent(s.user.userId)}/rooms/${encodeURIComponent(room)}/account_data/m.fully_read`);
    expect(fully.event_id).toBe(ack.messageId);
  });

  it('upload and download round trip through authenticated media; hostile names are sanitized', async () => {
    const { s, p, room } = await dmPair();
    expect(s.adapter.capabilities().maxUploadBytes).toBe(50 * 1024 * 1024);
    const data = new TextEncoder().encode('hej från Malmö — åäö\n'.repeat(100));
    const att = await s.adapter.files!.upload(room, { name: '../../etc/Räkning åäö.txt', mime: 'text/plain', data });
    expect(att.name).toBe('Räkning åäö.txt');
    expect(att.url).toMatch(/^mxc:\/\//);
    await s.adapter.send(room, { clientTxnId: uniq('t'), text: '', attachment: att });
    const got = (await p.waitFor((e) => e.type === 'message' && (e.message.attachments?.length ?? 0) > 0, 'file message')) as MsgEvent;
    const a = got.message.attachments![0]!;
    expect(a).toMatchObject({ name: 'Räkning åäö.txt', mime: 'text/plain', size: data.byteLength, url: att.url });
    const dl = await p.adapter.files!.download(a);
    expect(Buffer.from(dl.data).equals(Buffer.from(data))).toBe(true);
    expect(dl.name).toBe('Räkning åäö.txt');
    // The legacy unauthenticated endpoint refuses new media on this server: v1 was really used.
    const [srv, id] = att.url.slice('mxc://'.length).split('/');
    expect((await fetch(`${server.baseUrl}/_matrix/media/v3/download/${srv}/${id}`)).status).toBe(404);
    // A raw m.file whose filename tries to traverse directories.
    await rawSend(p.user, room, 'm.room.message', { msgtype: 'm.file', body: 'x', filename: '..\\..\\evil\u202Egpj.exe', url: att.url, info: { size: 3 } });
    const evil = (await s.waitFor((e) => e.type === 'message' && e.message.attachments?.[0]?.name.includes('evil') === true, 'evil file')) as MsgEvent;
    expect(evil.message.attachments![0]!.name).toBe('evilgpj.exe');
  });

  it('history pages backwards from a live message cursor, oldest first, ending with a null cursor', async () => {
    const { s, p, room } = await dmPair();
    const texts = Array.from({ length: 12 }, (_, i) => `hist-${i}`);
    for (const t of texts) await p.adapter.send(room, { clientTxnId: uniq('t'), text: t });
    const last = await msgOf(s, 'hist-11');
    const pages: string[][] = [];
    let before: string | undefined = last.cursor;
    for (let i = 0; i < 10; i++) {
      const page = await s.adapter.getHistory(room, { limit: 5, ...(before ? { before } : {}) });
      pages.unshift(page.messages.map((m) => m.text));
      expect(page.messages.every((m) => m.fromHistory === true)).toBe(true);
      if (page.olderCursor === null) break;
      before = page.olderCursor;
    }
    expect(pages.flat()).toEqual(texts.slice(0, 11));
  });

  it('malformed and hostile events are dropped or shown as plain text; the next message still arrives', async () => {
    const { s, p, room } = await dmPair();
    const pu = p.user;
    // Synapse itself rejects some of these (e.g. a non-string body); whatever it accepts reaches us.
    const hostile: [string, unknown][] = [
      ['m.room.message', { msgtype: 'm.text', body: 42 }],
      ['m.room.message', { msgtype: ['x'], body: 'bad msgtype' }],
      ['m.room.message', { body: 'no msgtype' }],
      ['m.room.message', { msgtype: 'm.text', body: 'bad edit', 'm.relates_to': { rel_type: 'm.replace', event_id: 5 }, 'm.new_content': 'x' }],
      ['m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: 'not-an-id', key: 7 } }],
      ['m.reaction', { 'm.relates_to': 'nonsense' }],
      ['com.example.unknown', { anything: true }],
      ['m.room.message', { msgtype: 'm.image', body: 'img without url' }],
      ['m.room.message', { msgtype: 'm.file', body: 'file', url: 'https://evil.example/x' }],
    ];
    let accepted = 0;
    for (const [type, content] of hostile) if (await rawSend(pu, room, type, content).then(() => true, () => false)) accepted++;
    expect(accepted).toBeGreaterThanOrEqual(4);
    await rawSend(pu, room, 'm.room.message', { msgtype: 'm.text', body: 'visible text', format: 'org.matrix.custom.html', formatted_body: '<script>alert(1)</script><img src=x onerror=alert(2)>' });
    const big = 'x'.repeat(60_000);
    await rawSend(pu, room, 'm.room.message', { msgtype: 'm.text', body: big });
    const after = uniq('still-works');
    await p.adapter.send(room, { clientTxnId: uniq('t'), text: after });
    await msgOf(s, after);
    const html = await msgOf(s, 'visible text');
    expect(html.text).toBe('visible text');
    expect(JSON.stringify(html)).not.toContain('<script>');
    expect((await s.waitFor((e) => e.type === 'message' && e.message.text.length === 60_000, 'big message')).type).toBe('message');
    const malformed = s.events.filter((e) => e.type === 'malformed');
    expect(malformed.length).toBe(accepted);
    expect(s.events.some(isText('bad msgtype'))).toBe(false);
    expect(s.events.some((e) => e.type === 'connection' && e.state === 'disconnected')).toBe(false);
  });
});

/** A real PNG (solid colour, size×size) so that Synapse can make thumbnails of it. */
function png(size: number): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3, 0x4a)]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('matrix formatting and pictures', () => {
  it('Markdown goes out as org.matrix.custom.html; incoming HTML arrives as a sanitised tree with mention pills', async () => {
    const { s, p, room } = await dmPair();
    const text = uniq('**Budget** is `due`');
    await s.adapter.send(room, { clientTxnId: uniq('t'), text });
    const got = await msgOf(p, text);
    expect(JSON.stringify(got.rich)).toContain('"tag":"strong"');
    expect(JSON.stringify(got.rich)).toContain('"tag":"code"');
    const wire = await api<{ chunk: { content: Record<string, unknown> }[] }>(p.user, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=5`);
    const sent = wire.chunk.find((e) => e.content.body === text)!.content;
    expect(sent.format).toBe('org.matrix.custom.html');
    expect(sent.formatted_body).toMatch(/<strong>Budget<\/strong>/u);

    // A plain message stays plain: no formatted_body, no tree.
    const plain = uniq('just words');
    await s.adapter.send(room, { clientTxnId: uniq('t'), text: plain });
    expect((await msgOf(p, plain)).rich).toBeUndefined();

    // Hostile HTML from another client: scripts and handlers gone, the pill is a mention.
    const pill = `<a href="https://matrix.to/#/${encodeURIComponent(s.user.userId)}">Subject</a>`;
    await rawSend(p.user, room, 'm.room.message', {
      msgtype: 'm.text', body: 'hi Subject, see this', format: 'org.matrix.custom.html',
      formatted_body: `<p onclick="x()">hi ${pill}, <a href="javascript:alert(1)">see</a> <b>this</b><script>alert(1)</script><img src="https://evil.example/t.gif"></p>`,
    });
    const html = await msgOf(s, 'hi Subject, see this');
    const tree = JSON.stringify(html.rich);
    expect(tree).toContain(`"tag":"mention","id":"${s.user.userId}"`);
    expect(tree).toContain('"tag":"strong"');
    expect(tree).not.toMatch(/script|onclick|javascript|evil\.example|"img"/u);

    // An edit with Markdown carries its own tree.
    await s.adapter.edits!.edit(room, { id: (await msgOf(s, plain)).id, refs: {} }, '_corrected_ words', uniq('t'));
    const edit = (await p.waitFor((e) => e.type === 'message.edited' && e.text === '_corrected_ words', 'formatted edit')) as Extract<AdapterEvent, { type: 'message.edited' }>;
    expect(JSON.stringify(edit.rich)).toContain('"tag":"em"');
  });

  it('room and member pictures: announced as mxc locators, fetched as thumbnails, changes re-announced', async () => {
    const { s, p, room } = await dmPair();
    const up = await fetch(`${server.baseUrl}/_matrix/media/v3/upload?filename=a.png`, {
      method: 'POST', headers: { authorization: `Bearer ${p.user.accessToken}`, 'content-type': 'image/png' }, body: Buffer.from(png(96)),
    });
    const { content_uri: mxc } = (await up.json()) as { content_uri: string };
    // The peer's own picture: the DM (which has none of its own) shows it.
    await api(p.user, 'PUT', `/_matrix/client/v3/profile/${encodeURIComponent(p.user.userId)}/avatar_url`, { avatar_url: mxc });
    const conv = await s.waitFor((e) => e.type === 'conversation' && e.conversation.id === room && e.conversation.avatar === mxc, 'DM shows the peer picture');
    expect(conv.type).toBe('conversation');
    const members = await s.adapter.rooms!.members(room);
    expect(members.find((m) => m.id === p.user.userId)?.avatar).toBe(mxc);

    const thumb = await s.adapter.avatars!.fetch(mxc, 32);
    expect(thumb.mime).toMatch(/^image\/(png|jpeg)$/u);
    expect(thumb.data.byteLength).toBeGreaterThan(50);
    await expect(s.adapter.avatars!.fetch('https://evil.example/x.png', 32)).rejects.toMatchObject({ kind: 'invalid_input' });
    await expect(s.adapter.avatars!.fetch(`mxc://${server.serverName}/doesnotexist`, 32)).rejects.toMatchObject({ kind: 'not_found' });

    // A room picture of its own wins.
    const up2 = await fetch(`${server.baseUrl}/_matrix/media/v3/upload?filename=b.png`, {
      method: 'POST', headers: { authorization: `Bearer ${s.user.accessToken}`, 'content-type': 'image/png' }, body: Buffer.from(png(64)),
    });
    const { content_uri: roomPic } = (await up2.json()) as { content_uri: string };
    await api(s.user, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/m.room.avatar/`, { url: roomPic });
    await p.waitFor((e) => e.type === 'conversation' && e.conversation.id === room && e.conversation.avatar === roomPic, 'room picture');
  });
});

describe('matrix catch-up', () => {
  it('after the adapter was disconnected: missed messages (more than a sync page) once, fromHistory, with edits and deletes', async () => {
    const { s, p, room } = await dmPair();
    const first = await p.adapter.send(room, { clientTxnId: uniq('t'), text: 'before' });
    await msgOf(s, 'before');
    await settle(300);
    const saved = s.sync();
    expect(saved.since).toBeTruthy();
    await s.adapter.disconnect();

    const missed = Array.from({ length: 25 }, (_, i) => `missed-${i}`);
    for (const t of missed) await p.adapter.send(room, { clientTxnId: uniq('t'), text: t });
    await p.adapter.edits!.edit(room, { id: first.messageId, refs: first.refs }, 'before (edited)', uniq('t'));

    // App restart: a new adapter instance, the stored token and the stored sync state.
    const s2 = await connectToken(s.user, saved);
    await s2.waitFor(isText('missed-24'), 'last missed');
    const live = uniq('live-after');
    await p.adapter.send(room, { clientTxnId: uniq('t'), text: live });
    await msgOf(s2, live);
    await settle();
    for (const t of missed) expect(count(s2, t)).toBe(1);
    expect(count(s2, 'before')).toBe(0);
    const msgs = s2.events.filter((e): e is MsgEvent => e.type === 'message');
    expect(msgs.filter((e) => e.message.text.startsWith('missed-')).every((e) => e.message.fromHistory === true)).toBe(true);
    expect(msgs.filter((e) => e.message.text.startsWith('missed-')).map((e) => e.message.text)).toEqual(missed);
    expect(msgs.find((e) => e.message.text === live)?.message.fromHistory).toBeFalsy();
    expect(s2.events.some((e) => e.type === 'message.edited' && e.targetId === first.messageId && e.text === 'before (edited)')).toBe(true);
    // Catch-up is emitted before the live message.
    const idxLast = s2.events.findIndex(isText('missed-24'));
    expect(idxLast).toBeLessThan(s2.events.findIndex(isText(live)));
  });

  it('Synapse restart mid-conversation: disconnected (non-fatal), reconnect with token, nothing lost or duplicated both ways', async () => {
    const { s, p, room } = await dmPair();
    await s.adapter.send(room, { clientTxnId: uniq('t'), text: 'r-before' });
    await msgOf(p, 'r-before');
    await settle(300);
    await server.restart();
    const drop = await s.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 'disconnected');
    expect(drop.type === 'connection' && drop.error).toMatchObject({ kind: 'network', fatal: false });
    await p.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 'peer disconnected');
    const tok = (u: RegisteredUser) => ({ kind: 'token' as const, token: JSON.stringify({ accessToken: u.accessToken, deviceId: u.deviceId, userId: u.userId }) });
    await p.adapter.connect({ credentials: tok(p.user), syncState: p.sync() });
    for (let i = 0; i < 5; i++) await p.adapter.send(room, { clientTxnId: uniq('t'), text: `r-missed-${i}` });
    await s.adapter.connect({ credentials: tok(s.user), syncState: s.sync() });
    await s.adapter.send(room, { clientTxnId: uniq('t'), text: 'r-after-s' });
    await msgOf(s, 'r-missed-4');
    await msgOf(p, 'r-after-s');
    await settle();
    for (let i = 0; i < 5; i++) expect(count(s, `r-missed-${i}`)).toBe(1);
    expect(count(s, 'r-before')).toBe(1);
    expect(count(p, 'r-before')).toBe(1);
    expect(count(p, 'r-after-s')).toBe(1);
  });
});
