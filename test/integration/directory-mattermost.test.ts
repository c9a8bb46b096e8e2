// Finding people on Mattermost: the adapter's directory search against the test server's
// POST /api/v4/users/search, and a direct chat opened on the address a hit gives.
import { describe, expect, it } from 'vitest';
import { addUser, useMattermostServer } from '../servers/mattermost/harness';

const mm = useMattermostServer();

describe('mattermost directory search', () => {
  it('finds active users by name with username@host addresses and e-mails, never the searcher or inactive users', async () => {
    const me = addUser(mm.srv, 'dirme', { firstName: 'Dagny', lastName: 'Söker' });
    const dagny = addUser(mm.srv, 'dirdagny', { firstName: 'Dagny', lastName: 'Fjord' });
    const gone = addUser(mm.srv, 'dirgone', { firstName: 'Dagny', lastName: 'Borta' });
    mm.srv.state.users.get(gone.id)!.profile.delete_at = Date.now();
    const l = await mm.connect(me);
    const hits = await l.adapter.directory!.search('  dagny ', 10);
    expect(hits).toEqual([{ address: `${dagny.username}@${mm.srv.host}`, name: 'Dagny Fjord', email: `${dagny.username}@example.invalid` }]);
    // Several words must all match (first and last name).
    expect((await l.adapter.directory!.search('dagny fjord', 10)).map((h) => h.name)).toEqual(['Dagny Fjord']);
    expect(await l.adapter.directory!.search('nobody-like-this', 10)).toEqual([]);
  });

  it('asks the server for at most the limit, and refuses an empty search without asking', async () => {
    const me = addUser(mm.srv, 'limme');
    for (let i = 0; i < 4; i++) addUser(mm.srv, 'limfriend', { firstName: 'Limo' });
    const l = await mm.connect(me);
    expect(await l.adapter.directory!.search('limo', 2)).toHaveLength(2);
    const before = mm.srv.requests.filter((x) => x.startsWith('POST /api/v4/users/search')).length;
    await expect(l.adapter.directory!.search('   ', 5)).rejects.toMatchObject({ kind: 'invalid_input' });
    await expect(l.adapter.directory!.search('x'.repeat(101), 5)).rejects.toMatchObject({ kind: 'invalid_input' });
    expect(mm.srv.requests.filter((x) => x.startsWith('POST /api/v4/users/search')).length).toBe(before);
  });

  it('opens a direct chat with a hit whose peer is the hit\'s address', async () => {
    const me = addUser(mm.srv, 'dmme');
    const other = addUser(mm.srv, 'dmother', { firstName: 'Olle', lastName: 'Dm' });
    const l = await mm.connect(me);
    const [hit] = await l.adapter.directory!.search('olle', 5);
    const conv = await l.adapter.direct!.open(hit!.address);
    expect(conv).toMatchObject({ kind: 'direct', title: 'Olle Dm', peer: hit!.address });
    expect(mm.srv.state.isMember(conv.id, other.id)).toBe(true);
  });
});
