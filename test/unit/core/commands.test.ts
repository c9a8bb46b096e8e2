import { afterEach, describe, expect, it } from 'vitest';
import { MAX_UPLOAD_BYTES } from '../../../common/api';
import { conversationIdFor } from '../../../main/core/ids';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';
import { ALICE, cleanupDirs, connectedCore, openCore, PASSWORD, tempDir, waitFor } from './harness';

afterEach(cleanupDirs);

const BOB = 'bob@example.test';

describe('commands', () => {
  it('searches across accounts or within one, with plain-text snippets and match ranges', async () => {
    const xmpp = new FakeServer().addUser(ALICE, PASSWORD).addConversation({ id: BOB, kind: 'direct', title: 'Bob', isPrivate: false });
    const mm = new FakeServer().addUser('anna@agency.test', 'pw').addConversation({ id: 'town-square', kind: 'group', title: 'Town Square', isPrivate: false });
    const h = openCore(tempDir(), { xmpp: fakeAdapterFactory(xmpp), mattermost: fakeAdapterFactory(mm, 'mattermost') });
    const a = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD });
    const b = await h.call('accounts:add', { protocol: 'mattermost', address: 'anna@agency.test', password: 'pw' });
    xmpp.inject(BOB, { text: 'Budgetmötet flyttas till torsdag', senderName: 'Bob' });
    mm.inject('town-square', { text: 'Har alla läst budgeten? [länk]', senderName: 'Anna' });
    mm.inject('town-square', { text: 'Asa och Åsa kommer' });
    await waitFor(async () => (await h.call('search:messages', { query: 'budget' })).length === 2);
    const hits = await h.call('search:messages', { query: 'BUDGET' });
    expect(hits.map((x) => x.accountId).sort()).toEqual([a.id, b.id].sort());
    const mmHit = hits.find((x) => x.accountId === b.id)!;
    expect(mmHit).toMatchObject({ conversationTitle: 'Town Square', senderName: 'Anna' });
    expect(mmHit.matches.map(([s, e]) => mmHit.snippet.slice(s, e))).toEqual(['budget']);
    expect(await h.call('search:messages', { query: 'budget', accountId: a.id })).toHaveLength(1);
    const asa = await h.call('search:messages', { query: 'åsa' });
    expect(asa.map((x) => x.snippet.slice(x.matches[0]![0], x.matches[0]![1]))).toEqual(['Åsa']);
    for (const query of ['"', 'AND(', '*', 'NEAR(', '"budget']) {
      const r = await h.core.handle('search:messages', { query });
      expect(r.ok).toBe(true);
    }
    await h.core.close();
  });

  it('loads history from the local store first and pages older messages from the server', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    for (let i = 0; i < 30; i++) server.inject(BOB, { id: `h${i}`, text: `old ${i}`, ts: 1000 + i }, { live: false });
    const first = await h.call('history:load', { conversationId: conv, limit: 20 });
    expect(first.messages.map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `old ${i + 10}`));
    expect(first.hasMore).toBe(true);
    const second = await h.call('history:load', { conversationId: conv, before: first.messages[0]!.id, limit: 20 });
    expect(second.messages.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `old ${i}`));
    expect(second.hasMore).toBe(false);
    // Backfill is history: it does not count as unread.
    expect((await h.call('inbox:list', {}))[0]!.unread).toBe(0);
    await h.core.close();
  });

  it('keeps archive order for messages stamped in the same second across history pages', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    // 30 archived messages within one second (archives stamp whole seconds), paged 10 at a time.
    for (let i = 0; i < 30; i++) server.inject(BOB, { id: `s${i}`, text: `same second ${i}`, ts: 5000 }, { live: false });
    const pages = [await h.call('history:load', { conversationId: conv, limit: 10 })];
    while (pages.at(-1)!.hasMore) pages.push(await h.call('history:load', { conversationId: conv, before: pages.at(-1)!.messages[0]!.id, limit: 10 }));
    const all = pages.reverse().flatMap((p) => p.messages);
    const bySeq = [...all].sort((a, b) => a.seq - b.seq).map((m) => m.text);
    expect(bySeq).toEqual(Array.from({ length: 30 }, (_, i) => `same second ${i}`));
    await h.core.close();
  });

  it('edits, deletes and reacts through the adapter and updates the stored message', async () => {
    const { h, server, accountId } = await connectedCore();
    const conv = conversationIdFor(accountId, BOB);
    const sent = await h.call('message:send', { conversationId: conv, text: 'teh plan' });
    await waitFor(async () => (await h.call('history:load', { conversationId: conv })).messages[0]?.status === 'sent');
    await h.call('message:edit', { conversationId: conv, messageId: sent.id, text: 'the plan' });
    expect(server.callsTo('edits.edit')[0]!.slice(0, 3)).toEqual([BOB, expect.objectContaining({ id: server.sent[0]!.messageId }), 'the plan']);
    await h.call('message:react', { conversationId: conv, messageId: sent.id, key: '👍', on: true });
    expect(server.callsTo('reactions.set')[0]![2]).toEqual(['👍']);
    let [m] = (await h.call('history:load', { conversationId: conv })).messages;
    expect(m).toMatchObject({ text: 'the plan', reactions: [{ key: '👍', count: 1, mine: true }] });
    expect((await h.call('inbox:list', {}))[0]!.lastMessagePreview).toBe('the plan');
    await h.call('message:delete', { conversationId: conv, messageId: sent.id });
    [m] = (await h.call('history:load', { conversationId: conv })).messages;
    expect(m).toMatchObject({ deleted: true, text: '', reactions: [] });

    server.inject(BOB, { id: 'theirs', text: 'not yours' });
    await waitFor(async () => (await h.call('history:load', { conversationId: conv })).messages.length === 2);
    const theirs = (await h.call('history:load', { conversationId: conv })).messages[1]!;
    expect((await h.fail('message:edit', { conversationId: conv, messageId: theirs.id, text: 'x' })).kind).toBe('forbidden');
    await h.core.close();
  });

  it('answers unsupported where the adapter lacks a feature', async () => {
    const server = new FakeServer({ without: ['edits', 'reactions', 'typing', 'files', 'rooms', 'direct'] });
    const { h, accountId } = await connectedCore(server);
    const conv = conversationIdFor(accountId, BOB);
    const sent = await h.call('message:send', { conversationId: conv, text: 'x' });
    await waitFor(async () => (await h.call('history:load', { conversationId: conv })).messages[0]?.status === 'sent');
    const checks: [string, unknown][] = [
      ['message:edit', { conversationId: conv, messageId: sent.id, text: 'y' }],
      ['message:react', { conversationId: conv, messageId: sent.id, key: '👍', on: true }],
      ['typing:set', { conversationId: conv, typing: true }],
      ['file:upload', { conversationId: conv, name: 'a.txt', mime: 'text/plain', dataBase64: 'aGVq' }],
      ['room:create', { accountId, name: 'R', members: [] }],
      ['conversation:start', { accountId, address: 'carol@example.test' }],
    ];
    for (const [cmd, input] of checks) {
      const e = await h.fail(cmd, input);
      expect(e.kind, cmd).toBe('unsupported');
      expect(e.message.length, cmd).toBeGreaterThan(10);
    }
    await h.core.close();
  });

  it('uploads and downloads files as base64 and enforces the size limit', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ capabilities: { maxUploadBytes: 8 } }));
    const conv = conversationIdFor(accountId, BOB);
    const data = Buffer.from('hej då').toString('base64');
    const msg = await h.call('file:upload', { conversationId: conv, name: 'hälsning.txt', mime: 'text/plain', dataBase64: data });
    expect(msg.attachments).toEqual([{ id: 'a1', name: 'hälsning.txt', mime: 'text/plain', size: 7 }]);
    expect(JSON.stringify(msg)).not.toContain('https://'); // protocol URLs stay in the core
    await waitFor(async () => (await h.call('history:load', { conversationId: conv })).messages[0]?.status === 'sent');
    expect(server.sent[0]!.message.attachment?.name).toBe('hälsning.txt');
    const file = await h.call('file:download', { conversationId: conv, messageId: msg.id, attachmentId: 'a1' });
    expect(Buffer.from(file.dataBase64, 'base64').toString()).toBe('hej då');
    const big = Buffer.alloc(9).toString('base64');
    expect((await h.fail('file:upload', { conversationId: conv, name: 'b', mime: '', dataBase64: big })).kind).toBe('invalid_input');
    expect((await h.fail('file:upload', { conversationId: conv, name: 'b', mime: '', dataBase64: 'not base64!' })).kind).toBe('invalid_input');
    expect(MAX_UPLOAD_BYTES).toBeGreaterThan(8);
    await h.core.close();
  });

  it('sets presence on every connected account and tells the UI', async () => {
    const { h, server } = await connectedCore();
    await h.call('presence:set', { state: 'dnd', statusText: 'i möte' });
    expect(server.callsTo('presence.set')).toEqual([['dnd', 'i möte']]);
    await waitFor(() => h.allPatches().some((p) => p.type === 'presence.own' && p.state === 'dnd' && p.statusText === 'i möte'));
    const snap = await h.call('app:snapshot', {});
    expect(snap).toMatchObject({ ownPresence: 'dnd', ownStatusText: 'i möte' });
    expect(snap.accounts[0]!.ownPresence).toBe('dnd');
    await h.call('settings:setLocale', { locale: 'en' });
    expect((await h.call('app:snapshot', {})).locale).toBe('en');
    await h.core.close();
  });

  it('starts direct conversations and creates, joins, lists and leaves rooms', async () => {
    const { h, server, accountId } = await connectedCore();
    const carol = await h.call('conversation:start', { accountId, address: 'carol@example.test' });
    expect(carol).toMatchObject({ kind: 'direct', address: 'carol@example.test', accountId });
    expect((await h.call('inbox:list', {}))[0]!.id).toBe(carol.id);
    const room = await h.call('room:create', { accountId, name: 'Projekt X', members: [BOB] });
    expect(room).toMatchObject({ kind: 'group', title: 'Projekt X', isPrivate: true });
    expect(server.callsTo('rooms.create')).toEqual([['Projekt X', [BOB]]]);
    const members = await h.call('conversation:members', { conversationId: room.id });
    expect(members.map((m) => m.role)).toEqual(['owner', 'member']);
    const joined = await h.call('room:join', { accountId, address: 'lobby@rooms.example.test' });
    expect(joined.kind).toBe('group');
    await h.call('room:leave', { conversationId: joined.id });
    expect((await h.call('inbox:list', {})).some((c) => c.id === joined.id)).toBe(false);
    const direct = await h.call('conversation:members', { conversationId: carol.id });
    expect(direct.map((m) => m.id)).toEqual([ALICE, 'carol@example.test']);
    await h.call('typing:set', { conversationId: carol.id, typing: true });
    expect(server.callsTo('typing.set')).toEqual([['carol@example.test', true]]);
    await h.call('contacts:add', { accountId, address: 'dave@example.test', name: 'Dave' });
    expect((await h.call('contacts:list', {})).find((c) => c.address === 'dave@example.test')?.subscription).toBe('pending-out');
    await h.call('contacts:remove', { accountId, address: 'dave@example.test' });
    expect((await h.call('contacts:list', {})).some((c) => c.address === 'dave@example.test')).toBe(false);
    await h.core.close();
  });

  it('reports offline instead of hanging when a command needs the server', async () => {
    const { h, server, accountId } = await connectedCore();
    server.failNextConnect(new (await import('../../../common/errors')).AppError('network', 'down'), 1000);
    server.dropConnection();
    await waitFor(async () => (await h.call('app:snapshot', {})).accounts[0]!.state === 'reconnecting');
    expect((await h.fail('room:join', { accountId, address: 'x@rooms.example.test' })).kind).toBe('network');
    await h.core.close();
  });
});
