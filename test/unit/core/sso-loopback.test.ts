// The one-shot loopback redirect listener (main/core/sso/loopback.ts): 127.0.0.1 only, exactly one
// GET with the right state, 404 for everything else, closes after success, timeout or cancel.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../common/errors';
import { resultPage, startLoopbackRedirect } from '../../../main/core/sso/loopback';
import { checkBrowserUrl } from '../../../main/core/sso/sso-logins';

function get(url: string, host?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('loopback redirect listener', () => {
  it('accepts exactly one GET with the right state and answers with the bilingual page', async () => {
    const l = await startLoopbackRedirect({ timeoutMs: 5_000, accept: (q) => q.has('loginToken') });
    expect(l.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sso\/[A-Za-z0-9_-]{43}$/);
    const origin = new URL(l.redirectUrl).origin;
    expect((await get(`${origin}/sso/nope?loginToken=t`)).status).toBe(404);
    expect((await get(`${origin}/?loginToken=t`)).status).toBe(404);
    expect((await get(`${l.redirectUrl}?loginToken=t`, 'evil.example')).status).toBe(404); // DNS rebinding
    expect((await fetch(`${l.redirectUrl}?loginToken=t`, { method: 'POST' })).status).toBe(404);
    const ok = await get(`${l.redirectUrl}?loginToken=secret-token`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('You can close this tab and return to Samverka');
    expect(ok.body).toContain('Du kan stänga den här fliken och gå tillbaka till Samverka');
    expect(ok.body).not.toContain('secret-token');
    expect(ok.headers['referrer-policy']).toBe('no-referrer');
    expect(String(ok.headers['content-security-policy'])).toContain("default-src 'none'");
    expect((await l.result).get('loginToken')).toBe('secret-token');
    expect(l.refused).toBe(4);
    await expect(get(`${l.redirectUrl}?loginToken=again`)).rejects.toThrow();
  });

  it('times out and is cancellable, with distinct errors', async () => {
    const t = await startLoopbackRedirect({ timeoutMs: 50 });
    const e1 = await t.result.catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(AppError);
    expect((e1 as AppError).kind).toBe('timeout');
    await expect(get(t.redirectUrl)).rejects.toThrow();

    const c = await startLoopbackRedirect({ timeoutMs: 5_000 });
    c.close();
    expect(((await c.result.catch((e: unknown) => e)) as AppError).kind).toBe('conflict');
  });

  it('the failure page has no external resources', () => {
    const page = resultPage(false);
    expect(page).toContain('Sign-in failed');
    expect(page).toContain('Inloggningen misslyckades');
    expect(page).not.toMatch(/<script|<link|<img|src=|url\(/i);
  });

  it('only http(s) URLs without credentials go to the browser', () => {
    expect(checkBrowserUrl('https://matrix.example/_matrix/client/v3/login/sso/redirect?x=1')).toBe('https://matrix.example/_matrix/client/v3/login/sso/redirect?x=1');
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'https://user:pw@matrix.example/', 'not a url']) {
      expect(() => checkBrowserUrl(bad)).toThrow(AppError);
    }
  });
});
