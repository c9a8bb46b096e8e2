// Which meeting links the app offers to open. Shared by the core (before anything is stored or
// returned) and the renderer (again, before opening). Only https, no credentials in the URL, and
// a host name that is plain ASCII: look-alike (IDN) hosts such as "jіtsi" with a Cyrillic i are
// refused rather than shown as a trustworthy Join button.
/**
 * The window name the UI opens embeddable (Jitsi) meetings with: the desktop shell shows them in
 * its meeting window (main/electron/meeting-window.ts); any other window.open goes to the browser.
 */
export const MEETING_WINDOW_NAME = 'samverka-meeting';

export function safeMeetingUrl(raw: string): string | null {
  if (raw.length > 2048) return null;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return null;
  // URL() turns non-ASCII host names into punycode (xn--); an xn-- label is a look-alike risk.
  if (u.hostname.split('.').some((label) => label.startsWith('xn--'))) return null;
  return u.href;
}
