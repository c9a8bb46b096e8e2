import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../common/errors';
import type { AccountSummary } from '../../../common/model';
import { conversationIdFor } from '../../../main/core/ids';
import { credentialsKey } from '../../../main/core/secrets/file-secret-store';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';
import { ALICE, cleanupDirs, connectedCore, openCore, PASSWORD, tempDir, waitFor } from './harness';

afterEach(cleanupDirs);

describe('accounts', () => {
  it('adds an account only after a successful connect, keeping the password out of SQLite', async () => {
    const { h, accountId } = await connectedCore();
    const snap = await h.call('app:snapshot', {});
    expect(snap.accounts).toHaveLength(1);
    expect(snap.accounts[0]).toMatchObject({ id: accountId, label: ALICE, server: 'example.test', state: 'connected', protocol: 'xmpp' });
    expect(snap.secretStorage).toBe('keyfile');
    expect(await h.secrets.get(credentialsKey(accountId))).toContain(PASSWORD);
    // Nothing the renderer receives carries the password either.
    expect(JSON.stringify(h.allPatches())).not.toContain(PASSWORD);
    await h.core.close();
    for (const f of readdirSync(h.dir).filter((n) => n.startsWith('samverka.db'))) {
      expect(readFileSync(join(h.dir, f)).includes(Buffer.from(PASSWORD))).toBe(false);
    }
  });

  it('passes a one-time code to the adapter with the password but never stores it; a token signs in as a token', async () => {
    const server = new FakeServer().addUser(ALICE, PASSWORD);
    const h = openCore(tempDir(), { xmpp: fakeAdapterFactory(server) });
    const acc = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD, otp: '654321' });
    const stored = JSON.parse((await h.secrets.get(credentialsKey(acc.id)))!) as Record<string, unknown>;
    expect(stored).toEqual({ kind: 'password', password: PASSWORD });
    expect(await h.fail('accounts:add', { protocol: 'xmpp', address: 'bo@example.test', password: 'x', token: 'y' })).toMatchObject({ kind: 'ipc_invalid' });
    expect(await h.fail('accounts:add', { protocol: 'xmpp', address: 'bo@example.test' })).toMatchObject({ kind: 'ipc_invalid' });
    expect(await h.fail('accounts:add', { protocol: 'xmpp', address: 'bo@example.test', password: 'x', otp: '12; DROP' })).toMatchObject({ kind: 'ipc_invalid' });
    // The fake accepts only passwords: a token reaches it as a token (and is refused as such).
    expect(await h.fail('accounts:add', { protocol: 'xmpp', address: 'bo@example.test', token: 'pat-1' })).toMatchObject({ kind: 'auth' });
    await h.core.close();
  });

  it('stores nothing when the first connect fails (wrong password, unreachable, certificate)', async () => {
    const server = new FakeServer().addUser(ALICE, PASSWORD);
    const h = openCore(tempDir(), { xmpp: fakeAdapterFactory(server) });
    const wrong = await h.fail('accounts:add', { protocol: 'xmpp', address: ALICE, password: 'nope' });
    expect(wrong.kind).toBe('auth');
    server.failNextConnect(new AppError('network', 'ECONNREFUSED'));
    expect((await h.fail('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD })).kind).toBe('network');
    server.failNextConnect(new AppError('certificate', 'self-signed'));
    expect((await h.fail('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD })).kind).toBe('certificate');
    expect((await h.call('app:snapshot', {})).accounts).toEqual([]);
    expect(h.core.store.listAccounts()).toEqual([]);
    expect(readdirSync(h.dir)).not.toContain('secrets.json');
    await h.core.close();
  });

  it('allows unencrypted sign-in only for loopback servers', async () => {
    const server = new FakeServer().addUser(ALICE, PASSWORD);
    const h = openCore(tempDir(), { xmpp: fakeAdapterFactory(server) });
    for (const serviceUrl of ['xmpp://chat.example.test:5222', 'xmpp://10.0.0.1:5222', 'xmpp://127.0.0.1.evil.test:5222']) {
      const e = await h.fail('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD, serviceUrl, allowPlaintext: true });
      expect(e.kind).toBe('insecure');
    }
    expect(server.connectCount).toBe(0);
    const ok = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD, serviceUrl: 'xmpp://127.0.0.1:15222', allowPlaintext: true });
    expect(ok.server).toBe('127.0.0.1:15222');
    const v6 = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD, serviceUrl: 'xmpp://[::1]:15222', allowPlaintext: true });
    expect(v6.state).toBe('connected');
    await h.core.close();
  });

  it('refuses the same account twice and unknown protocols', async () => {
    const { h } = await connectedCore();
    expect((await h.fail('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD })).kind).toBe('conflict');
    expect((await h.fail('accounts:add', { protocol: 'matrix', address: '@a:x.test', password: 'p' })).kind).toBe('unsupported');
    await h.core.close();
  });

  it('removes an account with its messages, search entries, outbox, cursors, contacts and secret', async () => {
    const server = new FakeServer().addUser(ALICE, PASSWORD, [{ address: 'bob@example.test', name: 'Bob', subscription: 'both', groups: [] }]);
    const { h, accountId } = await connectedCore(server);
    server.inject('bob@example.test', { text: 'hemligt protokoll' });
    server.emit({ type: 'sync', state: { mam: 'x1' } });
    await waitFor(async () => (await h.call('search:messages', { query: 'protokoll' })).length === 1);
    await waitFor(async () => (await h.call('contacts:list', {})).length === 1);
    server.failNextConnect(new AppError('network', 'down'), 1000);
    server.dropConnection();
    await waitFor(async () => (await h.call('app:snapshot', {})).accounts[0]!.state === 'reconnecting');
    await h.call('message:send', { conversationId: conversationIdFor(accountId, 'bob@example.test'), text: 'unsent' });

    await h.call('accounts:remove', { accountId });
    expect(await h.call('inbox:list', {})).toEqual([]);
    expect(await h.call('search:messages', { query: 'protokoll' })).toEqual([]);
    expect(h.core.store.ftsCount('"protokoll"')).toBe(0);
    expect(await h.call('contacts:list', {})).toEqual([]);
    const db = h.core.store.db;
    for (const t of ['messages', 'outbox', 'sync_cursors', 'contacts', 'conversations', 'accounts']) {
      expect((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, t).toBe(0);
    }
    expect(await h.secrets.get(credentialsKey(accountId))).toBeNull();
    await waitFor(() => h.allPatches().some((p) => p.type === 'account.removed' && p.accountId === accountId));
    await h.core.close();
  });

  it('serves the inbox from SQLite at start-up while the server does not answer', async () => {
    const { h, server } = await connectedCore();
    server.inject('bob@example.test', { text: 'before restart', ts: 5000 });
    await waitFor(async () => (await h.call('inbox:list', {}))[0]?.lastMessagePreview === 'before restart');
    server.hangConnect = true;
    const h2 = await h.restart();
    const inbox = await h2.call('inbox:list', {});
    expect(inbox.map((c) => c.lastMessagePreview)).toEqual(['before restart']);
    expect((await h2.call('app:snapshot', {})).accounts[0]!.state).toBe('connecting');
    await h2.core.close();
  });

  it('asks for attention on a fatal error after restart, and reconnects after a new password', async () => {
    const { h, server, accountId } = await connectedCore();
    server.users.set(ALICE, 'rotated password');
    const h2 = await h.restart();
    await waitFor(async () => (await h2.call('app:snapshot', {})).accounts[0]!.state === 'needs-attention');
    const acc = (await h2.call('app:snapshot', {})).accounts[0]! as AccountSummary;
    expect(acc.error).toMatchObject({ kind: 'auth', fatal: true });
    await h2.call('accounts:updatePassword', { accountId, password: 'rotated password' });
    await waitFor(async () => (await h2.call('app:snapshot', {})).accounts[0]!.state === 'connected');
    await h2.core.close();
  });

  it('passes the persisted sync state back on the next connect', async () => {
    const { h, server } = await connectedCore();
    server.emit({ type: 'sync', state: { 'mam:last': 'abc-123' } });
    await waitFor(async () => {
      await h.call('inbox:list', {});
      return h.core.store.getSyncState(h.core.store.listAccounts()[0]!.id)['mam:last'] === 'abc-123';
    });
    const h2 = await h.restart();
    await waitFor(() => server.lastSyncState?.['mam:last'] === 'abc-123');
    await h2.core.close();
  });

  it('reconnects a dropped account on wake without waiting for the backoff timer', async () => {
    const { h, server } = await connectedCore();
    server.failNextConnect(new AppError('network', 'down'), 1);
    server.dropConnection();
    await waitFor(async () => (await h.call('app:snapshot', {})).accounts[0]!.state === 'connected' || server.connectCount >= 2);
    // random() = 0 in the harness, so the first retry is immediate and fails; the next waits ≥ 0..2 s.
    h.core.wake();
    await waitFor(async () => (await h.call('app:snapshot', {})).accounts[0]!.state === 'connected');
    await h.core.close();
  });

  it('isolates accounts: one adapter emitting garbage or throwing does not affect the other', async () => {
    const good = new FakeServer().addUser(ALICE, PASSWORD).addConversation({ id: 'bob@example.test', kind: 'direct', title: 'Bob', isPrivate: false });
    const bad = new FakeServer().addUser('mallory@evil.test', 'pw');
    const h = openCore(tempDir(), { xmpp: fakeAdapterFactory(good), matrix: fakeAdapterFactory(bad, 'matrix') });
    const a = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD });
    const m = await h.call('accounts:add', { protocol: 'matrix', address: 'mallory@evil.test', password: 'pw' });
    bad.emitGarbage(null);
    bad.emitGarbage({ type: 'message', message: { id: 7 } });
    bad.emitGarbage({ type: 'message', message: { id: 'x', conversationId: 'c', senderId: 's', senderName: 'n', own: false, ts: NaN, text: 't', refs: {} } });
    bad.emitGarbage({ type: 'nonsense' });
    bad.emit({ type: 'malformed', detail: 'bad stanza' });
    good.inject('bob@example.test', { text: 'still works' });
    await waitFor(async () => (await h.call('inbox:list', { accountId: a.id }))[0]?.lastMessagePreview === 'still works');
    await waitFor(() => h.allPatches().some((p) => p.type === 'notice' && p.code === 'malformed-input' && p.params.accountId === m.id));
    expect(await h.call('inbox:list', { accountId: m.id })).toEqual([]);
    const notices = h.allPatches().filter((p) => p.type === 'notice' && p.code === 'malformed-input');
    expect(notices.every((p) => p.type === 'notice' && p.params.accountId === m.id)).toBe(true);
    const snap = await h.call('app:snapshot', {});
    expect(snap.accounts.map((x) => x.state)).toEqual(['connected', 'connected']);
    await h.core.close();
  });

  it('answers unknown commands and invalid input with ipc_invalid, never throwing', async () => {
    const h = openCore(tempDir(), {});
    expect((await h.fail('nope:nope', {})).kind).toBe('ipc_invalid');
    expect((await h.fail('__proto__', {})).kind).toBe('ipc_invalid');
    expect((await h.fail('message:send', { conversationId: '', text: 'x' })).kind).toBe('ipc_invalid');
    expect((await h.fail('accounts:add', null)).kind).toBe('ipc_invalid');
    expect((await h.fail('message:send', { conversationId: 'nope', text: 'x' })).kind).toBe('not_found');
    await h.core.close();
  });
});
