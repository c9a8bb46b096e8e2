// A minimal "system browser" for SSO tests: follows redirects by hand (fetch, redirect: 'manual')
// with a cookie jar (name/value/path per host, as browsers scope cookies by host, not port), and
// knows the three pages of the flow: oidc-provider's dev login form (type a login name), its
// consent form (Continue), and Synapse's "Continue to your account" confirmation link. It stops at
// the first URL matching `stopAt` (the app's loopback listener) and fetches it, like a browser.
interface Cookie {
  value: string;
  path: string;
}

export interface BrowserResult {
  /** The URL that matched stopAt (with the one-time token), or null if the flow ended elsewhere. */
  readonly finalUrl: string | null;
  /** Status and body of the final response (the listener's page, or where the flow stopped). */
  readonly status: number;
  readonly body: string;
  /** Every URL visited, in order (for failure messages). */
  readonly visited: readonly string[];
}

export interface BrowserOptions {
  /** The login name to type into the identity provider's form. */
  readonly login: string;
  /** Where to stop: a prefix of the app's redirect URL. */
  readonly stopAt: string;
  /** Abort at the IdP login page (the user closes the tab) instead of signing in. */
  readonly abortAtLogin?: boolean;
  /** Do not fetch the final URL (to let a test send its own request there). */
  readonly dontFetchFinal?: boolean;
  readonly maxSteps?: number;
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x3D;/gi, '=').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export class TestBrowser {
  private readonly jar = new Map<string, Map<string, Cookie>>();

  private cookieHeader(url: URL): string {
    const forHost = this.jar.get(url.hostname);
    if (!forHost) return '';
    return [...forHost.entries()]
      .filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      let path = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k!.trim().toLowerCase();
        if (key === 'path') path = v.trim() || '/';
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) < Date.now()) expired = true;
      }
      const forHost = this.jar.get(url.hostname) ?? new Map<string, Cookie>();
      this.jar.set(url.hostname, forHost);
      if (expired) forHost.delete(name);
      else forHost.set(name, { value, path });
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const u = new URL(url);
    const headers: Record<string, string> = { 'user-agent': 'samverka-test-browser', accept: 'text/html' };
    const cookie = this.cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(u, { method: init.method ?? 'GET', headers, body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    this.store(u, res);
    return res;
  }

  /** Open `startUrl` and go through the IdP's dev login and consent and Synapse's confirmation. */
  async signIn(startUrl: string, o: BrowserOptions): Promise<BrowserResult> {
    const visited: string[] = [];
    let url = startUrl;
    let method = 'GET';
    let form: Record<string, string> | undefined;
    for (let step = 0; step < (o.maxSteps ?? 30); step++) {
      if (url.startsWith(o.stopAt)) {
        visited.push(url);
        if (o.dontFetchFinal) return { finalUrl: url, status: 0, body: '', visited };
        const res = await this.request(url);
        return { finalUrl: url, status: res.status, body: await res.text(), visited };
      }
      visited.push(`${method} ${url}`);
      const res = await this.request(url, { method, ...(form ? { form } : {}) });
      method = 'GET';
      form = undefined;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        url = new URL(location, url).href;
        continue;
      }
      const body = await res.text();
      if (res.status !== 200) return { finalUrl: null, status: res.status, body, visited };
      const next = this.nextStep(body, url, o);
      if (!next) return { finalUrl: null, status: res.status, body, visited };
      ({ url, method } = next);
      form = next.form;
    }
    throw new Error(`too many steps in the sign-in:\n${visited.join('\n')}`);
  }

  private nextStep(html: string, base: string, o: BrowserOptions): { url: string; method: string; form?: Record<string, string> } | null {
    const formMatch = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (formMatch) {
      const action = new URL(decodeEntities(formMatch[1]!), base).href;
      const fields: Record<string, string> = {};
      for (const m of formMatch[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)) fields[m[1]!] = decodeEntities(m[2]!);
      if (fields.prompt === 'login') {
        if (o.abortAtLogin) {
          const abort = /href="([^"]*\/abort)"/i.exec(html);
          return abort ? { url: new URL(decodeEntities(abort[1]!), base).href, method: 'GET' } : null;
        }
        return { url: action, method: 'POST', form: { ...fields, login: o.login, password: 'not-checked-by-dev-interactions' } };
      }
      if (fields.prompt === 'consent') return { url: action, method: 'POST', form: fields };
    }
    // Synapse's sso_redirect_confirm.html: <a href="{{ redirect_url }}" class="primary-button">Continue</a>
    const confirm = /<a href="([^"]+)" class="primary-button">/i.exec(html);
    if (confirm) return { url: new URL(decodeEntities(confirm[1]!), base).href, method: 'GET' };
    return null;
  }
}
