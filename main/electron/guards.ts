// Security guards for every webContents and the default session (design-anchors §4.9).
import type { Session, WebContents } from 'electron';
import { APP_ORIGIN_PREFIX, DESKTOP_CSP, isAppUrl } from './channels';
import { safeOpenUrl } from './safe-open-url';

export type OpenExternal = (url: string) => Promise<void>;

/**
 * Navigation guard: the window may only navigate within app://samverka/. Any other navigation is
 * prevented; http(s)/mailto links are handed to the system browser/mail client instead.
 * New windows are always denied (links opened externally after the same allowlist check), and
 * <webview> can never be attached.
 */
export function guardWebContents(contents: WebContents, openExternal: OpenExternal): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    safeOpenUrl(url, openExternal);
  });
  contents.on('will-redirect', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    safeOpenUrl(url, openExternal);
    return { action: 'deny' };
  });
}

/**
 * Deny every permission request and check (camera, microphone, notifications via the web API,
 * geolocation, …). Meetings will later allow media for the meeting window only.
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
