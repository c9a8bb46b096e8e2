// Browser sign-in through the server's *mobile* SSO contract (protocols.md E.3): the browser opens
// /oauth/{service}/mobile_login?redirect_to=<our URL> (SAML: /login/sso/saml?action=mobile&…),
// and after the identity provider the server sends the browser to
// <our URL>?MMAUTHTOKEN=<session token>&MMCSRF=…&srv=… . The token is a normal session token.
// The server accepts only redirect URLs that start with one of its
// NativeAppSettings.AppCustomURLSchemes (default mmauth://, mmauthbeta://), so the core's
// loopback redirect works only where the admin added it (e.g. "http://127.0.0.1:") — see the report.
import { AppError } from '../../common/errors';
import type { AccountConfig, SsoFeature, SsoProvider } from '../contract';
import { parseAddress } from './address';
import { MmHttp } from './http';
import { ClientConfigSchema, check } from './schemas';
import type { Transport } from './transport';

/** Client-config flag → provider (id = the {service} path segment). */
const SERVICES: ReadonlyArray<readonly [flag: string, id: string, name: string]> = [
  ['EnableSignUpWithGitLab', 'gitlab', 'GitLab'],
  ['EnableSignUpWithGoogle', 'google', 'Google'],
  ['EnableSignUpWithOffice365', 'office365', 'Microsoft'],
  ['EnableSignUpWithOpenId', 'openid', 'OpenID Connect'],
  ['EnableSaml', 'saml', 'SAML'],
];

export function providersFromConfig(cfg: Record<string, unknown>): SsoProvider[] {
  return SERVICES.filter(([flag]) => cfg[flag] === 'true').map(([, id, name]) => ({
    id,
    name: id === 'openid' && typeof cfg.OpenIdButtonText === 'string' && cfg.OpenIdButtonText ? cfg.OpenIdButtonText : id === 'saml' && typeof cfg.SamlLoginButtonText === 'string' && cfg.SamlLoginButtonText ? cfg.SamlLoginButtonText : name,
  }));
}

export function mobileLoginUrl(baseUrl: string, providerId: string, redirectUrl: string): string {
  const q = new URLSearchParams({ redirect_to: redirectUrl });
  if (providerId === 'saml') return `${baseUrl}/login/sso/saml?action=mobile&${q.toString()}`;
  return `${baseUrl}/oauth/${encodeURIComponent(providerId)}/mobile_login?${q.toString()}`;
}

export class MattermostSso implements SsoFeature {
  readonly tokenParam = 'MMAUTHTOKEN';

  constructor(private readonly config: () => AccountConfig, private readonly transport: () => Transport) {}

  async providers(): Promise<readonly SsoProvider[]> {
    const http = new MmHttp(parseAddress(this.config()).baseUrl, this.transport(), () => undefined);
    const cfg = check(ClientConfigSchema, await http.json<unknown>('GET', '/api/v4/config/client?format=old'), 'client config');
    const list = providersFromConfig(cfg);
    if (list.length === 0) throw new AppError('unsupported', 'this Mattermost server offers no SSO sign-in');
    return list;
  }

  async loginUrl(redirectUrl: string, providerId?: string): Promise<string> {
    const { baseUrl } = parseAddress(this.config());
    const id = providerId ?? (await this.providers())[0]!.id;
    if (!SERVICES.some(([, s]) => s === id)) throw new AppError('invalid_input', `unknown SSO provider ${id}`);
    return mobileLoginUrl(baseUrl, id, redirectUrl);
  }
}
