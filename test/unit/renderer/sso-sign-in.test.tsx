// @vitest-environment happy-dom
// The "Sign in with your organisation (SSO)" flow of the Add account dialog against the fake API:
// accounts:startSso → the URL opens in a new browser tab → "Continue in your browser…" → the core's
// `sso` patch closes the dialog (done) or shows a translated error (failed); Cancel stops it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import type { SsoStatus } from '../../../common/api';
import { createChatStore } from '../../../renderer/state/store';
import { account, fakeApi, flush, renderApp } from './fixtures';
import type { FakeApi } from './fixtures';

const URL_ = 'http://127.0.0.1:8008/_matrix/client/v3/login/sso/redirect?redirectUrl=http%3A%2F%2F127.0.0.1%3A5555%2Fsso%2Fabc';
let openSpy: ReturnType<typeof vi.fn>;

beforeEach(() => {
  openSpy = vi.fn(() => null);
  vi.stubGlobal('open', openSpy);
  window.open = openSpy as unknown as typeof window.open;
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function openMatrixDialog(lang: 'en' | 'sv' = 'en'): Promise<{ api: FakeApi; store: ReturnType<typeof createChatStore> }> {
  const api = fakeApi({ locale: lang });
  api.on('accounts:startSso', () => ({ ssoId: 'sso-1', url: URL_, expiresAt: Date.now() + 300_000, returnVia: 'loopback' }));
  api.on('accounts:ssoStatus', () => ({ ssoId: 'sso-1', state: 'waiting' }));
  const store = createChatStore({ view: { locale: lang } });
  await renderApp(api, store);
  fireEvent.click(screen.getByRole('button', { name: lang === 'en' ? 'Add account' : 'Lägg till konto' }));
  fireEvent.change(screen.getByLabelText(lang === 'en' ? /^Chat system/ : /^Chattsystem/), { target: { value: 'matrix' } });
  return { api, store };
}

async function clickSso(name: string | RegExp = 'Sign in with your organisation (SSO)'): Promise<void> {
  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name }));
  });
  await flush();
}

const push = async (api: FakeApi, status: SsoStatus): Promise<void> => {
  await act(async () => {
    api.push([{ type: 'sso', status }]);
  });
  await flush();
};

describe('Add account: SSO sign-in', () => {
  it('Rocket.Chat: asks for the final page address, shows why a wrong one is refused, and sends the right one', async () => {
    const api = fakeApi({ protocols: ['xmpp', 'matrix', 'mattermost', 'rocketchat'] });
    api.on('accounts:startSso', () => ({ ssoId: 'sso-rc', url: 'https://chat.kommun.se/idp/authorize?x=1', expiresAt: Date.now() + 300_000, returnVia: 'final-page' }));
    api.on('accounts:ssoStatus', () => ({ ssoId: 'sso-rc', state: 'waiting' }));
    api.fail('accounts:ssoRedirect', { kind: 'invalid_input', message: 'That is not the sign-in page of this server', fatal: false });
    await renderApp(api);
    fireEvent.click(screen.getByRole('button', { name: 'Add account' }));
    fireEvent.change(screen.getByLabelText(/^Chat system/), { target: { value: 'rocketchat' } });
    fireEvent.change(screen.getByRole('textbox', { name: /^Address/ }), { target: { value: 'chat.kommun.se' } });
    await clickSso();
    expect(api.callsOf('accounts:startSso')).toEqual([{ protocol: 'rocketchat', address: 'chat.kommun.se' }]);
    expect(openSpy).toHaveBeenCalledWith('https://chat.kommun.se/idp/authorize?x=1', '_blank', 'noopener,noreferrer');
    expect(screen.getByText(/copy the address of that page/u)).toBeTruthy();
    const field = screen.getByLabelText('Address of the page after signing in');
    fireEvent.change(field, { target: { value: 'https://evil.example/' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Finish sign-in' })));
    await flush();
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('alert').textContent).toBeTruthy();
    api.on('accounts:ssoRedirect', () => null);
    const good = 'https://chat.kommun.se/_oauth/idp?code=1#%7B%22credentialToken%22%3A%22a%22%7D';
    fireEvent.change(field, { target: { value: good } });
    await act(async () => fireEvent.keyDown(field, { key: 'Enter' }));
    await flush();
    expect(api.callsOf('accounts:ssoRedirect').at(-1)).toEqual({ ssoId: 'sso-rc', url: good });
    await push(api, { ssoId: 'sso-rc', state: 'done', account: account({ id: 'rc1', protocol: 'rocketchat', label: 'pia@chat.kommun.se' }) });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('is offered for every protocol but XMPP, in both languages', async () => {
    const api = fakeApi({ locale: 'sv' });
    await renderApp(api, createChatStore({ view: { locale: 'sv' } }));
    fireEvent.click(screen.getByRole('button', { name: 'Lägg till konto' }));
    expect(screen.queryByRole('button', { name: 'Logga in via din organisation (SSO)' })).toBeNull();
    fireEvent.change(screen.getByLabelText(/^Chattsystem/), { target: { value: 'matrix' } });
    expect(screen.getByRole('button', { name: 'Logga in via din organisation (SSO)' })).toBeTruthy();
  });

  it('starts the sign-in, opens the URL in the browser, waits, and closes with the new account', async () => {
    const { api, store } = await openMatrixDialog();
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: 'myndighet.se' } });
    await clickSso();
    expect(api.callsOf('accounts:startSso')).toEqual([{ protocol: 'matrix', address: 'myndighet.se' }]);
    expect(openSpy).toHaveBeenCalledWith(URL_, '_blank', 'noopener,noreferrer');
    expect(screen.getByText('Continue in your browser…')).toBeTruthy();
    expect((screen.getByRole('link', { name: 'Open the sign-in page again' }) as HTMLAnchorElement).href).toBe(URL_);
    expect((screen.getByRole('button', { name: 'Connect' }) as HTMLButtonElement).disabled).toBe(true);
    // Nothing was sent that looks like a password.
    expect(JSON.stringify(api.calls)).not.toMatch(/password/);

    const acc = account({ id: 'matrix-1', protocol: 'matrix', label: '@anna:myndighet.se', server: 'myndighet.se' });
    await push(api, { ssoId: 'other', state: 'done', account: account({ id: 'x' }) }); // not ours: ignored
    expect(screen.getByRole('dialog')).toBeTruthy();
    await push(api, { ssoId: 'sso-1', state: 'completing' });
    expect(screen.getByText('Signed in, connecting…')).toBeTruthy();
    await push(api, { ssoId: 'sso-1', state: 'done', account: acc });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(store.getState().domain.accounts['matrix-1']?.label).toBe('@anna:myndighet.se');
  });

  it('Cancel stops the sign-in in the core and returns to the form', async () => {
    const { api } = await openMatrixDialog();
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: '@anna:myndighet.se' } });
    await clickSso();
    await act(async () => {
      fireEvent.click(screen.getAllByRole('button', { name: 'Cancel' }).find((b) => b.closest('.sso'))!);
    });
    await flush();
    expect(api.callsOf('accounts:cancelSso')).toEqual([{ ssoId: 'sso-1' }]);
    expect(screen.getByRole('button', { name: 'Sign in with your organisation (SSO)' })).toBeTruthy();
  });

  it.each([
    ['timeout', 'The sign-in took too long. Try again.', 'en'],
    ['refused', 'The server did not accept the sign-in. Try again.', 'en'],
    ['denied', 'Inloggningen slutfördes inte i webbläsaren. Försök igen.', 'sv'],
  ] as const)('shows a translated error when the sign-in fails (%s)', async (failure, text, lang) => {
    const { api } = await openMatrixDialog(lang);
    fireEvent.change(screen.getByLabelText(lang === 'en' ? /^Address/ : /^Adress/), { target: { value: 'myndighet.se' } });
    await clickSso(lang === 'en' ? 'Sign in with your organisation (SSO)' : 'Logga in via din organisation (SSO)');
    await push(api, { ssoId: 'sso-1', state: 'failed', failure, error: { kind: failure === 'timeout' ? 'timeout' : 'auth', message: 'x', fatal: false } });
    expect(screen.getByRole('alert').textContent).toBe(text);
    expect(screen.getByRole('dialog')).toBeTruthy();
  });

  it('shows the core error when the sign-in cannot start, and asks for the server first', async () => {
    const { api } = await openMatrixDialog();
    await clickSso();
    expect(screen.getByRole('alert').textContent).toBe('Enter your Matrix ID or the server name first.');
    expect(api.callsOf('accounts:startSso')).toEqual([]);
    api.fail('accounts:startSso', { kind: 'unsupported', message: 'no sso', fatal: false });
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: 'myndighet.se' } });
    await clickSso();
    expect(screen.getByRole('alert').textContent).toBe('The server does not support this.');
    expect(openSpy).not.toHaveBeenCalled();
  });

  it('closing the dialog while waiting cancels the sign-in', async () => {
    const { api } = await openMatrixDialog();
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: 'myndighet.se' } });
    await clickSso();
    await act(async () => {
      fireEvent.click(screen.getAllByRole('button', { name: 'Cancel' }).find((btn) => !btn.closest('.sso'))!);
    });
    await flush();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(api.callsOf('accounts:cancelSso')).toEqual([{ ssoId: 'sso-1' }]);
  });
});
