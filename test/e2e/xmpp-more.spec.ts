// What a user notices beyond the first message: group chats (joining by address, hostile nicknames,
// creating a private group), contact requests and presence, editing/deleting/reacting, search with
// Swedish letters, a 1 MB message, history on scroll-up, and files both ways. Real Prosody, real
// web-mode app, Debian's Chromium; peers are raw @xmpp/client connections or full adapters.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test, expect, type Locator, type Page } from '@playwright/test';
import { startProsody, type ProsodyServer } from '../servers/prosody/prosody';
import { connectedAdapter, rawPeer, stopPeer, waitForStanza, xml, type Element, type RawPeer, type Recorder } from '../servers/prosody/clients';
import type { AdapterEvent, ProtocolAdapter } from '../../protocols/contract';
import { startWebApp, type WebApp } from '../helpers/web-app';
import { addAccount, openInEnglish as openInEnglishAt } from './ui';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

let prosody: ProsodyServer;
let app: WebApp;
let bob: { adapter: ProtocolAdapter; rec: Recorder };
let carl: RawPeer;
let mallory: RawPeer | undefined;
let erik: RawPeer | undefined;
let dave: RawPeer | undefined;
const carlGot: Element[] = [];

/** Everything a raw peer receives, for expect.poll. */
function collect(peer: RawPeer, into: Element[]): void {
  peer.on('stanza', (s: Element) => into.push(s));
}

function chatFromAlice(list: readonly Element[]): Element[] {
  return list.filter((s) => s.is('message') && s.attrs.type === 'chat' && String(s.attrs.from ?? '').startsWith('alice@localhost'));
}

async function say(peer: RawPeer, to: string, text: string, id: string = randomUUID(), type: 'chat' | 'groupchat' = 'chat'): Promise<string> {
  await peer.send(xml('message', { type, to, id }, xml('body', {}, text), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id })));
  return id;
}

async function openInEnglish(page: Page): Promise<void> {
  await openInEnglishAt(page, app.url);
}

async function open(page: Page): Promise<void> {
  await openInEnglish(page);
  await expect(page.getByRole('listitem', { name: /alice@localhost/ })).toContainText('Connected', { timeout: 30_000 });
}

function convo(page: Page, title: string): Locator {
  return page.getByRole('option').filter({ has: page.locator('.inbox-title').getByText(title, { exact: true }) });
}

function messageList(page: Page): Locator {
  return page.getByRole('list', { name: 'Messages' });
}

function article(page: Page, text: string): Locator {
  return messageList(page).getByRole('article').filter({ hasText: text });
}

function composer(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Message', exact: true });
}

async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await expect(article(page, text)).toContainText('Sent');
}

async function messageAction(msg: Locator, action: string): Promise<void> {
  await msg.getByRole('button', { name: 'Message actions' }).click();
  await msg.getByRole('menuitem', { name: action }).click();
}

function waitEvent<T extends AdapterEvent['type']>(rec: Recorder, type: T, pred: (e: Extract<AdapterEvent, { type: T }>) => boolean, label: string): Promise<Extract<AdapterEvent, { type: T }>> {
  return rec.waitFor((e) => e.type === type && pred(e as Extract<AdapterEvent, { type: T }>), 30_000, label) as Promise<Extract<AdapterEvent, { type: T }>>;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  prosody = await startProsody();
  for (const u of ['alice', 'bob', 'carl', 'dave', 'erik', 'mallory']) await prosody.register(u, `${u}pw`);

  // History that exists before Samverka ever sees the account: 80 messages between dave and alice,
  // delivered to another client of alice's (so they are in her server archive, not offline storage).
  const aliceElsewhere = await rawPeer(prosody, 'alice', 'alicepw', 'phone');
  await aliceElsewhere.send(xml('presence'));
  const got: Element[] = [];
  collect(aliceElsewhere, got);
  dave = await rawPeer(prosody, 'dave', 'davepw');
  for (let i = 1; i <= 80; i++) await say(dave, 'alice@localhost', `Historik ${i}`, `hist-${i}`);
  await expect.poll(() => got.filter((s) => s.is('message') && s.getChildText('body')?.startsWith('Historik ')).length, { timeout: 30_000 }).toBe(80);
  await stopPeer(aliceElsewhere);

  app = await startWebApp();
  bob = await connectedAdapter(prosody, 'bob', 'bobpw');
  carl = await rawPeer(prosody, 'carl', 'carlpw');
  collect(carl, carlGot);
  await carl.send(xml('presence'));

  const page = await browser.newPage();
  await openInEnglish(page);
  await addAccount(page, { address: 'alice@localhost', password: 'alicepw', serviceUrl: prosody.serviceUrl });
  await page.close();
});

test.afterAll(async () => {
  for (const p of [carl, mallory, erik, dave]) if (p) await stopPeer(p);
  await bob?.adapter.disconnect().catch(() => undefined);
  await app?.stop();
  await prosody?.dispose();
});

test('group chat: join by address, hostile nickname shown literally, reply arrives; new private group invites', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await open(page);

  // bob creates a members-only room with alice and mallory as members (and invites them).
  const room = await bob.adapter.rooms!.create({ name: 'Projekt Älv', members: ['alice@localhost', 'mallory@localhost'] });
  expect(room.isPrivate).toBe(true);

  await page.getByRole('button', { name: 'Join group' }).click();
  const join = page.getByRole('dialog', { name: 'Join group' });
  await join.getByRole('textbox', { name: 'Group address' }).fill(room.id);
  await join.getByRole('button', { name: 'Join' }).click();
  await expect(join).toBeHidden();
  await expect(page.getByRole('main').getByRole('heading', { name: 'Projekt Älv' })).toBeVisible();
  await expect(convo(page, 'Projekt Älv')).toBeVisible();

  // mallory joins with a nickname made of markup (servers refuse bidi controls in nicknames,
  // RFC 3920 resourceprep) and posts markup with a right-to-left override.
  const nick = '<img src=x onerror=alert(1)>evil';
  mallory = await rawPeer(prosody, 'mallory', 'mallorypw');
  const malloryGot: Element[] = [];
  collect(mallory, malloryGot);
  const joined = waitForStanza(
    mallory,
    (s) => s.is('presence') && String(s.attrs.from ?? '').startsWith(`${room.id}/`) && (s.attrs.type === 'error' || s.getChild('x', NS_MUC_USER)?.getChildren('status').some((c) => c.attrs.code === '110') === true),
    15_000,
    'mallory joined',
  );
  await mallory.send(xml('presence', { to: `${room.id}/${nick}` }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' }))));
  const self = await joined;
  expect(self.attrs.type, self.toString()).not.toBe('error');
  const hostileText = '<script>alert(2)</script> hej <b>alla</b> \u202Etxt.exe';
  await say(mallory, room.id, hostileText, randomUUID(), 'groupchat');

  const posted = article(page, hostileText);
  await expect(posted).toBeVisible();
  await expect(posted.locator('.msg-sender')).toHaveText(nick);
  await expect(posted.locator('.msg-text')).toHaveText(hostileText);
  expect(await page.locator('img[src="x"], main script, main b').count()).toBe(0);

  // alice answers in the room; bob (full adapter) and mallory receive it.
  await composer(page).fill('Välkomna till Projekt Älv');
  await composer(page).press('Enter');
  await waitEvent(bob.rec, 'message', (e) => e.message.conversationId === room.id && e.message.text === 'Välkomna till Projekt Älv', 'alice in the room');
  await expect.poll(() => malloryGot.some((s) => s.is('message') && s.attrs.type === 'groupchat' && s.getChildText('body') === 'Välkomna till Projekt Älv')).toBe(true);

  // A new private group from the UI: bob gets an invitation and, as a member, can join it.
  await page.getByRole('button', { name: 'New group chat' }).click();
  const create = page.getByRole('dialog', { name: 'New group chat' });
  await create.getByRole('textbox', { name: 'Group name' }).fill('Styrgrupp Öst');
  await create.getByRole('textbox', { name: /^Members/ }).fill('bob@localhost');
  await create.getByRole('button', { name: 'Create group' }).click();
  await expect(create).toBeHidden();
  await expect(page.getByRole('main').getByRole('heading', { name: 'Styrgrupp Öst' })).toBeVisible();
  await expect(page.getByRole('main')).toContainText('Private');
  const invite = await waitEvent(bob.rec, 'room.invite', (e) => e.roomId.startsWith('styrgrupp-ost-'), 'invitation to Styrgrupp Öst');
  expect(invite.from).toMatch(/^alice@localhost/);
  const joinedByBob = await bob.adapter.rooms!.join(invite.roomId);
  expect(joinedByBob.title).toBe('Styrgrupp Öst');

  expect(dialogs).toEqual([]);
});

test('contact request accepted; their presence shows as text; my Away reaches them', async ({ page }) => {
  await open(page);
  erik = await rawPeer(prosody, 'erik', 'erikpw');
  const erikGot: Element[] = [];
  collect(erik, erikGot);
  const e = erik;
  e.on('stanza', (s: Element) => {
    // erik approves alice's counter-request, as any client would after asking her first.
    if (s.is('presence') && s.attrs.type === 'subscribe' && String(s.attrs.from ?? '').startsWith('alice@localhost')) {
      void e.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
    }
  });
  await e.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('status', {}, 'I möte')));
  await e.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));

  await page.getByRole('tab', { name: 'Contacts' }).click();
  const requests = page.getByRole('region', { name: 'Contact requests' });
  await expect(requests).toContainText('erik@localhost wants to add you as a contact.');
  await requests.getByRole('button', { name: 'Accept erik@localhost' }).click();
  await expect(requests).toBeHidden();

  const row = page.getByRole('tabpanel', { name: 'Contacts' }).getByRole('listitem').filter({ hasText: 'erik@localhost' });
  await expect(row).toContainText('Do not disturb', { timeout: 30_000 });
  await expect(row).toContainText('I möte');

  await page.getByRole('combobox', { name: 'My status' }).selectOption('away');
  await expect
    .poll(() => erikGot.some((s) => s.is('presence') && String(s.attrs.from ?? '').startsWith('alice@localhost/') && s.getChildText('show') === 'away'), { timeout: 30_000 })
    .toBe(true);
  await page.getByRole('combobox', { name: 'My status' }).selectOption('available');
});

test('edit, delete and react; a peer reaction shows as a chip with a count', async ({ page }) => {
  await open(page);
  await say(carl, 'alice@localhost', 'Hej Alice, hur går det?', 'carl-1');
  await convo(page, 'carl').click();
  await expect(article(page, 'Hej Alice, hur går det?')).toBeVisible();

  // Edit with Up in the empty composer → XEP-0308 correction.
  await send(page, 'Mötet är kl 10');
  await expect.poll(() => chatFromAlice(carlGot).some((s) => s.getChildText('body') === 'Mötet är kl 10')).toBe(true);
  const original = chatFromAlice(carlGot).find((s) => s.getChildText('body') === 'Mötet är kl 10')!;
  const originalId = original.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id ?? original.attrs.id;
  await composer(page).focus();
  await composer(page).press('ArrowUp');
  await expect(page.getByText('Editing your message')).toBeVisible();
  await expect(composer(page)).toHaveValue('Mötet är kl 10');
  await composer(page).fill('Mötet är kl 11');
  await composer(page).press('Enter');
  await expect
    .poll(() => chatFromAlice(carlGot).find((s) => s.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id === originalId)?.getChildText('body'))
    .toBe('Mötet är kl 11');
  await expect(article(page, 'Mötet är kl 11')).toContainText('(edited)');
  await expect(article(page, 'Mötet är kl 10')).toHaveCount(0);

  // Delete through the actions menu and the confirmation → XEP-0424 retraction.
  await send(page, 'Fel chatt, ignorera');
  await expect.poll(() => chatFromAlice(carlGot).some((s) => s.getChildText('body') === 'Fel chatt, ignorera')).toBe(true);
  const wrong = chatFromAlice(carlGot).find((s) => s.getChildText('body') === 'Fel chatt, ignorera')!;
  const wrongId = wrong.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id ?? wrong.attrs.id;
  // Not the last message: the menu and the confirmation must not be covered by the rows below.
  await send(page, 'Rätt text kommer här');
  await messageAction(article(page, 'Fel chatt, ignorera'), 'Delete');
  const confirm = page.getByRole('alertdialog', { name: 'Delete message?' });
  await expect(confirm).toBeInViewport({ ratio: 1 });
  // A modal: its backdrop covers the whole window, not just the message row it was opened from.
  const cover = await confirm.evaluate((el) => {
    const r = el.parentElement!.getBoundingClientRect();
    return { w: Math.round(r.width), h: Math.round(r.height), vw: window.innerWidth, vh: window.innerHeight };
  });
  expect([cover.w, cover.h]).toEqual([cover.vw, cover.vh]);
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect.poll(() => chatFromAlice(carlGot).some((s) => s.getChild('retract', 'urn:xmpp:message-retract:1')?.attrs.id === wrongId)).toBe(true);
  await expect(article(page, 'Fel chatt, ignorera')).toHaveCount(0);
  await expect(messageList(page).getByText('This message was deleted.')).toBeVisible();

  // React to carl's message → XEP-0444 reaction.
  const carls = article(page, 'Hej Alice, hur går det?');
  await messageAction(carls, 'React');
  await carls.getByRole('button', { name: 'React with 👍' }).click();
  await expect
    .poll(() => chatFromAlice(carlGot).some((s) => {
      const r = s.getChild('reactions', 'urn:xmpp:reactions:0');
      return r?.attrs.id === 'carl-1' && r.getChildren('reaction').some((c) => c.getText() === '👍');
    }))
    .toBe(true);
  await expect(carls.getByRole('button', { name: /^👍 1/ })).toHaveAttribute('aria-pressed', 'true');

  // carl reacts to alice's (edited) message: a chip with the emoji and the count.
  await carl.send(
    xml('message', { type: 'chat', to: 'alice@localhost', id: 'carl-r1' }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: originalId }, xml('reaction', {}, '❤️')), xml('store', { xmlns: 'urn:xmpp:hints' })),
  );
  const chip = article(page, 'Mötet är kl 11').getByRole('button', { name: /^❤️ 1/ });
  await expect(chip).toBeVisible();
  await expect(chip).toHaveText('❤️ 1');
  await expect(chip).toHaveAttribute('aria-pressed', 'false');
});

test('search for "åsa" finds "Åsa" and opens the conversation', async ({ page }) => {
  await open(page);
  await say(carl, 'alice@localhost', 'Åsa har skickat underlaget till nämnden');
  await say(carl, 'alice@localhost', 'Hälsningar från Örjan på Älvsborg');
  await expect(convo(page, 'carl')).toContainText('Hälsningar från Örjan på Älvsborg');
  // Start somewhere else so opening the hit is visible.
  await convo(page, 'Projekt Älv').click();
  await expect(page.getByRole('main').getByRole('heading', { name: 'Projekt Älv' })).toBeVisible();

  const box = page.getByRole('searchbox', { name: 'Search messages' });
  await box.fill('åsa');
  await box.press('Enter');
  const results = page.getByRole('region', { name: 'Search results' });
  const hit = results.getByRole('button').filter({ hasText: 'Åsa har skickat underlaget till nämnden' });
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText('Åsa');
  await expect(results.getByRole('button').filter({ hasText: 'Örjan' })).toHaveCount(0);
  await hit.click();
  await expect(page.getByRole('main', { name: 'Conversation with carl' })).toBeVisible();
  await expect(article(page, 'Åsa har skickat underlaget till nämnden')).toBeVisible();
});

test('a 1 MB message does not break the UI; the next message appears', async ({ page }) => {
  await open(page);
  await convo(page, 'carl').click();
  await expect(page.getByRole('main', { name: 'Conversation with carl' })).toBeVisible();
  const big = `STOR-START ${'abcdefghi '.repeat(100_000)}STOR-SLUT`;
  expect(big.length).toBeGreaterThan(1_000_000);
  await say(carl, 'alice@localhost', big);
  await say(carl, 'alice@localhost', 'Efter det stora meddelandet');
  await expect(article(page, 'Efter det stora meddelandet')).toBeVisible({ timeout: 30_000 });
  // The whole message is kept; the list shows it collapsed, with a button to read all of it.
  const bigMessage = article(page, 'STOR-START');
  await expect(bigMessage).toHaveCount(1);
  await expect(bigMessage).not.toContainText('STOR-SLUT');
  await bigMessage.getByRole('button', { name: /Show the whole message/ }).click();
  await expect(bigMessage).toContainText('STOR-SLUT');
  await bigMessage.getByRole('button', { name: 'Show less' }).click();

  // Still responsive: the page answers at once and typing/sending works.
  const t0 = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  expect(Date.now() - t0).toBeLessThan(2000);
  await send(page, 'Tog emot ditt långa meddelande');
  await expect.poll(() => chatFromAlice(carlGot).some((s) => s.getChildText('body') === 'Tog emot ditt långa meddelande')).toBe(true);
});

test('history from before the account was added loads on scroll-up until the beginning', async ({ page }) => {
  await open(page);
  await say(dave!, 'alice@localhost', 'Historik 81 (ny)', 'hist-81');
  await convo(page, 'dave').click();
  const list = messageList(page);
  await expect(article(page, 'Historik 81 (ny)')).toBeVisible();
  await expect(article(page, 'Historik 80')).toHaveCount(1);

  await expect
    .poll(
      async () => {
        await list.hover();
        await page.mouse.wheel(0, -4000);
        return list.getByText('Beginning of conversation').isVisible();
      },
      { timeout: 30_000, intervals: [250] },
    )
    .toBe(true);
  await expect(article(page, 'Historik 1').first()).toBeVisible();
  const texts = await list.getByRole('article').locator('.msg-text').allTextContents();
  // The rows rendered at the top are old archive messages, each once, in the order they were
  // written — although the archive stamps whole seconds, so many share a timestamp.
  expect(texts.length).toBeGreaterThan(3);
  expect(new Set(texts).size).toBe(texts.length);
  for (const t of texts) expect(t).toMatch(/^Historik ([1-9]|[1-7]\d|80)$/);
  const numbers = texts.map((t) => Number(/\d+/.exec(t)![0]));
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  expect(numbers[0]).toBe(1);
});

test('send a file with Swedish letters in its name; download a file the peer sent', async ({ page }) => {
  await open(page);
  await convo(page, 'carl').click();
  await expect(page.getByRole('main', { name: 'Conversation with carl' })).toBeVisible();

  const content = 'Rapport om ärendet: åäö ÅÄÖ\n';
  await page.locator('main input[type="file"]').setInputFiles({ name: 'rapport åäö.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
  const mine = messageList(page).getByRole('article').filter({ hasText: 'rapport åäö.txt' });
  await expect(mine).toContainText('Sent');
  await expect.poll(() => chatFromAlice(carlGot).some((s) => s.getChild('x', 'jabber:x:oob') !== undefined)).toBe(true);
  const oob = chatFromAlice(carlGot).find((s) => s.getChild('x', 'jabber:x:oob'))!;
  const url = oob.getChild('x', 'jabber:x:oob')!.getChildText('url')!;
  expect(decodeURIComponent(new URL(url).pathname)).toMatch(/\/rapport åäö\.txt$/);
  expect(await (await fetch(url)).text()).toBe(content);

  // bob sends a file whose name has characters no file system should get.
  const data = new TextEncoder().encode('Protokoll från mötet\n');
  const att = await bob.adapter.files!.upload('alice@localhost', { name: '..\\Protokoll: "möte"?.txt', mime: 'text/plain', data });
  await bob.adapter.send('alice@localhost', { clientTxnId: randomUUID(), text: '', attachment: att });
  await convo(page, 'bob').click();
  const button = messageList(page).getByRole('button', { name: /^Download .*Protokoll/ });
  await expect(button).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const name = download.suggestedFilename();
  expect(name).toMatch(/Protokoll.*möte.*\.txt$/);
  expect(name).not.toMatch(/[\\/:"?*<>|\u202a-\u202e\u2066-\u2069]/);
  expect(name.startsWith('.')).toBe(false);
  expect(await readFile((await download.path())!, 'utf8')).toBe('Protokoll från mötet\n');
});
