// Finding people on XMPP: the roster is the directory (names and bare JIDs, case-insensitively),
// against real Prosody; a hit's address opens the direct chat. Incoming requests are not hits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { connectedAdapter, rawPeer, stopPeer, xml } from '../servers/prosody/clients';
import type { RawPeer, Recorder } from '../servers/prosody/clients';
import type { ProtocolAdapter } from '../../protocols/contract';

describe('xmpp directory search (roster)', () => {
  let server: ProsodyServer;
  let anna: ProtocolAdapter;
  let rec: Recorder;
  let eve: RawPeer;

  beforeAll(async () => {
    server = await startProsody();
    await Promise.all(['anna', 'dagny', 'bo', 'eve'].map((u) => server.register(u, `${u}pw`)));
    ({ adapter: anna, rec } = await connectedAdapter(server, 'anna', 'annapw'));
    await anna.contacts!.add('dagny@localhost', 'Dagny Fjord');
    await anna.contacts!.add('bo@localhost', 'Bo Ek');
    await rec.waitFor((e) => e.type === 'contact' && e.contact.address === 'bo@localhost');
    await rec.waitFor((e) => e.type === 'contact' && e.contact.address === 'dagny@localhost');
    // Eve asks to be a contact: a request, not someone the user chose to know.
    eve = await rawPeer(server, 'eve', 'evepw');
    await eve.send(xml('presence', { to: 'anna@localhost', type: 'subscribe' }));
    await rec.waitFor((e) => e.type === 'subscription.request' && e.address === 'eve@localhost');
  });
  afterAll(async () => {
    await anna?.disconnect();
    if (eve) await stopPeer(eve);
    await server.dispose();
  });

  it('matches roster names and addresses case-insensitively, sorted by name, within the limit', async () => {
    expect(await anna.directory!.search('  dagny ', 10)).toEqual([{ address: 'dagny@localhost', name: 'Dagny Fjord' }]);
    expect(await anna.directory!.search('EK', 10)).toEqual([{ address: 'bo@localhost', name: 'Bo Ek' }]);
    expect((await anna.directory!.search('@LOCALHOST', 10)).map((h) => h.name)).toEqual(['Bo Ek', 'Dagny Fjord']);
    expect(await anna.directory!.search('@localhost', 1)).toHaveLength(1);
    expect(await anna.directory!.search('eve', 10)).toEqual([]);
    await expect(anna.directory!.search(' ', 10)).rejects.toMatchObject({ kind: 'invalid_input' });
  });

  it('opens the direct chat on a hit\'s address', async () => {
    const [hit] = await anna.directory!.search('dagny', 10);
    expect(await anna.direct!.open(hit!.address)).toMatchObject({ id: 'dagny@localhost', kind: 'direct' });
  });
});
