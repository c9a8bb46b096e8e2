// The only way a URL leaves the app for the system: an allowlist of schemes (Element's
// safeOpenURL). Anything else (javascript:, file:, app:, custom handlers, data:) is refused.
const ALLOWED_PROTOCOLS = new Set(['https:', 'http:', 'mailto:']);
const MAX_URL_LENGTH = 4096;

/** Returns the normalised URL if it may be handed to the OS, otherwise null. */
export function checkExternalUrl(raw: string): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL_LENGTH) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (!ALLOWED_PROTOCOLS.has(u.protocol)) return null;
  if (u.protocol === 'mailto:') return u.pathname.length > 0 ? u.href : null;
  // http(s): a real host, no embedded credentials (phishing: https://bank.se@evil.example).
  if (u.hostname === '' || u.username !== '' || u.password !== '') return null;
  return u.href;
}

/**
 * Open `raw` with the system handler if it passes the allowlist. Returns whether it was opened.
 * `openExternal` is Electron's shell.openExternal (injected to keep this module pure).
 */
export function safeOpenUrl(raw: string, openExternal: (url: string) => Promise<void>): boolean {
  const url = checkExternalUrl(raw);
  if (url === null) return false;
  openExternal(url).catch(() => undefined);
  return true;
}
