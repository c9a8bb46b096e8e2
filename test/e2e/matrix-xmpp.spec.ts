// One user, two chat systems, one inbox: a Matrix account (real Synapse) beside an XMPP account
// (real Prosody), both added through the UI; a message from each system's peer appears in the one
// inbox, and each answer reaches the right peer on the right system.
import { test, expect, type Page } from '@playwright/test';
import { startProsody, type ProsodyServer } from '../servers/prosody/prosody';
import { rawPeer, stopPeer, xml, type RawPeer, type Element } from '../servers/prosody/clients';
import { startSynapse, type SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, ProtocolAdapter } from '../../protocols/contract';
import { startWebApp, type WebApp } from '../helpers/web-app';
import { addAccount, openInEnglish } from './ui';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let prosody: ProsodyServer;
let synapse: SynapseServer;
let app: WebApp;
let xmppPeer: RawPeer;
let matrixPeer: ProtocolAdapter;
const matrixGot: string[] = [];
const xmppGot: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  [prosody, synapse] = await Promise.all([startProsody(), startSynapse()]);
  await prosody.register('alice', 'alicepw');
  await prosody.register('bo', 'bopw');
  await synapse.registerUser('alice', 'alice-matrix-pw');
  await synapse.registerUser('sara', 'sara-pw');
  xmppPeer = await rawPeer(prosody, 'bo', 'bopw');
  await xmppPeer.send(xml('presence'));
  xmppPeer.on('stanza', (s: Element) => {
    if (s.is('message') && s.attrs.type === 'chat' && String(s.attrs.from).startsWith('alice@')) {
      const body = s.getChildText('body');
      if (body) xmppGot.push(body);
    }
  });
  matrixPeer = createMatrixAdapter({ address: '@sara:localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  matrixPeer.onEvent((e: AdapterEvent) => {
    if (e.type === 'message' && !e.message.own) matrixGot.push(e.message.text);
  });
  await matrixPeer.connect({ credentials: { kind: 'password', password: 'sara-pw' }, syncState: {} });
  app = await startWebApp();
});

test.afterAll(async () => {
  await stopPeer(xmppPeer);
  await matrixPeer?.disconnect();
  await app?.stop();
  await Promise.allSettled([prosody?.dispose(), synapse?.dispose()]);
});

async function answer(page: Page, conversation: RegExp, incoming: string, reply: string): Promise<void> {
  const inbox = page.getByRole('listbox', { name: 'Conversations' });
  await inbox.getByRole('option', { name: conversation }).click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText(incoming)).toBeVisible();
  const composer = page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill(reply);
  await composer.press('Enter');
  await expect(messages.getByRole('article').filter({ hasText: reply })).toContainText('Sent');
}

test('a Matrix account beside an XMPP account: both read and answered from the one inbox', async ({ page }) => {
  await openInEnglish(page, app.url);
  await addAccount(page, { protocol: 'xmpp', address: 'alice@localhost', password: 'alicepw', serviceUrl: prosody.serviceUrl });
  await addAccount(page, { protocol: 'matrix', address: '@alice:localhost', password: 'alice-matrix-pw', serviceUrl: synapse.baseUrl });

  // Sara writes on Matrix (a new direct chat), Bo on XMPP.
  const dm = await matrixPeer.direct!.open('@alice:localhost');
  await matrixPeer.send(dm.id, { clientTxnId: `sara-${Date.now()}`, text: 'Hej från Matrix – Sara på Försäkringskassan' });
  await xmppPeer.send(xml('message', { type: 'chat', to: 'alice@localhost', id: 'bo-1' }, xml('body', {}, 'Hej från XMPP – Bo på Skatteverket'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'bo-1' })));

  // Both conversations are in the one inbox, each marked with its system.
  const inbox = page.getByRole('listbox', { name: 'Conversations' });
  await expect(inbox.getByRole('option', { name: /Hej från Matrix/ })).toContainText('Matrix');
  await expect(inbox.getByRole('option', { name: /Hej från XMPP/ })).toContainText('XMPP');

  await answer(page, /Hej från Matrix/, 'Hej från Matrix – Sara på Försäkringskassan', 'Tack Sara, svar via Matrix');
  await answer(page, /Hej från XMPP/, 'Hej från XMPP – Bo på Skatteverket', 'Tack Bo, svar via XMPP');

  // Each answer went to the right person on the right system, exactly once.
  await expect.poll(() => matrixGot.filter((t) => t === 'Tack Sara, svar via Matrix').length, { timeout: 20_000 }).toBe(1);
  await expect.poll(() => xmppGot.filter((t) => t === 'Tack Bo, svar via XMPP').length, { timeout: 20_000 }).toBe(1);
  expect(matrixGot).not.toContain('Tack Bo, svar via XMPP');
  expect(xmppGot).not.toContain('Tack Sara, svar via Matrix');
});
