import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../common/errors';
import type { MessageView } from '../../../common/model';
import { conversationIdFor } from '../../../main/core/ids';
import { MAX_SEND_ATTEMPTS } from '../../../main/core/outbox/outbox';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';
import type { Harness } from './harness';
import { ALICE, cleanupDirs, connectedCore, waitFor } from './harness';

afterEach(cleanupDirs);

const BOB = 'bob@example.test';

async function messages(h: Harness, conversationId: string): Promise<readonly MessageView[]> {
  return (await h.call('history:load', { conversationId })).messages;
}
const state = async (h: Harness) => (await h.call('app:snapshot', {})).accounts[0]!.state;

describe('outbox', () => {
  it('shows the message as pending first and as sent after the ack, as exactly one row', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ echo: 'after-ack' }));
    const conversationId = conversationIdFor(accountId, BOB);
    const sent = await h.call('message:send', { conversationId, text: 'Hej Bob' });
    expect(sent).toMatchObject({ status: 'pending', own: true, text: 'Hej Bob' });
    await waitFor(async () => (await messages(h, conversationId)).every((m) => m.status === 'sent'));
    const list = await messages(h, conversationId);
    expect(list).toHaveLength(1);
    expect(list[0]!.id).toBe(sent.id); // the renderer's row keeps its id
    expect(server.sent).toHaveLength(1);
    expect(h.core.store.pendingOutbox(accountId)).toEqual([]);
    await h.core.close();
  });

  it('deduplicates an echo that arrives before the ack, and one without our transaction id', async () => {
    for (const echo of ['before-ack', 'none'] as const) {
      const { h, server, accountId } = await connectedCore(new FakeServer({ echo }));
      const conversationId = conversationIdFor(accountId, BOB);
      await h.call('message:send', { conversationId, text: 'one' });
      await waitFor(async () => (await messages(h, conversationId))[0]?.status === 'sent');
      // The archive copy (same server id) comes back when paging history: still one row.
      const srvId = server.sent[0]!.messageId;
      server.emit({ type: 'message', message: { id: srvId, conversationId: BOB, senderId: ALICE, senderName: 'alice', own: true, ts: 1, text: 'one', refs: {}, fromHistory: true } });
      await waitFor(async () => (await messages(h, conversationId)).length === 1);
      expect((await messages(h, conversationId)).length).toBe(1);
      await h.core.close();
    }
  });

  it('keeps a message sent while offline and delivers it with the same id after reconnect', async () => {
    const { h, server, accountId } = await connectedCore();
    const conversationId = conversationIdFor(accountId, BOB);
    server.failNextConnect(new AppError('network', 'down'), 1000);
    server.dropConnection();
    await waitFor(async () => (await state(h)) === 'reconnecting');
    const m = await h.call('message:send', { conversationId, text: 'offline' });
    expect(server.sent).toHaveLength(0);
    expect((await messages(h, conversationId))[0]!.status).toBe('pending');
    server.clearConnectFailures();
    h.core.wake();
    await waitFor(async () => (await messages(h, conversationId))[0]?.status === 'sent');
    expect(server.sent).toHaveLength(1);
    expect(server.sent[0]!.message.text).toBe('offline');
    expect((await messages(h, conversationId)).map((x) => x.id)).toEqual([m.id]);
    await h.core.close();
  });

  it('replays with the same transaction id when the ack is lost, and ends with one row', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ echo: 'after-ack', dedupeTxn: true }));
    const conversationId = conversationIdFor(accountId, BOB);
    server.dropNextAcks(1);
    await h.call('message:send', { conversationId, text: 'important' });
    // random() = 0: the reconnect is immediate, and the outbox replays on 'connected'.
    await waitFor(async () => (await messages(h, conversationId))[0]?.status === 'sent');
    expect(server.sent).toHaveLength(2);
    expect(server.sent[0]!.message.clientTxnId).toBe(server.sent[1]!.message.clientTxnId);
    expect(new Set(server.sent.map((s) => s.messageId)).size).toBe(1);
    const list = await messages(h, conversationId);
    expect(list).toHaveLength(1);
    expect(server.archive.get(BOB)).toHaveLength(1);
    await h.core.close();
  });

  it('still keeps one row when the server does not deduplicate the replay but echoes our txn id', async () => {
    const { h, server, accountId } = await connectedCore(new FakeServer({ echo: 'after-ack', dedupeTxn: false }));
    const conversationId = conversationIdFor(accountId, BOB);
    server.dropNextAcks(1);
    await h.call('message:send', { conversationId, text: 'twice on the wire' });
    await waitFor(async () => (await messages(h, conversationId))[0]?.status === 'sent');
    // The first copy's archive entry carries the same clientTxnId: deduplicated on arrival.
    const first = server.archive.get(BOB)![0]!;
    server.emit({ type: 'message', message: { ...first, fromHistory: true } });
    await waitFor(async () => (await h.call('inbox:list', {})).length > 0);
    expect(await messages(h, conversationId)).toHaveLength(1);
    await h.core.close();
  });

  it('replays pending messages after a restart, once the account connects', async () => {
    const { h, server, accountId } = await connectedCore();
    const conversationId = conversationIdFor(accountId, BOB);
    server.failNextConnect(new AppError('network', 'down'), 1000);
    server.dropConnection();
    await waitFor(async () => (await state(h)) === 'reconnecting');
    const m = await h.call('message:send', { conversationId, text: 'survives a crash' });
    const h2 = await h.restart({ xmpp: fakeAdapterFactory(server) });
    expect((await messages(h2, conversationId))[0]).toMatchObject({ id: m.id, status: 'pending' });
    server.clearConnectFailures();
    h2.core.wake();
    await h2.call('accounts:reconnect', { accountId });
    await waitFor(async () => (await messages(h2, conversationId))[0]?.status === 'sent');
    expect(server.sent.map((s) => s.message.text)).toEqual(['survives a crash']);
    await h2.core.close();
  });

  it(`fails after ${MAX_SEND_ATTEMPTS} attempts with a notice, and message:retry sends it again`, async () => {
    const { h, server, accountId } = await connectedCore();
    const conversationId = conversationIdFor(accountId, BOB);
    server.failNextSend(new AppError('timeout', 'slow'), MAX_SEND_ATTEMPTS);
    const m = await h.call('message:send', { conversationId, text: 'stubborn' });
    // Retries are timer-driven (≥ 1 s); reconnect kicks the worker at once each time.
    for (let i = 0; i < MAX_SEND_ATTEMPTS + 1; i++) {
      if ((await messages(h, conversationId))[0]!.status === 'failed') break;
      await h.call('accounts:reconnect', { accountId });
      await waitFor(async () => (await state(h)) === 'connected');
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor(async () => (await messages(h, conversationId))[0]?.status === 'failed');
    const failed = (await messages(h, conversationId))[0]!;
    expect(failed.error).toMatchObject({ kind: 'timeout' });
    await waitFor(() => h.allPatches().some((p) => p.type === 'notice' && p.code === 'message-failed' && p.params.messageId === m.id));
    await h.call('message:retry', { conversationId, messageId: m.id });
    await waitFor(async () => (await messages(h, conversationId))[0]?.status === 'sent');
    expect(server.sent).toHaveLength(1);
    await h.core.close();
  });

  it('fails at once on an error that retrying cannot fix', async () => {
    const { h, server, accountId } = await connectedCore();
    const conversationId = conversationIdFor(accountId, BOB);
    server.failNextSend(new AppError('forbidden', 'muted in this room'));
    await h.call('message:send', { conversationId, text: 'not allowed' });
    await waitFor(async () => (await messages(h, conversationId))[0]?.status === 'failed');
    expect(h.core.store.pendingOutbox(accountId)).toEqual([]);
    await h.core.close();
  });

  it('deleting an unsent message takes it out of the outbox', async () => {
    const { h, server, accountId } = await connectedCore();
    const conversationId = conversationIdFor(accountId, BOB);
    server.failNextConnect(new AppError('network', 'down'), 1000);
    server.dropConnection();
    await waitFor(async () => (await state(h)) === 'reconnecting');
    const m = await h.call('message:send', { conversationId, text: 'oops' });
    await h.call('message:delete', { conversationId, messageId: m.id });
    expect(await messages(h, conversationId)).toEqual([]);
    expect(h.core.store.pendingOutbox(accountId)).toEqual([]);
    await h.core.close();
  });
});
