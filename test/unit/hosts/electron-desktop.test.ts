import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { DesktopDeps } from '../../../main/electron/desktop';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Patch } from '../../../common/api';
import { app, BrowserWindow, FakeEvent, FakeWebContents, mock, net, powerMonitor, protocol, session, shell, ipcMain } from './electron-mock';
import { createFakeCore, type FakeCore } from './fake-core';

vi.mock('electron', async () => await import('./electron-mock'));

const { runDesktopApp } = await import('../../../main/electron/desktop');
const { guardWebContents, guardSession } = await import('../../../main/electron/guards');

let userData: string;
let core: FakeCore;
let startCore: Mock<DesktopDeps['startCore']>;

beforeEach(async () => {
  mock.reset();
  userData = await mkdtemp(join(tmpdir(), 'samverka-ud-'));
  mock.userData = userData;
  core = createFakeCore();
  startCore = vi.fn<DesktopDeps['startCore']>(() => core);
});

afterEach(async () => {
  app.emit('before-quit', new FakeEvent());
  await rm(userData, { recursive: true, force: true });
});

async function startApp(): Promise<BrowserWindow> {
  const handle = runDesktopApp({ startCore, log: () => undefined, onlinePollMs: 10 });
  expect(handle).not.toBeNull();
  app.fireReady();
  await handle!.ready;
  const win = BrowserWindow.instances[0];
  expect(win).toBeDefined();
  return win!;
}

describe('desktop shell: start-up', () => {
  it('enables the sandbox and registers the app:// scheme before ready, and takes the single-instance lock', async () => {
    await startApp();
    expect(mock.log.indexOf('enableSandbox')).toBeGreaterThanOrEqual(0);
    expect(mock.log.indexOf('enableSandbox')).toBeLessThan(mock.log.indexOf('ready'));
    expect(mock.log.indexOf('registerSchemesAsPrivileged')).toBeLessThan(mock.log.indexOf('ready'));
    expect(mock.log.indexOf('requestSingleInstanceLock')).toBeLessThan(mock.log.indexOf('ready'));
    expect(protocol.privileged).toEqual([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) as unknown },
    ]);
    expect(protocol.handlers.has('app')).toBe(true);
  });

  it('quits when another instance holds the lock', () => {
    app.singleInstance = false;
    expect(runDesktopApp({ startCore, log: () => undefined })).toBeNull();
    expect(app.quit).toHaveBeenCalled();
    expect(startCore).not.toHaveBeenCalled();
  });

  it('creates the window with the secure webPreferences and loads app://samverka/', async () => {
    const win = await startApp();
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
      preload: join(mock.appPath, 'dist', 'electron', 'preload.cjs'),
    });
    expect(win.loadedUrls).toEqual(['app://samverka/index.html']);
  });

  it('starts the core with a keystore secret store and a profile dir in userData', async () => {
    await startApp();
    expect(startCore).toHaveBeenCalledTimes(1);
    const arg = startCore.mock.calls[0]![0];
    expect(arg.profileDir).toBe(join(userData, 'profile'));
    expect(arg.secrets.kind).toBe('keystore');
  });

  it('a second instance focuses the existing window instead of opening another', async () => {
    const win = await startApp();
    win.shown = false;
    app.emit('second-instance', new FakeEvent(), [], '/');
    expect(BrowserWindow.instances).toHaveLength(1);
    expect(win.shown).toBe(true);
  });

  it('closes the core before quitting', async () => {
    await startApp();
    const ev = new FakeEvent();
    app.emit('before-quit', ev);
    expect(ev.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(core.closed).toBe(true));
    expect(app.quit).toHaveBeenCalled();
  });
});

describe('desktop shell: core wiring', () => {
  it('wakes the core on resume, unlock-screen and when the network comes back', async () => {
    await startApp();
    powerMonitor.emit('resume');
    powerMonitor.emit('unlock-screen');
    expect(core.wakes).toBe(2);
    net.online = false;
    await new Promise((r) => setTimeout(r, 30));
    expect(core.wakes).toBe(2);
    net.online = true;
    await vi.waitFor(() => expect(core.wakes).toBe(3));
  });

  it('registers the IPC handler and forwards patches to the main window only', async () => {
    const win = await startApp();
    expect(ipcMain.handlers.has('samverka:invoke')).toBe(true);
    const other = new BrowserWindow({});
    const patches: Patch[] = [{ type: 'contact.removed', contactId: 'x' }];
    core.emit(patches);
    expect(win.webContents.sent).toEqual([{ channel: 'samverka:patches', args: [patches] }]);
    expect(other.webContents.sent).toEqual([]);
  });
});

describe('desktop shell: navigation guards', () => {
  function guarded(): FakeWebContents {
    const wc = new FakeWebContents();
    guardWebContents(wc as never, shell.openExternal);
    return wc;
  }

  it('is installed on every new webContents', async () => {
    const win = await startApp();
    expect(win.webContents.windowOpenHandler).not.toBeNull();
    expect(win.webContents.listenerCount('will-navigate')).toBe(1);
  });

  it('prevents navigation to an external URL and opens http(s)/mailto externally', () => {
    const wc = guarded();
    for (const url of ['https://example.org/page', 'http://intranet.local/', 'mailto:someone@example.org']) {
      shell.openExternal.mockClear();
      expect(wc.fire('will-navigate', url).defaultPrevented).toBe(true);
      expect(shell.openExternal).toHaveBeenCalledTimes(1);
      expect(shell.openExternal.mock.calls[0]![0]).toBe(new URL(url).href);
    }
  });

  it.each([
    'javascript:alert(1)',
    'file:///etc/passwd',
    'app://evil/index.html',
    'app://samverka.evil/index.html',
    'data:text/html,<script>1</script>',
    'smb://server/share',
    'https://user:pass@example.org/',
    'not a url',
  ])('refuses to open %s', (url) => {
    const wc = guarded();
    expect(wc.fire('will-navigate', url).defaultPrevented).toBe(true);
    expect(wc.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('allows navigation within app://samverka/', () => {
    const wc = guarded();
    expect(wc.fire('will-navigate', 'app://samverka/index.html#/settings').defaultPrevented).toBe(false);
    expect(wc.fire('will-redirect', 'app://samverka/index.html').defaultPrevented).toBe(false);
    expect(wc.fire('will-redirect', 'https://example.org/').defaultPrevented).toBe(true);
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('denies every new window, opening allowed links externally', () => {
    const wc = guarded();
    expect(wc.windowOpenHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledWith('https://example.org/');
    expect(wc.windowOpenHandler!({ url: 'app://samverka/index.html' })).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
  });

  it('refuses to attach a <webview>', () => {
    const wc = guarded();
    expect(wc.fire('will-attach-webview', {}, {}).defaultPrevented).toBe(true);
  });
});

describe('desktop shell: session guards', () => {
  it('denies every permission request and check', async () => {
    await startApp();
    const ses = session.defaultSession;
    for (const permission of ['media', 'notifications', 'geolocation', 'display-capture', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      ses.permissionRequestHandler!(new FakeWebContents(), permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
      expect(ses.permissionCheckHandler!(null, permission, 'app://samverka', {})).toBe(false);
    }
    expect(ses.devicePermissionHandler!({})).toBe(false);
  });

  it('prevents downloads started by the page', () => {
    guardSession(session.defaultSession as never);
    const ev = new FakeEvent();
    session.defaultSession.emit('will-download', ev, {}, {});
    expect(ev.defaultPrevented).toBe(true);
  });

  it('sets the CSP on app:// responses only', () => {
    guardSession(session.defaultSession as never);
    const h = session.defaultSession.headersReceived!;
    let got: unknown;
    h({ url: 'app://samverka/index.html', responseHeaders: { 'content-security-policy': ['default-src *'], 'X-A': ['1'] } }, (r) => (got = r));
    const headers = (got as { responseHeaders: Record<string, string[]> }).responseHeaders;
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['X-A']).toEqual(['1']);
    expect(headers['Content-Security-Policy']![0]).toContain("script-src 'self'");
    expect(headers['Content-Security-Policy']![0]).toContain("object-src 'none'");
    h({ url: 'https://example.org/' }, (r) => (got = r));
    expect(got).toEqual({});
  });
});
