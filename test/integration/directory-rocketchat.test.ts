// Finding people on Rocket.Chat: the adapter's directory search against the fake server's
// users.autocomplete, and a direct chat opened on the address a hit gives.
import { describe, expect, it } from 'vitest';
import { addressOf, useRocketChatServer } from '../servers/rocketchat/clients';

const rc = useRocketChatServer();

describe('rocketchat directory search', () => {
  it('finds users by name or username with username@host addresses, never the searcher', async () => {
    rc.srv.createUser('dirme', { name: 'Dir Sökare' });
    rc.srv.createUser('dirdagny', { name: 'Dagny Fjord' });
    rc.srv.createUser('dirbo', { name: 'Bo Ek' });
    const me = rc.client('dirme');
    await me.connect();
    expect(await me.adapter.directory!.search(' dagny ', 10)).toEqual([{ address: addressOf(rc.srv, 'dirdagny'), name: 'Dagny Fjord' }]);
    // The user name counts too, case aside; the searcher is left out.
    expect((await me.adapter.directory!.search('DIR', 10)).map((h) => h.name)).toEqual(['Bo Ek', 'Dagny Fjord']);
    expect(await me.adapter.directory!.search('nobody-like-this', 10)).toEqual([]);
    await expect(me.adapter.directory!.search('  ', 10)).rejects.toMatchObject({ kind: 'invalid_input' });
  });

  it('keeps to the limit and opens a direct chat whose peer is the hit\'s address', async () => {
    rc.srv.createUser('limme', { name: 'Lim Me' });
    for (let i = 0; i < 3; i++) rc.srv.createUser(`limfriend${i}`, { name: `Limo ${i}` });
    const me = rc.client('limme');
    await me.connect();
    const hits = await me.adapter.directory!.search('limo', 2);
    expect(hits.map((h) => h.name)).toEqual(['Limo 0', 'Limo 1']);
    const conv = await me.adapter.direct!.open(hits[0]!.address);
    expect(conv).toMatchObject({ kind: 'direct', peer: hits[0]!.address });
  });
});
