// Mattermost single sign-on through the core, the way the desktop app does it: the core listens on
// 127.0.0.1, the server's mobile SSO flow redirects there with MMAUTHTOKEN once its admin allowed
// that address (NativeAppSettings.AppCustomURLSchemes), and the account is created from it. A
// server that did not allow it refuses the flow at its first step, and the sign-in times out.
import { afterEach, describe, expect, it } from 'vitest';
import { createMattermostAdapter } from '../../protocols/mattermost';
import { startMattermost } from '../servers/mattermost';
import { cleanupDirs, openCore, tempDir, waitFor } from '../unit/core/harness';

afterEach(cleanupDirs);

describe('Mattermost SSO through the core', () => {
  it('the IdP sign-in comes back to the core on loopback and adds the account named username@server', async () => {
    const srv = await startMattermost({ appCustomUrlSchemes: ['mmauth://', 'http://127.0.0.1:'] });
    const h = openCore(tempDir(), { mattermost: createMattermostAdapter });
    try {
      const u = srv.createUser({ username: 'karin', password: 'idp-pw', authService: 'gitlab' });
      srv.createTeam('agency', 'Agency', [u.id]);
      const start = await h.call('accounts:startSso', { protocol: 'mattermost', serviceUrl: srv.baseUrl, allowPlaintext: true });
      expect(start.returnVia).toBe('loopback');
      // The system browser: mobile_login → IdP form → the server's completion page, whose link
      // (followed by its script in a real browser) goes to the core's loopback listener.
      const idp = new URL((await fetch(start.url, { redirect: 'manual' })).headers.get('location')!);
      const form = new URLSearchParams({ state: idp.searchParams.get('state')!, redirect_uri: idp.searchParams.get('redirect_uri')!, username: 'karin', password: 'idp-pw' });
      const back = await fetch(new URL('/_fake_idp/authorize', srv.baseUrl), { method: 'POST', body: form, redirect: 'manual' });
      const page = await (await fetch(back.headers.get('location')!, { redirect: 'manual' })).text();
      const loopback = /<a id="redirect" href="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      expect(loopback.startsWith('http://127.0.0.1:')).toBe(true);
      await fetch(loopback);
      await waitFor(async () => (await h.call('accounts:ssoStatus', { ssoId: start.ssoId })).state === 'done', 'sign-in done', 10_000);
      const { account } = await h.call('accounts:ssoStatus', { ssoId: start.ssoId });
      expect(account).toMatchObject({ protocol: 'mattermost', state: 'connected', label: `karin@${new URL(srv.baseUrl).host}` });
    } finally {
      await h.core.close();
      await srv.stop();
    }
  });

  it('a server that does not allow the app\'s address shows its error page and nothing is added', async () => {
    const srv = await startMattermost();
    const h = openCore(tempDir(), { mattermost: createMattermostAdapter });
    try {
      const start = await h.call('accounts:startSso', { protocol: 'mattermost', serviceUrl: srv.baseUrl, allowPlaintext: true });
      const res = await fetch(start.url, { redirect: 'manual' });
      expect(new URL(res.headers.get('location')!).searchParams.get('message')).toBe('Invalid custom URL scheme has been passed');
      await h.call('accounts:cancelSso', { ssoId: start.ssoId });
      await waitFor(async () => (await h.call('accounts:ssoStatus', { ssoId: start.ssoId })).state === 'failed');
      expect((await h.call('app:snapshot', {})).accounts).toEqual([]);
    } finally {
      await h.core.close();
      await srv.stop();
    }
  });
});
