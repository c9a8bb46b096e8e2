// Rocket.Chat sign-in against the fake server: password, TOTP and e-mail 2FA, personal access
// token, resume token, SSO through the fake IdP (plain HTTP), wrong password, logout, plaintext.
import { describe, expect, it } from 'vitest';
import { createRocketChatAdapter } from '../../protocols/rocketchat';
import { totpCode } from '../servers/rocketchat/totp';
import { addressOf, quietLog, useRocketChatServer } from '../servers/rocketchat/clients';
import { rejection } from '../helpers/rejection';

const rc = useRocketChatServer();
let n = 0;

describe('rocketchat sign-in', () => {
  it('logs in with a password and hands back a resume token that works on a new instance', async () => {
    const u = rc.srv.createUser(`pw${n++}`);
    const c = rc.client(u.username);
    const res = await c.connect();
    expect(res.selfId).toBe(u._id);
    expect(res.selfName).toBe(u.username);
    expect(res.renewedCredentials?.kind).toBe('token');
    await c.adapter.disconnect();

    const again = rc.client(u.username);
    const res2 = await again.connect(res.renewedCredentials);
    expect(res2.selfId).toBe(u._id);
    await again.rec.waitFor((e) => e.type === 'connection' && e.state === 'connected');
  });

  it('rejects a wrong password as auth (fatal), not as a network problem', async () => {
    const u = rc.srv.createUser(`wrong${n++}`);
    const c = rc.client(u.username);
    const err = await rejection(c.connect({ kind: 'password', password: 'nope' }));
    expect(err.kind).toBe('auth');
    expect(err.fatal).toBe(true);
    const ev = await c.rec.waitFor((e) => e.type === 'connection' && e.state === 'disconnected');
    expect(ev.type === 'connection' && ev.error?.kind).toBe('auth');
  });

  it('TOTP: no code → second_factor; wrong code → second_factor; right code → signed in', async () => {
    const u = rc.srv.createUser(`totp${n++}`, { twoFactor: 'totp' });
    const c = rc.client(u.username);
    expect((await rejection(c.connect())).kind).toBe('second_factor');
    const valid = new Set([-30_000, 0, 30_000].map((d) => totpCode(u.totpSecret!, Date.now() + d)));
    const wrong = ['000000', '111111', '222222', '333333'].find((x) => !valid.has(x))!;
    expect((await rejection(c.connect({ kind: 'password', password: u.password, otp: wrong }))).kind).toBe('second_factor');
    const res = await c.connect({ kind: 'password', password: u.password, otp: totpCode(u.totpSecret!) });
    expect(res.selfId).toBe(u._id);
  });

  it('e-mail 2FA: the first attempt sends the code, the second signs in with it', async () => {
    const u = rc.srv.createUser(`mail${n++}`, { twoFactor: 'email' });
    const c = rc.client(u.username);
    expect(rc.srv.lastEmailCode(u.username)).toBeNull();
    expect((await rejection(c.connect())).kind).toBe('second_factor');
    const code = rc.srv.lastEmailCode(u.username);
    expect(code).toMatch(/^\d{6}$/);
    const res = await c.connect({ kind: 'password', password: u.password, otp: code! });
    expect(res.selfId).toBe(u._id);
  });

  it('personal access token as "userId:token"; a revoked one is auth', async () => {
    const u = rc.srv.createUser(`pat${n++}`);
    const pat = rc.srv.createPat(u.username);
    const c = rc.client(u.username);
    const res = await c.connect({ kind: 'token', token: `${pat.userId}:${pat.token}` });
    expect(res.selfId).toBe(u._id);
    expect(res.renewedCredentials).toBeUndefined();
    await c.adapter.disconnect();
    const bad = rc.client(u.username);
    expect((await rejection(bad.connect({ kind: 'token', token: `${pat.userId}:not-the-token` }))).kind).toBe('auth');
  });

  it('logout ends the server session: the resume token no longer works', async () => {
    const u = rc.srv.createUser(`out${n++}`);
    const c = rc.client(u.username);
    const res = await c.connect();
    await c.adapter.logout();
    const again = rc.client(u.username);
    expect((await rejection(again.connect(res.renewedCredentials))).kind).toBe('auth');
  });

  it('refuses plain http unless allowPlaintext', async () => {
    const u = rc.srv.createUser(`plain${n++}`);
    const a = rc.track(createRocketChatAdapter({ address: addressOf(rc.srv, u.username), serviceUrl: rc.srv.baseUrl }, { log: quietLog, now: () => Date.now() }));
    expect((await rejection(a.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} }))).kind).toBe('insecure');
  });

  it('SSO: the Meteor OAuth flow through the fake IdP yields credentials that sign in once', async () => {
    const u = rc.srv.createUser(`sso${n++}`);
    const c = rc.client(u.username);
    const sso = c.adapter.sso!;
    const providers = await sso.providers();
    expect(providers.map((p) => p.id)).toContain('samverka-idp');
    const loginUrl = await sso.loginUrl('http://127.0.0.1:1/unused', 'samverka-idp');

    // The browser part, done with plain HTTP: open the IdP page, submit its form, follow the redirect.
    const page = await fetch(loginUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    const field = (name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))) ?? '';
    const submit = await fetch(`${rc.srv.baseUrl}/idp/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ redirect_uri: field('redirect_uri'), state: field('state'), username: u.username, password: u.password }).toString(),
      redirect: 'manual',
    });
    expect(submit.status).toBe(302);
    const end = await fetch(submit.headers.get('location')!);
    const config = /<div id="config" style="display:none;">([^<]*)<\/div>/.exec(await end.text())?.[1]?.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)));
    const parsed = JSON.parse(config!) as { credentialToken: string; credentialSecret: string; isCordova: boolean };
    expect(parsed.isCordova).toBe(true);
    // What end_of_popup_response.js writes into location.hash for Cordova-style clients.
    const hash = `#${JSON.stringify({ credentialToken: parsed.credentialToken, credentialSecret: parsed.credentialSecret })}`;

    const res = await c.connect({ kind: 'sso-token', token: hash });
    expect(res.selfId).toBe(u._id);
    expect(res.renewedCredentials?.kind).toBe('token');
    await c.adapter.disconnect();
    const replay = rc.client(u.username);
    expect((await rejection(replay.connect({ kind: 'sso-token', token: hash }))).kind).toBe('auth');
  });
});
