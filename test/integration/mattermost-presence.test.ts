// Mattermost presence: setting our own status (+ custom status text) and observing others'
// (bulk fetch at connect, status_change and user_updated live), mapped per protocols.md C.3/C.4.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMattermost, type MattermostServer } from '../servers/mattermost';
import { addUser, type TestUser } from '../servers/mattermost/harness';
import type { AdapterEvent, ProtocolAdapter } from '../../protocols/contract';
import type { PresenceState } from '../../common/model';
import { record, type Recorder } from '../helpers/recorder';

let srv: MattermostServer;
const open: ProtocolAdapter[] = [];

beforeAll(async () => {
  srv = await startMattermost();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.disconnect()));
});
afterAll(async () => {
  await srv.stop();
});

async function connect(user: TestUser): Promise<{ adapter: ProtocolAdapter; rec: Recorder }> {
  const adapter = user.makeAdapter();
  open.push(adapter);
  const rec = record(adapter);
  await adapter.connect({ credentials: user.credentials, syncState: {} });
  return { adapter, rec };
}

const presenceOf = (userId: string, state: PresenceState, statusText?: string) => (e: AdapterEvent): boolean =>
  e.type === 'presence' && e.userId === userId && e.state === state && (statusText === undefined || e.statusText === statusText);

describe('mattermost presence', () => {
  it('sets our status and custom status text; the peer observes both', async () => {
    const a = addUser(srv, 'pres');
    const b = addUser(srv, 'presb');
    srv.directChannel(a.id, b.id);
    const la = await connect(a);
    const lb = await connect(b);
    await la.adapter.presence!.set('dnd', 'I möte till 15');
    expect(srv.state.statuses.get(a.id)).toMatchObject({ status: 'dnd', manual: true });
    expect(JSON.parse(srv.state.users.get(a.id)!.profile.props.customStatus!)).toMatchObject({ text: 'I möte till 15' });
    await lb.rec.waitFor(presenceOf(a.id, 'dnd', 'I möte till 15'), 5000, 'dnd with text');
    await la.adapter.presence!.set('xa', '');
    expect(srv.state.statuses.get(a.id)?.status).toBe('away');
    await lb.rec.waitFor(presenceOf(a.id, 'away', ''), 5000, 'away without text');
    await la.adapter.presence!.set('available', '');
    await lb.rec.waitFor(presenceOf(a.id, 'available', ''), 5000, 'available');
  });

  it('bulk-fetches the statuses of DM partners at connect, incl. ooo as xa and the custom status', async () => {
    const a = addUser(srv, 'bulk');
    const b = addUser(srv, 'bulkb');
    const c = addUser(srv, 'bulkc');
    srv.directChannel(a.id, b.id);
    srv.directChannel(a.id, c.id);
    srv.setStatus(b.id, 'ooo');
    srv.setCustomStatus(b.id, { emoji: 'palm_tree', text: 'Semester' });
    srv.setStatus(c.id, 'offline');
    const la = await connect(a);
    await la.rec.waitFor(presenceOf(b.id, 'xa', 'Semester'), 5000, 'b out of office');
    await la.rec.waitFor(presenceOf(c.id, 'offline', ''), 5000, 'c offline');
    expect(srv.requests).toContain('POST /api/v4/users/status/ids');
  });

  it('observes live status changes and custom status changes from other clients', async () => {
    const a = addUser(srv, 'live');
    const b = addUser(srv, 'liveb');
    srv.directChannel(a.id, b.id);
    const la = await connect(a);
    srv.setStatus(b.id, 'away');
    await la.rec.waitFor(presenceOf(b.id, 'away'), 5000, 'away');
    srv.setCustomStatus(b.id, { emoji: 'coffee', text: 'Fika' });
    await la.rec.waitFor(presenceOf(b.id, 'away', 'Fika'), 5000, 'custom status');
    srv.setCustomStatus(b.id, null);
    await la.rec.waitFor(presenceOf(b.id, 'away', ''), 5000, 'custom status cleared');
  });

  it('members carry presence', async () => {
    const a = addUser(srv, 'mem');
    const b = addUser(srv, 'memb');
    const la = await connect(a);
    const room = await la.adapter.rooms!.create({ name: 'Närvaro', members: [b.address] });
    srv.setStatus(b.id, 'dnd');
    const members = await la.adapter.rooms!.members(room.id);
    expect(members.find((m) => m.id === b.id)?.presence).toBe('dnd');
    expect(members.find((m) => m.id === a.id)?.presence).toBe('available');
  });
});
