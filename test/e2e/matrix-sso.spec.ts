// Matrix sign-in through SSO from the real UI: a Synapse whose only identity provider is an OpenID
// Connect provider (oidc-provider) on loopback; the app (web mode) opens Synapse's SSO URL in a new
// tab; the user signs in at the identity provider there (dev login + consent), confirms Synapse's
// "Continue to your account" page, and the app tab shows the Matrix account connected. No password
// is typed into the app.
import { test, expect } from '@playwright/test';
import { freePort, startSynapse, type SynapseServer } from '../servers/synapse/synapse';
import { startOidcProvider, synapseOidcConfig, type OidcProviderServer } from '../servers/oidc/oidc';
import { ensureSynapseOidcDeps } from '../servers/oidc/synapse-oidc-deps';
import { startWebApp, type WebApp } from '../helpers/web-app';
import { fillAccountForm, openInEnglish } from './ui';

let idp: OidcProviderServer;
let synapse: SynapseServer;
let app: WebApp;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  ensureSynapseOidcDeps();
  const port = await freePort();
  idp = await startOidcProvider({
    redirectUris: [`http://127.0.0.1:${port}/_synapse/client/oidc/callback`],
    users: { dora: { preferredUsername: 'dora', name: 'Dora Dahlström', email: 'dora@agency.example' } },
  });
  synapse = await startSynapse({ port, extraConfig: synapseOidcConfig(idp) });
  app = await startWebApp();
});

test.afterAll(async () => {
  await app?.stop();
  await synapse?.dispose();
  await idp?.stop();
});

test('signs in to Matrix through the organisation’s SSO in a browser tab, no password in the app', async ({ page }) => {
  // Everything here is loopback; refuse anything else (e.g. the IdP page's web font import).
  await page.context().route(/^(?!https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\])[:/])/, (route) => route.abort());

  await openInEnglish(page, app.url);
  // No password: the identity provider checks who the user is, in the browser.
  const dialog = await fillAccountForm(page, { protocol: 'matrix', address: '@dora:localhost', serviceUrl: synapse.baseUrl });

  const tabOpened = page.context().waitForEvent('page');
  await dialog.getByRole('button', { name: 'Sign in with your organisation (SSO)' }).click();
  const tab = await tabOpened;
  await expect(dialog.getByRole('status')).toContainText('Continue in your browser…');

  // In the browser tab: the identity provider's (development) login and consent pages.
  await tab.getByRole('textbox', { name: 'Enter any login' }).fill('dora');
  await tab.getByPlaceholder('and password').fill('any password: not checked by the dev login');
  await tab.getByRole('button', { name: 'Sign-in' }).click();
  await tab.getByRole('button', { name: 'Continue' }).click();
  // Synapse asks to confirm the (loopback) redirect back to the app.
  await tab.getByRole('link', { name: 'Continue' }).click();
  await expect(tab.getByText('You can close this tab and return to Samverka')).toBeVisible();

  // Back in the app: the dialog closed by itself and the account is connected.
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('listitem', { name: /@dora:localhost/ })).toContainText('Connected');
  expect(idp.codesIssued).toBeGreaterThan(0);
  await tab.close();
});
