// The privileged app:// scheme that serves the built renderer (not file://, cf. Element's vector://).
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { APP_HOST, APP_SCHEME, DESKTOP_CSP } from './channels';
import { contentTypeFor, resolveStaticPath } from '../shared/static-files';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': DESKTOP_CSP,
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** The request handler for protocol.handle('app', …), exported for tests. */
export function createAppProtocolHandler(rootDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return plain(400, 'Bad Request');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return plain(403, 'Forbidden');
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method Not Allowed');
    // Take the path from the raw URL too: the URL parser already folds "..", but an encoded
    // "..%2f" survives it and is caught by resolveStaticPath.
    const found = await resolveStaticPath(rootDir, url.pathname);
    if (!found.ok) return plain(found.status, found.status === 404 ? 'Not Found' : 'Forbidden');
    const body = await readFile(found.file);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: {
        ...BASE_HEADERS,
        'Content-Type': contentTypeFor(found.file),
        'Cache-Control': found.file.endsWith('.html') ? 'no-store' : 'no-cache',
      },
    });
  };
}

/** Must run after the app is ready. */
export function installAppProtocol(rootDir: string): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(rootDir));
}
