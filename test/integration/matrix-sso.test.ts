// Matrix SSO through the system browser (RFC 8252 loopback redirect) against a real Synapse whose
// only identity provider is an OpenID Connect provider (oidc-provider) on loopback. A TestBrowser
// plays the system browser: Synapse → IdP dev login + consent → Synapse callback → Synapse's
// "Continue to your account" page → the app's loopback listener with ?loginToken=.
//
// (1) adapter level: sso.providers/loginUrl → browser → loginToken → connect({kind:'sso-token'})
// (2) core level: accounts:startSso → browser → account connected, only a token in the secret store;
//     wrong state / second request refused; cancel; timeout; IdP sign-in aborted.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSynapse } from '../servers/synapse/synapse';
import type { SynapseServer } from '../servers/synapse/synapse';
import { startOidcProvider, synapseOidcConfig } from '../servers/oidc/oidc';
import type { OidcProviderServer } from '../servers/oidc/oidc';
import { TestBrowser } from '../servers/oidc/browser';
import { ensureSynapseOidcDeps } from '../servers/oidc/synapse-oidc-deps';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterLogger, ProtocolAdapter } from '../../protocols/contract';
import { AppError } from '../../common/errors';
import { createCore } from '../../main/core/core';
import type { Core } from '../../main/core/core';
import { credentialsKey, FileSecretStore, SECRET_FILE_NAME } from '../../main/core/secrets/file-secret-store';
import { ACCOUNTS_DIR, storageKeyName } from '../../main/core/accounts/account-storage';
import type { IpcResult, Patch, SsoStart, SsoStatus } from '../../common/api';
import type { AccountSummary } from '../../common/model';
import { rejection } from '../helpers/rejection';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const USERS = {
  alice: { preferredUsername: 'alice', name: 'Alice Andersson', email: 'alice@agency.example' },
  bertil: { preferredUsername: 'bertil', name: 'Bertil Berg', email: 'bertil@agency.example' },
  cecilia: { preferredUsername: 'cecilia', name: 'Cecilia Carlsson', email: 'cecilia@agency.example' },
  david: { preferredUsername: 'david', name: 'David Dahl', email: 'david@agency.example' },
};

let idp: OidcProviderServer;
let synapse: SynapseServer;
const adapters: ProtocolAdapter[] = [];

beforeAll(async () => {
  ensureSynapseOidcDeps();
  const port = await freePort();
  idp = await startOidcProvider({ redirectUris: [`http://127.0.0.1:${port}/_synapse/client/oidc/callback`], users: USERS });
  // No sso.client_whitelist: like a real deployment, Synapse asks the user to confirm the
  // (unlisted) loopback redirect; the test browser clicks "Continue".
  synapse = await startSynapse({ port, extraConfig: synapseOidcConfig(idp) });
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(adapters.map((a) => a.disconnect()));
  await synapse?.dispose();
  await idp?.stop();
});


/** A bare loopback listener for the adapter-level test (the core has its own). */
async function captureOnce(): Promise<{ url: string; got: Promise<URL>; close: () => void }> {
  let resolve!: (u: URL) => void;
  const got = new Promise<URL>((r) => (resolve = r));
  const srv = createServer((req, res) => {
    res.end('ok');
    resolve(new URL(req.url ?? '/', 'http://127.0.0.1'));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/cb?x=1`, got, close: () => srv.close() };
}

describe('Matrix adapter: m.login.sso', () => {
  it('lists the OIDC provider, and a browser sign-in yields a loginToken that connect() trades for a session', async () => {
    const adapter = createMatrixAdapter({ address: synapse.serverName, serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
    adapters.push(adapter);
    expect(adapter.sso).toBeDefined();
    expect(adapter.sso!.tokenParam).toBe('loginToken');
    const providers = await adapter.sso!.providers();
    expect(providers).toEqual([{ id: 'oidc-test', name: 'Test organisation' }]);

    const cb = await captureOnce();
    try {
      const url = await adapter.sso!.loginUrl(cb.url, 'oidc-test');
      expect(url.startsWith(`${synapse.baseUrl}/_matrix/client/v3/login/sso/redirect/oidc-test?redirectUrl=`)).toBe(true);
      const browser = new TestBrowser();
      const r = await browser.signIn(url, { login: 'alice', stopAt: cb.url.split('?')[0]! });
      expect(r.finalUrl, r.visited.join('\n')).not.toBeNull();
      // The real path: Synapse → the IdP's login and consent → Synapse's OIDC callback → the app.
      expect(r.visited.some((v) => v.includes(`${idp.issuer}/interaction/`))).toBe(true);
      expect(r.visited.some((v) => v.includes('/_synapse/client/oidc/callback'))).toBe(true);
      expect(idp.codesIssued).toBeGreaterThan(0);
      const back = await cb.got;
      expect(back.searchParams.get('x')).toBe('1'); // Synapse keeps our own query parameters
      const loginToken = back.searchParams.get('loginToken');
      expect(loginToken).toBeTruthy();

      const res = await adapter.connect({ credentials: { kind: 'sso-token', token: loginToken! }, syncState: {} });
      expect(res.selfId).toBe('@alice:localhost');
      expect(res.selfName).toBe('Alice Andersson');
      expect(res.renewedCredentials?.kind).toBe('token');
      const session = JSON.parse((res.renewedCredentials as { token: string }).token) as { accessToken: string; userId: string; deviceId: string };
      const who = await fetch(`${synapse.baseUrl}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${session.accessToken}` } });
      expect(((await who.json()) as { user_id: string }).user_id).toBe('@alice:localhost');
      await adapter.disconnect();

      // The login token is one-time: using it again is refused as a sign-in problem.
      const again = createMatrixAdapter({ address: synapse.serverName, serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
      adapters.push(again);
      const err = await rejection(again.connect({ credentials: { kind: 'sso-token', token: loginToken! }, syncState: {} }));
      expect(err.kind).toBe('auth');

      // The stored session reconnects like any token login.
      const restored = createMatrixAdapter({ address: '@alice:localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
      adapters.push(restored);
      expect((await restored.connect({ credentials: res.renewedCredentials!, syncState: {} })).selfId).toBe('@alice:localhost');
      await restored.disconnect();
    } finally {
      cb.close();
    }
  });

  it('refuses a redirect URL that is not loopback', async () => {
    const adapter = createMatrixAdapter({ address: synapse.serverName, serviceUrl: synapse.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
    expect((await rejection(adapter.sso!.loginUrl('https://evil.example/cb'))).kind).toBe('invalid_input');
    expect((await rejection(adapter.sso!.loginUrl('http://localhost.evil.example:1/cb'))).kind).toBe('invalid_input');
  });
});

describe('core: accounts:startSso', () => {
  let profile: string;
  let core: Core;
  const patches: Patch[] = [];

  async function call<T>(cmd: string, input: unknown): Promise<T> {
    const r = (await core.handle(cmd, input)) as IpcResult<T>;
    if (!r.ok) throw new AppError(r.error.kind, r.error.message);
    return r.value;
  }
  async function ssoDone(ssoId: string, ms = 60_000): Promise<SsoStatus> {
    const end = Date.now() + ms;
    for (;;) {
      const s = await call<SsoStatus>('accounts:ssoStatus', { ssoId });
      if (s.state === 'done' || s.state === 'failed') return s;
      if (Date.now() > end) throw new Error(`sso ${ssoId} still ${s.state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'samverka-sso-'));
    core = createCore({ profileDir: profile, secrets: FileSecretStore.inProfile(profile), adapters: { matrix: createMatrixAdapter }, ssoTimeoutMs: 60_000 });
    core.onPatches((p) => patches.push(...p));
  });
  afterAll(async () => {
    await core?.close();
    await rm(profile, { recursive: true, force: true });
  });

  it('signs in through the browser: the account is connected and only an access token is stored', async () => {
    const start = await call<SsoStart>('accounts:startSso', { protocol: 'matrix', address: 'localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    expect(start.url.startsWith(`${synapse.baseUrl}/_matrix/client/v3/login/sso/redirect?redirectUrl=`)).toBe(true);
    const redirectUrl = new URL(start.url).searchParams.get('redirectUrl')!;
    expect(redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sso\/[A-Za-z0-9_-]{43}$/);
    expect((await call<SsoStatus>('accounts:ssoStatus', { ssoId: start.ssoId })).state).toBe('waiting');

    // Someone guessing: wrong state, wrong method → 404, and the sign-in keeps waiting.
    const origin = new URL(redirectUrl).origin;
    expect((await fetch(`${origin}/sso/wrong-state?loginToken=x`)).status).toBe(404);
    expect((await fetch(`${redirectUrl}?loginToken=x`, { method: 'POST' })).status).toBe(404);
    expect((await call<SsoStatus>('accounts:ssoStatus', { ssoId: start.ssoId })).state).toBe('waiting');

    const browser = new TestBrowser();
    const r = await browser.signIn(start.url, { login: 'bertil', stopAt: redirectUrl });
    expect(r.status, r.visited.join('\n')).toBe(200);
    expect(r.body).toContain('You can close this tab and return to Samverka');
    expect(r.body).toContain('Du kan stänga den här fliken');
    expect(r.body).not.toMatch(/<script|<link|src=|loginToken/i);

    const done = await ssoDone(start.ssoId);
    expect(done.state, JSON.stringify(done.error)).toBe('done');
    expect(done.account?.label).toBe('@bertil:localhost');
    expect(done.account?.state).toBe('connected');
    const snap = await call<{ accounts: AccountSummary[] }>('app:snapshot', {});
    expect(snap.accounts.map((a) => [a.label, a.state])).toEqual([['@bertil:localhost', 'connected']]);
    await new Promise((res) => setTimeout(res, 50));
    expect(patches.some((p) => p.type === 'account' && p.account.label === '@bertil:localhost')).toBe(true);
    expect(patches.some((p) => p.type === 'sso' && p.status.ssoId === start.ssoId && p.status.state === 'done')).toBe(true);

    // The secret store: the Matrix session (access token, no password, no loginToken) and the key
    // that seals the account's encryption store, which was moved from its provisional id.
    const raw = JSON.parse(await readFile(join(profile, SECRET_FILE_NAME), 'utf8')) as Record<string, string>;
    expect(Object.keys(raw).sort()).toEqual([credentialsKey(done.account!.id), storageKeyName(done.account!.id)].sort());
    expect(Buffer.from(raw[storageKeyName(done.account!.id)]!, 'base64')).toHaveLength(32);
    expect((await readdir(join(profile, ACCOUNTS_DIR))).filter((d) => d.startsWith('pending-'))).toEqual([]);
    expect(await readdir(join(profile, ACCOUNTS_DIR, done.account!.id))).toContain('matrix-crypto-store.bin');
    const stored = JSON.parse(raw[credentialsKey(done.account!.id)]!) as { kind: string; token: string };
    expect(stored.kind).toBe('token');
    expect(JSON.parse(stored.token)).toMatchObject({ userId: '@bertil:localhost' });
    expect(JSON.stringify(stored)).not.toMatch(/password/i);

    // A second request to the same (closed) listener is refused.
    await expect(fetch(`${redirectUrl}?loginToken=again`)).rejects.toThrow();
  });

  it('works without an address (server from the server address) and a second sign-in of the same user is a conflict', async () => {
    const start = await call<SsoStart>('accounts:startSso', { protocol: 'matrix', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    const redirectUrl = new URL(start.url).searchParams.get('redirectUrl')!;
    const r = await new TestBrowser().signIn(start.url, { login: 'bertil', stopAt: redirectUrl });
    expect(r.status).toBe(200);
    const s = await ssoDone(start.ssoId);
    expect(s.state).toBe('failed');
    expect(s.failure).toBe('error');
    expect(s.error?.kind).toBe('conflict');
  });

  it('cancel: the listener stops and the status says cancelled', async () => {
    const start = await call<SsoStart>('accounts:startSso', { protocol: 'matrix', address: 'localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    const redirectUrl = new URL(start.url).searchParams.get('redirectUrl')!;
    await call('accounts:cancelSso', { ssoId: start.ssoId });
    const s = await ssoDone(start.ssoId);
    expect([s.state, s.failure]).toEqual(['failed', 'cancelled']);
    await expect(fetch(`${redirectUrl}?loginToken=x`)).rejects.toThrow();
  });

  it('the user aborts at the identity provider: Synapse sends no token, the status says denied', async () => {
    const start = await call<SsoStart>('accounts:startSso', { protocol: 'matrix', address: 'localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    const redirectUrl = new URL(start.url).searchParams.get('redirectUrl')!;
    const r = await new TestBrowser().signIn(start.url, { login: 'cecilia', stopAt: redirectUrl, abortAtLogin: true });
    // Synapse shows its own error page for access_denied and never redirects back to the app.
    expect(r.finalUrl).toBeNull();
    expect(r.visited.some((v) => v.endsWith('/abort'))).toBe(true);
    await call('accounts:cancelSso', { ssoId: start.ssoId });
    expect((await ssoDone(start.ssoId)).failure).toBe('cancelled');
  });

  it('a redirect without a token (or a refused token) fails clearly', async () => {
    const start = await call<SsoStart>('accounts:startSso', { protocol: 'matrix', address: 'localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    const redirectUrl = new URL(start.url).searchParams.get('redirectUrl')!;
    const res = await fetch(`${redirectUrl}?error=access_denied`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Sign-in failed');
    const s = await ssoDone(start.ssoId);
    expect([s.state, s.failure]).toEqual(['failed', 'denied']);

    const start2 = await call<SsoStart>('accounts:startSso', { protocol: 'matrix', address: 'localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true });
    const redirect2 = new URL(start2.url).searchParams.get('redirectUrl')!;
    expect((await fetch(`${redirect2}?loginToken=forged`)).status).toBe(200);
    const s2 = await ssoDone(start2.ssoId);
    expect([s2.state, s2.failure, s2.error?.kind]).toEqual(['failed', 'refused', 'auth']);
  });

  it('times out with a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samverka-sso-t-'));
    const quick = createCore({ profileDir: dir, secrets: FileSecretStore.inProfile(dir), adapters: { matrix: createMatrixAdapter }, ssoTimeoutMs: 300 });
    try {
      const r = (await quick.handle('accounts:startSso', { protocol: 'matrix', address: 'localhost', serviceUrl: synapse.baseUrl, allowPlaintext: true })) as IpcResult<SsoStart>;
      if (!r.ok) throw new Error(r.error.message);
      await new Promise((res) => setTimeout(res, 600));
      const s = (await quick.handle('accounts:ssoStatus', { ssoId: r.value.ssoId })) as IpcResult<SsoStatus>;
      expect(s.ok && [s.value.state, s.value.failure, s.value.error?.kind]).toEqual(['failed', 'timeout', 'timeout']);
      const redirectUrl = new URL(r.value.url).searchParams.get('redirectUrl')!;
      await expect(fetch(`${redirectUrl}?loginToken=x`)).rejects.toThrow();
    } finally {
      await quick.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unencrypted sign-in to a non-loopback server and protocols without SSO', async () => {
    const r = (await core.handle('accounts:startSso', { protocol: 'matrix', address: 'agency.example', serviceUrl: 'http://agency.example', allowPlaintext: true })) as IpcResult<unknown>;
    expect(!r.ok && r.error.kind).toBe('insecure');
    const r2 = (await core.handle('accounts:startSso', { protocol: 'xmpp', address: 'agency.example' })) as IpcResult<unknown>;
    expect(!r2.ok && r2.error.kind).toBe('unsupported');
  });
});
