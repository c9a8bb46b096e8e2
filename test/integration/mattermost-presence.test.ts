// Mattermost presence: setting our own status (+ custom status text) and observing others'
// (bulk fetch at connect, status_change and user_updated live), mapped per protocols.md C.3/C.4.
import { describe, expect, it } from 'vitest';
import { addUser, useMattermostServer } from '../servers/mattermost/harness';
import type { AdapterEvent } from '../../protocols/contract';
import type { PresenceState } from '../../common/model';

const mm = useMattermostServer();

const presenceOf = (userId: string, state: PresenceState, statusText?: string) => (e: AdapterEvent): boolean =>
  e.type === 'presence' && e.userId === userId && e.state === state && (statusText === undefined || e.statusText === statusText);

describe('mattermost presence', () => {
  it('sets our status and custom status text; the peer observes both', async () => {
    const a = addUser(mm.srv, 'pres');
    const b = addUser(mm.srv, 'presb');
    mm.srv.directChannel(a.id, b.id);
    const la = await mm.connect(a);
    const lb = await mm.connect(b);
    await la.adapter.presence!.set('dnd', 'I möte till 15');
    expect(mm.srv.state.statuses.get(a.id)).toMatchObject({ status: 'dnd', manual: true });
    expect(JSON.parse(mm.srv.state.users.get(a.id)!.profile.props.customStatus!)).toMatchObject({ text: 'I möte till 15' });
    await lb.rec.waitFor(presenceOf(a.id, 'dnd', 'I möte till 15'), 5000, 'dnd with text');
    await la.adapter.presence!.set('xa', '');
    expect(mm.srv.state.statuses.get(a.id)?.status).toBe('away');
    await lb.rec.waitFor(presenceOf(a.id, 'away', ''), 5000, 'away without text');
    await la.adapter.presence!.set('available', '');
    await lb.rec.waitFor(presenceOf(a.id, 'available', ''), 5000, 'available');
  });

  it('bulk-fetches the statuses of DM partners at connect, incl. ooo as xa and the custom status', async () => {
    const a = addUser(mm.srv, 'bulk');
    const b = addUser(mm.srv, 'bulkb');
    const c = addUser(mm.srv, 'bulkc');
    mm.srv.directChannel(a.id, b.id);
    mm.srv.directChannel(a.id, c.id);
    mm.srv.setStatus(b.id, 'ooo');
    mm.srv.setCustomStatus(b.id, { emoji: 'palm_tree', text: 'Semester' });
    mm.srv.setStatus(c.id, 'offline');
    const la = await mm.connect(a);
    await la.rec.waitFor(presenceOf(b.id, 'xa', 'Semester'), 5000, 'b out of office');
    await la.rec.waitFor(presenceOf(c.id, 'offline', ''), 5000, 'c offline');
    expect(mm.srv.requests).toContain('POST /api/v4/users/status/ids');
  });

  it('observes live status changes and custom status changes from other clients', async () => {
    const a = addUser(mm.srv, 'live');
    const b = addUser(mm.srv, 'liveb');
    mm.srv.directChannel(a.id, b.id);
    const la = await mm.connect(a);
    mm.srv.setStatus(b.id, 'away');
    await la.rec.waitFor(presenceOf(b.id, 'away'), 5000, 'away');
    mm.srv.setCustomStatus(b.id, { emoji: 'coffee', text: 'Fika' });
    await la.rec.waitFor(presenceOf(b.id, 'away', 'Fika'), 5000, 'custom status');
    mm.srv.setCustomStatus(b.id, null);
    await la.rec.waitFor(presenceOf(b.id, 'away', ''), 5000, 'custom status cleared');
  });

  it('members carry presence', async () => {
    const a = addUser(mm.srv, 'mem');
    const b = addUser(mm.srv, 'memb');
    const la = await mm.connect(a);
    const room = await la.adapter.rooms!.create({ name: 'Närvaro', members: [b.address] });
    mm.srv.setStatus(b.id, 'dnd');
    const members = await la.adapter.rooms!.members(room.id);
    expect(members.find((m) => m.id === b.id)?.presence).toBe('dnd');
    expect(members.find((m) => m.id === a.id)?.presence).toBe('available');
  });
});
