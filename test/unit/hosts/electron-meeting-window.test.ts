// The desktop meeting window: a fresh in-memory session per meeting, camera/microphone/screen only
// for the meeting's origin, a native picker for what to share, and no way to navigate elsewhere.
import { describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import { MEETING_FRAME, MeetingWindows } from '../../../main/electron/meeting-window';
import type { MeetingSession, MeetingWindowDeps, MeetingWindowLike, ShareSource } from '../../../main/electron/meeting-window';
import { guardWebContents } from '../../../main/electron/guards';
import { FakeWebContents } from './electron-mock';

vi.mock('electron', async () => await import('./electron-mock'));

type Handlers = {
  request?: Parameters<MeetingSession['setPermissionRequestHandler']>[0];
  check?: Parameters<MeetingSession['setPermissionCheckHandler']>[0];
  display?: Parameters<MeetingSession['setDisplayMediaRequestHandler']>[0];
};

function setup(pick: ShareSource | null = { id: 'screen:0', name: 'Skärm 1' }) {
  const sessions: { name: string; h: Handlers }[] = [];
  const windows: { options: Parameters<MeetingWindowDeps['createWindow']>[0]; win: MeetingWindowLike & { loaded: string[]; focused: number; webContents: FakeWebContents } }[] = [];
  const picked: ShareSource[][] = [];
  const deps: MeetingWindowDeps = {
    createWindow: (options) => {
      const win = { webContents: new FakeWebContents(), loaded: [] as string[], focused: 0, loadURL: async (u: string) => void win.loaded.push(u), on: () => win, focus: () => void win.focused++ };
      windows.push({ options, win });
      return win;
    },
    partition: (name) => {
      const h: Handlers = {};
      sessions.push({ name, h });
      return {
        setPermissionRequestHandler: (f) => void (h.request = f),
        setPermissionCheckHandler: (f) => void (h.check = f),
        setDisplayMediaRequestHandler: (f) => void (h.display = f),
      };
    },
    shareSources: async () => [{ id: 'screen:0', name: 'Skärm 1' }, { id: 'window:7', name: 'Budget.xlsx' }],
    pickSource: async (sources) => {
      picked.push([...sources]);
      return pick;
    },
  };
  return { m: new MeetingWindows(deps), sessions, windows, picked };
}

const URL_ = 'https://meet.agency.se/SamverkaAbcdefghijklmnopqrstuvwxyz234567';

describe('meeting window', () => {
  it('opens only safe https meeting links, in a sandboxed window with a fresh in-memory session, once per meeting', () => {
    const { m, sessions, windows } = setup();
    for (const bad of ['javascript:alert(1)', 'http://meet.agency.se/x', 'https://u:p@meet.agency.se/x', 'https://xn--mt-fka.agency.se/x']) expect(m.openMeeting(bad)).toBe(false);
    expect(windows).toHaveLength(0);
    expect(m.openMeeting(URL_)).toBe(true);
    expect(sessions[0]!.name).toMatch(/^meeting-[0-9a-f-]{36}$/u);
    expect(sessions[0]!.name.startsWith('persist:')).toBe(false);
    expect(windows[0]!.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webviewTag: false });
    expect(windows[0]!.win.loaded).toEqual([URL_]);
    expect(m.originOf(windows[0]!.win.webContents)).toBe('https://meet.agency.se');
    expect(m.openMeeting(URL_)).toBe(true);
    expect(windows).toHaveLength(1);
    expect(windows[0]!.win.focused).toBe(1);
  });

  it('grants camera, microphone and screen only to the meeting origin, nothing else to anyone', () => {
    const { m, sessions } = setup();
    m.openMeeting(URL_);
    const h = sessions[0]!.h;
    const ask = (permission: string, requestingUrl: string): boolean => {
      let answer = false;
      h.request!(null, permission, (ok) => (answer = ok), { requestingUrl });
      return answer;
    };
    expect(ask('media', 'https://meet.agency.se/Room')).toBe(true);
    expect(ask('display-capture', 'https://meet.agency.se/Room')).toBe(true);
    expect(ask('media', 'https://evil.example/')).toBe(false);
    expect(ask('media', 'https://meet.agency.se.evil.example/')).toBe(false);
    expect(ask('geolocation', 'https://meet.agency.se/Room')).toBe(false);
    expect(ask('notifications', 'https://meet.agency.se/Room')).toBe(false);
    expect(h.check!(null, 'media', 'https://meet.agency.se')).toBe(true);
    expect(h.check!(null, 'media', 'https://other.example')).toBe(false);
  });

  it('lets the user pick the screen or window to share; cancel shares nothing; other origins are not even asked', async () => {
    const chosen = setup({ id: 'window:7', name: 'Budget.xlsx' });
    chosen.m.openMeeting(URL_);
    const got = await new Promise((resolve) => chosen.sessions[0]!.h.display!({ securityOrigin: 'https://meet.agency.se' }, resolve));
    expect(got).toEqual({ video: { id: 'window:7', name: 'Budget.xlsx' } });
    expect(chosen.picked[0]!.map((s) => s.name)).toEqual(['Skärm 1', 'Budget.xlsx']);

    const cancelled = setup(null);
    cancelled.m.openMeeting(URL_);
    expect(await new Promise((resolve) => cancelled.sessions[0]!.h.display!({ securityOrigin: 'https://meet.agency.se' }, resolve))).toEqual({});
    expect(await new Promise((resolve) => cancelled.sessions[0]!.h.display!({ securityOrigin: 'https://evil.example' }, resolve))).toEqual({});
    expect(cancelled.picked).toHaveLength(1);
  });

  it('guards: a meeting window stays on its origin; only the app page opens meetings by name', () => {
    const { m, windows } = setup();
    const external: string[] = [];
    const openExternal = async (u: string): Promise<void> => void external.push(u);
    const hooks = { originOf: (c: object) => m.originOf(c), openMeeting: (u: string) => m.openMeeting(u) };

    // The app page: "Join" opens the meeting window, an ordinary link the browser.
    const appPage = new FakeWebContents();
    guardWebContents(appPage as unknown as WebContents, openExternal, hooks);
    expect(appPage.windowOpenHandler!({ url: URL_, frameName: MEETING_FRAME })).toEqual({ action: 'deny' });
    expect(windows).toHaveLength(1);
    appPage.windowOpenHandler!({ url: 'https://www.agency.se/', frameName: '' });
    expect(external).toEqual(['https://www.agency.se/']);

    // The meeting page itself: may move within its origin; leaving it goes to the browser.
    const meetingPage = windows[0]!.win.webContents;
    meetingPage.url = URL_;
    guardWebContents(meetingPage as unknown as WebContents, openExternal, hooks);
    const nav = (url: string): boolean => {
      let prevented = false;
      meetingPage.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(nav('https://meet.agency.se/static/close.html')).toBe(false);
    expect(nav('https://evil.example/phish')).toBe(true);
    expect(external).toContain('https://evil.example/phish');
    // A meeting page cannot open further meeting windows by using the app's window name.
    meetingPage.windowOpenHandler!({ url: 'https://meet.agency.se/OtherRoom1234', frameName: MEETING_FRAME });
    expect(windows).toHaveLength(1);
  });
});
