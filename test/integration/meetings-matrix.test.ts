// Issue 5 on Matrix against a real Synapse: a call started from our client is Element's Jitsi
// widget state event plus an m.room.message with the link (encrypted in an encrypted room); a
// second, independent adapter of ours shows the widget as a Jitsi meeting with the same link, live
// and from history. Hostile widgets from a raw peer are not offered as meetings.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';
import { synapseApi } from '../servers/synapse/client-api';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, AdapterLogger, AdapterStorage, CallInvite, MessageInfo, ProtocolAdapter } from '../../protocols/contract';
import { record } from '../helpers/recorder';
import type { Recorder } from '../helpers/recorder';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;
interface Live { readonly adapter: ProtocolAdapter; readonly rec: Recorder; readonly user: RegisteredUser }
interface WireEvent { event_id: string; type: string; sender: string; state_key?: string; content: Record<string, unknown> }

let server: SynapseServer;
let seq = 0;
const open: ProtocolAdapter[] = [];
const dirs: string[] = [];

async function storage(): Promise<AdapterStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'samverka-meet-'));
  dirs.push(dir);
  const key = randomBytes(32);
  return { dir, key: async () => key };
}

/** A connected adapter; with storage it encrypts the rooms it creates (as the app does). */
async function connect(prefix: string, encrypted: boolean): Promise<Live> {
  const user = await server.registerUser(`${prefix}${seq++}`, 'pw-meetings');
  const store = encrypted ? await storage() : undefined;
  const adapter = createMatrixAdapter({ address: user.userId, serviceUrl: server.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now(), ...(store ? { storage: store } : {}) });
  open.push(adapter);
  const rec = record(adapter);
  await adapter.connect({ credentials: { kind: 'token', token: JSON.stringify({ accessToken: user.accessToken, deviceId: user.deviceId, userId: user.userId }) }, syncState: {} });
  return { adapter, rec, user };
}

async function dmPair(encrypted: boolean): Promise<{ s: Live; p: Live; room: string }> {
  const [s, p] = await Promise.all([connect('caller', encrypted), connect('callee', encrypted)]);
  const conv = await s.adapter.direct!.open(p.user.userId);
  await p.rec.waitFor((e) => e.type === 'conversation' && e.conversation.id === conv.id, 15_000, 'peer joined');
  return { s, p, room: conv.id };
}

async function messageWith(l: Live, pred: (m: MessageInfo) => boolean, label: string): Promise<MessageInfo> {
  return ((await l.rec.waitFor((e): e is MsgEvent => e.type === 'message' && pred(e.message), 15_000, label)) as MsgEvent).message;
}

const wire = async (user: RegisteredUser, room: string): Promise<WireEvent[]> =>
  (await synapseApi<{ chunk: WireEvent[] }>(server.baseUrl, user, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=50`)).chunk;

function call(room: string, title?: string): CallInvite {
  return { url: `https://meet.example.org/${room}`, domain: 'meet.example.org', room, video: false, ...(title ? { title } : {}) };
}

beforeAll(async () => {
  server = await startSynapse();
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((a) => a.disconnect().catch(() => undefined)));
  await server?.dispose();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('matrix meetings', () => {
  it('writes the Jitsi widget and a link message; the peer shows the widget as a Jitsi meeting with the same link, live and from history', async () => {
    const { s, p, room } = await dmPair(false);
    const c = call('SamverkaQx7Lw2Rk9Vb4Tn8Mz3Pc', 'Budget');
    const { joinUrl } = await s.adapter.meetings!.invite!(room, c);
    expect(joinUrl).toBe(c.url);

    const events = await wire(p.user, room);
    const widget = events.find((e) => e.type === 'im.vector.modular.widgets')!;
    expect(widget.sender).toBe(s.user.userId);
    // The raw state, as Element reads it.
    const state = await synapseApi<Record<string, unknown>>(server.baseUrl, p.user, 'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/im.vector.modular.widgets/${encodeURIComponent(widget.state_key!)}`);
    expect(state).toMatchObject({ type: 'jitsi', name: 'Budget', data: { conferenceId: c.room, domain: 'meet.example.org', isAudioOnly: true, roomName: 'Budget' } });
    const text = events.find((e) => e.type === 'm.room.message' && String(e.content.body).includes(c.url));
    expect(text?.content.msgtype).toBe('m.text');

    const got = await messageWith(p, (m) => m.id === widget.event_id, 'widget at the peer');
    expect(got.meeting).toEqual({ system: 'Jitsi', url: c.url, title: 'Budget' });
    expect(got.own).toBe(false);
    // Clients that show no widgets get the link as a message.
    await messageWith(p, (m) => m.text.includes(c.url) && m.id !== widget.event_id, 'link message at the peer');
    const page = await p.adapter.getHistory(room, { limit: 20 });
    expect(page.messages.find((m) => m.id === widget.event_id)?.meeting).toEqual({ system: 'Jitsi', url: c.url, title: 'Budget' });
  });

  it('in an encrypted room the link message is encrypted, the widget readable, and the peer recognises both', async () => {
    const { s, p, room } = await dmPair(true);
    const c = call('SamverkaEnc4Lw2Rk9Vb4Tn8Mz3Pc');
    await s.adapter.meetings!.invite!(room, c);
    const events = await wire(p.user, room);
    expect(events.some((e) => e.type === 'm.room.encrypted' && e.sender === s.user.userId)).toBe(true);
    expect(events.some((e) => e.type === 'm.room.message' && String(e.content.body).includes(c.url))).toBe(false);
    const widget = events.find((e) => e.type === 'im.vector.modular.widgets')!;
    const got = await messageWith(p, (m) => m.id === widget.event_id, 'widget at the peer');
    expect(got.meeting).toEqual({ system: 'Jitsi', url: c.url });
    const decrypted = await messageWith(p, (m) => m.text.includes(c.url) && m.id !== widget.event_id, 'decrypted link message');
    expect(decrypted.undecryptable).toBeUndefined();
  });

  it('a member without the power to add widgets still invites: the link message goes out', async () => {
    const [s, p] = await Promise.all([connect('owner', false), connect('member', false)]);
    const info = await s.adapter.rooms!.create({ name: 'Team', members: [p.user.userId] });
    await p.rec.waitFor((e) => e.type === 'room.invite' || (e.type === 'conversation' && e.conversation.id === info.id), 15_000, 'invited');
    await p.adapter.rooms!.join(info.id).catch(() => undefined);
    await p.rec.waitFor((e) => e.type === 'conversation' && e.conversation.id === info.id, 15_000, 'joined');
    const c = call('SamverkaPl0Lw2Rk9Vb4Tn8Mz3Pc');
    const { joinUrl } = await p.adapter.meetings!.invite!(info.id, c);
    expect(joinUrl).toBe(c.url);
    const events = await wire(s.user, info.id);
    expect(events.some((e) => e.type === 'im.vector.modular.widgets' && e.sender === p.user.userId)).toBe(false);
    await messageWith(s, (m) => m.text.includes(c.url) && m.senderId === p.user.userId, 'link message at the owner');
  });

  it('offers no meeting for hostile or removed widgets, and does for an Element-style m.widget', async () => {
    const { s, p, room } = await dmPair(false);
    const put = (key: string, type: string, content: unknown): Promise<{ event_id: string }> =>
      synapseApi(server.baseUrl, s.user, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/${type}/${key}`, content);
    const evil = await put('w1', 'im.vector.modular.widgets', { type: 'jitsi', url: 'https://x', name: 'Jitsi', data: { domain: 'evil.example/../x', conferenceId: 'Room1abc' } });
    const js = await put('w2', 'im.vector.modular.widgets', { type: 'jitsi', url: 'javascript:alert(1)', name: 'Jitsi', data: { domain: 'meet.example.org', conferenceId: 'javascript:alert(1)' } });
    const creds = await put('w3', 'im.vector.modular.widgets', { type: 'jitsi', url: 'https://x', name: 'Jitsi', data: { domain: 'user:pw@meet.example.org', conferenceId: 'Room1abc' } });
    const removed = await put('w4', 'im.vector.modular.widgets', {});
    const good = await put('w5', 'm.widget', {
      type: 'm.jitsi', name: 'Jitsi',
      url: 'https://app.element.io/jitsi.html#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly',
      data: { domain: 'jitsi.example.net', conferenceId: 'JitsiAbcdefghijklmnopqrstuvw', isAudioOnly: false },
    });
    const got = await messageWith(p, (m) => m.id === good.event_id, 'good widget');
    expect(got.meeting).toEqual({ system: 'Jitsi', url: 'https://jitsi.example.net/JitsiAbcdefghijklmnopqrstuvw' });
    const ids = new Set([evil.event_id, js.event_id, creds.event_id, removed.event_id]);
    expect(p.rec.events.filter((e) => e.type === 'message' && ids.has(e.message.id))).toEqual([]);
    const page = await p.adapter.getHistory(room, { limit: 30 });
    expect(page.messages.filter((m) => ids.has(m.id))).toEqual([]);
    expect(page.messages.some((m) => m.id === good.event_id)).toBe(true);
  });
});
