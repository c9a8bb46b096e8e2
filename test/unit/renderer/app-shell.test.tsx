// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { account, contact, conversation, fakeApi, flush, message, renderApp } from './fixtures';
import { createChatStore } from '../../../renderer/state/store';

afterEach(cleanup);

describe('App shell', () => {
  it('switching language changes visible texts to Swedish and saves the choice', async () => {
    const api = fakeApi({ accounts: [account()], conversations: [conversation()] });
    await renderApp(api);
    expect(screen.getByRole('button', { name: 'Add account' })).toBeTruthy();
    expect(screen.getByRole('listbox', { name: 'Conversations' })).toBeTruthy();
    await act(async () => { fireEvent.change(screen.getByLabelText('Language (Språk)'), { target: { value: 'sv' } }); });
    expect(api.callsOf('settings:setLocale')).toEqual([{ locale: 'sv' }]);
    expect(screen.getByRole('button', { name: 'Lägg till konto' })).toBeTruthy();
    expect(screen.getByRole('listbox', { name: 'Konversationer' })).toBeTruthy();
    expect(screen.getByText('Ansluten')).toBeTruthy();
    expect(screen.getByLabelText('Språk (Language)')).toBeTruthy();
    expect(screen.queryByText('Add account')).toBeNull();
    expect(document.documentElement.lang).toBe('sv');
  });

  it('takes the start language from the snapshot', async () => {
    await renderApp(fakeApi({ locale: 'sv' }), createChatStore({ view: { locale: 'en' } }));
    expect(screen.getByRole('button', { name: 'Lägg till konto' })).toBeTruthy();
  });

  it('shows account states in text with the fixing action', async () => {
    const api = fakeApi({
      accounts: [
        account({ id: 'a', label: 'a@x.se', state: 'needs-attention', error: { kind: 'auth', message: 'nope', fatal: true } }),
        account({ id: 'b', label: 'b@x.se', state: 'reconnecting', nextRetryAt: Date.now() + 30_000 }),
      ],
    });
    await renderApp(api);
    const a = screen.getByRole('listitem', { name: 'a@x.se' });
    expect(a.textContent).toContain('Needs attention');
    expect(a.textContent).toContain('Wrong username or password.');
    await act(async () => { fireEvent.click(within(a).getByRole('button', { name: 'Try again' })); });
    expect(api.callsOf('accounts:reconnect')).toEqual([{ accountId: 'a' }]);
    fireEvent.click(within(a).getByRole('button', { name: 'Update password' }));
    expect(screen.getByRole('dialog', { name: 'Update password for a@x.se' })).toBeTruthy();
    const b = screen.getByRole('listitem', { name: 'b@x.se' });
    expect(b.textContent).toMatch(/Reconnecting, next try in (29|30) s/);
  });

  it('removes an account after confirmation', async () => {
    const api = fakeApi({ accounts: [account({ label: 'anna@agency.se' })] });
    await renderApp(api);
    fireEvent.click(screen.getByRole('button', { name: 'Remove anna@agency.se' }));
    const dlg = screen.getByRole('alertdialog', { name: 'Remove account?' });
    await act(async () => { fireEvent.click(within(dlg).getByRole('button', { name: 'Remove' })); });
    await flush();
    expect(api.callsOf('accounts:remove')).toEqual([{ accountId: 'acc1' }]);
    expect(screen.queryByRole('listitem', { name: 'anna@agency.se' })).toBeNull();
  });

  it('sets presence for all accounts', async () => {
    const api = fakeApi({ accounts: [account()] });
    await renderApp(api);
    await act(async () => { fireEvent.change(screen.getByLabelText('My status'), { target: { value: 'dnd' } }); });
    expect(api.callsOf('presence:set')).toEqual([{ state: 'dnd', statusText: '' }]);
  });

  it('shows notices as translated toasts in a polite live region', async () => {
    const api = fakeApi();
    await renderApp(api);
    await act(async () => { api.push([{ type: 'notice', level: 'info', code: 'subscription-request', params: { from: 'Örjan' } }]); });
    const region = screen.getByRole('region', { name: 'Notifications' });
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(region.textContent).toContain('Örjan wants to add you as a contact.');
    fireEvent.click(within(region).getByRole('button', { name: 'Dismiss' }));
    expect(region.textContent).not.toContain('Örjan');
  });

  it('contacts: presence as text, accept requests and start a chat', async () => {
    const api = fakeApi({
      accounts: [account()],
      contacts: [contact({ presence: 'away', statusText: 'Lunch' }), contact({ id: 'req', address: 'ny@x.se', name: 'Ny Person', subscription: 'pending-in' })],
    });
    api.on('conversation:start', () => conversation({ id: 'c9', title: 'Bo Berg' }));
    await renderApp(api);
    fireEvent.click(screen.getByRole('tab', { name: 'Contacts' }));
    const panel = screen.getByRole('region', { name: 'Contacts' });
    expect(within(panel).getByText('Away')).toBeTruthy();
    expect(within(panel).getByText('Lunch')).toBeTruthy();
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Accept Ny Person' })); });
    expect(api.callsOf('contacts:respond')).toEqual([{ accountId: 'acc1', address: 'ny@x.se', accept: true }]);
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Chat with Bo Berg' })); });
    await flush();
    expect(api.callsOf('conversation:start')).toEqual([{ accountId: 'acc1', address: 'bo@agency.se' }]);
    expect(screen.getByRole('main', { name: 'Conversation with Bo Berg' })).toBeTruthy();
  });

  it('search lists hits and opens the conversation', async () => {
    const api = fakeApi({ accounts: [account()], conversations: [conversation()], messages: { c1: [message({ text: 'Åsa har mötet' })] } });
    api.on('search:messages', () => [{ messageId: 'm1', conversationId: 'c1', accountId: 'acc1', conversationTitle: 'Bo Berg', senderName: 'Bo', ts: 1_700_000_000_000, snippet: 'Åsa har mötet', matches: [[0, 3]] }]);
    await renderApp(api);
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search messages' }), { target: { value: 'åsa' } });
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Search' })); });
    expect(api.callsOf('search:messages')).toEqual([{ query: 'åsa' }]);
    const results = screen.getByRole('region', { name: 'Search results' });
    expect(within(results).getByText('Åsa').tagName).toBe('MARK');
    await act(async () => { fireEvent.click(within(results).getByRole('button', { name: /Åsa har mötet/ })); });
    await flush();
    expect(screen.getByRole('main', { name: 'Conversation with Bo Berg' })).toBeTruthy();
  });

  it('creates a private group and explains invite-only', async () => {
    const api = fakeApi({ accounts: [account()] });
    api.on('room:create', (i) => conversation({ id: 'g1', kind: 'group', title: i.name, presence: null, isPrivate: true }));
    await renderApp(api);
    fireEvent.click(screen.getByRole('button', { name: 'New group chat' }));
    const dlg = screen.getByRole('dialog', { name: 'New group chat' });
    expect(dlg.textContent).toContain('invite-only');
    fireEvent.change(within(dlg).getByLabelText('Group name'), { target: { value: 'Styrgruppen' } });
    fireEvent.change(within(dlg).getByLabelText(/^Members/), { target: { value: 'bo@x.se\nåsa@x.se' } });
    await act(async () => { fireEvent.click(within(dlg).getByRole('button', { name: 'Create group' })); });
    await flush();
    expect(api.callsOf('room:create')).toEqual([{ accountId: 'acc1', name: 'Styrgruppen', members: ['bo@x.se', 'åsa@x.se'] }]);
    expect(screen.getByRole('main', { name: 'Conversation with Styrgruppen' })).toBeTruthy();
  });
});
