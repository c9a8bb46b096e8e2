// The mobile SSO contract (server/channels/web/oauth.go mobileLoginWithOAuth / completeOAuth,
// utils.IsValidMobileAuthRedirectURL, utils.RenderMobileAuthComplete) with a fake identity
// provider in place of GitLab/OpenID:
//   1. GET /oauth/{service}/mobile_login?redirect_to=<custom scheme URL>
//      → redirect_to must start with one of NativeAppSettings.AppCustomURLSchemes
//        (case-insensitive prefix test, like the real function), else an error page;
//      → 302 to the IdP's authorize URL with a state token and
//        redirect_uri=<site>/signup/{service}/complete.
//   2. Fake IdP: GET /_fake_idp/authorize shows a form; POST it (username, password, state,
//      redirect_uri) → 302 to redirect_uri?code=…&state=….
//   3. GET /signup/{service}/complete?code&state → a session is created and, because the flow
//      started on mobile_login, an HTML page redirects to
//      redirect_to?MMAUTHTOKEN=<session token>&MMCSRF=<csrf>&srv=<SiteURL>.
// Error pages: the real server's RenderWebError redirects (302) to <site>/error?… with the message.
import type { ServerResponse } from 'node:http';
import { ApiError } from './errors';
import { newId } from './ids';
import type { State } from './state';

export interface SsoOptions {
  readonly siteUrl: () => string;
  readonly services: readonly string[];
  readonly appCustomUrlSchemes: readonly string[];
}

/** utils.IsValidMobileAuthRedirectURL: the URL must start with an allowed scheme (case-insensitive). */
export function isValidMobileAuthRedirectUrl(schemes: readonly string[], redirectUrl: string): boolean {
  return schemes.some((s) => redirectUrl.toLowerCase().startsWith(s.toLowerCase()));
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

export class Sso {
  private readonly states = new Map<string, { service: string; redirectTo: string }>();
  private readonly codes = new Map<string, { state: string; userId: string }>();

  constructor(private readonly state: State, private readonly opts: SsoOptions) {}

  private errorPage(res: ServerResponse, err: ApiError): void {
    const q = new URLSearchParams({ type: 'oauth_invalid_param', message: err.body().message });
    res.writeHead(302, { Location: `${this.opts.siteUrl()}/error?${q.toString()}` });
    res.end();
  }

  /** Returns false when the path is not an SSO path. */
  async handle(method: string, path: string, query: URLSearchParams, body: Buffer, res: ServerResponse): Promise<boolean> {
    let m = /^\/oauth\/([a-z0-9]+)\/mobile_login$/.exec(path);
    if (m && method === 'GET') {
      const service = m[1]!;
      if (!this.opts.services.includes(service)) {
        this.errorPage(res, new ApiError('ssoUnsupported'));
        return true;
      }
      const redirectTo = query.get('redirect_to') ?? '';
      if (redirectTo !== '' && !isValidMobileAuthRedirectUrl(this.opts.appCustomUrlSchemes, redirectTo)) {
        this.errorPage(res, new ApiError('invalidCustomUrlScheme'));
        return true;
      }
      const token = newId();
      this.states.set(token, { service, redirectTo });
      const q = new URLSearchParams({
        response_type: 'code', client_id: 'mattermost-test', state: token,
        redirect_uri: `${this.opts.siteUrl()}/signup/${service}/complete`,
      });
      res.writeHead(302, { Location: `${this.opts.siteUrl()}/_fake_idp/authorize?${q.toString()}` });
      res.end();
      return true;
    }
    if (path === '/_fake_idp/authorize' && method === 'GET') {
      const hidden = ['state', 'redirect_uri'].map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(query.get(k) ?? '')}">`).join('');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><form method="post" action="/_fake_idp/authorize">${hidden}<input name="username"><input name="password" type="password"><button>Sign in</button></form>`);
      return true;
    }
    if (path === '/_fake_idp/authorize' && method === 'POST') {
      const form = new URLSearchParams(body.toString('utf8'));
      const st = this.states.get(form.get('state') ?? '');
      const user = this.state.byUsername(form.get('username') ?? '');
      if (!st || !user || user.password !== form.get('password') || user.profile.auth_service !== st.service) {
        res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><p>Sign-in failed</p>');
        return true;
      }
      const code = newId();
      this.codes.set(code, { state: form.get('state')!, userId: user.profile.id });
      const target = new URL(form.get('redirect_uri') ?? '');
      target.searchParams.set('code', code);
      target.searchParams.set('state', form.get('state')!);
      res.writeHead(302, { Location: target.toString() });
      res.end();
      return true;
    }
    m = /^\/signup\/([a-z0-9]+)\/complete$/.exec(path);
    if (m && method === 'GET') {
      const code = this.codes.get(query.get('code') ?? '');
      const st = this.states.get(query.get('state') ?? '');
      if (!code || !st || code.state !== query.get('state') || st.service !== m[1]) {
        this.errorPage(res, new ApiError('oauthState'));
        return true;
      }
      this.codes.delete(query.get('code')!);
      this.states.delete(query.get('state')!);
      const session = this.state.createSession(code.userId, 'session');
      if (st.redirectTo === '') {
        res.writeHead(302, { Location: this.opts.siteUrl(), 'Set-Cookie': `MMAUTHTOKEN=${session.token}; Path=/; HttpOnly` });
        res.end();
        return true;
      }
      const target = new URL(st.redirectTo);
      target.searchParams.set('MMAUTHTOKEN', session.token);
      target.searchParams.set('MMCSRF', session.csrf);
      target.searchParams.set('srv', this.opts.siteUrl());
      const href = escapeHtml(target.toString());
      // RenderMobileAuthComplete: a page (not a 302: browsers do not follow redirects to custom schemes reliably).
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><html><head><meta http-equiv="refresh" content="0; url=${href}"></head><body><a id="redirect" href="${href}">Open the app</a></body></html>`);
      return true;
    }
    return false;
  }
}
