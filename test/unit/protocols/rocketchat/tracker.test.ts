// MessageTracker (protocols/rocketchat/tracker.ts): Rocket.Chat re-sends the whole message document
// after every change; the tracker must turn that into one `message`, then `message.edited` only
// when editedAt moves, `reactions` only for users whose set changed, one `message.deleted`, and
// keep the per-room catch-up marks.
import { describe, expect, it } from 'vitest';
import type { AdapterEvent } from '../../../../protocols/contract';
import { MessageTracker } from '../../../../protocols/rocketchat/tracker';
import type { MapContext } from '../../../../protocols/rocketchat/mapping';
import { rcMessage } from '../../../../protocols/rocketchat/schemas';

const ctx: MapContext = { selfId: 'ME', baseUrl: 'https://chat.example', clientTxnFor: () => undefined, joinUrlFor: () => null };
const doc = (extra: Record<string, unknown>) =>
  rcMessage.parse({ _id: 'M1', rid: 'R1', msg: 'hello', ts: 1000, _updatedAt: 1000, u: { _id: 'U2', username: 'bo' }, ...extra });

function setup() {
  const events: AdapterEvent[] = [];
  const t = new MessageTracker((e) => events.push(e));
  return { t, events, types: () => events.map((e) => e.type) };
}

describe('MessageTracker', () => {
  it('the same document again (e.g. a thread reply bumped it) emits nothing new', () => {
    const { t, types } = setup();
    t.onMessage(doc({}), ctx, false);
    t.onMessage(doc({ _updatedAt: 2000, tcount: 1 }), ctx, false);
    expect(types()).toEqual(['message']);
  });

  it('an edit is emitted once per editedAt', () => {
    const { t, events } = setup();
    t.onMessage(doc({}), ctx, false);
    t.onMessage(doc({ msg: 'hello!', editedAt: 3000, _updatedAt: 3000 }), ctx, false);
    t.onMessage(doc({ msg: 'hello!', editedAt: 3000, _updatedAt: 3100, tcount: 2 }), ctx, false);
    const edits = events.filter((e) => e.type === 'message.edited');
    expect(edits).toHaveLength(1);
    expect(edits[0]).toMatchObject({ targetId: 'M1', text: 'hello!', ts: 3000, senderId: 'U2' });
  });

  it('reactions: only the users whose set changed, keys in Unicode, an emptied set as []', () => {
    const { t, events } = setup();
    t.userIds.set('anna', 'UA');
    t.onMessage(doc({ reactions: { ':thumbsup:': { usernames: ['anna', 'bo'] } } }), ctx, false);
    expect(events.filter((e) => e.type === 'reactions')).toHaveLength(2);
    events.length = 0;
    t.onMessage(doc({ _updatedAt: 2000, reactions: { ':thumbsup:': { usernames: ['bo'] }, ':tada:': { usernames: ['bo'] } } }), ctx, false);
    const r = events.filter((e) => e.type === 'reactions');
    expect(r).toEqual(expect.arrayContaining([
      expect.objectContaining({ senderId: 'UA', keys: [] }),
      expect.objectContaining({ senderId: 'U2', keys: expect.arrayContaining(['👍', '🎉']) }),
    ]));
    expect(r).toHaveLength(2);
  });

  it('a deletion is emitted once and a late copy of the message does not resurrect it', () => {
    const { t, types } = setup();
    t.onMessage(doc({}), ctx, false);
    t.onDeleted('R1', 'M1');
    t.onDeleted('R1', 'M1');
    t.onMessage(doc({ _updatedAt: 5000 }), ctx, false);
    expect(types()).toEqual(['message', 'message.deleted']);
  });

  it('keeps catch-up marks: newest _updatedAt per room, a baseline only where there is none', () => {
    const { t } = setup();
    t.loadSync({ 'lu:R1': '500', junk: 'x' });
    t.onMessage(doc({ _updatedAt: 1500 }), ctx, false);
    t.baseline('R1', 99);
    t.baseline('R2', 700);
    expect(t.syncState()).toEqual({ 'lu:R1': '1500', at: '1500', 'lu:R2': '700' });
    expect(t.lastUpdate('R3')).toBe(1500);
  });

  it('room events (joins, renames) move the mark but are not messages', () => {
    const { t, types } = setup();
    expect(t.onMessage(doc({ t: 'uj', _updatedAt: 4000 }), ctx, false)).toBe(true);
    expect(types()).toEqual([]);
    expect(t.lastUpdate('R1')).toBe(4000);
  });
});
