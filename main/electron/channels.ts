// Names shared by the main process and the preload (one source of truth).
export const INVOKE_CHANNEL = 'samverka:invoke';
export const PATCHES_CHANNEL = 'samverka:patches';

/** The renderer is served from app://samverka/ (a privileged, standard, secure scheme). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'samverka';
export const APP_ORIGIN_PREFIX = `${APP_SCHEME}://${APP_HOST}/`;
export const APP_INDEX_URL = `${APP_ORIGIN_PREFIX}index.html`;

/** The renderer's CSP in the desktop app (the same policy as the page's meta, minus web mode's ws:). */
export const DESKTOP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** True for URLs on our own app:// origin (and only that host). */
export function isAppUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}
