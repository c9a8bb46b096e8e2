// A one-shot loopback redirect listener for browser sign-in (RFC 8252 §7.3, protocols.md E.5):
// http://127.0.0.1:<ephemeral>/sso/<state>. It binds 127.0.0.1 only, answers exactly one GET on the
// exact path with the exact state (everything else: 404), then closes; it also closes on timeout or
// cancel. The browser gets a small self-contained page (sv + en, no external resources); the
// query parameters (the one-time token) go to the caller only, never into logs or the page.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../../common/errors';

export const SSO_PATH_PREFIX = '/sso/';
/** RFC 8252 loopback: the IP literal, not "localhost" (which may resolve elsewhere). */
const LOOPBACK_HOST = '127.0.0.1';
const MAX_URL_LENGTH = 8192;

export interface LoopbackOptions {
  readonly timeoutMs: number;
  /** Which page the browser gets for the accepted request (true = the expected token was there). */
  readonly accept?: (params: URLSearchParams) => boolean;
}

export interface LoopbackRedirect {
  /** http://127.0.0.1:<port>/sso/<state> */
  readonly redirectUrl: string;
  readonly port: number;
  /** The accepted request's query parameters; rejects with `timeout` or `cancelled`-style errors. */
  readonly result: Promise<URLSearchParams>;
  /** Stop listening; a pending `result` rejects with `reason` (default: cancelled). */
  close(reason?: AppError): void;
  /** How many requests were refused (wrong path, state, method or a second request). */
  readonly refused: number;
}

const PAGE_STYLE =
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:3rem 1rem;background:#f6f7f9;color:#1b1f24}' +
  'main{max-width:32rem;margin:0 auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}' +
  'h1{font-size:1.4rem;margin:0 0 .75rem}p{line-height:1.5;margin:.5rem 0}hr{border:0;border-top:1px solid #dde1e6;margin:1.5rem 0}' +
  '@media (prefers-color-scheme:dark){body{background:#16181c;color:#e8eaed}main{background:#22252a}hr{border-top-color:#3a3f46}}';

/** The page the browser shows after the redirect. Fixed texts only: nothing from the request. */
export function resultPage(ok: boolean): string {
  const sv = ok
    ? { h: 'Inloggningen är klar', p: 'Du kan stänga den här fliken och gå tillbaka till Samverka.' }
    : { h: 'Inloggningen misslyckades', p: 'Du kan stänga den här fliken. Gå tillbaka till Samverka och försök igen.' };
  const en = ok
    ? { h: 'Sign-in complete', p: 'You can close this tab and return to Samverka.' }
    : { h: 'Sign-in failed', p: 'You can close this tab. Return to Samverka and try again.' };
  return (
    '<!doctype html><html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<meta name="referrer" content="no-referrer"><title>Samverka – ${sv.h}</title><style>${PAGE_STYLE}</style></head><body><main>` +
    `<h1>${sv.h}</h1><p>${sv.p}</p><hr><section lang="en"><h1>${en.h}</h1><p>${en.p}</p></section></main></body></html>`
  );
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  // The URL carries the one-time token: never let it leak as a Referer.
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
} as const;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startLoopbackRedirect(opts: LoopbackOptions): Promise<LoopbackRedirect> {
  const state = randomBytes(32).toString('base64url');
  const path = `${SSO_PATH_PREFIX}${state}`;
  let settled = false;
  let refused = 0;
  let resolveResult!: (p: URLSearchParams) => void;
  let rejectResult!: (e: AppError) => void;
  const result = new Promise<URLSearchParams>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  // Callers may only look at `result` later; an unobserved rejection must not crash the process.
  result.catch(() => undefined);

  let port = 0;
  const refuse = (res: ServerResponse): void => {
    refused++;
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, Connection: 'close' });
    res.end('Not found');
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const raw = req.url ?? '';
    if (settled || req.method !== 'GET' || raw.length > MAX_URL_LENGTH || req.headers.host !== `${LOOPBACK_HOST}:${port}`) {
      refuse(res);
      return;
    }
    let url: URL;
    try {
      url = new URL(raw, `http://${LOOPBACK_HOST}:${port}`);
    } catch {
      refuse(res);
      return;
    }
    if (!sameSecret(url.pathname, path)) {
      refuse(res);
      return;
    }
    settled = true;
    const params = url.searchParams;
    const ok = opts.accept ? opts.accept(params) : true;
    const body = resultPage(ok);
    res.writeHead(ok ? 200 : 400, { 'Content-Type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, Connection: 'close' });
    res.end(body, () => shutdown());
    clearTimeout(timer);
    resolveResult(params);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;

  const shutdown = (): void => {
    server.close();
    server.closeAllConnections();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new AppError('unknown', `cannot listen on ${LOOPBACK_HOST}: ${e.message}`)));
    server.listen({ host: LOOPBACK_HOST, port: 0, exclusive: true }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  const timer = setTimeout(() => close(new AppError('timeout', 'No answer from the browser sign-in in time')), opts.timeoutMs);
  timer.unref?.();

  function close(reason: AppError = new AppError('conflict', 'The sign-in was cancelled')): void {
    clearTimeout(timer);
    if (!settled) {
      settled = true;
      rejectResult(reason);
    }
    shutdown();
  }

  return {
    redirectUrl: `http://${LOOPBACK_HOST}:${port}${path}`,
    port,
    result,
    close,
    get refused() {
      return refused;
    },
  };
}
