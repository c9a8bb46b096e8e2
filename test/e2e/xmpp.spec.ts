// A civil servant adds an XMPP account in the real UI (Chromium, web mode), reads what a second real
// XMPP user sent, answers, and the other user receives it — also across a server restart in the
// middle of the conversation, with nothing lost and nothing duplicated.
import { test, expect, type Page } from '@playwright/test';
import { startProsody, type ProsodyServer } from '../servers/prosody/prosody';
import { rawPeer, stopPeer, xml, type RawPeer, type Element } from '../servers/prosody/clients';
import { startWebApp, type WebApp } from '../helpers/web-app';
import { addAccount, fillAccountForm, openInEnglish as openInEnglishAt } from './ui';

let prosody: ProsodyServer;
let app: WebApp;
let bob: RawPeer;
const received: string[] = [];

function collect(peer: RawPeer): void {
  peer.on('stanza', (s: Element) => {
    if (s.is('message') && s.attrs.type === 'chat' && s.attrs.from?.startsWith('alice@')) {
      const body = s.getChildText('body');
      if (body) received.push(body);
    }
  });
}

async function connectBob(): Promise<void> {
  bob = await rawPeer(prosody, 'bob', 'bobpw');
  collect(bob);
  await bob.send(xml('presence'));
}

async function bobSays(text: string, id: string): Promise<void> {
  await bob.send(
    xml('message', { type: 'chat', to: 'alice@localhost', id }, xml('body', {}, text), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id })),
  );
}

async function waitForReceived(text: string): Promise<void> {
  await expect.poll(() => received.filter((r) => r === text).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  // Give a duplicate time to show up, then insist there is none.
  await new Promise((r) => setTimeout(r, 1500));
  expect(received.filter((r) => r === text)).toHaveLength(1);
}

async function openInEnglish(page: Page): Promise<void> {
  await openInEnglishAt(page, app.url);
}

async function addAliceAccount(page: Page): Promise<void> {
  await addAccount(page, { address: 'alice@localhost', password: 'alicepw', serviceUrl: prosody.serviceUrl });
}

test.beforeAll(async () => {
  prosody = await startProsody();
  await prosody.register('alice', 'alicepw');
  await prosody.register('bob', 'bobpw');
  app = await startWebApp();
  await connectBob();
});

test.afterAll(async () => {
  await stopPeer(bob);
  await app?.stop();
  await prosody?.dispose();
});

test.describe.configure({ mode: 'serial' });

test('wrong password gives a clear error and keeps the form', async ({ page }) => {
  await openInEnglish(page);
  const dialog = await fillAccountForm(page, { address: 'alice@localhost', password: 'not-the-password', serviceUrl: prosody.serviceUrl });
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/password/i);
  await expect(dialog.getByRole('textbox', { name: /^Address/ })).toHaveValue('alice@localhost');
});

test('add account, read a message from another user, reply, the other user receives it', async ({ page }) => {
  page.on('dialog', () => {
    throw new Error('a message made the page open a dialog');
  });
  await openInEnglish(page);
  await addAliceAccount(page);

  await bobSays('Hej Alice! Kan du titta på ärendet om Åsa?', 'e2e-1');
  await bobSays('<script>alert(1)</script><img src=x onerror=alert(2)>', 'e2e-2');
  const convo = page.getByRole('option', { name: /bob/ });
  await expect(convo).toBeVisible();
  await convo.click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText('Hej Alice! Kan du titta på ärendet om Åsa?')).toBeVisible();
  // Hostile markup arrives as literal text, never as elements.
  await expect(messages.getByText('<script>alert(1)</script><img src=x onerror=alert(2)>')).toBeVisible();
  expect(await page.locator('main img[src="x"]').count()).toBe(0);

  const composer = page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill('Ja, jag tittar nu.');
  await composer.press('Enter');
  await waitForReceived('Ja, jag tittar nu.');
  const mine = messages.getByRole('article').filter({ hasText: 'Ja, jag tittar nu.' });
  await expect(mine).toHaveCount(1);
  await expect(mine).toContainText('Sent');
});

test('server restarted mid-conversation: nothing lost, nothing duplicated', async ({ page }) => {
  await openInEnglish(page);
  await page.getByRole('option', { name: /bob/ }).click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText('Ja, jag tittar nu.')).toBeVisible();

  await stopPeer(bob);
  await prosody.stop();
  await expect(page.getByRole('listitem', { name: /alice@localhost/ })).not.toContainText('Connected', { timeout: 30_000 });

  // Written while the server is down: kept in the outbox, shown as pending.
  const composer = page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill('Skrivet medan servern var nere');
  await composer.press('Enter');
  const pending = messages.getByRole('article').filter({ hasText: 'Skrivet medan servern var nere' });
  await expect(pending).toHaveCount(1);

  await prosody.start();
  await connectBob();
  await expect(page.getByRole('listitem', { name: /alice@localhost/ })).toContainText('Connected', { timeout: 60_000 });
  await waitForReceived('Skrivet medan servern var nere');
  await expect(pending).toContainText('Sent');

  await bobSays('Tack, mottaget efter omstarten', 'e2e-3');
  await expect(messages.getByText('Tack, mottaget efter omstarten')).toHaveCount(1);
  await composer.fill('Bra, då fortsätter vi');
  await composer.press('Enter');
  await waitForReceived('Bra, då fortsätter vi');

  // The earlier conversation is intact and not duplicated after the reconnect and catch-up.
  await page.reload();
  await page.getByRole('option', { name: /bob/ }).click();
  for (const text of ['Hej Alice! Kan du titta på ärendet om Åsa?', 'Ja, jag tittar nu.', 'Skrivet medan servern var nere', 'Tack, mottaget efter omstarten', 'Bra, då fortsätter vi']) {
    await expect(messages.getByRole('article').filter({ hasText: text })).toHaveCount(1);
  }
});
