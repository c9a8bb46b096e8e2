// Mattermost sign-in against the test server: password (+MFA), personal access token, session
// restore, SSO through the fake identity provider with plain HTTP requests, logout.
import { describe, expect, it } from 'vitest';
import { startMattermost } from '../servers/mattermost';
import { addUser, quiet, useMattermostServer } from '../servers/mattermost/harness';
import { createMattermostAdapter } from '../../protocols/mattermost';
import type { ProtocolAdapter } from '../../protocols/contract';
import { AppError } from '../../common/errors';
import { record } from '../helpers/recorder';
import { rejection } from '../helpers/rejection';

const mm = useMattermostServer({ ssoServices: ['gitlab', 'openid'], appCustomUrlSchemes: ['mmauth://', 'samverka://'] });

function adapterFor(address: string, serviceUrl = mm.srv.baseUrl, allowPlaintext = true): ProtocolAdapter {
  return mm.track(createMattermostAdapter({ address, serviceUrl, allowPlaintext }, { log: quiet, now: () => Date.now() }));
}

describe('mattermost sign-in', () => {
  it('password login returns a session token instead of the password, and the token restores the session', async () => {
    const u = addUser(mm.srv, 'pw', { firstName: 'Pia', lastName: 'Wall' });
    const a = adapterFor(u.address);
    const res = await a.connect({ credentials: u.credentials, syncState: {} });
    expect(res.selfId).toBe(u.id);
    expect(res.selfName).toBe('Pia Wall');
    expect(res.renewedCredentials?.kind).toBe('token');
    const token = res.renewedCredentials?.kind === 'token' ? res.renewedCredentials.token : '';
    expect(token).not.toContain(u.password);
    await a.disconnect();
    const b = adapterFor(u.address);
    const rec = record(b);
    const again = await b.connect({ credentials: { kind: 'token', token }, syncState: {} });
    expect(again.selfId).toBe(u.id);
    expect(again.renewedCredentials).toBeUndefined();
    await rec.waitFor((e) => e.type === 'connection' && e.state === 'connected');
  });

  it('a wrong password is an auth error and leaves the account disconnected', async () => {
    const u = addUser(mm.srv, 'wrong');
    const a = adapterFor(u.address);
    const rec = record(a);
    const err = await rejection(a.connect({ credentials: { kind: 'password', password: 'nope' }, syncState: {} }));
    expect(err.kind).toBe('auth');
    expect(err.fatal).toBe(true);
    const last = rec.events.filter((e) => e.type === 'connection').pop();
    expect(last?.type === 'connection' && last.state).toBe('disconnected');
    expect(last?.type === 'connection' && last.error?.kind).toBe('auth');
  });

  it('an MFA account asks for the code, rejects a wrong one and signs in with the right one', async () => {
    const u = addUser(mm.srv, 'mfa', { mfaCode: '424242' });
    const a = adapterFor(u.address);
    expect((await rejection(a.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} }))).kind).toBe('second_factor');
    expect((await rejection(a.connect({ credentials: { kind: 'password', password: u.password, otp: '000000' }, syncState: {} }))).kind).toBe('second_factor');
    const ok = await a.connect({ credentials: { kind: 'password', password: u.password, otp: ' 424242 ' }, syncState: {} });
    expect(ok.selfId).toBe(u.id);
  });

  it('a personal access token signs in; a token of another user is refused', async () => {
    const u = addUser(mm.srv, 'pat');
    const other = addUser(mm.srv, 'patother');
    const pat = mm.srv.createPat(u.id);
    const a = adapterFor(u.address);
    expect((await a.connect({ credentials: { kind: 'token', token: pat }, syncState: {} })).selfId).toBe(u.id);
    const b = adapterFor(other.address);
    expect((await rejection(b.connect({ credentials: { kind: 'token', token: pat }, syncState: {} }))).kind).toBe('auth');
    const c = adapterFor(u.address);
    expect((await rejection(c.connect({ credentials: { kind: 'token', token: 'notavalidtokenatall0000000' }, syncState: {} }))).kind).toBe('auth');
  });

  it('logout ends the server session: the token no longer works', async () => {
    const u = addUser(mm.srv, 'logout');
    const a = adapterFor(u.address);
    const res = await a.connect({ credentials: u.credentials, syncState: {} });
    const token = res.renewedCredentials?.kind === 'token' ? res.renewedCredentials.token : '';
    await a.logout();
    expect(mm.srv.requests).toContain('POST /api/v4/users/logout');
    const b = adapterFor(u.address);
    expect((await rejection(b.connect({ credentials: { kind: 'token', token }, syncState: {} }))).kind).toBe('auth');
  });

  it('disconnect() during connect() cancels it: connect rejects, nothing is emitted afterwards', async () => {
    const u = addUser(mm.srv, 'cancel');
    const a = adapterFor(u.address);
    const rec = record(a);
    const connecting = a.connect({ credentials: u.credentials, syncState: {} });
    await a.disconnect();
    await expect(connecting).rejects.toBeInstanceOf(AppError);
    const n = rec.events.length;
    mm.srv.post(u.id, mm.srv.directChannel(u.id, u.id).id, 'nobody listens');
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.events.length).toBe(n);
    expect(rec.events.some((e) => e.type === 'connection' && e.state === 'connected')).toBe(false);
  });

  it('refuses plain http to a non-loopback server and malformed addresses', async () => {
    const a = adapterFor('anna@chat.example.se', 'http://chat.example.se', true);
    expect((await rejection(a.connect({ credentials: { kind: 'password', password: 'x' }, syncState: {} }))).kind).toBe('insecure');
    const b = adapterFor('anna@127.0.0.1', mm.srv.baseUrl, false);
    expect((await rejection(b.connect({ credentials: { kind: 'password', password: 'x' }, syncState: {} }))).kind).toBe('insecure');
    const c = adapterFor('an na@@host', mm.srv.baseUrl);
    expect((await rejection(c.connect({ credentials: { kind: 'password', password: 'x' }, syncState: {} }))).kind).toBe('invalid_input');
  });
});

describe('mattermost SSO (mobile contract)', () => {
  /** What the system browser does: follow redirects, submit the IdP form, read the final page. */
  async function browser(loginUrl: string, username: string, password: string): Promise<string> {
    const first = await fetch(loginUrl, { redirect: 'manual' });
    expect(first.status).toBe(302);
    const idp = new URL(first.headers.get('location')!);
    expect(idp.pathname).toBe('/_fake_idp/authorize');
    const form = new URLSearchParams({ state: idp.searchParams.get('state')!, redirect_uri: idp.searchParams.get('redirect_uri')!, username, password });
    const back = await fetch(new URL('/_fake_idp/authorize', mm.srv.baseUrl), { method: 'POST', body: form, redirect: 'manual' });
    expect(back.status).toBe(302);
    const done = await fetch(back.headers.get('location')!, { redirect: 'manual' });
    expect(done.status).toBe(200);
    const html = await done.text();
    const href = /<a id="redirect" href="([^"]+)"/.exec(html)?.[1];
    if (!href) throw new Error(`no redirect in ${html}`);
    return href.replace(/&amp;/g, '&');
  }

  it('lists providers, builds the mobile_login URL and connects with the MMAUTHTOKEN from the redirect', async () => {
    const u = addUser(mm.srv, 'sso', { authService: 'gitlab', firstName: 'Sven' });
    const a = adapterFor(mm.srv.host);
    const sso = a.sso!;
    expect(sso.tokenParam).toBe('MMAUTHTOKEN');
    expect((await sso.providers()).map((p) => p.id)).toEqual(['gitlab', 'openid']);
    const url = await sso.loginUrl('samverka://sso-done', 'gitlab');
    expect(url).toBe(`${mm.srv.baseUrl}/oauth/gitlab/mobile_login?redirect_to=samverka%3A%2F%2Fsso-done`);
    const redirect = new URL(await browser(url, u.username, u.password));
    expect(`${redirect.protocol}//${redirect.host}`).toBe('samverka://sso-done');
    expect(redirect.searchParams.get('srv')).toBe(mm.srv.baseUrl);
    expect(redirect.searchParams.get('MMCSRF')).toBeTruthy();
    const token = redirect.searchParams.get(sso.tokenParam)!;
    const res = await a.connect({ credentials: { kind: 'sso-token', token }, syncState: {} });
    expect(res.selfId).toBe(u.id);
    expect(res.selfName).toBe('Sven');
    expect(res.renewedCredentials).toEqual({ kind: 'token', token });
  });

  it('the server refuses a redirect_to outside AppCustomURLSchemes (a loopback URL by default)', async () => {
    const a = adapterFor(mm.srv.host);
    const url = await a.sso!.loginUrl('http://127.0.0.1:4567/callback', 'gitlab');
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(loc.pathname).toBe('/error');
    expect(loc.searchParams.get('message')).toBe('Invalid custom URL scheme has been passed');
  });

  it('a server whose admin allowed the loopback prefix accepts the core\'s loopback redirect', async () => {
    const loop = await startMattermost({ appCustomUrlSchemes: ['mmauth://', 'http://127.0.0.1:'] });
    try {
      const u = loop.createUser({ username: 'loopsso', password: 'idp-pw', authService: 'gitlab' });
      const a = createMattermostAdapter({ address: loop.host, serviceUrl: loop.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
      mm.track(a);
      const start = await fetch(await a.sso!.loginUrl('http://127.0.0.1:4567/sso'), { redirect: 'manual' });
      const idp = new URL(start.headers.get('location')!);
      expect(idp.pathname).toBe('/_fake_idp/authorize');
      const form = new URLSearchParams({ state: idp.searchParams.get('state')!, redirect_uri: idp.searchParams.get('redirect_uri')!, username: u.username, password: 'idp-pw' });
      const back = await fetch(new URL('/_fake_idp/authorize', loop.baseUrl), { method: 'POST', body: form, redirect: 'manual' });
      const page = await (await fetch(back.headers.get('location')!, { redirect: 'manual' })).text();
      const target = new URL(/<a id="redirect" href="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&'));
      expect(`${target.origin}${target.pathname}`).toBe('http://127.0.0.1:4567/sso');
      const res = await a.connect({ credentials: { kind: 'sso-token', token: target.searchParams.get('MMAUTHTOKEN')! }, syncState: {} });
      expect(res.selfId).toBe(u.id);
    } finally {
      await loop.stop();
    }
  });

  it('a wrong IdP password does not produce a token', async () => {
    const u = addUser(mm.srv, 'ssobad', { authService: 'gitlab' });
    const a = adapterFor(mm.srv.host);
    const first = await fetch(await a.sso!.loginUrl('mmauth://callback'), { redirect: 'manual' });
    const idp = new URL(first.headers.get('location')!);
    const form = new URLSearchParams({ state: idp.searchParams.get('state')!, redirect_uri: idp.searchParams.get('redirect_uri')!, username: u.username, password: 'wrong' });
    const back = await fetch(new URL('/_fake_idp/authorize', mm.srv.baseUrl), { method: 'POST', body: form, redirect: 'manual' });
    expect(back.status).toBe(401);
  });

  it('a server without SSO says unsupported', async () => {
    const plain = await startMattermost({ ssoServices: [] });
    try {
      const a = createMattermostAdapter({ address: plain.host, serviceUrl: plain.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
      expect((await rejection(a.sso!.providers())).kind).toBe('unsupported');
    } finally {
      await plain.stop();
    }
  });
});
