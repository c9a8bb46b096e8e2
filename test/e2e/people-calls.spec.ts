// Issue 5 end to end: a civil servant thinks in people. Anna writes from XMPP (real Prosody) and
// from Matrix (real Synapse); the app suggests she is one person, the user merges her, sets
// "Do not disturb" once for every account, calls Anna from the merged contact (the invitation
// reaches her Matrix client as a meeting) and joins a call Anna invited them to on XMPP.
// The organisation's meeting server comes from IT's policy file; its pages are served by the
// test (route), so no request leaves this machine.
import { test, expect } from '@playwright/test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProsody, type ProsodyServer } from '../servers/prosody/prosody';
import { rawPeer, stopPeer, xml, type RawPeer } from '../servers/prosody/clients';
import { startSynapse, type SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterEvent, MessageInfo, ProtocolAdapter } from '../../protocols/contract';
import { startWebApp, type WebApp } from '../helpers/web-app';
import { addAccount, openInEnglish } from './ui';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const MEET = 'meet.samverka.test';

let prosody: ProsodyServer;
let synapse: SynapseServer;
let app: WebApp;
let policyDir: string;
let annaXmpp: RawPeer;
let annaMatrix: ProtocolAdapter;
let annaToken: string;
const annaMatrixGot: MessageInfo[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  [prosody, synapse] = await Promise.all([startProsody(), startSynapse()]);
  await Promise.all([prosody.register('alice', 'alicepw'), prosody.register('anna', 'annapw')]);
  await synapse.registerUser('alice', 'alice-matrix-pw');
  annaToken = (await synapse.registerUser('anna', 'anna-matrix-pw')).accessToken;
  annaXmpp = await rawPeer(prosody, 'anna', 'annapw');
  await annaXmpp.send(xml('presence'));
  annaMatrix = createMatrixAdapter({ address: '@anna:localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  annaMatrix.onEvent((e: AdapterEvent) => {
    if (e.type === 'message' && !e.message.own) annaMatrixGot.push(e.message);
  });
  await annaMatrix.connect({ credentials: { kind: 'password', password: 'anna-matrix-pw' }, syncState: {} });
  policyDir = await mkdtemp(join(tmpdir(), 'samverka-policy-'));
  await writeFile(join(policyDir, 'policy.json'), JSON.stringify({ meetingServer: { domain: MEET } }));
  app = await startWebApp({ env: { SAMVERKA_POLICY: join(policyDir, 'policy.json') } });
});

test.afterAll(async () => {
  if (annaXmpp) await stopPeer(annaXmpp);
  await annaMatrix?.disconnect();
  await app?.stop();
  await Promise.allSettled([prosody?.dispose(), synapse?.dispose(), rm(policyDir, { recursive: true, force: true })]);
});

test('merge Anna, set busy once, call her from the merged contact, join the call she sent', async ({ page, context }) => {
  test.setTimeout(120_000);
  await context.route(`https://${MEET}/**`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Jitsi (test)</title><p>Meeting</p>' }));
  await openInEnglish(page, app.url);
  await addAccount(page, { protocol: 'xmpp', address: 'alice@localhost', password: 'alicepw', serviceUrl: prosody.serviceUrl });
  await addAccount(page, { protocol: 'matrix', address: '@alice:localhost', password: 'alice-matrix-pw', serviceUrl: synapse.baseUrl });

  // Anna writes on both systems.
  await annaXmpp.send(xml('message', { type: 'chat', to: 'alice@localhost', id: 'anna-1' }, xml('body', {}, 'Hej, Anna här (XMPP)')));
  const dm = await annaMatrix.direct!.open('@alice:localhost');
  await annaMatrix.send(dm.id, { clientTxnId: `anna-${Date.now()}`, text: 'Hej, Anna här (Matrix)' });
  const inbox = page.getByRole('listbox', { name: 'Conversations' });
  await expect(inbox.getByRole('option', { name: /Anna här \(XMPP\)/ })).toBeVisible();
  await expect(inbox.getByRole('option', { name: /Anna här \(Matrix\)/ })).toBeVisible();

  // The one contact list suggests that the two Annas are one person; the user merges them.
  await page.getByRole('tab', { name: 'Contacts' }).click();
  const suggestion = page.getByRole('region', { name: 'Suggestions' }).or(page.locator('.people-suggestions'));
  await expect(suggestion.getByText(/may be the same person/)).toBeVisible({ timeout: 20_000 });
  await suggestion.getByRole('button', { name: /^Merge/ }).click();
  const anna = page.getByRole('listitem').filter({ has: page.getByRole('group', { name: /Addresses of/ }) }).filter({ hasText: 'anna@localhost' });
  await expect(anna).toHaveCount(1);
  await expect(anna).toContainText('@anna:localhost');

  // "Do not disturb" once: both accounts show it, and Synapse has it for the Matrix account.
  await page.getByRole('combobox', { name: 'My status' }).selectOption('dnd');
  await expect.poll(async () => {
    const res = await fetch(`${synapse.baseUrl}/_matrix/client/v3/presence/${encodeURIComponent('@alice:localhost')}/status`, {
      headers: { authorization: `Bearer ${annaToken}` },
    });
    return ((await res.json()) as { presence?: string }).presence;
  }, { timeout: 20_000 }).toMatch(/unavailable|org\.matrix\.msc3026\.busy/);

  // Call Anna from the merged contact, on her Matrix address: the meeting opens here and her
  // Matrix client gets the invitation as a meeting with the same link.
  const [meeting] = await Promise.all([
    page.waitForEvent('popup'),
    anna.getByRole('button', { name: /Call .* on Matrix/ }).click(),
  ]);
  await meeting.waitForURL(new RegExp(`^https://${MEET.replace(/\./g, '\\.')}/Samverka[a-z2-7]{32}$`));
  const callUrl = meeting.url();
  await expect.poll(() => annaMatrixGot.some((m) => m.meeting?.url === callUrl), { timeout: 20_000 }).toBe(true);
  await meeting.close();

  // Anna invites the user on XMPP; the conversation shows a Join card that opens her meeting.
  const annasRoom = `https://${MEET}/AnnasBudgetRoom2026`;
  await annaXmpp.send(xml('message', { type: 'chat', to: 'alice@localhost', id: 'anna-2' }, xml('body', {}, `Kom med: ${annasRoom}`)));
  await page.getByRole('tab', { name: 'Conversations' }).click();
  await inbox.getByRole('option', { name: /Kom med/ }).click();
  const card = page.getByRole('list', { name: 'Messages' }).getByRole('group', { name: 'Jitsi call' });
  await expect(card).toBeVisible();
  const [joined] = await Promise.all([page.waitForEvent('popup'), card.getByRole('button', { name: 'Join' }).click()]);
  await joined.waitForURL(annasRoom);
});
