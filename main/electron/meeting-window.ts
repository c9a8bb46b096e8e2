// Meetings in a window of their own (issue 5): the Jitsi page of the organisation's server in a
// sandboxed BrowserWindow with a fresh, in-memory session per meeting, so the meeting site shares
// no cookies or storage with anything else and leaves nothing behind. Camera, microphone and
// screen sharing are granted only to that meeting's origin; every other permission is refused.
// What to share on screen is chosen by the user in a native dialog listing screens and windows.
// The window cannot navigate away from the meeting's origin: other links go to the browser.
//
// Electron is injected (MeetingWindowDeps) so that this stays unit-testable without a display.
import type { BrowserWindowConstructorOptions } from 'electron';
import { randomUUID } from 'node:crypto';
import { MEETING_WINDOW_NAME, safeMeetingUrl } from '../../common/meetings';

/** The window name the renderer opens meetings with (window.open(url, MEETING_FRAME)). */
export const MEETING_FRAME = MEETING_WINDOW_NAME;

/** Permissions a meeting needs, and only those. */
const MEETING_PERMISSIONS = new Set(['media', 'display-capture', 'fullscreen', 'clipboard-sanitized-write']);

export interface ShareSource {
  readonly id: string;
  readonly name: string;
}

export interface MeetingSession {
  setPermissionRequestHandler(h: (contents: unknown, permission: string, callback: (ok: boolean) => void, details: { requestingUrl?: string }) => void): void;
  setPermissionCheckHandler(h: (contents: unknown, permission: string, requestingOrigin: string) => boolean): void;
  setDisplayMediaRequestHandler(h: (request: { securityOrigin?: string }, callback: (streams: { video?: ShareSource }) => void) => void): void;
}

export interface MeetingWindowLike {
  readonly webContents: object;
  loadURL(url: string): Promise<void>;
  on(event: 'closed', listener: () => void): unknown;
  focus(): void;
}

export interface MeetingWindowDeps {
  createWindow(options: BrowserWindowConstructorOptions): MeetingWindowLike;
  /** session.fromPartition: a name without "persist:" keeps everything in memory. */
  partition(name: string): MeetingSession;
  /** desktopCapturer.getSources({ types: ['screen', 'window'] }). */
  shareSources(): Promise<readonly ShareSource[]>;
  /** Ask the user which source to share (a native dialog); null = cancelled. */
  pickSource(sources: readonly ShareSource[]): Promise<ShareSource | null>;
}

export class MeetingWindows {
  /** webContents → the origin its meeting may use (read lazily by the navigation guards). */
  private readonly origins = new WeakMap<object, string>();
  private readonly open = new Map<string, MeetingWindowLike>();

  constructor(private readonly deps: MeetingWindowDeps) {}

  /** The meeting origin of a webContents, if it is a meeting window's. */
  originOf(contents: object): string | null {
    return this.origins.get(contents) ?? null;
  }

  /** Open (or bring to front) the meeting at `raw`. Returns false for a link that is not safe. */
  openMeeting(raw: string): boolean {
    const url = safeMeetingUrl(raw);
    if (url === null) return false;
    const existing = this.open.get(url);
    if (existing) {
      existing.focus();
      return true;
    }
    const origin = new URL(url).origin;
    const ses = this.deps.partition(`meeting-${randomUUID()}`);
    this.guardSession(ses, origin);
    const win = this.deps.createWindow({
      width: 1100,
      height: 720,
      title: 'Samverka – meeting',
      autoHideMenuBar: true,
      webPreferences: {
        session: ses as never,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInSubFrames: false,
        webviewTag: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        safeDialogs: true,
      },
    });
    // Recorded before the page loads: the guards (installed when the webContents was created)
    // look the origin up when a navigation happens, which cannot be earlier than loadURL.
    this.origins.set(win.webContents, origin);
    this.open.set(url, win);
    win.on('closed', () => this.open.delete(url));
    void win.loadURL(url);
    return true;
  }

  private guardSession(ses: MeetingSession, origin: string): void {
    const fromMeeting = (u: string | undefined): boolean => {
      try {
        return u !== undefined && new URL(u).origin === origin;
      } catch {
        return false;
      }
    };
    ses.setPermissionRequestHandler((_c, permission, callback, details) => callback(MEETING_PERMISSIONS.has(permission) && fromMeeting(details.requestingUrl)));
    ses.setPermissionCheckHandler((_c, permission, requestingOrigin) => MEETING_PERMISSIONS.has(permission) && fromMeeting(requestingOrigin));
    ses.setDisplayMediaRequestHandler((request, callback) => {
      if (!fromMeeting(request.securityOrigin)) {
        callback({});
        return;
      }
      void this.deps.shareSources()
        .then((sources) => (sources.length > 0 ? this.deps.pickSource(sources) : null))
        .then((picked) => callback(picked ? { video: picked } : {}), () => callback({}));
    });
  }
}
