// The main window. Guards for its webContents are installed by the app-wide
// 'web-contents-created' hook (desktop.ts), so they also cover any other webContents.
import { BrowserWindow, type WebPreferences } from 'electron';
import { APP_INDEX_URL } from './channels';

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

export function createMainWindow(opts: { readonly preloadPath: string; readonly url?: string }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Samverka',
    webPreferences: secureWebPreferences(opts.preloadPath),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(opts.url ?? APP_INDEX_URL);
  return win;
}
