// Rocket.Chat SSO is Meteor OAuth: the client chooses a credentialToken, sends it to the IdP in
// `state`, and the server's /_oauth/<service> page hands back {credentialToken, credentialSecret}
// (for "Cordova" clients in location.hash as JSON). Logging in takes both values:
// {oauth: {credentialToken, credentialSecret}}. The server never redirects to a loopback URL
// (Meteor checks redirectUrl against its own origin), so this feature says returnVia 'final-page':
// the app hands the core the final page's address (pasted by the user, or caught by the desktop
// shell) and tokenFromUrl reads the credentials from its #fragment.
import { randomBytes } from 'node:crypto';
import { AppError } from '../../common/errors';
import type { SsoFeature, SsoProvider } from '../contract';
import type { RestClient } from './rest';
import { oauthSettings } from './schemas';

export interface OAuthCredential {
  readonly credentialToken: string;
  readonly credentialSecret: string;
}

/**
 * The `sso-token` credential: the JSON the end-of-login page puts in location.hash
 * (`{"credentialToken":…,"credentialSecret":…}`), with or without the leading '#', URL-encoded
 * or not. `token:secret` is accepted too.
 */
export function parseSsoToken(token: string): OAuthCredential {
  let s = token.trim().replace(/^#/, '');
  if (s.startsWith('%7B')) s = decodeURIComponent(s);
  if (s.startsWith('{')) {
    try {
      const v = JSON.parse(s) as { credentialToken?: unknown; credentialSecret?: unknown };
      if (typeof v.credentialToken === 'string' && typeof v.credentialSecret === 'string') {
        return { credentialToken: v.credentialToken, credentialSecret: v.credentialSecret };
      }
    } catch {
      // fall through to the error below
    }
  } else {
    const i = s.indexOf(':');
    if (i > 0) return { credentialToken: s.slice(0, i), credentialSecret: s.slice(i + 1) };
  }
  throw new AppError('invalid_input', 'SSO result is not {credentialToken, credentialSecret}');
}

export function createSso(rest: () => RestClient): SsoFeature {
  return {
    // Unused: the result comes back on the server's own final page (returnVia), not as a query.
    tokenParam: 'credentialSecret',
    returnVia: 'final-page',
    finalPagePrefix: () => `${rest().baseUrl}/_oauth/`,
    tokenFromUrl(url: URL): string | null {
      const hash = url.hash.replace(/^#/, '');
      if (hash === '') return null;
      try {
        parseSsoToken(hash);
        return hash;
      } catch {
        return null;
      }
    },
    async providers(): Promise<readonly SsoProvider[]> {
      const s = await rest().get('settings.oauth', {}, oauthSettings);
      const list = s.services.filter((x) => x.custom && x.serverURL && x.authorizePath);
      if (list.length === 0) throw new AppError('unsupported', 'this server offers no OAuth login');
      return list.map((x) => ({ id: x.service, name: x.buttonLabelText || x.service }));
    },
    async loginUrl(_redirectUrl: string, providerId?: string): Promise<string> {
      const s = await rest().get('settings.oauth', {}, oauthSettings);
      const svc = s.services.find((x) => x.custom && x.serverURL && x.authorizePath && (providerId === undefined || x.service === providerId));
      if (!svc?.serverURL || !svc.authorizePath) throw new AppError('unsupported', `no OAuth provider ${providerId ?? ''}`);
      const base = rest().baseUrl;
      const credentialToken = randomBytes(32).toString('base64url');
      const state = Buffer.from(JSON.stringify({ loginStyle: 'popup', credentialToken, isCordova: true })).toString('base64');
      const authorize = /^https?:\/\//.test(svc.authorizePath) ? new URL(svc.authorizePath) : new URL(`${svc.serverURL.replace(/\/+$/, '')}${svc.authorizePath}`);
      authorize.searchParams.set('client_id', svc.clientId ?? '');
      authorize.searchParams.set('redirect_uri', `${base}/_oauth/${svc.service}`);
      authorize.searchParams.set('response_type', 'code');
      authorize.searchParams.set('state', state);
      authorize.searchParams.set('scope', svc.scope ?? 'openid');
      return authorize.toString();
    },
  };
}
