// The desktop shell's lifecycle: security switches before ready, the app:// scheme, guards,
// the core (through core-bridge), IPC, the main window, and wake-ups for the core.
import { app, BrowserWindow, desktopCapturer, dialog, ipcMain, net, powerMonitor, safeStorage, session, shell } from 'electron';
import { MeetingWindows } from './meeting-window';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreApi, SecretStore } from '../core/host-api';
import { installAppProtocol, registerAppScheme } from './app-protocol';
import { guardSession, guardWebContents } from './guards';
import { registerIpc } from './ipc';
import { recordedPasswordStore, SafeStorageSecretStore } from './safe-storage-secret-store';
import { createMainWindow } from './window';

export interface DesktopDeps {
  /** Starts the core (core-bridge.ts). */
  readonly startCore: (opts: { readonly profileDir: string; readonly secrets: SecretStore }) => CoreApi;
  readonly log?: (line: string) => void;
  /** How often to poll net.isOnline() (Electron's main process has no 'online' event). */
  readonly onlinePollMs?: number;
}

export interface DesktopHandle {
  /** Resolves when the window is up (or rejects if start-up failed). */
  readonly ready: Promise<void>;
  getMainWindow(): BrowserWindow | null;
}

/** Returns null when another instance already runs (this one quits). */
export function runDesktopApp(deps: DesktopDeps): DesktopHandle | null {
  const log = deps.log ?? ((line: string) => process.stderr.write(line + '\n'));
  app.enableSandbox();
  registerAppScheme();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }

  const userData = app.getPath('userData');
  const secretsFile = join(userData, 'secrets.json');
  if (process.platform === 'linux') {
    // Keep using the key store backend the secrets were written with.
    const store = recordedPasswordStore(secretsFile);
    if (store !== null) app.commandLine.appendSwitch('password-store', store);
  }

  let mainWindow: BrowserWindow | null = null;
  let core: CoreApi | null = null;
  let disposeIpc: (() => void) | null = null;
  let onlineTimer: ReturnType<typeof setInterval> | null = null;
  let closing: Promise<void> | null = null;
  const openExternal = (url: string): Promise<void> => shell.openExternal(url);
  const preloadPath = join(app.getAppPath(), 'dist', 'electron', 'preload.cjs');

  const showWindow = (): void => {
    if (mainWindow === null || mainWindow.isDestroyed()) {
      mainWindow = createMainWindow({ preloadPath });
      mainWindow.on('closed', () => {
        mainWindow = null;
      });
      return;
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };

  const meetings = new MeetingWindows({
    createWindow: (options) => new BrowserWindow(options),
    partition: (name) => session.fromPartition(name),
    shareSources: async () => (await desktopCapturer.getSources({ types: ['screen', 'window'] })).map((s) => ({ id: s.id, name: s.name })),
    pickSource: async (sources) => {
      // A native list of what can be shared; the first ten (screens come first), then Cancel.
      const shown = sources.slice(0, 10);
      const { response } = await dialog.showMessageBox({
        type: 'question',
        message: 'Share your screen or a window / Dela skärmen eller ett fönster',
        buttons: [...shown.map((s) => s.name.slice(0, 60)), 'Cancel / Avbryt'],
        cancelId: shown.length,
        noLink: true,
      });
      return shown[response] ?? null;
    },
  });
  app.on('web-contents-created', (_event, contents) =>
    guardWebContents(contents, openExternal, { originOf: (c) => meetings.originOf(c), openMeeting: (url) => meetings.openMeeting(url) }),
  );
  app.on('second-instance', () => {
    if (app.isReady()) showWindow();
  });
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) showWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', (event) => {
    if (core === null) return;
    event.preventDefault();
    closing ??= (async () => {
      if (onlineTimer !== null) clearInterval(onlineTimer);
      disposeIpc?.();
      try {
        await core?.close();
      } catch (e) {
        log(`Samverka: error while closing the core: ${e instanceof Error ? e.message : String(e)}`);
      }
      core = null;
      app.quit();
    })();
  });

  const ready = app.whenReady().then(() => {
    installAppProtocol(join(app.getAppPath(), 'dist', 'renderer'));
    guardSession(session.defaultSession);

    const secrets = new SafeStorageSecretStore({ safeStorage, file: secretsFile, log });
    const reason = secrets.unavailableReason();
    if (reason !== null) log(`Samverka: ${reason}`);
    const profileDir = join(userData, 'profile');
    mkdirSync(profileDir, { recursive: true, mode: 0o700 });
    const started = deps.startCore({ profileDir, secrets });
    core = started;
    disposeIpc = registerIpc({ ipcMain, core: started, getMainWindow: () => mainWindow });

    const wake = (): void => started.wake();
    powerMonitor.on('resume', wake);
    powerMonitor.on('unlock-screen', wake);
    let online = net.isOnline();
    onlineTimer = setInterval(() => {
      const now = net.isOnline();
      if (now && !online) wake();
      online = now;
    }, deps.onlinePollMs ?? 5000);
    onlineTimer.unref?.();

    showWindow();
  });
  ready.catch((e: unknown) => {
    log(`Samverka failed to start: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    app.exit(1);
  });

  return { ready, getMainWindow: () => mainWindow };
}
