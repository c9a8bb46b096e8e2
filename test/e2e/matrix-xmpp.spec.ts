// One user, two chat systems, one inbox: a Matrix account (real Synapse) beside an XMPP account
// (real Prosody), both added through the UI; a message from each system's peer appears in the one
// inbox, and each answer reaches the right peer on the right system.
import { test, expect } from '@playwright/test';
import { startProsody, type ProsodyServer } from '../servers/prosody/prosody';
import { xml } from '../servers/prosody/clients';
import { startSynapse, type SynapseServer } from '../servers/synapse/synapse';
import { startWebApp, type WebApp } from '../helpers/web-app';
import { addAccount, answer, openInEnglish } from './ui';
import { startXmppMatrixPeers, type XmppMatrixPeers } from './peers';

let prosody: ProsodyServer;
let synapse: SynapseServer;
let app: WebApp;
let peers: XmppMatrixPeers;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  [prosody, synapse] = await Promise.all([startProsody(), startSynapse()]);
  peers = await startXmppMatrixPeers(prosody, synapse);
  app = await startWebApp();
});

test.afterAll(async () => {
  await peers?.stop();
  await app?.stop();
  await Promise.allSettled([prosody?.dispose(), synapse?.dispose()]);
});

test('a Matrix account beside an XMPP account: both read and answered from the one inbox', async ({ page }) => {
  await openInEnglish(page, app.url);
  await addAccount(page, { protocol: 'xmpp', address: 'alice@localhost', password: 'alicepw', serviceUrl: prosody.serviceUrl });
  await addAccount(page, { protocol: 'matrix', address: '@alice:localhost', password: 'alice-matrix-pw', serviceUrl: synapse.baseUrl });

  // Sara writes on Matrix (a new direct chat), Bo on XMPP.
  const dm = await peers.matrix.direct!.open('@alice:localhost');
  await peers.matrix.send(dm.id, { clientTxnId: `sara-${Date.now()}`, text: 'Hej från Matrix – Sara på Försäkringskassan' });
  await peers.xmpp.send(xml('message', { type: 'chat', to: 'alice@localhost', id: 'bo-1' }, xml('body', {}, 'Hej från XMPP – Bo på Skatteverket'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'bo-1' })));

  // Both conversations are in the one inbox, each marked with its system.
  const inbox = page.getByRole('listbox', { name: 'Conversations' });
  await expect(inbox.getByRole('option', { name: /Hej från Matrix/ })).toContainText('Matrix');
  await expect(inbox.getByRole('option', { name: /Hej från XMPP/ })).toContainText('XMPP');

  await answer(page, /Hej från Matrix/, 'Hej från Matrix – Sara på Försäkringskassan', 'Tack Sara, svar via Matrix');
  await answer(page, /Hej från XMPP/, 'Hej från XMPP – Bo på Skatteverket', 'Tack Bo, svar via XMPP');

  // Each answer went to the right person on the right system, exactly once.
  await expect.poll(() => peers.matrixGot.filter((t) => t === 'Tack Sara, svar via Matrix').length, { timeout: 20_000 }).toBe(1);
  await expect.poll(() => peers.xmppGot.filter((t) => t === 'Tack Bo, svar via XMPP').length, { timeout: 20_000 }).toBe(1);
  expect(peers.matrixGot).not.toContain('Tack Bo, svar via XMPP');
  expect(peers.xmppGot).not.toContain('Tack Sara, svar via Matrix');
});
