// Rocket.Chat single sign-on through the core: the server ends on a page of its own, so the app
// hands the core that page's address (accounts:ssoRedirect). Only an address on the server's
// /_oauth/ page with a result in it is accepted; the account is created from it exactly once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRocketChatAdapter } from '../../protocols/rocketchat';
import { startRocketChat } from '../servers/rocketchat/server';
import type { RocketChatServer } from '../servers/rocketchat/server';
import { cleanupDirs, openCore, tempDir, waitFor } from '../unit/core/harness';

let srv: RocketChatServer;
beforeAll(async () => {
  srv = await startRocketChat();
});
afterAll(async () => {
  await srv.dispose();
});
afterEach(cleanupDirs);

/** The browser part with plain HTTP: the IdP's form, then the server's final page; its address with the hash its script sets. */
async function signInAtIdp(loginUrl: string, username: string, password: string): Promise<string> {
  const html = await (await fetch(loginUrl)).text();
  const field = (name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))) ?? '';
  const submit = await fetch(`${srv.baseUrl}/idp/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ redirect_uri: field('redirect_uri'), state: field('state'), username, password }).toString(),
    redirect: 'manual',
  });
  const finalUrl = submit.headers.get('location')!;
  const config = /<div id="config" style="display:none;">([^<]*)<\/div>/.exec(await (await fetch(finalUrl)).text())?.[1]?.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)));
  const parsed = JSON.parse(config!) as { credentialToken: string; credentialSecret: string };
  return `${finalUrl}#${encodeURIComponent(JSON.stringify({ credentialToken: parsed.credentialToken, credentialSecret: parsed.credentialSecret }))}`;
}

describe('Rocket.Chat SSO through the core', () => {
  it('adds the account from the final page address; refuses other addresses; no password in the app', async () => {
    const u = srv.createUser('ssouser', { password: 'idp-only-pw', name: 'SSO User' });
    const h = openCore(tempDir(), { rocketchat: createRocketChatAdapter });
    const start = await h.call('accounts:startSso', { protocol: 'rocketchat', serviceUrl: srv.baseUrl, allowPlaintext: true, providerId: 'samverka-idp' });
    expect(start.returnVia).toBe('final-page');
    const finalUrl = await signInAtIdp(start.url, u.username, 'idp-only-pw');

    // Wrong pastes are refused with a clear error and the sign-in keeps waiting.
    expect(await h.fail('accounts:ssoRedirect', { ssoId: start.ssoId, url: 'https://evil.example/_oauth/x#{"credentialToken":"a","credentialSecret":"b"}' })).toMatchObject({ kind: 'invalid_input' });
    expect(await h.fail('accounts:ssoRedirect', { ssoId: start.ssoId, url: finalUrl.split('#')[0]! })).toMatchObject({ kind: 'invalid_input' });
    expect(await h.fail('accounts:ssoRedirect', { ssoId: start.ssoId, url: 'not a url' })).toMatchObject({ kind: 'invalid_input' });
    expect((await h.call('accounts:ssoStatus', { ssoId: start.ssoId })).state).toBe('waiting');

    await h.call('accounts:ssoRedirect', { ssoId: start.ssoId, url: finalUrl });
    await waitFor(async () => (await h.call('accounts:ssoStatus', { ssoId: start.ssoId })).state === 'done', 'sign-in done', 10_000);
    const status = await h.call('accounts:ssoStatus', { ssoId: start.ssoId });
    expect(status.account).toMatchObject({ protocol: 'rocketchat', state: 'connected' });
    expect(status.account!.label).toContain('ssouser');
    // Once finished, the same address cannot be used again.
    expect(await h.fail('accounts:ssoRedirect', { ssoId: start.ssoId, url: finalUrl })).toMatchObject({ kind: 'conflict' });
    await h.core.close();
  });

  it('cancelling a sign-in that waits for the final page ends it as cancelled', async () => {
    const h = openCore(tempDir(), { rocketchat: createRocketChatAdapter });
    const start = await h.call('accounts:startSso', { protocol: 'rocketchat', serviceUrl: srv.baseUrl, allowPlaintext: true });
    await h.call('accounts:cancelSso', { ssoId: start.ssoId });
    expect(await h.call('accounts:ssoStatus', { ssoId: start.ssoId })).toMatchObject({ state: 'failed', failure: 'cancelled' });
    await h.core.close();
  });
});
