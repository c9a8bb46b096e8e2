// The Matrix adapter's live-gap path against a real Synapse: while the adapter stays connected, its
// network stalls (an HTTP front between adapter and Synapse holds its next /sync), a peer sends more
// messages than the sync filter's timeline limit (Synapse's default: 10), then the network comes
// back. The incremental /sync the adapter then gets is `limited: true` (checked by replaying the held
// request) and the events before its timeline are missing from it. The adapter must backfill them
// (adapter.ts, RoomEvent.TimelineReset → backfillRange): every message exactly once, in the order
// sent, the backfilled ones marked fromHistory (contract: "from history (archive/backfill)"), the
// live ones not, and the new sync token only after all of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';
import { synapseApi } from '../servers/synapse/client-api';
import { startHttpFront } from '../servers/http-front';
import type { HttpFront } from '../servers/http-front';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, AdapterLogger, MessageInfo, ProtocolAdapter } from '../../protocols/contract';
import { record } from '../helpers/recorder';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;

/** More than Synapse's default timeline limit (10), so the next incremental sync is limited. */
const GAP_MESSAGES = 25;

let server: SynapseServer;
let front: HttpFront;
const open: ProtocolAdapter[] = [];
let seq = 0;

const api = <T>(user: RegisteredUser, method: string, path: string, body?: unknown): Promise<T> => synapseApi<T>(server.baseUrl, user, method, path, body);

const say = (user: RegisteredUser, room: string, text: string): Promise<{ event_id: string }> =>
  api(user, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/gap-${seq++}`, { msgtype: 'm.text', body: text });

beforeAll(async () => {
  server = await startSynapse();
  front = await startHttpFront({ targetPort: server.port });
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((a) => a.disconnect().catch(() => undefined)));
  await front?.close();
  await server?.dispose();
});

describe('matrix live gap (limited incremental sync)', () => {
  it('messages missed while the network stalled are backfilled: each once, in order, the backfilled ones fromHistory', async () => {
    const [su, pu] = await Promise.all([server.registerUser(`gs${seq++}`, 'gs-pw'), server.registerUser(`gp${seq++}`, 'gp-pw')]);
    const { room_id: room } = await api<{ room_id: string }>(pu, 'POST', '/_matrix/client/v3/createRoom', { name: 'Gap', invite: [su.userId] });
    await api(su, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {});

    const adapter = createMatrixAdapter({ address: su.userId, serviceUrl: front.url, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
    open.push(adapter);
    const rec = record(adapter);
    await adapter.connect({ credentials: { kind: 'token', token: JSON.stringify({ accessToken: su.accessToken, deviceId: su.deviceId, userId: su.userId }) }, syncState: {} });
    const isText = (text: string) => (e: AdapterEvent): e is MsgEvent => e.type === 'message' && e.message.conversationId === room && e.message.text === text;

    await say(pu, room, 'warm-up');
    await rec.waitFor(isText('warm-up'), 10_000, 'warm-up message');

    // The network stalls: requests from now on are held by the front. A long poll already in
    // flight completes (woken by "before the gap" at the latest); the /sync after it is held and
    // does not reach Synapse until resume(). Everything sent after that is in the held sync's range.
    front.pause();
    const before = await say(pu, room, 'before the gap');
    const heldSync = await front.waitHeld((p) => p.startsWith('/_matrix/client/v3/sync?'), 10_000);
    const heldSince = new URL(heldSync, server.baseUrl).searchParams.get('since');
    expect(heldSince, 'the held /sync is incremental').toBeTruthy();

    const gapTexts = Array.from({ length: GAP_MESSAGES }, (_, i) => `gap message ${i + 1}`);
    const gapIds: string[] = [];
    for (const text of gapTexts) gapIds.push((await say(pu, room, text)).event_id);

    // Precondition, asked directly from Synapse: the held request's answer is a limited timeline
    // without the first gap messages (the same request with timeout=0; same user and device).
    const probe = new URL(heldSync, server.baseUrl);
    probe.searchParams.set('timeout', '0');
    const answer = await api<{ rooms?: { join?: Record<string, { timeline: { limited?: boolean; events: { event_id: string }[] } }> } }>(su, 'GET', `${probe.pathname}${probe.search}`);
    const timeline = answer.rooms?.join?.[room]?.timeline;
    expect(timeline?.limited, 'Synapse answers the held /sync with a limited timeline').toBe(true);
    const liveIds = new Set((timeline?.events ?? []).map((e) => e.event_id));
    expect(gapIds.filter((id) => !liveIds.has(id)).length, 'some gap messages are not in the limited timeline').toBeGreaterThan(0);
    expect(liveIds.has(gapIds[gapIds.length - 1]!)).toBe(true);

    const syncsBefore = rec.events.filter((e) => e.type === 'sync').length;
    const emittedBeforeResume = new Set(rec.events.filter((e): e is MsgEvent => e.type === 'message').map((e) => e.message.id));
    front.resume();

    await rec.waitFor(isText(gapTexts[gapTexts.length - 1]!), 15_000, 'the last gap message');
    // The new since token follows the whole gap.
    await rec.waitFor((e) => e.type === 'sync' && rec.events.indexOf(e) > rec.events.findIndex(isText(gapTexts[gapTexts.length - 1]!)), 15_000, 'sync after the gap');
    // A moment for late duplicates (e.g. a backfill finishing after the live events).
    await new Promise((r) => setTimeout(r, 1_000));

    const inRoom = rec.events.filter((e): e is MsgEvent => e.type === 'message' && e.message.conversationId === room).map((e) => e.message);
    // Every message exactly once and in the order it was sent.
    expect(inRoom.map((m) => m.text)).toEqual(['warm-up', 'before the gap', ...gapTexts]);
    const gapMsgs = inRoom.slice(2);
    expect(gapMsgs.map((m) => m.id)).toEqual(gapIds);
    expect(new Set(inRoom.map((m) => m.id)).size).toBe(inRoom.length);
    expect(gapMsgs.every((m: MessageInfo) => !m.own && m.senderId === pu.userId)).toBe(true);

    // fromHistory: messages that came live (before the stall, or in the limited timeline) no; the
    // backfilled ones (after the held since, not in the limited timeline) yes. "before the gap" is
    // either live before the stall or, if the held /sync's range already began before it, part of the gap.
    const expectHistory = (m: MessageInfo): boolean => !emittedBeforeResume.has(m.id) && !liveIds.has(m.id);
    expect(inRoom.map((m) => m.fromHistory === true)).toEqual(inRoom.map(expectHistory));
    expect(inRoom[1]!.id).toBe(before.event_id);
    expect(inRoom.filter((m) => m.fromHistory === true).length, 'messages were backfilled').toBeGreaterThanOrEqual(GAP_MESSAGES - liveIds.size);

    // No `sync` (a resume point for the next start) was emitted while part of the gap was still missing.
    const firstGap = rec.events.findIndex(isText(gapTexts[0]!));
    const lastGap = rec.events.findIndex(isText(gapTexts[gapTexts.length - 1]!));
    const syncIdx = rec.events.map((e, i) => (e.type === 'sync' ? i : -1)).filter((i) => i >= 0);
    expect(syncIdx.filter((i) => i > firstGap && i < lastGap)).toEqual([]);
    expect(syncIdx.length).toBeGreaterThan(syncsBefore);
    expect(rec.events.some((e) => e.type === 'connection' && e.state === 'disconnected')).toBe(false);
  });
});
