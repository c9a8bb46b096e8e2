import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Patch } from '../../../common/api';
import { conversationIdFor } from '../../../main/core/ids';
import { TYPING_TTL_MS } from '../../../main/core/ingest/typing-tracker';
import { FakeServer } from '../../helpers/fake-adapter';
import type { Harness } from './harness';
import { ALICE, cleanupDirs, connectedCore, PASSWORD, waitFor } from './harness';

afterEach(() => {
  vi.useRealTimers();
  cleanupDirs();
});

const BOB = 'bob@example.test';
const ROOM = 'team@rooms.example.test';

async function inboxRow(h: Harness, id: string) {
  return (await h.call('inbox:list', {})).find((c) => c.id === id);
}
async function history(h: Harness, conversationId: string) {
  return (await h.call('history:load', { conversationId })).messages;
}

describe('ingestion and the inbox', () => {
  it('counts unread and mentions, ignoring own messages and already-read backfill', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    server.inject(BOB, { text: 'one', ts: 1000 });
    server.inject(BOB, { text: '@alice look', ts: 2000, mentionsMe: true });
    server.emit({ type: 'message', message: { id: 'own-1', conversationId: BOB, senderId: ALICE, senderName: 'alice', own: true, ts: 2500, text: 'from my phone', refs: {} } });
    await waitFor(async () => (await inboxRow(h, conv))?.lastMessagePreview === 'from my phone');
    expect(await inboxRow(h, conv)).toMatchObject({ unread: 2, mentions: 1 });

    await h.call('conversation:open', { conversationId: conv });
    expect(await inboxRow(h, conv)).toMatchObject({ unread: 0, mentions: 0 });
    expect(server.callsTo('receipts.markDisplayed').at(-1)).toEqual([BOB, expect.objectContaining({ senderId: 'peer@example.test' })]);

    // Backfill older than what we read does not light the badge again; newer backfill does.
    server.emit({ type: 'message', message: { id: 'old', conversationId: BOB, senderId: BOB, senderName: 'Bob', own: false, ts: 500, text: 'ancient', refs: {}, fromHistory: true } });
    server.emit({ type: 'message', message: { id: 'new', conversationId: BOB, senderId: BOB, senderName: 'Bob', own: false, ts: 9000, text: 'newer', refs: {}, fromHistory: true } });
    await waitFor(async () => (await inboxRow(h, conv))?.lastMessagePreview === 'newer');
    expect((await inboxRow(h, conv))!.unread).toBe(1);
    await h.call('read:mark', { conversationId: conv });
    expect((await inboxRow(h, conv))!.unread).toBe(0);
    await h.core.close();
  });

  it('sorts the inbox by last activity and filters by account', async () => {
    const { h, server, accountId } = await connectedCore();
    server.addConversation({ id: ROOM, kind: 'group', title: 'Team', isPrivate: true });
    server.inject(BOB, { text: 'older', ts: 1000 });
    server.inject(ROOM, { text: 'newer', ts: 2000 });
    await waitFor(async () => (await h.call('inbox:list', {})).length === 2);
    const inbox = await h.call('inbox:list', {});
    expect(inbox.map((c) => c.address)).toEqual([ROOM, BOB]);
    expect(await h.call('inbox:list', { accountId })).toHaveLength(2);
    expect(await h.call('inbox:list', { accountId: 'other' })).toEqual([]);
    await h.core.close();
  });

  it('applies edits, deletions, reactions and receipts; ignores edits by someone else', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    server.inject(BOB, { id: 'm1', text: 'first draft', senderId: BOB });
    server.inject(BOB, { id: 'm2', text: 'to be removed', senderId: BOB });
    server.emit({ type: 'message.edited', conversationId: BOB, targetId: 'm1', text: 'final text', ts: 5, senderId: BOB });
    server.emit({ type: 'message.edited', conversationId: BOB, targetId: 'm1', text: 'spoofed', ts: 6, senderId: 'mallory@evil.test' });
    server.emit({ type: 'message.deleted', conversationId: BOB, targetId: 'm2', senderId: BOB });
    server.emit({ type: 'reactions', conversationId: BOB, targetId: 'm1', senderId: BOB, keys: ['👍', '🎉'] });
    server.emit({ type: 'reactions', conversationId: BOB, targetId: 'm1', senderId: ALICE, keys: ['👍'] });
    await waitFor(async () => (await history(h, conv)).length === 2);
    const [m1, m2] = await history(h, conv);
    expect(m1).toMatchObject({ text: 'final text', editedAt: 5 });
    const byKey = Object.fromEntries(m1!.reactions.map((r) => [r.key, { ...r, senders: [...r.senders].sort() }]));
    expect(byKey).toEqual({
      '👍': { key: '👍', count: 2, mine: true, senders: [ALICE, BOB] },
      '🎉': { key: '🎉', count: 1, mine: false, senders: [BOB] },
    });
    expect(m2).toMatchObject({ deleted: true, text: '' });
    expect(await h.call('search:messages', { query: 'removed' })).toEqual([]);

    const mine = await h.call('message:send', { conversationId: conv, text: 'did you read it?' });
    await waitFor(async () => (await history(h, conv)).find((m) => m.id === mine.id)?.status === 'sent');
    const nativeId = h.core.store.getMessage(mine.id)!.native_id!;
    server.emit({ type: 'receipt', conversationId: BOB, targetId: nativeId, senderId: BOB, kind: 'received' });
    await waitFor(async () => (await history(h, conv)).find((m) => m.id === mine.id)?.status === 'delivered');
    server.emit({ type: 'receipt', conversationId: BOB, targetId: nativeId, senderId: BOB, kind: 'displayed' });
    await waitFor(async () => (await history(h, conv)).find((m) => m.id === mine.id)?.status === 'displayed');
    await h.core.close();
  });

  it('expires typing notifications after the TTL, since XMPP only sends starts', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    server.emit({ type: 'typing', conversationId: BOB, senderId: BOB, typing: true });
    expect((await inboxRow(h, conv))!.typing).toEqual([BOB]);
    vi.advanceTimersByTime(TYPING_TTL_MS - 1000);
    expect((await inboxRow(h, conv))!.typing).toEqual([BOB]);
    vi.advanceTimersByTime(1000);
    expect((await inboxRow(h, conv))!.typing).toEqual([]);
    // A message from the typer also ends it.
    server.emit({ type: 'typing', conversationId: BOB, senderId: BOB, typing: true });
    server.inject(BOB, { text: 'done typing', senderId: BOB });
    expect((await inboxRow(h, conv))!.typing).toEqual([]);
    vi.useRealTimers();
    await h.core.close();
  });

  it('tracks presence and contacts, and turns subscription requests and invites into notices', async () => {
    const server = new FakeServer().addUser(ALICE, PASSWORD, [{ address: BOB, name: 'Bob B', subscription: 'both', groups: ['Work'] }]);
    const { h, accountId } = await connectedCore(server);
    await waitFor(async () => (await h.call('contacts:list', {})).length === 1);
    server.emit({ type: 'presence', userId: BOB, state: 'away', statusText: 'lunch' });
    await waitFor(async () => (await h.call('contacts:list', {}))[0]!.presence === 'away');
    expect((await h.call('contacts:list', {}))[0]).toMatchObject({ name: 'Bob B', statusText: 'lunch', subscription: 'both' });
    expect((await inboxRow(h, conversationIdFor(accountId, BOB)))!.presence).toBe('away');

    server.emit({ type: 'subscription.request', address: 'carol@example.test' });
    server.emit({ type: 'room.invite', roomId: ROOM, from: BOB, reason: 'planning' });
    await waitFor(() => h.allPatches().some((p) => p.type === 'notice' && p.code === 'room-invite'));
    const notices = h.allPatches().filter((p): p is Extract<Patch, { type: 'notice' }> => p.type === 'notice');
    expect(notices.find((n) => n.code === 'subscription-request')?.params).toMatchObject({ accountId, address: 'carol@example.test' });
    expect(notices.find((n) => n.code === 'room-invite')?.params).toMatchObject({ roomId: ROOM, from: BOB });
    const carol = (await h.call('contacts:list', {})).find((c) => c.address === 'carol@example.test');
    expect(carol?.subscription).toBe('pending-in');
    await h.call('contacts:respond', { accountId, address: 'carol@example.test', accept: true });
    expect(server.callsTo('contacts.respond')).toEqual([['carol@example.test', true]]);

    server.emit({ type: 'contact.removed', address: BOB });
    await waitFor(async () => !(await h.call('contacts:list', {})).some((c) => c.address === BOB));
    await h.core.close();
  });

  it('batches patches: a burst of messages arrives as a few arrays, not one per message', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    h.patches.length = 0;
    for (let i = 0; i < 500; i++) server.inject(BOB, { text: `burst ${i}`, ts: 10_000 + i });
    await waitFor(() => h.allPatches().filter((p) => p.type === 'messages').reduce((n, p) => n + (p.type === 'messages' ? p.messages.length : 0), 0) >= 500);
    expect(h.patches.length).toBeLessThan(10);
    const convPatches = h.allPatches().filter((p) => p.type === 'conversation' && p.conversation.id === conv);
    expect(convPatches.length).toBeLessThan(10);
    expect((await inboxRow(h, conv))!.unread).toBe(500);
    await h.core.close();
  });

  it('keeps an undecryptable message as a placeholder and replaces it in place when its keys arrive', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    server.emit({ type: 'conversation', conversation: { id: BOB, kind: 'direct', title: 'Bob', isPrivate: true, encrypted: true } });
    server.emit({ type: 'message', message: { id: '$e1', conversationId: BOB, senderId: BOB, senderName: 'Bob', own: false, ts: 1000, text: '', undecryptable: true, refs: {} } });
    await waitFor(async () => (await history(h, conv)).length === 1);
    expect(await history(h, conv)).toMatchObject([{ undecryptable: true, text: '' }]);
    expect(await inboxRow(h, conv)).toMatchObject({ encrypted: true, unread: 1 });
    server.emit({ type: 'message', message: { id: '$e1', conversationId: BOB, senderId: BOB, senderName: 'Bob', own: false, ts: 1000, text: 'nu kan du läsa', refs: {} } });
    await waitFor(async () => (await history(h, conv))[0]?.text === 'nu kan du läsa');
    const [m] = await history(h, conv);
    expect(m).toMatchObject({ undecryptable: false, text: 'nu kan du läsa' });
    expect(await history(h, conv)).toHaveLength(1);
    expect((await inboxRow(h, conv))?.lastMessagePreview).toBe('nu kan du läsa');
    expect((await h.call('search:messages', { query: 'läsa' })).map((x) => x.messageId)).toEqual([m!.id]);
    await h.core.close();
  });

  it('shows the first message as the preview even when the conversation\'s activity is newer (a join after the message)', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    server.emit({ type: 'conversation', conversation: { id: BOB, kind: 'direct', title: 'Bob', isPrivate: true, lastActivityAt: 5000 } });
    server.emit({ type: 'message', message: { id: 'm1', conversationId: BOB, senderId: BOB, senderName: 'Bob', own: false, ts: 4000, text: 'sent before you joined', refs: {} } });
    await waitFor(async () => (await inboxRow(h, conv))?.unread === 1);
    expect((await inboxRow(h, conv))?.lastMessagePreview).toBe('sent before you joined');
    await h.core.close();
  });

  it('removes a conversation the server says is gone', async () => {
    const { h, server, accountId } = await connectedCore();
    server.inject(BOB, { text: 'bye' });
    server.emit({ type: 'conversation.removed', conversationId: BOB });
    await waitFor(async () => (await h.call('inbox:list', {})).length === 0);
    await waitFor(() => h.allPatches().some((p) => p.type === 'conversation.removed' && p.conversationId === conversationIdFor(accountId, BOB)));
    await h.core.close();
  });
});
