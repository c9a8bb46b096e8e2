// Static file resolution for both hosts (web mode and the Electron app:// protocol): maps a request
// path to a file inside the built renderer, refusing anything that could escape it (.., encoded
// dots, NUL, backslashes, symlinks out).
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.webm': 'video/webm',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type ResolveResult =
  | { readonly ok: true; readonly file: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404 };

/**
 * Resolve the path part of a request URL (e.g. "/assets/app.js", still percent-encoded, query
 * allowed) to a regular file inside `rootDir`. "/" maps to index.html.
 */
export async function resolveStaticPath(rootDir: string, rawUrlPath: string): Promise<ResolveResult> {
  const q = rawUrlPath.search(/[?#]/);
  const encoded = q === -1 ? rawUrlPath : rawUrlPath.slice(0, q);
  if (!encoded.startsWith('/')) return { ok: false, status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 };
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 403 };
  const relative = decoded === '/' ? 'index.html' : decoded.slice(1);
  const root = resolve(rootDir);
  const candidate = resolve(root, relative);
  if (candidate !== root && !candidate.startsWith(root + sep)) return { ok: false, status: 403 };
  try {
    // Follow symlinks and check again: a link inside the root must not lead outside it.
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(candidate)]);
    if (!realFile.startsWith(realRoot + sep)) return { ok: false, status: 403 };
    const st = await stat(realFile);
    if (!st.isFile()) return { ok: false, status: 404 };
    return { ok: true, file: realFile };
  } catch {
    return { ok: false, status: 404 };
  }
}
