// Rocket.Chat chat features against the fake server: channels, private groups, DMs, Markdown →
// rich text with mentions, threads, reactions, edit, delete, typing, read state, uploads and
// downloads, history paging, presence and video conferences.
import { describe, expect, it } from 'vitest';
import type { RichNode } from '../../common/rich-text';
import { richToPlainText } from '../../common/rich-text';
import { isMessageText, settle, useRocketChatServer } from '../servers/rocketchat/clients';
import type { MessageEvent, RcClient } from '../servers/rocketchat/clients';

const rc = useRocketChatServer();
let n = 0;

async function pair(): Promise<{ a: RcClient; b: RcClient; an: string; bn: string; aId: string; bId: string; dm: string }> {
  const an = `anna${n}`;
  const bn = `bo${n++}`;
  rc.srv.createUser(an);
  rc.srv.createUser(bn);
  const a = rc.client(an);
  const b = rc.client(bn);
  const [ra, rb] = await Promise.all([a.connect(), b.connect()]);
  const dm = (await a.adapter.direct!.open(b.address)).id;
  return { a, b, an, bn, aId: ra.selfId, bId: rb.selfId, dm };
}

function tags(nodes: readonly RichNode[] | undefined): string[] {
  const out: string[] = [];
  const walk = (x: RichNode): void => {
    if (typeof x === 'string') return;
    out.push(x.tag);
    x.children.forEach(walk);
  };
  (nodes ?? []).forEach(walk);
  return out;
}

function mentionIds(nodes: readonly RichNode[] | undefined): string[] {
  const out: string[] = [];
  const walk = (x: RichNode): void => {
    if (typeof x === 'string') return;
    if (x.tag === 'mention' && x.id) out.push(x.id);
    x.children.forEach(walk);
  };
  (nodes ?? []).forEach(walk);
  return out;
}

const msgWith = (text: string) => isMessageText(text);

describe('rocketchat conversations', () => {
  it('lists public channels and private groups the user is in, and a DM after direct.open', async () => {
    rc.srv.createUser(`carl${n}`);
    const { a, an, bn, dm } = await pair();
    const channel = rc.srv.createRoom('c', `general-${n}`, an);
    const group = rc.srv.createRoom('p', `secret-${n}`, bn, [an]);
    const list = await a.adapter.listConversations();
    const byId = new Map(list.map((c) => [c.id, c]));
    expect(byId.get(channel)).toMatchObject({ kind: 'group', isPrivate: false, title: `general-${n}` });
    expect(byId.get(group)).toMatchObject({ kind: 'group', isPrivate: true, title: `secret-${n}` });
    // A DM is titled with the peer's display name (the subscription's fname).
    expect(byId.get(dm)).toMatchObject({ kind: 'direct', isPrivate: true, title: bn[0]!.toUpperCase() + bn.slice(1) });
  });

  it('a group added while connected shows up live as a conversation', async () => {
    const { a, an, bn } = await pair();
    const group = rc.srv.createRoom('p', `late-${n}`, bn, [an]);
    const ev = await a.rec.waitFor((e) => e.type === 'conversation' && e.conversation.id === group, 5000, 'new conversation');
    expect(ev.type === 'conversation' && ev.conversation.isPrivate).toBe(true);
  });

  it('creates a private group with members; the member sees it and gets its messages', async () => {
    const { a, b } = await pair();
    const conv = await a.adapter.rooms!.create({ name: 'Projekt Älg 2', members: [b.address] });
    expect(conv.isPrivate).toBe(true);
    await b.rec.waitFor((e) => e.type === 'conversation' && e.conversation.id === conv.id, 5000, 'member sees group');
    const members = await a.adapter.rooms!.members(conv.id);
    expect(members.map((m) => m.name).sort()).toHaveLength(2);
    expect(members.find((m) => m.role === 'owner')).toBeTruthy();
    await a.adapter.send(conv.id, { clientTxnId: 'g1', text: 'welcome to the group' });
    await b.rec.waitFor(msgWith('welcome to the group'), 5000, 'group message');
  });

  it('joins a public channel by name and leaves it', async () => {
    const { a, bn } = await pair();
    const name = `open-${n}`;
    const rid = rc.srv.createRoom('c', name, bn);
    const conv = await a.adapter.rooms!.join(`#${name}`);
    expect(conv.id).toBe(rid);
    await a.adapter.rooms!.leave(rid);
    await a.rec.waitFor((e) => e.type === 'conversation.removed' && e.conversationId === rid, 5000, 'removed');
    const list = await a.adapter.listConversations();
    expect(list.some((c) => c.id === rid)).toBe(false);
  });
});

describe('rocketchat messages', () => {
  it('Markdown arrives as text (the source) plus rich, with @mention pills by user id', async () => {
    const { a, b, bn, bId, dm } = await pair();
    const text = `**bold** and _it_ for @${bn} see https://example.org`;
    await a.adapter.send(dm, { clientTxnId: 'md1', text });
    const got = ((await b.rec.waitFor(msgWith(text), 5000, 'markdown')) as MessageEvent).message;
    expect(got.text).toBe(text);
    expect(tags(got.rich)).toEqual(expect.arrayContaining(['strong', 'em', 'a', 'mention']));
    expect(mentionIds(got.rich)).toEqual([bId]);
    expect(got.mentionsMe).toBe(true);
  });

  it('mentions: @all marks mentionsMe, an unrelated message does not', async () => {
    const { b, an, bn } = await pair();
    const rid = rc.srv.createRoom('c', `ment-${n}`, an, [bn]);
    await b.adapter.listConversations();
    rc.srv.post(an, rid, 'plain note');
    rc.srv.post(an, rid, 'hey @all look');
    const plain = ((await b.rec.waitFor(msgWith('plain note'), 5000, 'plain')) as MessageEvent).message;
    const all = ((await b.rec.waitFor(msgWith('hey @all look'), 5000, '@all')) as MessageEvent).message;
    expect(plain.mentionsMe).toBe(false);
    expect(all.mentionsMe).toBe(true);
  });

  it('hostile Markdown never yields script, images or javascript: links in rich', async () => {
    const { a, b, dm } = await pair();
    const text = '<script>alert(1)</script> [x](javascript:alert(1)) ![i](https://evil.example/p.png) <img src=x onerror=alert(1)> ' + '>'.repeat(200) + ' deep';
    await a.adapter.send(dm, { clientTxnId: 'evil', text });
    const got = ((await b.rec.waitFor(msgWith(text), 5000, 'hostile')) as MessageEvent).message;
    const hrefs: string[] = [];
    const walk = (x: RichNode): void => {
      if (typeof x === 'string') return;
      if (x.href !== undefined) hrefs.push(x.href);
      x.children.forEach(walk);
    };
    (got.rich ?? []).forEach(walk);
    expect(hrefs.every((h) => /^(https?:|mailto:)/.test(h))).toBe(true);
    expect(tags(got.rich)).not.toContain('img');
    expect(tags(got.rich)).not.toContain('script');
    expect(richToPlainText(got.rich ?? [])).toContain('<script>');
    expect(tags(got.rich).length).toBeLessThan(200);
  });

  it('threads: a reply carries replyToId = the root; replying to a reply stays in the thread', async () => {
    const { a, b, dm } = await pair();
    const root = await a.adapter.send(dm, { clientTxnId: 't0', text: 'root' });
    const reply = await b.adapter.send(dm, { clientTxnId: 't1', text: 'reply 1', replyTo: { id: root.messageId, refs: root.refs, senderId: 'x', text: 'root' } });
    const got = ((await a.rec.waitFor(msgWith('reply 1'), 5000, 'reply')) as MessageEvent).message;
    expect(got.replyToId).toBe(root.messageId);
    await a.adapter.send(dm, { clientTxnId: 't2', text: 'reply 2', replyTo: { id: reply.messageId, refs: reply.refs, senderId: 'x', text: 'reply 1' } });
    const got2 = ((await b.rec.waitFor(msgWith('reply 2'), 5000, 'reply 2')) as MessageEvent).message;
    expect(got2.replyToId).toBe(root.messageId);
    const page = await a.adapter.getHistory(dm, { limit: 10 });
    expect(page.messages.map((m) => [m.text, m.replyToId ?? null])).toEqual([['root', null], ['reply 1', root.messageId], ['reply 2', root.messageId]]);
  });

  it('reactions: set by Unicode, seen as Unicode; replacing the set removes the old key', async () => {
    const { a, b, bId, dm } = await pair();
    const ack = await a.adapter.send(dm, { clientTxnId: 'r0', text: 'react to me' });
    await b.rec.waitFor(msgWith('react to me'), 5000, 'target');
    await b.adapter.reactions!.set(dm, { id: ack.messageId, refs: ack.refs }, ['👍', '🎉']);
    // One chat.react per key: the intermediate state (one key) may be seen first.
    const r1 = await a.rec.waitFor((e) => e.type === 'reactions' && e.targetId === ack.messageId && e.keys.length === 2, 5000, 'reaction');
    expect(r1.type === 'reactions' && [...r1.keys].sort()).toEqual(['🎉', '👍'].sort());
    expect(rc.srv.messages(dm).find((m) => m._id === ack.messageId)?.reactions).toHaveProperty([':thumbsup:']);
    a.rec.clear();
    await b.adapter.reactions!.set(dm, { id: ack.messageId, refs: ack.refs }, ['🎉']);
    const r2 = await a.rec.waitFor((e) => e.type === 'reactions' && e.targetId === ack.messageId && e.keys.length === 1, 5000, 'reaction replaced');
    expect(r2.type === 'reactions' && r2.keys).toEqual(['🎉']);
    expect(r2.type === 'reactions' && r2.senderId).toBe(bId);
  });

  it('edit and delete reach the other side once', async () => {
    const { a, b, dm } = await pair();
    const ack = await a.adapter.send(dm, { clientTxnId: 'e0', text: 'tpyo' });
    await b.rec.waitFor(msgWith('tpyo'), 5000, 'original');
    await a.adapter.edits!.edit(dm, { id: ack.messageId, refs: ack.refs }, 'typo fixed', 'e1');
    const ed = await b.rec.waitFor((e) => e.type === 'message.edited' && e.targetId === ack.messageId, 5000, 'edit');
    expect(ed.type === 'message.edited' && ed.text).toBe('typo fixed');
    await a.adapter.deletes!.delete(dm, { id: ack.messageId, refs: ack.refs });
    await b.rec.waitFor((e) => e.type === 'message.deleted' && e.targetId === ack.messageId, 5000, 'delete');
    await settle();
    expect(b.rec.events.filter((e) => e.type === 'message.deleted' && e.targetId === ack.messageId)).toHaveLength(1);
    expect(b.rec.events.filter((e) => e.type === 'message.edited' && e.targetId === ack.messageId)).toHaveLength(1);
  });

  it('typing both ways', async () => {
    const { a, b, bn, aId, dm } = await pair();
    await b.adapter.direct!.open(a.address);
    await a.adapter.typing!.set(dm, true);
    const t = await b.rec.waitFor((e) => e.type === 'typing' && e.conversationId === dm && e.typing, 5000, 'typing on');
    expect(t.type === 'typing' && t.senderId).toBe(aId);
    await a.adapter.typing!.set(dm, false);
    await b.rec.waitFor((e) => e.type === 'typing' && e.conversationId === dm && !e.typing, 5000, 'typing off');
    expect(a.rec.events.some((e) => e.type === 'typing')).toBe(false);
    rc.srv.typing(bn, dm, true);
    await a.rec.waitFor((e) => e.type === 'typing' && e.conversationId === dm && e.typing, 5000, 'typing from server user');
  });

  it('read state: markDisplayed clears the unread count on the server', async () => {
    const { a, b, bn, dm } = await pair();
    await a.adapter.send(dm, { clientTxnId: 'u1', text: 'unread one' });
    await a.adapter.send(dm, { clientTxnId: 'u2', text: 'unread two' });
    const last = ((await b.rec.waitFor(msgWith('unread two'), 5000, 'unread')) as MessageEvent).message;
    expect(rc.srv.unread(bn, dm)).toBe(2);
    await b.adapter.receipts!.markDisplayed(dm, { id: last.id, refs: last.refs, senderId: last.senderId });
    expect(rc.srv.unread(bn, dm)).toBe(0);
  });

  it('replaying a send with the same clientTxnId does not make a second message', async () => {
    const { a, b, dm } = await pair();
    const first = await a.adapter.send(dm, { clientTxnId: 'same-txn', text: 'only once' });
    const second = await a.adapter.send(dm, { clientTxnId: 'same-txn', text: 'only once' });
    expect(second.messageId).toBe(first.messageId);
    await b.rec.waitFor(msgWith('only once'), 5000, 'once');
    await settle();
    expect(rc.srv.messages(dm).filter((m) => m.msg === 'only once')).toHaveLength(1);
    expect(b.rec.events.filter(msgWith('only once'))).toHaveLength(1);
    const own = ((await a.rec.waitFor(msgWith('only once'), 5000, 'own echo')) as MessageEvent).message;
    expect(own.own).toBe(true);
    expect(own.clientTxnId).toBe('same-txn');
  });

  it('upload and download, with a path-traversal file name sanitised on both ends', async () => {
    const { a, b, dm } = await pair();
    const data = new TextEncoder().encode('hello file');
    const att = await a.adapter.files!.upload(dm, { name: '../../etc/passwd.txt', mime: 'text/plain', data });
    expect(att.name).toBe('passwd.txt');
    await a.adapter.send(dm, { clientTxnId: 'f1', text: 'see file', attachment: att });
    const got = ((await b.rec.waitFor(msgWith('see file'), 5000, 'file message')) as MessageEvent).message;
    expect(got.attachments).toHaveLength(1);
    const file = got.attachments![0]!;
    expect(file.name).toBe('passwd.txt');
    expect(file.size).toBe(data.length);
    const dl = await b.adapter.files!.download(file);
    expect(new TextDecoder().decode(dl.data)).toBe('hello file');
    expect(dl.name).toBe('passwd.txt');
    await expect(b.adapter.files!.download({ ...file, url: 'https://evil.example/file-upload/x/y' })).rejects.toMatchObject({ kind: 'invalid_input' });
    await expect(b.adapter.files!.download({ ...file, url: `${rc.srv.baseUrl}/file-upload/%2e%2e/api/v1/me` })).rejects.toMatchObject({ kind: 'invalid_input' });
  });

  it('a hostile file name sent by another client is sanitised on receive and still downloads', async () => {
    const { b, an, dm } = await pair();
    rc.srv.postFile(an, dm, '..\\..\\Startup\\evil\u202Etxt.exe', new Uint8Array([1, 2, 3]), 'hostile name');
    const got = ((await b.rec.waitFor(msgWith('hostile name'), 5000, 'file')) as MessageEvent).message;
    const file = got.attachments![0]!;
    expect(file.name).toBe('eviltxt.exe');
    expect(file.url.startsWith(`${rc.srv.baseUrl}/file-upload/`)).toBe(true);
    const dl = await b.adapter.files!.download(file);
    expect([...dl.data]).toEqual([1, 2, 3]);
  });

  it('pages history oldest → newest with a null cursor at the start', async () => {
    const { a, an, bn } = await pair();
    const rid = rc.srv.createRoom('c', `hist-${n}`, an, [bn]);
    const texts = Array.from({ length: 5 }, (_, i) => `h${i}`);
    for (const t of texts) rc.srv.post(bn, rid, t);
    await a.adapter.listConversations();
    const p1 = await a.adapter.getHistory(rid, { limit: 2 });
    expect(p1.messages.map((m) => m.text)).toEqual(['h3', 'h4']);
    expect(p1.messages.every((m) => m.fromHistory)).toBe(true);
    const p2 = await a.adapter.getHistory(rid, { limit: 2, before: p1.olderCursor! });
    expect(p2.messages.map((m) => m.text)).toEqual(['h1', 'h2']);
    const p3 = await a.adapter.getHistory(rid, { limit: 2, before: p2.olderCursor! });
    expect(p3.messages.map((m) => m.text)).toEqual(['h0']);
    expect(p3.olderCursor).toBeNull();
  });
});

describe('rocketchat presence and meetings', () => {
  it('sets own presence with status text; the other side observes it mapped', async () => {
    const { a, b, aId, dm } = await pair();
    await a.adapter.presence!.set('dnd', 'I möte till 15');
    const p = await b.rec.waitFor((e) => e.type === 'presence' && e.userId === aId && e.state === 'dnd', 5000, 'dnd observed');
    expect(p.type === 'presence' && p.statusText).toBe('I möte till 15');
    await a.adapter.presence!.set('away', '');
    await b.rec.waitFor((e) => e.type === 'presence' && e.userId === aId && e.state === 'away', 5000, 'away observed');
    const members = await b.adapter.rooms!.members(dm);
    expect(members.find((m) => m.id === aId)?.presence).toBe('away');
  });

  it('observes a server-side status change and going offline', async () => {
    const { a, b, bn, bId } = await pair();
    rc.srv.setStatus(bn, 'away', 'lunch');
    await a.rec.waitFor((e) => e.type === 'presence' && e.userId === bId && e.state === 'away' && e.statusText === 'lunch', 5000, 'away');
    await b.adapter.disconnect();
    await a.rec.waitFor((e) => e.type === 'presence' && e.userId === bId && e.state === 'offline', 5000, 'offline');
  });

  it('a video conference arrives as a joinable message with the call id in refs', async () => {
    const { a, bn, dm } = await pair();
    const { callId } = rc.srv.startVideoConference(bn, dm, 'Standup');
    const ev = (await a.rec.waitFor((e) => e.type === 'message' && e.message.refs.callId === callId, 5000, 'videoconf')) as MessageEvent;
    expect(ev.message.text).toMatch(/video conference/i);
    expect(ev.message.text).toContain(`https://meet.example.invalid/RocketChat${callId}`);
    expect(ev.message.rich).toBeUndefined();
    // A Join card: the system, and the provider's link (also asked for on demand with video-conference.join).
    expect(ev.message.meeting).toEqual({ system: 'Rocket.Chat', url: `https://meet.example.invalid/RocketChat${callId}` });
    expect(await a.adapter.meetings!.joinUrl!(dm, { id: ev.message.id, refs: ev.message.refs })).toBe(`https://meet.example.invalid/RocketChat${callId}`);
    await expect(a.adapter.meetings!.joinUrl!(dm, { id: 'x', refs: {} })).rejects.toMatchObject({ kind: 'not_found' });
  });
});
