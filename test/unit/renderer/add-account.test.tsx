// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { createChatStore } from '../../../renderer/state/store';
import { account, fakeApi, flush, renderApp } from './fixtures';

afterEach(cleanup);

async function openDialogAndSubmit(lang: 'en' | 'sv') {
  const api = fakeApi({ locale: lang });
  api.fail('accounts:add', { kind: 'auth', message: 'not-authorized', fatal: true });
  await renderApp(api, createChatStore({ view: { locale: lang } }));
  const addLabel = lang === 'en' ? 'Add account' : 'Lägg till konto';
  fireEvent.click(screen.getByRole('button', { name: addLabel }));
  const dialog = screen.getByRole('dialog', { name: addLabel });
  const address = screen.getByLabelText(lang === 'en' ? /^Address/ : /^Adress/) as HTMLInputElement;
  const password = screen.getByLabelText(lang === 'en' ? 'Password' : 'Lösenord') as HTMLInputElement;
  fireEvent.change(address, { target: { value: 'åsa@myndighet.se' } });
  fireEvent.change(password, { target: { value: 'hemligt' } });
  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name: lang === 'en' ? 'Connect' : 'Anslut' }));
  });
  await flush();
  return { api, dialog, address, password };
}

describe('Add account dialog', () => {
  it('shows the translated auth error next to the form and keeps the input', async () => {
    const { api, dialog, address, password } = await openDialogAndSubmit('en');
    expect(api.callsOf('accounts:add')).toEqual([{ protocol: 'xmpp', address: 'åsa@myndighet.se', password: 'hemligt' }]);
    expect(screen.getByRole('alert').textContent).toBe('Wrong username or password.');
    expect(dialog.isConnected).toBe(true);
    expect(address.value).toBe('åsa@myndighet.se');
    expect(password.value).toBe('hemligt');
    expect(address.getAttribute('aria-invalid')).toBe('true');
  });

  it('asks for the one-time code when the server wants one, then sends it with the password', async () => {
    const api = fakeApi({ locale: 'sv', protocols: ['xmpp', 'matrix', 'mattermost', 'rocketchat'] });
    api.fail('accounts:add', { kind: 'second_factor', message: 'mfa required', fatal: true });
    await renderApp(api, createChatStore({ view: { locale: 'sv' } }));
    fireEvent.click(screen.getByRole('button', { name: 'Lägg till konto' }));
    fireEvent.change(screen.getByLabelText(/^Chattsystem/u), { target: { value: 'mattermost' } });
    expect(screen.getByText('Ditt användarnamn och servern, till exempel anna@chatt.myndighet.se')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^Adress/), { target: { value: 'anna@chatt.myndighet.se' } });
    fireEvent.change(screen.getByLabelText('Lösenord'), { target: { value: 'hemligt' } });
    expect(screen.queryByLabelText(/^Engångskod/u)).toBeNull();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Anslut' })));
    await flush();
    expect(screen.getByRole('alert').textContent).toContain('engångskod');
    const code = screen.getByLabelText(/^Engångskod/u) as HTMLInputElement;
    expect(code.getAttribute('autocomplete')).toBe('one-time-code');
    api.on('accounts:add', () => account({ id: 'mm1', protocol: 'mattermost', label: 'anna@chatt.myndighet.se' }));
    fireEvent.change(code, { target: { value: '123 456' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Anslut' })));
    await flush();
    expect(api.callsOf('accounts:add').at(-1)).toEqual({ protocol: 'mattermost', address: 'anna@chatt.myndighet.se', password: 'hemligt', otp: '123456' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('signs in with a personal access token instead of a password on Mattermost and Rocket.Chat only', async () => {
    const api = fakeApi({ protocols: ['xmpp', 'matrix', 'mattermost', 'rocketchat'] });
    api.on('accounts:add', () => account({ id: 'rc1', protocol: 'rocketchat', label: 'bo@chat.agency.se' }));
    await renderApp(api);
    fireEvent.click(screen.getByRole('button', { name: 'Add account' }));
    expect(screen.queryByLabelText(/personal access token instead/u)).toBeNull();
    fireEvent.change(screen.getByLabelText(/^Chat system/u), { target: { value: 'rocketchat' } });
    fireEvent.click(screen.getByLabelText(/personal access token instead/u));
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: 'bo@chat.agency.se' } });
    fireEvent.change(screen.getByLabelText(/^Personal access token/u), { target: { value: ' tok-123 ' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Connect' })));
    await flush();
    expect(api.callsOf('accounts:add')).toEqual([{ protocol: 'rocketchat', address: 'bo@chat.agency.se', token: 'tok-123' }]);
  });

  it('shows the error in Swedish', async () => {
    await openDialogAndSubmit('sv');
    expect(screen.getByRole('alert').textContent).toBe('Fel användarnamn eller lösenord.');
  });

  it('offers the protocols the core supports; the others are shown as coming soon', async () => {
    await renderApp(fakeApi());
    fireEvent.click(screen.getByRole('button', { name: 'Add account' }));
    const options = screen.getAllByRole('option') as HTMLOptionElement[];
    const byValue = Object.fromEntries(options.map((o) => [o.value, o]));
    expect(byValue.xmpp!.disabled).toBe(false);
    expect(byValue.matrix!.disabled).toBe(false);
    expect(byValue.mattermost!.disabled).toBe(true);
    expect(byValue.rocketchat!.disabled).toBe(true);
    expect(byValue.rocketchat!.textContent).toBe('Rocket.Chat (coming soon)');
  });

  it('asks for a Matrix ID when Matrix is chosen and refuses an XMPP-style address', async () => {
    const api = fakeApi();
    await renderApp(api);
    fireEvent.click(screen.getByRole('button', { name: 'Add account' }));
    fireEvent.change(screen.getByRole('combobox', { name: /Chat system/ }), { target: { value: 'matrix' } });
    expect(screen.getByText('Your Matrix ID, for example @anna:agency.se')).toBeTruthy();
    fireEvent.change(screen.getByRole('textbox', { name: /^Address/ }), { target: { value: 'anna@agency.se' } });
    fireEvent.change(screen.getByLabelText('Password', { exact: true }), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Enter your Matrix ID as @user:server.');
    expect(api.calls.some((c) => c.cmd === 'accounts:add')).toBe(false);
  });

  it('sends advanced options, shows progress, closes on success and lists the account', async () => {
    const api = fakeApi();
    let resolve: ((v: ReturnType<typeof account>) => void) | undefined;
    api.on('accounts:add', () => new Promise((r) => { resolve = r; }));
    await renderApp(api);
    fireEvent.click(screen.getByRole('button', { name: 'Add account' }));
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: 'anna@localhost' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.change(screen.getByLabelText(/^Server address/), { target: { value: 'xmpp://127.0.0.1:15222' } });
    fireEvent.click(screen.getByLabelText('Allow unencrypted connection (only for local test servers)'));
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Connect' })); });
    expect(within(screen.getByRole('dialog')).getByRole('status').textContent).toContain('Connecting…');
    expect(api.callsOf('accounts:add')[0]).toEqual({ protocol: 'xmpp', address: 'anna@localhost', password: 'pw', serviceUrl: 'xmpp://127.0.0.1:15222', allowPlaintext: true });
    await act(async () => { resolve!(account({ label: 'anna@localhost' })); });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('listitem', { name: 'anna@localhost' })).toBeTruthy();
  });

  it('closes on Escape and gives focus back to the opener', async () => {
    await renderApp(fakeApi());
    const opener = screen.getByRole('button', { name: 'Add account' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole('dialog');
    expect(dialog.contains(document.activeElement)).toBe(true);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
