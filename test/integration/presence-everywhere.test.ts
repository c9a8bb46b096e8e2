// Issue 5 across the real and test servers: presence set once in the app reaches XMPP (Prosody),
// Matrix (Synapse), Mattermost and Rocket.Chat in each protocol's own terms; and a person merged
// from an XMPP contact and a Matrix direct chat shows the best presence of the two, following
// changes on either side and saying which address it comes from.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../protocols/registry';
import type { AdapterEvent, ProtocolAdapter } from '../../protocols/contract';
import { createMatrixAdapter } from '../../protocols/matrix';
import { createRocketChatAdapter } from '../../protocols/rocketchat';
import { startProsody, type ProsodyServer } from '../servers/prosody/prosody';
import { rawPeer, stopPeer, waitForStanza, xml, type RawPeer } from '../servers/prosody/clients';
import { startSynapse, type SynapseServer } from '../servers/synapse/synapse';
import { startMattermost, type MattermostServer } from '../servers/mattermost';
import { startRocketChat, type RocketChatServer } from '../servers/rocketchat/server';
import { cleanupDirs, openCore, tempDir, waitFor } from '../unit/core/harness';
import type { Harness } from '../unit/core/harness';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let prosody: ProsodyServer;
let synapse: SynapseServer;
let mm: MattermostServer;
let rc: RocketChatServer;
let h: Harness;
let annaXmpp: RawPeer;
let annaMatrix: ProtocolAdapter;
let annaMatrixToken: string;
let rcPeer: ProtocolAdapter;
const rcSeen: AdapterEvent[] = [];
let mmAliceId: string;

beforeAll(async () => {
  [prosody, synapse, mm, rc] = await Promise.all([startProsody(), startSynapse(), startMattermost(), startRocketChat()]);
  await Promise.all([prosody.register('alice', 'alicepw'), prosody.register('anna', 'annapw')]);
  await synapse.registerUser('alice', 'alice-matrix-pw');
  annaMatrixToken = (await synapse.registerUser('anna', 'anna-matrix-pw')).accessToken;
  const mmAlice = mm.createUser({ username: 'alice', password: 'alice-Pw!1' });
  mmAliceId = mmAlice.id;
  mm.createTeam('agency', 'Agency', [mmAlice.id]);
  rc.createUser('alice', { password: 'alice-rc-pw' });
  rc.createUser('pia', { password: 'pia-pw' });
  rc.openDirect('alice', 'pia');

  h = openCore(tempDir(), ADAPTERS);
  await h.call('accounts:add', { protocol: 'xmpp', address: 'alice@localhost', password: 'alicepw', serviceUrl: prosody.serviceUrl, allowPlaintext: true });
  await h.call('accounts:add', { protocol: 'matrix', address: '@alice:localhost', password: 'alice-matrix-pw', serviceUrl: synapse.baseUrl, allowPlaintext: true });
  await h.call('accounts:add', { protocol: 'mattermost', address: `alice@${mm.host}`, password: 'alice-Pw!1', serviceUrl: mm.baseUrl, allowPlaintext: true });
  await h.call('accounts:add', { protocol: 'rocketchat', address: `alice@${rc.host}:${rc.port}`, password: 'alice-rc-pw', serviceUrl: rc.baseUrl, allowPlaintext: true });

  // Anna on XMPP: mutual subscription with alice (the app accepts her request and asks back).
  annaXmpp = await rawPeer(prosody, 'anna', 'annapw');
  annaXmpp.on('stanza', (s) => {
    if (s.is('presence') && s.attrs.type === 'subscribe') void annaXmpp.send(xml('presence', { to: s.attrs.from, type: 'subscribed' }));
  });
  await annaXmpp.send(xml('presence'));
  await annaXmpp.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
  const xmppAccount = (await h.call('app:snapshot', {})).accounts.find((a) => a.protocol === 'xmpp')!;
  await waitFor(async () => (await h.call('contacts:list', {})).some((c) => c.address === 'anna@localhost'), 'anna asks', 10_000);
  await h.call('contacts:respond', { accountId: xmppAccount.id, address: 'anna@localhost', accept: true });
  await h.call('contacts:add', { accountId: xmppAccount.id, address: 'anna@localhost', name: 'Anna' });

  // Anna on Matrix writes alice, so there is a direct chat with her.
  annaMatrix = createMatrixAdapter({ address: '@anna:localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  await annaMatrix.connect({ credentials: { kind: 'password', password: 'anna-matrix-pw' }, syncState: {} });
  const dm = await annaMatrix.direct!.open('@alice:localhost');
  await annaMatrix.send(dm.id, { clientTxnId: `a-${Date.now()}`, text: 'Hej från Anna' });

  // Pia watches alice on Rocket.Chat.
  rcPeer = createRocketChatAdapter({ address: `pia@${rc.host}:${rc.port}`, serviceUrl: rc.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  rcPeer.onEvent((e) => rcSeen.push(e));
  await rcPeer.connect({ credentials: { kind: 'password', password: 'pia-pw' }, syncState: {} });
}, 120_000);

afterAll(async () => {
  await h?.core.close();
  await Promise.allSettled([annaXmpp ? stopPeer(annaXmpp) : undefined, annaMatrix?.disconnect(), rcPeer?.disconnect()]);
  await Promise.allSettled([prosody?.dispose(), synapse?.dispose(), mm?.stop(), rc?.dispose()]);
  cleanupDirs();
});

describe('presence set once', () => {
  it('reaches all four servers in their own terms', async () => {
    const xmppPresence = waitForStanza(annaXmpp, (s) => s.is('presence') && String(s.attrs.from).startsWith('alice@localhost/') && s.getChildText('show') === 'dnd', 15_000, 'alice dnd');
    await h.call('presence:set', { state: 'dnd', statusText: 'I möte' });

    // XMPP: <show>dnd</show> with the status text.
    expect((await xmppPresence).getChildText('status')).toBe('I möte');
    // Matrix: "unavailable" (or MSC3026 busy) with status_msg.
    await expect.poll(async () => {
      const res = await fetch(`${synapse.baseUrl}/_matrix/client/v3/presence/${encodeURIComponent('@alice:localhost')}/status`, { headers: { authorization: `Bearer ${annaMatrixToken}` } });
      const j = (await res.json()) as { presence?: string; status_msg?: string };
      return `${j.presence}|${j.status_msg}`;
    }, { timeout: 15_000 }).toMatch(/^(unavailable|org\.matrix\.msc3026\.busy)\|I möte$/u);
    // Mattermost: status dnd, and the text as custom status.
    await expect.poll(() => mm.state.statuses.get(mmAliceId)?.status, { timeout: 15_000 }).toBe('dnd');
    expect(String(mm.state.user(mmAliceId).profile.props?.customStatus ?? '')).toContain('I möte');
    // Rocket.Chat: busy with the status text, as another user sees it.
    await expect.poll(() => rcSeen.some((e) => e.type === 'presence' && e.state === 'dnd' && e.statusText === 'I möte'), { timeout: 15_000 }).toBe(true);
  });
});

describe('people on Mattermost and Rocket.Chat', () => {
  it('get the presence of their address even though those servers report it by internal user id', async () => {
    const karin = mm.createUser({ username: 'karin', password: 'karin-Pw!1', firstName: 'Karin' });
    mm.createTeam('agency2', 'Agency 2', [mmAliceId, karin.id]);
    const dm = mm.directChannel(mmAliceId, karin.id);
    mm.post(karin.id, dm.id, 'Hej från Karin');
    const karinAddress = `karin@${new URL(mm.baseUrl).host}`;
    const personWith = async (address: string) => (await h.call('people:list', {})).find((p) => p.addresses.some((a) => a.address === address));
    await waitFor(async () => (await personWith(karinAddress)) !== undefined, 'karin is a person', 15_000);
    mm.setStatus(karin.id, 'away');
    await waitFor(async () => (await personWith(karinAddress))?.presence === 'away', 'karin away', 15_000);

    const piaAddress = `pia@${rc.host}:${rc.port}`;
    await waitFor(async () => (await personWith(piaAddress)) !== undefined, 'pia is a person', 15_000);
    await rcPeer.presence!.set('away', 'Fika');
    await waitFor(async () => (await personWith(piaAddress))?.presence === 'away', 'pia away', 15_000);
    expect((await personWith(piaAddress))?.statusText).toBe('Fika');
  });
});

describe('a person merged across XMPP and Matrix', () => {
  it('shows the best presence of both addresses, following either, and where it comes from', async () => {
    await waitFor(async () => (await h.call('people:suggestions', {})).length > 0, 'merge suggestion', 15_000);
    const [suggestion] = await h.call('people:suggestions', {});
    const merged = await h.call('people:merge', { personIds: [...suggestion!.personIds] });
    expect(merged.addresses.map((a) => a.address).sort()).toEqual(['@anna:localhost', 'anna@localhost']);

    const person = async () => (await h.call('people:list', {})).find((p) => p.id === merged.id)!;
    // Anna's XMPP client says "away"; her Matrix client is offline: the person is away, via XMPP.
    await annaXmpp.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'Lunch')));
    await annaMatrix.presence!.set('offline', '');
    await waitFor(async () => (await person()).presence === 'away', 'away via xmpp', 15_000);
    expect((await person()).presenceFrom?.address).toBe('anna@localhost');
    expect((await person()).statusText).toBe('Lunch');

    // Her Matrix client comes online: the person is available, via Matrix.
    await annaMatrix.presence!.set('available', 'Vid skrivbordet');
    await waitFor(async () => (await person()).presence === 'available', 'available via matrix', 15_000);
    expect((await person()).presenceFrom?.address).toBe('@anna:localhost');
  });
});
