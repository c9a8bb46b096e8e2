// End-to-end encryption of the Matrix adapter against a real Synapse: encrypted rooms and DMs both
// ways with an independent second client, the crypto store persisted across a restart (same
// device, history still decryptable), recovery (cross-signing + secret storage + key backup) onto
// a new device, undecryptable placeholders replaced when keys arrive, and a server restart mid-send.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import { STORE_FILE } from '../../protocols/matrix/crypto-store';
import type { AdapterEvent, AdapterLogger, AdapterStorage, Credentials, MessageInfo, ProtocolAdapter, SyncState } from '../../protocols/contract';
import { record } from '../helpers/recorder';

type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;
type User = RegisteredUser & { password: string };

interface Live {
  readonly adapter: ProtocolAdapter;
  readonly events: AdapterEvent[];
  readonly user: User;
  readonly infos: { msg: string; data?: Record<string, unknown> }[];
  sync(): SyncState;
  waitFor(pred: (e: AdapterEvent) => boolean, label: string, ms?: number): Promise<AdapterEvent>;
}

let server: SynapseServer;
let seq = 0;
const open: ProtocolAdapter[] = [];
const dirs: string[] = [];
const timings: Record<string, unknown>[] = [];
const uniq = (p: string): string => `${p}-${Date.now().toString(36)}-${seq++}`;
const settle = (ms = 500): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isText = (text: string) => (e: AdapterEvent): boolean => e.type === 'message' && e.message.text === text;
const count = (l: Live, text: string): number => l.events.filter(isText(text)).length;
const msgOf = async (l: Live, text: string, ms?: number): Promise<MessageInfo> => ((await l.waitFor(isText(text), `message "${text}"`, ms)) as MsgEvent).message;
const tokenOf = (u: { accessToken: string; deviceId: string; userId: string }): Credentials => ({ kind: 'token', token: JSON.stringify({ accessToken: u.accessToken, deviceId: u.deviceId, userId: u.userId }) });

async function storage(): Promise<AdapterStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'samverka-e2ee-'));
  dirs.push(dir);
  const key = randomBytes(32);
  return { dir, key: async () => key };
}

function watch(user: User, store: AdapterStorage | undefined, initial: SyncState = {}): Live {
  const infos: Live['infos'] = [];
  const log: AdapterLogger = {
    debug: () => undefined,
    info: (msg, data) => {
      infos.push({ msg, ...(data ? { data } : {}) });
      if ((msg === 'matrix crypto ready' || msg === 'matrix crypto store closed') && data) timings.push({ user: user.userId, msg, ...data });
    },
    warn: () => undefined,
    error: (msg, data) => console.error(msg, data),
  };
  const adapter = createMatrixAdapter({ address: user.userId, serviceUrl: server.baseUrl, allowPlaintext: true }, { log, now: () => Date.now(), ...(store ? { storage: store } : {}) });
  open.push(adapter);
  const rec = record(adapter, initial);
  return { adapter, events: rec.events, user, infos, sync: rec.sync, waitFor: (pred, label, ms = 15_000) => rec.waitFor(pred, ms, label) };
}

async function newUser(prefix: string): Promise<User> {
  const name = `${prefix}${seq++}`;
  const password = `${name}-pw`;
  return { ...(await server.registerUser(name, password)), password };
}

async function connect(user: User, store: AdapterStorage | undefined, creds: Credentials = tokenOf(user), syncState: SyncState = {}): Promise<Live> {
  const live = watch(user, store, syncState);
  await live.adapter.connect({ credentials: creds, syncState });
  return live;
}

async function api<T>(token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface WireEvent { event_id: string; type: string; sender: string; content: Record<string, unknown>; unsigned?: Record<string, unknown> }
const roomMessages = async (token: string, room: string): Promise<WireEvent[]> =>
  (await api<{ chunk: WireEvent[] }>(token, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=100`)).chunk;

const deviceKeys = async (token: string, userId: string, deviceId: string): Promise<{ keys: Record<string, string>; signatures: Record<string, Record<string, string>> } | undefined> =>
  (await api<{ device_keys: Record<string, Record<string, { keys: Record<string, string>; signatures: Record<string, Record<string, string>> }>> }>(
    token, 'POST', '/_matrix/client/v3/keys/query', { device_keys: { [userId]: [deviceId] } },
  )).device_keys[userId]?.[deviceId];

/** Subject (with storage) opens an encrypted DM with the peer (its own storage); the peer joins. */
async function encryptedDm(): Promise<{ s: Live; p: Live; room: string; sStore: AdapterStorage }> {
  const [su, pu] = await Promise.all([newUser('es'), newUser('ep')]);
  const [sStore, pStore] = await Promise.all([storage(), storage()]);
  const [s, p] = await Promise.all([connect(su, sStore), connect(pu, pStore)]);
  const conv = await s.adapter.direct!.open(pu.userId);
  expect(conv.encrypted).toBe(true);
  await p.waitFor((e) => e.type === 'conversation' && e.conversation.id === conv.id, 'peer joined the DM');
  return { s, p, room: conv.id, sStore };
}

beforeAll(async () => {
  server = await startSynapse();
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((a) => a.disconnect().catch(() => undefined)));
  await server?.dispose();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  console.log('matrix e2ee timings', JSON.stringify(timings));
});

describe('matrix end-to-end encryption', () => {
  it('encrypted DM both ways with an independent client; what we send is m.room.encrypted on the server; conversations say encrypted', async () => {
    const { s, p, room } = await encryptedDm();
    const hello = uniq('hello');
    const txn = uniq('txn');
    const ack = await s.adapter.send(room, { clientTxnId: txn, text: hello });
    const got = await msgOf(p, hello);
    expect(got).toMatchObject({ id: ack.messageId, own: false, senderId: s.user.userId, text: hello });
    expect(got.undecryptable).toBeUndefined();
    const echo = await msgOf(s, hello);
    expect(echo).toMatchObject({ own: true, clientTxnId: txn, id: ack.messageId });
    const back = uniq('back');
    await p.adapter.send(room, { clientTxnId: uniq('txn'), text: back });
    expect((await msgOf(s, back)).senderId).toBe(p.user.userId);
    // On the server (seen by the peer's raw API) both are ciphertext.
    const wire = await roomMessages(p.user.accessToken, room);
    const mine = wire.find((e) => e.event_id === ack.messageId)!;
    expect(mine.type).toBe('m.room.encrypted');
    expect(mine.content.algorithm).toBe('m.megolm.v1.aes-sha2');
    expect(JSON.stringify(wire)).not.toContain(hello);
    expect(JSON.stringify(wire)).not.toContain(back);
    expect((await s.adapter.listConversations()).find((c) => c.id === room)).toMatchObject({ encrypted: true, kind: 'direct' });
    // Replies, edits and reactions in the encrypted room.
    await p.adapter.edits!.edit(room, { id: got.id, refs: got.refs }, 'nope', uniq('t')).catch(() => undefined); // not the peer's message: ignored by clients
    await s.adapter.edits!.edit(room, { id: ack.messageId, refs: ack.refs }, `${hello} (edited)`, uniq('t'));
    await p.waitFor((e) => e.type === 'message.edited' && e.targetId === ack.messageId && e.text === `${hello} (edited)`, 'encrypted edit');
    await p.adapter.reactions!.set(room, { id: ack.messageId, refs: ack.refs }, ['👍']);
    await s.waitFor((e) => e.type === 'reactions' && e.targetId === ack.messageId && e.keys.includes('👍'), 'reaction');
    await p.adapter.reactions!.set(room, { id: ack.messageId, refs: ack.refs }, ['👍']); // same set again: no duplicate error
  });

  it('rooms.create makes an encrypted group room; a member joins and both ways are encrypted', async () => {
    const [su, pu] = await Promise.all([newUser('gs'), newUser('gp')]);
    const [s, p] = await Promise.all([connect(su, await storage()), connect(pu, await storage())]);
    const info = await s.adapter.rooms!.create({ name: 'secret team', members: [pu.userId] });
    expect(info.encrypted).toBe(true);
    await p.waitFor((e) => e.type === 'room.invite' && e.roomId === info.id, 'invite');
    const joined = await p.adapter.rooms!.join(info.id);
    expect(joined.encrypted).toBe(true);
    const a = uniq('group-a');
    const b = uniq('group-b');
    await s.adapter.send(info.id, { clientTxnId: uniq('t'), text: a });
    await p.adapter.send(info.id, { clientTxnId: uniq('t'), text: b });
    await msgOf(p, a);
    await msgOf(s, b);
    const state = await api<{ algorithm: string }>(su.accessToken, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(info.id)}/state/m.room.encryption/`);
    expect(state.algorithm).toBe('m.megolm.v1.aes-sha2');
  });

  it('an encrypted event we have no key for is an undecryptable placeholder; the next message still decrypts', async () => {
    const { s, p, room } = await encryptedDm();
    const bogus = await api<{ event_id: string }>(p.user.accessToken, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.encrypted/${uniq('t')}`, {
      algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgAEnAAAAAAAAAAAA', device_id: p.user.deviceId, sender_key: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', session_id: 'nosuchsession',
    });
    const ph = (await s.waitFor((e) => e.type === 'message' && e.message.id === bogus.event_id, 'placeholder')) as MsgEvent;
    expect(ph.message).toMatchObject({ undecryptable: true, text: '', senderId: p.user.userId });
    const next = uniq('next');
    await p.adapter.send(room, { clientTxnId: uniq('t'), text: next });
    await msgOf(s, next);
    const hist = await s.adapter.getHistory(room, { limit: 20 });
    expect(hist.messages.find((m) => m.id === bogus.event_id)).toMatchObject({ undecryptable: true, text: '' });
    expect(hist.messages.find((m) => m.text === next)).toBeTruthy();
  });

  it('restart: a new adapter with the same storage and token is the same device, history still decrypts, new messages too', async () => {
    const { s, p, room, sStore } = await encryptedDm();
    const before = uniq('before-restart');
    await p.adapter.send(room, { clientTxnId: uniq('t'), text: before });
    await msgOf(s, before);
    const keysBefore = await deviceKeys(s.user.accessToken, s.user.userId, s.user.deviceId);
    await s.adapter.disconnect();
    const file = await stat(join(sStore.dir, STORE_FILE));
    expect(file.mode & 0o777).toBe(0o600);
    const missed = uniq('while-away');
    await p.adapter.send(room, { clientTxnId: uniq('t'), text: missed });
    // App restart: new instance, same storage and saved token credentials.
    const s2 = await connect(s.user, sStore, tokenOf(s.user), s.sync());
    const who = await api<{ device_id: string }>(s.user.accessToken, 'GET', '/_matrix/client/v3/account/whoami');
    expect(who.device_id).toBe(s.user.deviceId);
    const st = await s2.adapter.encryption!.status();
    expect(st).toMatchObject({ enabled: true, persistent: true, deviceId: s.user.deviceId });
    expect(s2.infos.find((i) => i.msg === 'matrix crypto ready')?.data).toMatchObject({ restored: true });
    // The device's identity keys did not change (the restored store, not a new one).
    expect(await deviceKeys(s.user.accessToken, s.user.userId, s.user.deviceId)).toEqual(keysBefore);
    expect((await msgOf(s2, missed)).undecryptable).toBeUndefined();
    const hist = await s2.adapter.getHistory(room, { limit: 20 });
    expect(hist.messages.map((m) => m.text)).toContain(before);
    expect(hist.messages.filter((m) => m.undecryptable)).toEqual([]);
    const after = uniq('after-restart');
    await p.adapter.send(room, { clientTxnId: uniq('t'), text: after });
    await msgOf(s2, after);
    const mine = uniq('mine-after');
    await s2.adapter.send(room, { clientTxnId: uniq('t'), text: mine });
    await msgOf(p, mine);
  });

  it('recovery: set up on device 1; a new device restores history keys with the recovery key and is cross-signed', async () => {
    const { s, p, room } = await encryptedDm();
    const setup = await s.adapter.encryption!.setupRecovery({ password: s.user.password });
    expect(setup.recoveryKey).toMatch(/^[A-Za-z0-9 ]{40,}$/);
    const st1 = await s.adapter.encryption!.status();
    expect(st1).toMatchObject({ crossSigningReady: true, secretStorageReady: true, deviceVerified: true });
    expect(st1.keyBackupVersion).toBeTruthy();
    const olds = [uniq('old-1'), uniq('old-2'), uniq('old-3')];
    for (const t of olds) await p.adapter.send(room, { clientTxnId: uniq('t'), text: t });
    for (const t of olds) await msgOf(s, t);
    // Wait until device 1 uploaded the room key to the backup.
    const version = st1.keyBackupVersion!;
    for (let i = 0; ; i++) {
      const keys = await api<{ rooms: Record<string, unknown> }>(s.user.accessToken, 'GET', `/_matrix/client/v3/room_keys/keys?version=${version}`);
      if (keys.rooms[room]) break;
      if (i > 120) throw new Error('room key never reached the backup');
      await settle(250);
    }
    // Device 2: password login, new storage.
    const d2 = await connect(s.user, await storage(), { kind: 'password', password: s.user.password });
    const st2a = await d2.adapter.encryption!.status();
    expect(st2a.deviceId).not.toBe(s.user.deviceId);
    expect(st2a.deviceVerified).toBe(false);
    const before = await d2.adapter.getHistory(room, { limit: 20 });
    const placeholders = before.messages.filter((m) => m.undecryptable);
    expect(placeholders.length).toBeGreaterThanOrEqual(olds.length);
    await expect(d2.adapter.encryption!.restoreWithRecoveryKey('EsTc not a key')).rejects.toMatchObject({ kind: 'invalid_input' });
    await d2.adapter.encryption!.restoreWithRecoveryKey(setup.recoveryKey);
    // Retry when keys arrive: the placeholders come back as messages with the same ids.
    for (const t of olds) {
      const m = await msgOf(d2, t);
      expect(placeholders.map((x) => x.id)).toContain(m.id);
    }
    const after = await d2.adapter.getHistory(room, { limit: 20 });
    for (const t of olds) expect(after.messages.map((m) => m.text)).toContain(t);
    const st2 = await d2.adapter.encryption!.status();
    expect(st2).toMatchObject({ crossSigningReady: true, deviceVerified: true });
    // The new device carries a signature by the user's self-signing key (not only its own).
    const dk = await deviceKeys(s.user.accessToken, s.user.userId, st2.deviceId);
    const sigs = Object.keys(dk?.signatures[s.user.userId] ?? {});
    expect(sigs).toContain(`ed25519:${st2.deviceId}`);
    expect(sigs.some((k) => k !== `ed25519:${st2.deviceId}`)).toBe(true);
  });

  it('Synapse restart mid-send in an encrypted room: the message arrives exactly once (txnId), also on a resent lost ack', async () => {
    const { s, p, room } = await encryptedDm();
    await s.adapter.send(room, { clientTxnId: uniq('t'), text: 'enc-before' });
    await msgOf(p, 'enc-before');
    // Lost ack: the same txnId twice gives the same event even though the ciphertext differs.
    const dupTxn = uniq('dup');
    const a1 = await s.adapter.send(room, { clientTxnId: dupTxn, text: 'enc-dup' });
    const a2 = await s.adapter.send(room, { clientTxnId: dupTxn, text: 'enc-dup' });
    expect(a2.messageId).toBe(a1.messageId);
    await settle(300);
    await server.stop();
    const txn = uniq('mid');
    await expect(s.adapter.send(room, { clientTxnId: txn, text: 'enc-mid' })).rejects.toMatchObject({ kind: expect.stringMatching(/network|timeout/) });
    await server.start();
    await s.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 'disconnected');
    await p.waitFor((e) => e.type === 'connection' && e.state === 'disconnected', 'peer disconnected');
    await p.adapter.connect({ credentials: tokenOf(p.user), syncState: p.sync() });
    await s.adapter.connect({ credentials: tokenOf(s.user), syncState: s.sync() });
    // The core's outbox replays with the same txnId, possibly twice.
    const r1 = await s.adapter.send(room, { clientTxnId: txn, text: 'enc-mid' });
    const r2 = await s.adapter.send(room, { clientTxnId: txn, text: 'enc-mid' });
    expect(r2.messageId).toBe(r1.messageId);
    await msgOf(p, 'enc-mid');
    await settle(1_000);
    expect(count(p, 'enc-mid')).toBe(1);
    expect(count(p, 'enc-dup')).toBe(1);
    expect(count(p, 'enc-before')).toBe(1);
    expect(p.events.filter((e) => e.type === 'message' && e.message.undecryptable)).toEqual([]);
  });

  it('without storage: encryption works in memory, status says not persistent, new rooms are not encrypted by default', async () => {
    const [su, pu] = await Promise.all([newUser('ms'), newUser('mp')]);
    const [s, p] = await Promise.all([connect(su, undefined), connect(pu, await storage())]);
    expect(await s.adapter.encryption!.status()).toMatchObject({ enabled: true, persistent: false });
    const plain = await s.adapter.direct!.open(pu.userId);
    expect(plain.encrypted).toBe(false);
    const enc = await p.adapter.rooms!.create({ name: 'enc', members: [su.userId] });
    await s.waitFor((e) => e.type === 'room.invite' && e.roomId === enc.id, 'invite');
    await s.adapter.rooms!.join(enc.id);
    const t = uniq('mem');
    await p.adapter.send(enc.id, { clientTxnId: uniq('t'), text: t });
    await msgOf(s, t);
  });
});
