// Matrix SSO login (client-server API "m.login.sso", protocols.md E.1): the server redirects the
// browser to its identity provider and, after sign-in, back to our `redirectUrl` with
// `?loginToken=…`; that one-time token is traded for a session with `POST /login
// {type: "m.login.token"}`. The loopback listener that receives the redirect is the core's
// (main/core/sso); this module only talks to the homeserver.
//
// The account's address may be just a server name here ("agency.se", "localhost:8448"): the user
// id is only known once the server has answered the token login.
import { AppError } from '../../common/errors';
import type { AccountConfig, AdapterLogger, SsoFeature, SsoProvider } from '../contract';
import { resolveHomeserver } from './discovery';
import type { Homeserver } from './discovery';
import { toAppError } from './errors';
import { parseUserId } from './ids';
import { createMatrixClient } from './sdk';
import { field, stringField } from './rest';

export const SSO_LOGIN_TYPE = 'm.login.sso';
export const TOKEN_LOGIN_TYPE = 'm.login.token';
/** The query parameter Synapse (and the spec) appends to the redirect URL. */
export const LOGIN_TOKEN_PARAM = 'loginToken';
const MAX_TOKEN_LENGTH = 1024;

export interface SsoSession {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** A server name as the user may type it: host or host:port (IPv6 in brackets). */
const SERVER_NAME = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/u;

/**
 * Where the homeserver is, for an address that is a user id or only a server name: an explicit
 * serviceUrl wins; otherwise .well-known discovery on the server name (discovery.ts).
 */
export async function resolveSsoHomeserver(config: AccountConfig, fetchFn: typeof fetch): Promise<Homeserver> {
  const address = config.address.trim();
  if (parseUserId(address)) return resolveHomeserver(config, fetchFn);
  if (!SERVER_NAME.test(address) && !config.serviceUrl) {
    throw new AppError('invalid_input', `not a Matrix server name or user id: ${address.slice(0, 100)}`);
  }
  // discovery.ts derives the server from a user id; give it one with a placeholder localpart.
  const server = SERVER_NAME.test(address) ? address : 'invalid.invalid';
  return resolveHomeserver({ ...config, address: `@sso:${server}` }, fetchFn);
}

/** GET /login: the identity providers behind m.login.sso, or `unsupported` without SSO. */
export async function fetchSsoProviders(hs: Homeserver, fetchFn: typeof fetch, log: AdapterLogger, lastFetchError: () => unknown = () => undefined): Promise<readonly SsoProvider[]> {
  const anon = createMatrixClient({ baseUrl: hs.baseUrl, fetchFn, log });
  let res: unknown;
  try {
    res = await anon.loginFlows();
  } catch (e) {
    // The SDK's ConnectionError drops the cause (a TLS certificate error): the fetch probe kept it.
    throw toAppError(e, { what: 'login flows', lastFetchError: lastFetchError() });
  }
  const flows = field(res, 'flows');
  const list = Array.isArray(flows) ? flows : [];
  const sso = list.find((f) => stringField(f, 'type') === SSO_LOGIN_TYPE);
  const hasToken = list.some((f) => stringField(f, 'type') === TOKEN_LOGIN_TYPE);
  if (!sso || !hasToken) throw new AppError('unsupported', 'This Matrix server does not offer sign-in through the browser (m.login.sso)');
  const idps = field(sso, 'identity_providers');
  const out: SsoProvider[] = [];
  for (const idp of Array.isArray(idps) ? idps : []) {
    const id = stringField(idp, 'id');
    if (!id || id.length > 255) continue;
    const name = stringField(idp, 'name');
    out.push({ id, name: name && name.length <= 200 ? name : id });
  }
  return out;
}

/** Only loopback http(s) redirect targets (RFC 8252 §7.3): the token must not leave this computer. */
export function checkRedirectUrl(redirectUrl: string): URL {
  let u: URL;
  try {
    u = new URL(redirectUrl);
  } catch {
    throw new AppError('invalid_input', 'the SSO redirect URL is not a URL');
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !(host === '127.0.0.1' || host === '::1') || u.username || u.password || u.hash) {
    throw new AppError('invalid_input', 'the SSO redirect URL must be a loopback address (http://127.0.0.1:<port>/…)');
  }
  return u;
}

/** /_matrix/client/v3/login/sso/redirect[/{idpId}]?redirectUrl=… (matrix-js-sdk getSsoLoginUrl). */
export function ssoLoginUrl(hs: Homeserver, fetchFn: typeof fetch, log: AdapterLogger, redirectUrl: string, providerId?: string): string {
  checkRedirectUrl(redirectUrl);
  if (providerId !== undefined && (providerId.length === 0 || providerId.length > 255)) throw new AppError('invalid_input', 'bad identity provider id');
  return createMatrixClient({ baseUrl: hs.baseUrl, fetchFn, log }).getSsoLoginUrl(redirectUrl, 'sso', providerId);
}

/** POST /login {type: m.login.token}: the one-time loginToken becomes a device and access token. */
export async function exchangeLoginToken(hs: Homeserver, fetchFn: typeof fetch, log: AdapterLogger, loginToken: string, lastFetchError: () => unknown): Promise<SsoSession> {
  if (loginToken.length === 0 || loginToken.length > MAX_TOKEN_LENGTH) throw new AppError('auth', 'the sign-in token is missing or malformed');
  const anon = createMatrixClient({ baseUrl: hs.baseUrl, fetchFn, log });
  let res: unknown;
  try {
    res = await anon.loginRequest({ type: TOKEN_LOGIN_TYPE, token: loginToken, initial_device_display_name: 'Samverka' });
  } catch (e) {
    // An expired, reused or unknown token is M_FORBIDDEN (403): a sign-in problem, not a bug.
    throw toAppError(e, { what: 'SSO token login', login: true, lastFetchError: lastFetchError() });
  }
  const userId = stringField(res, 'user_id');
  const accessToken = stringField(res, 'access_token');
  const deviceId = stringField(res, 'device_id');
  if (!userId || !accessToken || !deviceId || !parseUserId(userId)) throw new AppError('server', 'login answer without user_id/access_token/device_id');
  return { userId, accessToken, deviceId };
}

/** The adapter's `sso` feature: discovery is done once per adapter and reused. */
export class MatrixSso implements SsoFeature {
  readonly tokenParam = LOGIN_TOKEN_PARAM;
  private hs: Promise<Homeserver> | null = null;

  constructor(
    private readonly config: () => AccountConfig,
    private readonly fetchFn: typeof fetch,
    private readonly log: AdapterLogger,
    private readonly lastFetchError: () => unknown,
  ) {}

  homeserver(): Promise<Homeserver> {
    if (!this.hs) {
      this.hs = resolveSsoHomeserver(this.config(), this.fetchFn);
      this.hs.catch(() => {
        this.hs = null;
      });
    }
    return this.hs;
  }

  async providers(): Promise<readonly SsoProvider[]> {
    return fetchSsoProviders(await this.homeserver(), this.fetchFn, this.log, this.lastFetchError);
  }

  async loginUrl(redirectUrl: string, providerId?: string): Promise<string> {
    return ssoLoginUrl(await this.homeserver(), this.fetchFn, this.log, redirectUrl, providerId);
  }

  async exchange(loginToken: string): Promise<SsoSession> {
    return exchangeLoginToken(await this.homeserver(), this.fetchFn, this.log, loginToken, this.lastFetchError);
  }
}
