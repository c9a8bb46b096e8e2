// The promise at the level a user sees it, through the real core: a Matrix account added
// with a password, a second independent client writes in an encrypted direct chat, the message
// appears decrypted in the unified inbox; the app is closed and opened again on the same profile:
// the same device reconnects, earlier messages are still readable and new ones decrypt.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse, type SynapseServer } from '../servers/synapse/synapse';
import { createCore, type Core } from '../../main/core/core';
import { FileSecretStore, SECRET_FILE_NAME, credentialsKey } from '../../main/core/secrets/file-secret-store';
import { ADAPTERS } from '../../protocols/registry';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, ProtocolAdapter } from '../../protocols/contract';
import type { CommandInput, CommandName, CommandOutputs, Patch } from '../../common/api';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let synapse: SynapseServer;
let profile: string;
let peerDir: string;
let peer: ProtocolAdapter;
const peerGot: string[] = [];
let secondComputer = '';

async function call<C extends CommandName>(core: Core, cmd: C, input: CommandInput<C>): Promise<CommandOutputs[C]> {
  const r = await core.handle(cmd, input);
  if (!r.ok) throw new Error(`${cmd}: ${r.error.kind} ${r.error.message}`);
  return r.value as CommandOutputs[C];
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, label: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function openCore(dir = profile): { core: Core; patches: Patch[] } {
  const core = createCore({ profileDir: dir, secrets: FileSecretStore.inProfile(dir), adapters: ADAPTERS });
  const patches: Patch[] = [];
  core.onPatches((p) => patches.push(...p));
  return { core, patches };
}

beforeAll(async () => {
  synapse = await startSynapse();
  await synapse.registerUser('anna', 'anna-pw');
  await synapse.registerUser('erik', 'erik-pw');
  profile = await mkdtemp(join(tmpdir(), 'samverka-core-e2ee-'));
  peerDir = await mkdtemp(join(tmpdir(), 'samverka-peer-'));
  const key = randomBytes(32);
  peer = createMatrixAdapter({ address: '@erik:localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now(), storage: { dir: peerDir, key: async () => key } });
  peer.onEvent((e: AdapterEvent) => {
    if (e.type === 'message' && !e.message.own && !e.message.undecryptable) peerGot.push(e.message.text);
  });
  await peer.connect({ credentials: { kind: 'password', password: 'erik-pw' }, syncState: {} });
}, 120_000);

afterAll(async () => {
  await peer?.disconnect();
  await synapse?.dispose();
  await Promise.all([profile, peerDir, secondComputer].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
});

describe('Matrix end-to-end encryption through the core', () => {
  let accountId = '';
  let conversationId = '';
  let deviceId = '';

  it('a message from an independent client in an encrypted DM appears decrypted in the unified inbox', async () => {
    const { core } = openCore();
    const account = await call(core, 'accounts:add', { protocol: 'matrix', address: '@anna:localhost', password: 'anna-pw', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    accountId = account.id;
    deviceId = (JSON.parse((JSON.parse((JSON.parse(await readFile(join(profile, SECRET_FILE_NAME), 'utf8')) as Record<string, string>)[credentialsKey(accountId)]!) as { token: string }).token) as { deviceId: string }).deviceId;
    expect(deviceId).toMatch(/\S/);

    const dm = await peer.direct!.open('@anna:localhost');
    await peer.send(dm.id, { clientTxnId: `erik-${Date.now()}`, text: 'Hemligt: mötet flyttas till Åre' });

    const convo = await until(async () => (await call(core, 'inbox:list', {})).find((c) => c.lastMessagePreview === 'Hemligt: mötet flyttas till Åre'), 'decrypted message in the inbox');
    expect(convo).toMatchObject({ protocol: 'matrix', encrypted: true, unread: 1 });
    conversationId = convo.id;
    // Searchable like any message (the local index has the plaintext; the server has ciphertext).
    expect((await call(core, 'search:messages', { query: 'Åre' })).map((h) => h.conversationId)).toEqual([conversationId]);

    await call(core, 'message:send', { conversationId, text: 'Tack, noterat' });
    await until(() => (peerGot.includes('Tack, noterat') ? true : undefined), 'our encrypted reply at the peer');
    await core.close();
  });

  it('after a restart: same device, earlier messages readable, new messages decrypt', async () => {
    const { core } = openCore();
    await until(async () => ((await call(core, 'app:snapshot', {})).accounts.find((a) => a.id === accountId)?.state === 'connected' ? true : undefined), 'reconnected');
    const stored = JSON.parse((JSON.parse(await readFile(join(profile, SECRET_FILE_NAME), 'utf8')) as Record<string, string>)[credentialsKey(accountId)]!) as { token: string };
    expect((JSON.parse(stored.token) as { deviceId: string }).deviceId).toBe(deviceId);

    const history = await call(core, 'history:load', { conversationId });
    expect(history.messages.map((m) => m.text)).toEqual(expect.arrayContaining(['Hemligt: mötet flyttas till Åre', 'Tack, noterat']));
    expect(history.messages.some((m) => m.undecryptable)).toBe(false);

    const dm = await peer.direct!.open('@anna:localhost');
    await peer.send(dm.id, { clientTxnId: `erik-2-${Date.now()}`, text: 'Efter omstarten: fortfarande krypterat' });
    await until(async () => ((await call(core, 'history:load', { conversationId })).messages.some((m) => m.text === 'Efter omstarten: fortfarande krypterat') ? true : undefined), 'new message decrypted after restart');
    await core.close();
  });

  it('recovery key: set up in the app; a new login on another computer unlocks the older messages', async () => {
    const first = openCore();
    await until(async () => ((await call(first.core, 'app:snapshot', {})).accounts[0]?.state === 'connected' ? true : undefined), 'connected');
    const { recoveryKey } = await call(first.core, 'encryption:setupRecovery', { accountId, password: 'anna-pw' });
    expect(recoveryKey.length).toBeGreaterThan(20);
    expect(await call(first.core, 'encryption:status', { accountId })).toMatchObject({ persistent: true, deviceVerified: true, recoverySetUp: true, keyBackup: true });
    // The recovery key is shown once, never stored.
    expect(await readFile(join(profile, SECRET_FILE_NAME), 'utf8')).not.toContain(recoveryKey);
    await first.core.close();

    secondComputer = await mkdtemp(join(tmpdir(), 'samverka-core-e2ee-2-'));
    const second = openCore(secondComputer);
    const account = await call(second.core, 'accounts:add', { protocol: 'matrix', address: '@anna:localhost', password: 'anna-pw', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    const status = await call(second.core, 'encryption:status', { accountId: account.id });
    expect(status.deviceId).not.toBe(deviceId);
    expect(status.deviceVerified).toBe(false);
    const convo = await until(async () => (await call(second.core, 'inbox:list', {})).find((c) => c.protocol === 'matrix' && c.encrypted), 'the encrypted DM on the new computer');
    const before = await call(second.core, 'history:load', { conversationId: convo.id });
    expect(before.messages.some((m) => m.undecryptable)).toBe(true);

    await call(second.core, 'encryption:restore', { accountId: account.id, recoveryKey });
    await until(async () => ((await call(second.core, 'history:load', { conversationId: convo.id })).messages.some((m) => m.text === 'Hemligt: mötet flyttas till Åre') ? true : undefined), 'older message decrypted from the key backup');
    expect((await call(second.core, 'encryption:status', { accountId: account.id })).deviceVerified).toBe(true);
    await second.core.close();
  });
});
