// Formatted text and pictures through the core: adapters hand over rich-text trees and picture
// locators; the core checks, stores and serves them, and never lets a bad tree cost a message.
import { afterEach, describe, expect, it } from 'vitest';
import type { RichNode } from '../../../common/rich-text';
import { conversationIdFor } from '../../../main/core/ids';
import type { Harness } from './harness';
import { ALICE, cleanupDirs, connectedCore, waitFor } from './harness';
import { FakeServer } from '../../helpers/fake-adapter';

afterEach(() => cleanupDirs());

const BOB = 'bob@example.test';
const ROOM = 'team@rooms.example.test';
const BOLD: RichNode[] = [{ tag: 'p', children: ['Hello ', { tag: 'strong', children: ['team'] }] }];

async function history(h: Harness, conversationId: string) {
  return (await h.call('history:load', { conversationId })).messages;
}

describe('formatted messages in the core', () => {
  it('stores a formatted message and serves its tree after a restart', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    server.inject(BOB, { text: 'Hello team', rich: BOLD });
    await waitFor(async () => (await history(h, conv)).length === 1);
    expect((await history(h, conv))[0]).toMatchObject({ text: 'Hello team', rich: BOLD });
    // The inbox preview is the formatted text's words, not its Markdown marks.
    server.inject(BOB, { text: 'Read **this** _now_', rich: [{ tag: 'p', children: ['Read ', { tag: 'strong', children: ['this'] }, ' ', { tag: 'em', children: ['now'] }] }] });
    await waitFor(async () => (await h.call('inbox:list', {})).find((c) => c.id === conv)?.lastMessagePreview === 'Read this now');
    const again = await h.restart();
    expect((await history(again, conv))[0]!.rich).toEqual(BOLD);
    await again.core.close();
  });

  it('keeps the message as plain text when the tree breaks the allowlist', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    const hostile = [
      [{ tag: 'script', children: ['alert(1)'] }],
      [{ tag: 'a', href: 'javascript:alert(1)', children: ['click'] }],
      [{ tag: 'p', children: ['x'], style: 'position:fixed' }],
      [{ tag: 'a', href: 'https://user:secret@evil.example/', children: ['login'] }],
    ];
    hostile.forEach((rich, i) => server.inject(BOB, { text: `plain ${i}`, rich: rich as unknown as RichNode[], ts: 1000 + i }));
    await waitFor(async () => (await history(h, conv)).length === hostile.length);
    for (const m of await history(h, conv)) {
      expect(m.text).toMatch(/^plain \d$/u);
      expect(m.rich).toBeNull();
    }
    await h.core.close();
  });

  it('updates the tree with an edit and drops it when the message is deleted', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    const m = server.inject(BOB, { text: 'draft', rich: BOLD });
    await waitFor(async () => (await history(h, conv)).length === 1);
    const edited: RichNode[] = [{ tag: 'p', children: [{ tag: 'em', children: ['final'] }] }];
    server.emit({ type: 'message.edited', conversationId: BOB, targetId: m.id, text: 'final', rich: edited, ts: 5000, senderId: m.senderId });
    await waitFor(async () => (await history(h, conv))[0]!.text === 'final');
    expect((await history(h, conv))[0]!.rich).toEqual(edited);
    server.emit({ type: 'message.deleted', conversationId: BOB, targetId: m.id, senderId: m.senderId });
    await waitFor(async () => (await history(h, conv))[0]!.deleted);
    expect((await history(h, conv))[0]!.rich).toBeNull();
    await h.core.close();
  });

  it('takes the formatting of our own message from the server copy that confirms it', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ echo: 'none' }));
    const conv = conversationIdFor(accountId, BOB);
    const sent = await h.call('message:send', { conversationId: conv, text: 'Hello **team**' });
    expect(sent.rich).toBeNull();
    await waitFor(async () => (await history(h, conv))[0]?.status === 'sent');
    const txn = server.sent[0]!.message.clientTxnId;
    const acked = (await history(h, conv))[0]!;
    // The server's copy (a sync echo after the ack) carries the formatted body.
    const copyId = server.sent[0]!.messageId;
    server.emit({ type: 'message', message: { id: copyId, conversationId: BOB, senderId: ALICE, senderName: 'alice', own: true, ts: acked.ts, text: 'Hello **team**', clientTxnId: txn, rich: BOLD, refs: {} } });
    await waitFor(async () => (await history(h, conv))[0]!.rich !== null);
    const own = await history(h, conv);
    expect(own).toHaveLength(1);
    expect(own[0]!.rich).toEqual(BOLD);
    await h.core.close();
  });
});

describe('calls announced in messages', () => {
  it('offers a safe link, asks the adapter when there is none, and never offers a dangerous one', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    server.inject(BOB, { text: 'call', ts: 1000, meeting: { system: 'Jitsi', title: 'Budget', url: 'https://meet.agency.se/BudgetRoom123' } });
    const onDemand = server.inject(BOB, { text: 'video conference', ts: 2000, meeting: { system: 'Rocket.Chat' } });
    server.meetingLinks.set(onDemand.id, 'https://meet.agency.se/rc-call-42');
    const bad = ['javascript:alert(1)', 'https://user:pw@meet.agency.se/x', 'https://jіtsi.agency.se/x', 'http://meet.agency.se/x'];
    bad.forEach((url, i) => server.inject(BOB, { text: `bad ${i}`, ts: 3000 + i, meeting: { system: 'Jitsi', url } }));
    await waitFor(async () => (await history(h, conv)).length === 2 + bad.length);
    const list = await history(h, conv);
    const byText = (t: string) => list.find((m) => m.text === t)!;
    expect(byText('call').meeting).toEqual({ system: 'Jitsi', title: 'Budget', url: 'https://meet.agency.se/BudgetRoom123' });
    expect(byText('video conference').meeting).toEqual({ system: 'Rocket.Chat', title: null, url: null });
    for (let i = 0; i < bad.length; i++) expect(byText(`bad ${i}`).meeting).toBeNull();

    expect(await h.call('meeting:join', { conversationId: conv, messageId: byText('call').id })).toEqual({ url: 'https://meet.agency.se/BudgetRoom123' });
    expect(await h.call('meeting:join', { conversationId: conv, messageId: byText('video conference').id })).toEqual({ url: 'https://meet.agency.se/rc-call-42' });
    expect(server.callsTo('meetings.joinUrl')).toEqual([[BOB, onDemand.id]]);
    // The adapter's answer is checked too.
    server.meetingLinks.set(onDemand.id, 'javascript:alert(1)');
    expect(await h.fail('meeting:join', { conversationId: conv, messageId: byText('video conference').id })).toMatchObject({ kind: 'forbidden' });
    expect(await h.fail('meeting:join', { conversationId: conv, messageId: byText('bad 0').id })).toMatchObject({ kind: 'not_found' });
    await h.core.close();
  });
});

describe('pictures', () => {
  it('serves a conversation picture through the adapter, once per size, and refuses SVG', async () => {
    const { h, server, accountId } = await connectedCore();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    server.pictures.set('pic://team', { mime: 'image/png', data: png });
    server.pictures.set('pic://svg', { mime: 'image/svg+xml', data: new TextEncoder().encode('<svg onload="alert(1)"/>') });
    server.addConversation({ id: ROOM, kind: 'group', title: 'Team', isPrivate: true, avatar: 'pic://team' });
    server.emit({ type: 'conversation', conversation: { id: ROOM, kind: 'group', title: 'Team', isPrivate: true, avatar: 'pic://team' } });
    const conv = conversationIdFor(accountId, ROOM);
    await waitFor(async () => (await h.call('inbox:list', {})).some((c) => c.id === conv));
    const row = (await h.call('inbox:list', {})).find((c) => c.id === conv)!;
    expect(row.avatar).toBe('pic://team');

    const pic = await h.call('avatar:get', { accountId, avatar: row.avatar!, size: 40 });
    expect(pic.mime).toBe('image/png');
    expect(Buffer.from(pic.dataBase64, 'base64')).toEqual(Buffer.from(png));
    await h.call('avatar:get', { accountId, avatar: row.avatar!, size: 40 });
    expect(server.callsTo('avatars.fetch')).toEqual([['pic://team', 40]]);

    expect(await h.fail('avatar:get', { accountId, avatar: 'pic://svg' })).toMatchObject({ kind: 'invalid_input' });
    expect(await h.fail('avatar:get', { accountId, avatar: 'pic://missing' })).toMatchObject({ kind: 'not_found' });

    // A new picture replaces the old one; an announcement without one keeps it.
    server.emit({ type: 'conversation', conversation: { id: ROOM, kind: 'group', title: 'Team', isPrivate: true, avatar: 'pic://team2' } });
    await waitFor(async () => (await h.call('inbox:list', {})).find((c) => c.id === conv)?.avatar === 'pic://team2');
    await h.core.close();
  });

  it('gives members their pictures', async () => {
    const { h, server, accountId } = await connectedCore();
    server.addConversation({ id: ROOM, kind: 'group', title: 'Team', isPrivate: true });
    server.emit({ type: 'conversation', conversation: { id: ROOM, kind: 'group', title: 'Team', isPrivate: true } });
    const conv = conversationIdFor(accountId, ROOM);
    await waitFor(async () => (await h.call('inbox:list', {})).some((c) => c.id === conv));
    const members = await h.call('conversation:members', { conversationId: conv });
    expect(members.every((m) => m.avatar === null)).toBe(true);
    await h.core.close();
  });
});
