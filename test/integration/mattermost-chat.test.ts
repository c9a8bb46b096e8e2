// Mattermost chat features end to end: adapter ↔ test server ↔ adapter (or the server's own
// "post as a user" control standing in for another client).
import { describe, expect, it } from 'vitest';
import { addUser, mainTeam, useMattermostServer, type LiveUser } from '../servers/mattermost/harness';
import type { AdapterEvent, MessageInfo } from '../../protocols/contract';
import { richToPlainText, type RichNode } from '../../common/rich-text';
import { AppError } from '../../common/errors';

const mm = useMattermostServer();

type Msg = Extract<AdapterEvent, { type: 'message' }>;
const msgWith = (text: string) => (e: AdapterEvent): e is Msg => e.type === 'message' && e.message.text === text;
async function message(l: LiveUser, text: string): Promise<MessageInfo> {
  return ((await l.rec.waitFor(msgWith(text), 5000, text)) as Msg).message;
}
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

function findTag(nodes: readonly RichNode[] | undefined, tag: string): Extract<RichNode, object>[] {
  const out: Extract<RichNode, object>[] = [];
  const walk = (n: RichNode): void => {
    if (typeof n === 'string') return;
    if (n.tag === tag) out.push(n);
    n.children.forEach(walk);
  };
  (nodes ?? []).forEach(walk);
  return out;
}

describe('mattermost conversations', () => {
  it('lists public, private, direct and group channels with readable titles', async () => {
    const a = addUser(mm.srv, 'list', { firstName: 'Lisa', lastName: 'Berg' });
    const b = addUser(mm.srv, 'listb', { firstName: 'Bo', lastName: 'Ek' });
    const c = addUser(mm.srv, 'listc', { firstName: 'Cia' });
    const team = mainTeam(mm.srv);
    const pub = mm.srv.createChannel({ teamId: team, name: `town-${a.username}`, displayName: 'Town Square', type: 'O', creatorId: a.id });
    const priv = mm.srv.createChannel({ teamId: team, name: `secret-${a.username}`, displayName: 'Secret', type: 'P', creatorId: b.id, memberIds: [a.id] });
    mm.srv.createChannel({ teamId: team, name: `other-${a.username}`, displayName: 'Not mine', type: 'P', creatorId: b.id });
    const dm = mm.srv.directChannel(a.id, b.id);
    const gm = mm.srv.state.groupChannel([a.id, b.id, c.id]);
    const l = await mm.connect(a);
    const list = await l.adapter.listConversations();
    const byId = new Map(list.map((x) => [x.id, x]));
    expect(byId.get(pub.id)).toMatchObject({ kind: 'group', title: 'Town Square', isPrivate: false });
    expect(byId.get(priv.id)).toMatchObject({ kind: 'group', title: 'Secret', isPrivate: true });
    expect(byId.get(dm.id)).toMatchObject({ kind: 'direct', title: 'Bo Ek', isPrivate: true });
    expect(byId.get(gm.id)).toMatchObject({ kind: 'group', title: 'Bo Ek, Cia', isPrivate: true });
    expect(list.some((x) => x.title === 'Not mine')).toBe(false);
  });

  it('names the team in channel titles when the user is in several teams (DMs listed once)', async () => {
    const a = addUser(mm.srv, 'multi');
    const b = addUser(mm.srv, 'multib');
    const second = mm.srv.createTeam(`second-${a.username}`, 'Second Team', [a.id]);
    const ch = mm.srv.createChannel({ teamId: second.id, name: 'general', displayName: 'General', type: 'O', creatorId: a.id });
    const dm = mm.srv.directChannel(a.id, b.id);
    const l = await mm.connect(a);
    const list = await l.adapter.listConversations();
    expect(list.find((x) => x.id === ch.id)?.title).toBe('General (Second Team)');
    expect(list.filter((x) => x.id === dm.id)).toHaveLength(1);
  });

  it('creates a private channel with a member, who sees it appear; members and leave', async () => {
    const a = addUser(mm.srv, 'create', { firstName: 'Creator' });
    const b = addUser(mm.srv, 'createb', { firstName: 'Member' });
    const [la, lb] = await Promise.all([mm.connect(a), mm.connect(b)]);
    const info = await la.adapter.rooms!.create({ name: 'Projekt Älg', members: [b.address] });
    expect(info).toMatchObject({ kind: 'group', title: 'Projekt Älg', isPrivate: true });
    expect(mm.srv.state.channel(info.id).type).toBe('P');
    await lb.rec.waitFor((e) => e.type === 'conversation' && e.conversation.id === info.id, 5000, 'member sees the channel');
    const members = await la.adapter.rooms!.members(info.id);
    expect(members.map((m) => [m.name, m.role]).sort()).toEqual([['Creator', 'admin'], ['Member', 'member']]);
    await lb.adapter.rooms!.leave(info.id);
    expect(mm.srv.state.isMember(info.id, b.id)).toBe(false);
    expect((await lb.adapter.listConversations()).some((x) => x.id === info.id)).toBe(false);
  });

  it('opens a DM by address; the peer learns about it and gets the message', async () => {
    const a = addUser(mm.srv, 'dm');
    const b = addUser(mm.srv, 'dmb', { firstName: 'Dana' });
    const [la, lb] = await Promise.all([mm.connect(a), mm.connect(b)]);
    const conv = await la.adapter.direct!.open(b.address);
    expect(conv).toMatchObject({ kind: 'direct', title: 'Dana' });
    await la.adapter.send(conv.id, { clientTxnId: 't1', text: 'hej Dana' });
    const got = await message(lb, 'hej Dana');
    expect(got.conversationId).toBe(conv.id);
    await lb.rec.waitFor((e) => e.type === 'conversation' && e.conversation.id === conv.id);
    await expect(la.adapter.direct!.open('nobody-here@x')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('group messages reach every member', async () => {
    const [a, b, c] = [addUser(mm.srv, 'gm'), addUser(mm.srv, 'gmb'), addUser(mm.srv, 'gmc')];
    const gm = mm.srv.state.groupChannel([a.id, b.id, c.id]);
    const [la, lb, lc] = await Promise.all([mm.connect(a), mm.connect(b), mm.connect(c)]);
    await la.adapter.send(gm.id, { clientTxnId: 'g1', text: 'to all three' });
    expect((await message(lb, 'to all three')).senderId).toBe(a.id);
    expect((await message(lc, 'to all three')).conversationId).toBe(gm.id);
  });
});

describe('mattermost messages', () => {
  async function pair(): Promise<{ la: LiveUser; lb: LiveUser; conv: string }> {
    const a = addUser(mm.srv, 'msg', { firstName: 'Alva' });
    const b = addUser(mm.srv, 'msgb', { firstName: 'Bertil' });
    const [la, lb] = await Promise.all([mm.connect(a), mm.connect(b)]);
    const conv = (await la.adapter.direct!.open(b.address)).id;
    await lb.adapter.direct!.open(a.address);
    return { la, lb, conv };
  }

  it('keeps the Markdown source as text and gives a rich tree with mentions as pills', async () => {
    const { la, lb, conv } = await pair();
    const text = `**viktigt**: se [länk](https://example.se) @${lb.user.username}`;
    await la.adapter.send(conv, { clientTxnId: 'r1', text });
    const got = await message(lb, text);
    expect(got.text).toBe(text);
    expect(findTag(got.rich, 'strong')).toHaveLength(1);
    expect(findTag(got.rich, 'a')[0]?.href).toBe('https://example.se/');
    expect(findTag(got.rich, 'mention')[0]?.id).toBe(lb.user.id);
    expect(got.mentionsMe).toBe(true);
    const plain = 'just words';
    await la.adapter.send(conv, { clientTxnId: 'r2', text: plain });
    const p = await message(lb, plain);
    expect(p.rich).toBeUndefined();
    expect(p.mentionsMe).toBe(false);
  });

  it('hostile Markdown stays text: no script element, no javascript: link', async () => {
    const { la, lb, conv } = await pair();
    const text = '**b** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>';
    await la.adapter.send(conv, { clientTxnId: 'h1', text });
    const got = await message(lb, text);
    const json = JSON.stringify(got.rich ?? []);
    expect(json).not.toMatch(/"tag":"(script|img)"/);
    expect(findTag(got.rich, 'a')).toHaveLength(0);
    // The markup is shown as the characters the sender typed.
    expect(got.rich).toBeDefined();
    expect(findTag(got.rich, 'strong')).toHaveLength(1);
    expect(richToPlainText(got.rich!)).toContain('<script>alert(1)</script>');
    expect(got.text).toBe(text);
  });

  it('mentions: @username, @channel and the server mentions list mark mentionsMe; own messages never do', async () => {
    const a = addUser(mm.srv, 'men');
    const b = addUser(mm.srv, 'menb');
    const team = mainTeam(mm.srv);
    const ch = mm.srv.createChannel({ teamId: team, name: `men-${a.username}`, displayName: 'Mentions', type: 'O', creatorId: a.id, memberIds: [b.id] });
    const [la, lb] = await Promise.all([mm.connect(a), mm.connect(b)]);
    mm.srv.post(a.id, ch.id, `hej @${b.username}!`);
    mm.srv.post(a.id, ch.id, 'alla @channel');
    mm.srv.post(a.id, ch.id, `mail ${b.username}@example.se is not a mention`);
    expect((await message(lb, `hej @${b.username}!`)).mentionsMe).toBe(true);
    expect((await message(lb, 'alla @channel')).mentionsMe).toBe(true);
    expect((await message(lb, `mail ${b.username}@example.se is not a mention`)).mentionsMe).toBe(false);
    expect((await message(la, 'alla @channel')).mentionsMe).toBe(false);
  });

  it('threads: a reply carries the root as replyToId; a reply to a reply stays in the thread', async () => {
    const { la, lb, conv } = await pair();
    const root = await la.adapter.send(conv, { clientTxnId: 'th1', text: 'root post' });
    const rootMsg = await message(lb, 'root post');
    const reply = await lb.adapter.send(conv, { clientTxnId: 'th2', text: 'reply', replyTo: { id: rootMsg.id, refs: rootMsg.refs, senderId: rootMsg.senderId, text: rootMsg.text } });
    const got = await message(la, 'reply');
    expect(got.replyToId).toBe(root.messageId);
    expect(got.refs).toEqual({ postId: reply.messageId, rootId: root.messageId });
    await la.adapter.send(conv, { clientTxnId: 'th3', text: 'reply 2', replyTo: { id: got.id, refs: got.refs, senderId: got.senderId, text: got.text } });
    expect((await message(lb, 'reply 2')).replyToId).toBe(root.messageId);
    expect(mm.srv.state.post(root.messageId).reply_count).toBe(2);
  });

  it('a retried send with the same clientTxnId creates one post; the echo carries the clientTxnId', async () => {
    const { la, lb, conv } = await pair();
    const one = await la.adapter.send(conv, { clientTxnId: 'same-txn', text: 'once only' });
    const two = await la.adapter.send(conv, { clientTxnId: 'same-txn', text: 'once only' });
    expect(two.messageId).toBe(one.messageId);
    const echo = await message(la, 'once only');
    expect(echo.own).toBe(true);
    expect(echo.clientTxnId).toBe('same-txn');
    await message(lb, 'once only');
    await settle();
    expect(lb.rec.events.filter(msgWith('once only'))).toHaveLength(1);
  });

  it('reactions: Unicode for known emoji, :name: for others; set replaces our set', async () => {
    const { la, lb, conv } = await pair();
    const ack = await la.adapter.send(conv, { clientTxnId: 'x1', text: 'react to me' });
    const target = await message(lb, 'react to me');
    await lb.adapter.reactions!.set(conv, { id: target.id, refs: target.refs }, ['👍', ':party_parrot:']);
    expect((mm.srv.state.reactions.get(ack.messageId) ?? []).map((r) => r.emoji_name).sort()).toEqual(['+1', 'party_parrot']);
    const r = await la.rec.waitFor((e) => e.type === 'reactions' && e.targetId === ack.messageId && e.keys.length === 2, 5000, 'two reactions');
    expect(r.type === 'reactions' && [...r.keys].sort()).toEqual([':party_parrot:', '👍']);
    expect(r.type === 'reactions' && r.senderId).toBe(lb.user.id);
    await lb.adapter.reactions!.set(conv, { id: target.id, refs: target.refs }, []);
    await la.rec.waitFor((e) => e.type === 'reactions' && e.targetId === ack.messageId && e.keys.length === 0, 5000, 'cleared');
    expect(mm.srv.state.reactions.get(ack.messageId) ?? []).toHaveLength(0);
  });

  it('edits and deletes reach the peer; deleted posts vanish from history', async () => {
    const { la, lb, conv } = await pair();
    const ack = await la.adapter.send(conv, { clientTxnId: 'e1', text: 'typo heer' });
    await message(lb, 'typo heer');
    await la.adapter.edits!.edit(conv, { id: ack.messageId, refs: ack.refs }, 'typo **here**', 'e2');
    const ed = await lb.rec.waitFor((e) => e.type === 'message.edited' && e.targetId === ack.messageId, 5000, 'edit');
    expect(ed.type === 'message.edited' && ed.text).toBe('typo **here**');
    expect(ed.type === 'message.edited' && findTag(ed.rich, 'strong')).toHaveLength(1);
    await la.adapter.deletes!.delete(conv, { id: ack.messageId, refs: ack.refs });
    await lb.rec.waitFor((e) => e.type === 'message.deleted' && e.targetId === ack.messageId, 5000, 'delete');
    const page = await lb.adapter.getHistory(conv, { limit: 10 });
    expect(page.messages.map((m) => m.id)).not.toContain(ack.messageId);
    await expect(lb.adapter.edits!.edit(conv, { id: ack.messageId, refs: ack.refs }, 'x', 'e3')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('typing goes both ways and times out on the receiving side', async () => {
    const { la, lb, conv } = await pair();
    await la.adapter.typing!.set(conv, true);
    const t = await lb.rec.waitFor((e) => e.type === 'typing' && e.typing, 5000, 'typing');
    expect(t.type === 'typing' && [t.conversationId, t.senderId]).toEqual([conv, la.user.id]);
    await lb.adapter.typing!.set(conv, true);
    await la.rec.waitFor((e) => e.type === 'typing' && e.typing && e.senderId === lb.user.id, 5000, 'typing back');
    // A message from the typist ends the indicator at once.
    await la.adapter.send(conv, { clientTxnId: 'ty', text: 'done typing' });
    await lb.rec.waitFor((e) => e.type === 'typing' && !e.typing && e.senderId === la.user.id, 5000, 'typing stopped');
  });

  it('read state: markDisplayed views the channel on the server and other sessions of the user hear of it', async () => {
    const { la, lb, conv } = await pair();
    await la.adapter.send(conv, { clientTxnId: 'rd', text: 'read me' });
    const got = await message(lb, 'read me');
    const { adapter: second, rec: rec2 } = await mm.connect(lb.user);
    await second.getHistory(conv, { limit: 5 });
    await lb.adapter.receipts!.markDisplayed(conv, { id: got.id, refs: got.refs, senderId: got.senderId });
    expect(mm.srv.state.members.get(conv)!.get(lb.user.id)!.last_viewed_at).toBeGreaterThan(0);
    const r = await rec2.waitFor((e) => e.type === 'receipt', 5000, 'own receipt');
    expect(r.type === 'receipt' && [r.conversationId, r.senderId, r.kind]).toEqual([conv, lb.user.id, 'displayed']);
  });

  it('uploads and downloads a file; a path-traversal name is sanitised on both sides', async () => {
    const { la, lb, conv } = await pair();
    const data = new TextEncoder().encode('secret report');
    const att = await la.adapter.files!.upload(conv, { name: '../../etc/passwd\u202Etxt.exe', mime: 'text/plain', data });
    expect(att.name).not.toMatch(/[\\/]|\u202E/);
    expect(att.name.startsWith('.')).toBe(false);
    await la.adapter.send(conv, { clientTxnId: 'f1', text: 'see file', attachment: att });
    const got = await message(lb, 'see file');
    expect(got.attachments).toHaveLength(1);
    const file = await lb.adapter.files!.download(got.attachments![0]!);
    expect(new TextDecoder().decode(file.data)).toBe('secret report');
    expect(file.name).toBe(att.name);
    // A file whose server-side name is hostile (another client uploaded it) is cleaned on receipt.
    const hostile = mm.srv.state.files.get(att.id)!;
    hostile.info.name = '..\\..\\evil.bat';
    const again = await lb.adapter.getHistory(conv, { limit: 5 });
    const a2 = again.messages.find((m) => m.id === got.id)!.attachments![0]!;
    expect(a2.name).toBe('evil.bat');
    // Only files of this server, by id: a URL chosen by a message is refused.
    await expect(lb.adapter.files!.download({ ...a2, url: 'https://attacker.example/steal' })).rejects.toBeInstanceOf(AppError);
  });

  it('pages history backwards with before=<post id> until the beginning', async () => {
    const a = addUser(mm.srv, 'page');
    const b = addUser(mm.srv, 'pageb');
    const dm = mm.srv.directChannel(a.id, b.id);
    const texts = Array.from({ length: 8 }, (_, i) => `page ${i}`);
    for (const t of texts) mm.srv.post(b.id, dm.id, t);
    const la = await mm.connect(a);
    const seen: string[][] = [];
    let before: string | undefined;
    for (let i = 0; i < 6; i++) {
      const page = await la.adapter.getHistory(dm.id, { limit: 3, ...(before ? { before } : {}) });
      seen.unshift(page.messages.map((m) => m.text));
      expect(page.messages.every((m) => m.fromHistory)).toBe(true);
      if (!page.olderCursor) break;
      before = page.olderCursor;
    }
    expect(seen.flat()).toEqual(texts);
    expect(mm.srv.requests.some((r) => r.includes(`/channels/${dm.id}/posts?per_page=3&before=`))).toBe(true);
  });
});
