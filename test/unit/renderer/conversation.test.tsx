// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import type { MessageView } from '../../../common/model';
import { createChatStore } from '../../../renderer/state/store';
import { FULL_CAPS, account, conversation, fakeApi, flush, message, renderApp } from './fixtures';

afterEach(cleanup);

async function openWith(messages: MessageView[], caps = FULL_CAPS, state: 'connected' | 'reconnecting' = 'connected') {
  const api = fakeApi({
    accounts: [account({ capabilities: caps, state })],
    conversations: [conversation()],
    messages: { c1: messages },
  });
  const store = createChatStore({ view: { locale: 'en', selectedId: 'c1' } });
  const r = await renderApp(api, store);
  await flush();
  const log = screen.getByRole('list', { name: 'Messages' });
  return { api, store, r, log };
}

describe('Message list', () => {
  it('renders markup in messages as literal text, creating no elements', async () => {
    const evil = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', '<a href="javascript:alert(3)">x</a>'];
    const { log } = await openWith(evil.map((text, i) => message({ id: `e${i}`, ts: 1_700_000_000_000 + i, text })));
    for (const text of evil) expect(within(log).getByText(text)).toBeTruthy();
    expect(document.querySelector('script')).toBeNull();
    expect(log.querySelector('img')).toBeNull();
    expect(log.querySelector('a[href^="javascript"]')).toBeNull();
  });

  it('shows a formatted message as its tree (bold, code, mention pill), and long formatted ones as collapsible text', async () => {
    const rich = [{ tag: 'p' as const, children: ['Deadline ', { tag: 'strong' as const, children: ['Friday'] }, ' for ', { tag: 'mention' as const, id: '@anna:agency.se', children: ['Anna'] }, ' ', { tag: 'code' as const, children: ['v2'] }] }];
    const long = 'y'.repeat(5000);
    const { log } = await openWith([
      message({ id: 'r1', text: 'Deadline Friday for Anna v2', rich }),
      message({ id: 'r2', ts: 1_700_000_000_500, text: long, rich: [{ tag: 'p', children: [{ tag: 'em', children: [long] }] }] }),
    ]);
    expect(within(log).getByText('Friday').tagName).toBe('STRONG');
    expect(within(log).getByText('v2').tagName).toBe('CODE');
    expect(within(log).getByText('Anna').getAttribute('title')).toBe('@anna:agency.se');
    expect(log.querySelector('em')).toBeNull();
    expect(within(log).getByRole('button', { name: /5,000|5 000/u })).toBeTruthy();
  });

  it('shows a call as a card whose Join opens the link the core returns, outside the app', async () => {
    const { api, log } = await openWith([message({ id: 'v1', text: 'video conference', meeting: { system: 'Rocket.Chat', title: 'Veckomöte', url: null } })]);
    api.on('meeting:join', () => ({ url: 'https://meet.agency.se/rc-42' }));
    const opened: unknown[][] = [];
    const original = window.open;
    window.open = ((...args: unknown[]) => { opened.push(args); return null; }) as typeof window.open;
    try {
      const card = within(log).getByRole('group', { name: 'Rocket.Chat call' });
      expect(within(card).getByText('Veckomöte')).toBeTruthy();
      await act(async () => fireEvent.click(within(card).getByRole('button', { name: 'Join' })));
      await flush();
      expect(api.callsOf('meeting:join')).toEqual([{ conversationId: 'c1', messageId: 'v1' }]);
      expect(opened).toEqual([['https://meet.agency.se/rc-42', '_blank', 'noopener,noreferrer']]);
      // A link the renderer does not trust is not opened, and the user is told.
      api.on('meeting:join', () => ({ url: 'javascript:alert(1)' }));
      await act(async () => fireEvent.click(within(card).getByRole('button', { name: 'Join' })));
      await flush();
      expect(opened).toHaveLength(1);
      expect(within(card).getByRole('alert')).toBeTruthy();
    } finally {
      window.open = original;
    }
  });

  it('Call starts a meeting through the core and opens it; without a meeting server it says why', async () => {
    const { api } = await openWith([message()]);
    const opened: unknown[][] = [];
    const original = window.open;
    window.open = ((...args: unknown[]) => { opened.push(args); return null; }) as typeof window.open;
    try {
      api.on('call:start', () => ({ url: 'https://meet.agency.se/SamverkaAbc', openIn: 'window' }));
      await act(async () => fireEvent.click(screen.getByRole('button', { name: /Call/u })));
      await flush();
      expect(api.callsOf('call:start')).toEqual([{ conversationId: 'c1' }]);
      expect(opened).toEqual([['https://meet.agency.se/SamverkaAbc', 'samverka-meeting', 'noopener,noreferrer']]);
      // A token-only server: the caller signs in at the organisation's token service in the browser.
      api.on('call:start', () => ({ url: 'https://auth.agency.se/jitsi/SamverkaAbc', openIn: 'browser' }));
      await act(async () => fireEvent.click(screen.getByRole('button', { name: /Call/u })));
      await flush();
      expect(opened.at(-1)).toEqual(['https://auth.agency.se/jitsi/SamverkaAbc', '_blank', 'noopener,noreferrer']);
      opened.pop();
      api.fail('call:start', { kind: 'unsupported', message: 'No meeting server is configured for this account', fatal: false });
      await act(async () => fireEvent.click(screen.getByRole('button', { name: /Call/u })));
      await flush();
      expect(opened).toHaveLength(1);
      expect(screen.getByRole('alert').textContent).toBeTruthy();
    } finally {
      window.open = original;
    }
  });

  it('shows a conversation picture fetched through avatar:get, and initials when there is none or it fails', async () => {
    const api = fakeApi({
      accounts: [account()],
      conversations: [conversation({ avatar: 'mxc://agency.se/pic' }), conversation({ id: 'c2', title: 'Örjan Östberg', avatar: 'mxc://agency.se/broken' }), conversation({ id: 'c3', title: 'Ärendegruppen', kind: 'group' })],
    });
    api.on('avatar:get', (i) => {
      if (i.avatar.endsWith('broken')) throw new Error('gone');
      return { mime: 'image/png', dataBase64: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64') };
    });
    await renderApp(api, createChatStore({ view: { locale: 'en' } }));
    await flush();
    await flush();
    const imgs = [...document.querySelectorAll('img.avatar')];
    expect(imgs).toHaveLength(1);
    expect(imgs[0]!.getAttribute('src')).toMatch(/^blob:/u);
    const initials = [...document.querySelectorAll('.avatar.initials')].map((e) => e.textContent);
    expect(initials).toEqual(expect.arrayContaining(['ÖÖ', 'Ä']));
    expect(api.callsOf('avatar:get')).toEqual(expect.arrayContaining([expect.objectContaining({ accountId: 'acc1', avatar: 'mxc://agency.se/pic' })]));
  });

  it('shows a very long message collapsed with a button to read all of it', async () => {
    const long = 'Logg: ' + 'rad åäö '.repeat(20_000);
    const { log } = await openWith([message({ text: long })]);
    const button = within(log).getByRole('button', { name: `Show the whole message (${long.length.toLocaleString()} characters)` });
    expect(log.textContent!.length).toBeLessThan(10_000);
    fireEvent.click(button);
    expect(log.textContent!.length).toBeGreaterThan(long.length);
    expect(within(log).getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('turns only http(s) URLs into safe links', async () => {
    const { log } = await openWith([message({ text: 'Se https://example.se/a?b=1, eller javascript:alert(1) och file:///etc/passwd.' })]);
    const links = log.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]!.getAttribute('href')).toBe('https://example.se/a?b=1');
    expect(links[0]!.getAttribute('rel')).toBe('noopener noreferrer');
    expect(links[0]!.getAttribute('target')).toBe('_blank');
  });

  it('keeps a right-to-left override inside its own bdi (text and sender name)', async () => {
    const { log } = await openWith([message({ senderName: '\u202Eevil sender', text: 'abc \u202Etxt.exe' })]);
    const text = within(log).getByText('abc \u202Etxt.exe');
    const bdi = text.closest('bdi')!;
    expect(bdi).toBeTruthy();
    expect(bdi.getAttribute('dir')).toBe('auto');
    // The override character is confined to the bdi: the time and actions are outside it.
    const article = bdi.closest('article')!;
    expect(bdi.contains(article.querySelector('time'))).toBe(false);
    const sender = within(article).getByText('\u202Eevil sender');
    expect(sender.tagName).toBe('BDI');
    expect(sender.contains(article.querySelector('time'))).toBe(false);
  });

  it('shows own vs others, edited and deleted markers, day separator and the beginning', async () => {
    const { log } = await openWith([
      message({ id: 'a', text: 'Hej Anna', ts: 1_700_000_000_000 }),
      message({ id: 'b', own: true, senderName: 'anna', text: 'Hej Bo', ts: 1_700_000_060_000, status: 'sent', editedAt: 1_700_000_070_000 }),
      message({ id: 'c', deleted: true, text: '', ts: 1_700_000_120_000 }),
    ]);
    expect(within(log).getByText('Beginning of conversation')).toBeTruthy();
    expect(log.querySelectorAll('h3.day-separator')).toHaveLength(1);
    const own = within(log).getByText('Hej Bo').closest('article')!;
    expect(own.className).toContain('own');
    expect(within(own).getByText('You')).toBeTruthy();
    expect(within(own).getByText('(edited)')).toBeTruthy();
    expect(within(own).getByText('Sent')).toBeTruthy();
    expect(within(log).getByText('This message was deleted.')).toBeTruthy();
  });

  it('says in words whether the conversation is end-to-end encrypted, and shows undecryptable messages as such', async () => {
    const api = fakeApi({
      accounts: [account()],
      conversations: [conversation({ encrypted: true })],
      messages: { c1: [message({ id: 'u1', text: '', undecryptable: true })] },
    });
    await renderApp(api, createChatStore({ view: { locale: 'en', selectedId: 'c1' } }));
    await flush();
    expect(screen.getByText(/^🔒 End-to-end encrypted$/)).toBeTruthy();
    const log = screen.getByRole('list', { name: 'Messages' });
    expect(within(log).getByRole('note').textContent).toBe('This encrypted message cannot be read yet. It will appear when its keys arrive.');
    cleanup();
    await openWith([message()]);
    expect(screen.getByText('Not end-to-end encrypted')).toBeTruthy();
  });

  it('hides edit and delete when the account cannot do them', async () => {
    const { log } = await openWith([message({ id: 'o', own: true, text: 'mitt', status: 'sent' })], { ...FULL_CAPS, edit: false, delete: false, reactions: false });
    fireEvent.click(within(log).getByRole('button', { name: 'Message actions' }));
    const menu = screen.getByRole('menu');
    expect(within(menu).getByRole('menuitem', { name: 'Reply' })).toBeTruthy();
    expect(within(menu).queryByRole('menuitem', { name: 'Edit' })).toBeNull();
    expect(within(menu).queryByRole('menuitem', { name: 'Delete' })).toBeNull();
    expect(within(menu).queryByRole('menuitem', { name: 'React' })).toBeNull();
  });

  it('offers edit and delete on own messages when supported; delete asks first', async () => {
    const { api, log } = await openWith([message({ id: 'o', own: true, text: 'mitt', status: 'sent' })]);
    fireEvent.click(within(log).getByRole('button', { name: 'Message actions' }));
    expect(screen.getByRole('menuitem', { name: 'Edit' })).toBeTruthy();
    fireEvent.click(screen.getByRole('menuitem', { name: 'Delete' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Delete message?' });
    await act(async () => { fireEvent.click(within(confirm).getByRole('button', { name: 'Delete' })); });
    expect(api.callsOf('message:delete')).toEqual([{ conversationId: 'c1', messageId: 'o' }]);
  });

  it('toggles reactions and reacts from the picker', async () => {
    const { api, log } = await openWith([message({ id: 'r', reactions: [{ key: '👍', count: 2, mine: true, senders: ['Anna', 'Bo'] }] })]);
    await act(async () => { fireEvent.click(within(log).getByRole('button', { name: '👍 2: Anna, Bo' })); });
    expect(api.callsOf('message:react')).toEqual([{ conversationId: 'c1', messageId: 'r', key: '👍', on: false }]);
    fireEvent.click(within(log).getByRole('button', { name: 'Message actions' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'React' }));
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'React with 🎉' })); });
    expect(api.callsOf('message:react')[1]).toEqual({ conversationId: 'c1', messageId: 'r', key: '🎉', on: true });
  });

  it('a failed message shows Retry, which calls message:retry', async () => {
    const { api, log } = await openWith([message({ id: 'f', own: true, text: 'kom inte fram', status: 'failed', error: { kind: 'network', message: 'x', fatal: false } })]);
    const art = within(log).getByText('kom inte fram').closest('article')!;
    expect(within(art).getByText('Not sent')).toBeTruthy();
    expect(art.textContent).toContain('The server cannot be reached.');
    await act(async () => { fireEvent.click(within(art).getByRole('button', { name: 'Retry' })); });
    expect(api.callsOf('message:retry')).toEqual([{ conversationId: 'c1', messageId: 'f' }]);
  });

  it('downloads attachments through file:download', async () => {
    const { api, log } = await openWith([message({ id: 'att', text: '', attachments: [{ id: 'f1', name: 'Protokoll åäö.pdf', mime: 'application/pdf', size: 2048 }] })]);
    api.on('file:download', () => ({ name: '../Protokoll åäö.pdf', mime: 'application/pdf', dataBase64: btoa('%PDF') }));
    expect(within(log).getByText('Protokoll åäö.pdf')).toBeTruthy();
    expect(within(log).getByText('2 kB')).toBeTruthy();
    await act(async () => { fireEvent.click(within(log).getByRole('button', { name: 'Download Protokoll åäö.pdf' })); });
    expect(api.callsOf('file:download')).toEqual([{ conversationId: 'c1', messageId: 'att', attachmentId: 'f1' }]);
  });

  it('highlights mentions of me', async () => {
    const { log } = await openWith([message({ text: '@anna titta här', mentionsMe: true })]);
    const art = within(log).getByText('@anna titta här').closest('article')!;
    expect(art.className).toContain('mention');
    expect(within(art).getByText(/Mentions you/)).toBeTruthy();
  });
});

describe('Composer', () => {
  it('Enter sends, Shift+Enter does not; the sent message appears with its status', async () => {
    const { api } = await openWith([message()]);
    api.on('message:send', (i) => message({ id: 'new', own: true, text: i.text, status: 'pending', ts: 1_700_000_100_000 }));
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'Rad ett' } });
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(api.callsOf('message:send')).toEqual([]);
    fireEvent.change(box, { target: { value: 'Rad ett\nRad två åäö' } });
    await act(async () => { fireEvent.keyDown(box, { key: 'Enter' }); });
    expect(api.callsOf('message:send')).toEqual([{ conversationId: 'c1', text: 'Rad ett\nRad två åäö' }]);
    expect(box.value).toBe('');
    const log = screen.getByRole('list', { name: 'Messages' });
    const art = within(log).getByText(/Rad två åäö/).closest('article')!;
    expect(within(art).getByText('Sending…')).toBeTruthy();
    await act(async () => { api.push([{ type: 'messages', conversationId: 'c1', messages: [message({ id: 'new', own: true, text: 'Rad ett\nRad två åäö', status: 'sent', ts: 1_700_000_100_000 })] }]); });
    expect(within(within(log).getByText(/Rad två åäö/).closest('article')!).getByText('Sent')).toBeTruthy();
    // typing notifications: on while typing, off on send
    expect(api.callsOf('typing:set')).toEqual([{ conversationId: 'c1', typing: true }, { conversationId: 'c1', typing: false }]);
  });

  it('sends replies with replyTo and Escape cancels the reply', async () => {
    const { api, log } = await openWith([message({ id: 'q', text: 'Fråga?' })]);
    fireEvent.click(within(log).getByRole('button', { name: 'Message actions' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Reply' }));
    expect(screen.getByText(/Replying to/)).toBeTruthy();
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(screen.queryByText(/Replying to/)).toBeNull();
    fireEvent.click(within(log).getByRole('button', { name: 'Message actions' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Reply' }));
    fireEvent.change(box, { target: { value: 'Svar' } });
    await act(async () => { fireEvent.keyDown(box, { key: 'Enter' }); });
    expect(api.callsOf('message:send')).toEqual([{ conversationId: 'c1', text: 'Svar', replyTo: 'q' }]);
  });

  it('Up arrow edits the last own message', async () => {
    const { api } = await openWith([message({ id: 'mine', own: true, text: 'stavfel', status: 'sent' })]);
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    expect(screen.getByText('Editing your message')).toBeTruthy();
    expect(box.value).toBe('stavfel');
    fireEvent.change(box, { target: { value: 'stavning' } });
    await act(async () => { fireEvent.keyDown(box, { key: 'Enter' }); });
    expect(api.callsOf('message:edit')).toEqual([{ conversationId: 'c1', messageId: 'mine', text: 'stavning' }]);
  });

  it('stays usable while the account is offline and says messages will be sent later', async () => {
    await openWith([message()], FULL_CAPS, 'reconnecting');
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    expect(box.disabled).toBe(false);
    expect(screen.getByText('The account is not connected. Messages will be sent when it is connected again.')).toBeTruthy();
  });

  it('refuses files over the account limit with a translated error', async () => {
    const { api } = await openWith([message()], { ...FULL_CAPS, maxUploadBytes: 10 });
    const input = document.querySelector('input[type="file"]') as HTMLInputElement;
    const file = new File(['more than ten bytes'], 'stor.txt', { type: 'text/plain' });
    await act(async () => { fireEvent.change(input, { target: { files: [file] } }); });
    expect(screen.getByRole('alert').textContent).toBe('stor.txt is too large. The limit is 10 B.');
    expect(api.callsOf('file:upload')).toEqual([]);
  });
});
