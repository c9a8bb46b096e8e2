// Issue 4's end-to-end scenario: one civil servant with five accounts on four chat systems —
// XMPP (real Prosody), Matrix (real Synapse), two Mattermost servers of two agencies and one
// Rocket.Chat (our faithful test servers) — all added through the UI. A colleague on each system
// writes; every message shows up in the one inbox marked with its system, the user answers each
// from there, and each answer reaches the right person on the right server, exactly once.
import { test, expect } from '@playwright/test';
import { startProsody, type ProsodyServer } from '../servers/prosody/prosody';
import { xml } from '../servers/prosody/clients';
import { startSynapse, type SynapseServer } from '../servers/synapse/synapse';
import { startMattermost, type MattermostServer } from '../servers/mattermost';
import { startRocketChat, type RocketChatServer } from '../servers/rocketchat/server';
import { startWebApp, type WebApp } from '../helpers/web-app';
import { addAccount, answer, openInEnglish } from './ui';
import { startXmppMatrixPeers, type XmppMatrixPeers } from './peers';

let prosody: ProsodyServer;
let synapse: SynapseServer;
let mmTax: MattermostServer;
let mmHealth: MattermostServer;
let rc: RocketChatServer;
let app: WebApp;
let peers: XmppMatrixPeers;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  [prosody, synapse, mmTax, mmHealth, rc] = await Promise.all([startProsody(), startSynapse(), startMattermost(), startMattermost(), startRocketChat()]);
  peers = await startXmppMatrixPeers(prosody, synapse);
  app = await startWebApp();
});

test.afterAll(async () => {
  await peers?.stop();
  await app?.stop();
  await Promise.allSettled([prosody?.dispose(), synapse?.dispose(), mmTax?.stop(), mmHealth?.stop(), rc?.dispose()]);
});

/** Two users of one Mattermost server in one team; returns their ids and the DM between them. */
function mattermostPair(srv: MattermostServer, me: string, peer: string): { meId: string; peerId: string; dm: string } {
  const a = srv.createUser({ username: me, password: `${me}-Pw!1`, firstName: me });
  const b = srv.createUser({ username: peer, password: `${peer}-Pw!1`, firstName: peer });
  srv.createTeam('agency', 'Agency', [a.id, b.id]);
  return { meId: a.id, peerId: b.id, dm: srv.directChannel(a.id, b.id).id };
}

function postsFrom(srv: MattermostServer, userId: string, channelId: string): string[] {
  return [...srv.state.posts.values()].filter((p) => p.user_id === userId && p.channel_id === channelId && p.delete_at === 0).map((p) => p.message);
}

test('XMPP, Matrix, two Mattermost servers and Rocket.Chat: all read and answered from the one inbox', async ({ page }) => {
  test.setTimeout(120_000);
  const tax = mattermostPair(mmTax, 'alice', 'karin');
  const health = mattermostPair(mmHealth, 'alice', 'olof');
  rc.createUser('alice', { password: 'alice-rc-pw', name: 'Alice' });
  rc.createUser('pia', { password: 'pia-pw', name: 'Pia' });
  const rcDm = rc.openDirect('alice', 'pia');

  await openInEnglish(page, app.url);
  await addAccount(page, { protocol: 'xmpp', address: 'alice@localhost', password: 'alicepw', serviceUrl: prosody.serviceUrl });
  await addAccount(page, { protocol: 'matrix', address: '@alice:localhost', password: 'alice-matrix-pw', serviceUrl: synapse.baseUrl });
  await addAccount(page, { protocol: 'mattermost', address: `alice@${mmTax.host}`, password: 'alice-Pw!1', serviceUrl: mmTax.baseUrl });
  await addAccount(page, { protocol: 'mattermost', address: `alice@${mmHealth.host}`, password: 'alice-Pw!1', serviceUrl: mmHealth.baseUrl });
  await addAccount(page, { protocol: 'rocketchat', address: `alice@${rc.host}:${rc.port}`, password: 'alice-rc-pw', serviceUrl: rc.baseUrl });

  // A colleague on each system writes.
  const dm = await peers.matrix.direct!.open('@alice:localhost');
  await peers.matrix.send(dm.id, { clientTxnId: `sara-${Date.now()}`, text: 'Hej från Matrix – Sara på Försäkringskassan' });
  await peers.xmpp.send(xml('message', { type: 'chat', to: 'alice@localhost', id: 'bo-1' }, xml('body', {}, 'Hej från XMPP – Bo på Skatteverket'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'bo-1' })));
  mmTax.post(tax.peerId, tax.dm, 'Hej från Mattermost – Karin på Skatteverket, **deklarationen**');
  mmHealth.post(health.peerId, health.dm, 'Hej från Mattermost – Olof på Socialstyrelsen');
  rc.post('pia', rcDm, 'Hej från Rocket.Chat – Pia på Kommunen');

  // All five conversations are in the one inbox, each marked with its system.
  const inbox = page.getByRole('listbox', { name: 'Conversations' });
  await expect(inbox.getByRole('option', { name: /Hej från Matrix/ })).toContainText('Matrix');
  await expect(inbox.getByRole('option', { name: /Hej från XMPP/ })).toContainText('XMPP');
  await expect(inbox.getByRole('option', { name: /Karin på Skatteverket/ })).toContainText('Mattermost');
  await expect(inbox.getByRole('option', { name: /Olof på Socialstyrelsen/ })).toContainText('Mattermost');
  await expect(inbox.getByRole('option', { name: /Hej från Rocket.Chat/ })).toContainText('Rocket.Chat');

  // Mattermost Markdown is shown formatted.
  await inbox.getByRole('option', { name: /Karin på Skatteverket/ }).click();
  await expect(page.getByRole('list', { name: 'Messages' }).locator('strong', { hasText: 'deklarationen' })).toBeVisible();

  await answer(page, /Hej från Matrix/, 'Hej från Matrix – Sara på Försäkringskassan', 'Tack Sara, svar via Matrix');
  await answer(page, /Hej från XMPP/, 'Hej från XMPP – Bo på Skatteverket', 'Tack Bo, svar via XMPP');
  await answer(page, /Karin på Skatteverket/, 'Hej från Mattermost – Karin på Skatteverket, deklarationen', 'Tack Karin, svar via Skatteverkets Mattermost');
  await answer(page, /Olof på Socialstyrelsen/, 'Hej från Mattermost – Olof på Socialstyrelsen', 'Tack Olof, svar via Socialstyrelsens Mattermost');
  await answer(page, /Hej från Rocket.Chat/, 'Hej från Rocket.Chat – Pia på Kommunen', 'Tack Pia, svar via Rocket.Chat');

  // Each answer reached the right person on the right server, exactly once.
  await expect.poll(() => peers.matrixGot.filter((t) => t === 'Tack Sara, svar via Matrix').length, { timeout: 20_000 }).toBe(1);
  await expect.poll(() => peers.xmppGot.filter((t) => t === 'Tack Bo, svar via XMPP').length, { timeout: 20_000 }).toBe(1);
  await expect.poll(() => postsFrom(mmTax, tax.meId, tax.dm)).toEqual(['Tack Karin, svar via Skatteverkets Mattermost']);
  await expect.poll(() => postsFrom(mmHealth, health.meId, health.dm)).toEqual(['Tack Olof, svar via Socialstyrelsens Mattermost']);
  await expect.poll(() => rc.messages(rcDm).filter((m) => m.u.username === 'alice').map((m) => m.msg)).toEqual(['Tack Pia, svar via Rocket.Chat']);
});
