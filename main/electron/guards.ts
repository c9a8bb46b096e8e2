// Security guards for every webContents and the default session (design-anchors §4.9).
import type { Session, WebContents } from 'electron';
import { APP_ORIGIN_PREFIX, DESKTOP_CSP, isAppUrl } from './channels';
import { safeOpenUrl } from './safe-open-url';
import { MEETING_FRAME } from './meeting-window';

export type OpenExternal = (url: string) => Promise<void>;

/** Meeting windows (meeting-window.ts): which origin one may use, and how to open one. */
export interface MeetingHooks {
  originOf(contents: object): string | null;
  openMeeting(url: string): boolean;
}

function sameOrigin(url: string, origin: string | null): boolean {
  if (origin === null) return false;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/**
 * Navigation guard: the window may only navigate within app://samverka/. Any other navigation is
 * prevented; http(s)/mailto links are handed to the system browser/mail client instead.
 * New windows are always denied (links opened externally after the same allowlist check), and
 * <webview> can never be attached.
 */
export function guardWebContents(contents: WebContents, openExternal: OpenExternal, meetings?: MeetingHooks): void {
  // A meeting window may move within its meeting's origin (Jitsi's own pages), nowhere else.
  const allowed = (url: string): boolean => isAppUrl(url) || sameOrigin(url, meetings?.originOf(contents) ?? null);
  contents.on('will-navigate', (event, url) => {
    if (allowed(url)) return;
    event.preventDefault();
    safeOpenUrl(url, openExternal);
  });
  contents.on('will-redirect', (event, url) => {
    if (allowed(url)) return;
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url, frameName }) => {
    // The app's own "Join" opens meetings by name; anything else, and a link that is not a safe
    // meeting address, goes to the system browser after the allowlist check.
    if (frameName === MEETING_FRAME && isAppUrl(contents.getURL()) && meetings?.openMeeting(url)) return { action: 'deny' };
    safeOpenUrl(url, openExternal);
    return { action: 'deny' };
  });
}

/**
 * Deny every permission request and check (camera, microphone, notifications via the web API,
 * geolocation, …) in the app's own session. Meeting windows have sessions of their own that
 * allow media for the meeting's origin only (meeting-window.ts).
 */
export function guardSession(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // Downloads go through the core (file:download); a page cannot trigger one by navigation.
  ses.on('will-download', (event) => event.preventDefault());
  // The CSP is also set by the app:// handler; this makes sure no app:// response lacks it.
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!details.url.startsWith(APP_ORIGIN_PREFIX)) {
      callback({});
      return;
    }
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(details.responseHeaders ?? {})) {
      if (k.toLowerCase() !== 'content-security-policy') headers[k] = v;
    }
    headers['Content-Security-Policy'] = [DESKTOP_CSP];
    callback({ responseHeaders: headers });
  });
}
