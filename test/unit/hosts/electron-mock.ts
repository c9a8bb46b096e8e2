// A hand-written stand-in for the 'electron' module (the binary cannot be installed here, and
// require('electron') fails in plain Node). Use with:
//   vi.mock('electron', async () => await import('./electron-mock'));
// and import { mock } from './electron-mock' to drive and inspect it.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { vi } from 'vitest';

type Listener = (...args: unknown[]) => void;

export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  windowOpenHandler: ((details: { url: string; frameName?: string }) => { action: string }) | null = null;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  url = 'app://samverka/index.html';
  setWindowOpenHandler(h: (details: { url: string; frameName?: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  getURL(): string {
    return this.url;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Emit an event the way Electron does: an event object first. Returns the event. */
  fire(name: string, ...args: unknown[]): FakeEvent {
    const ev = new FakeEvent();
    this.emit(name, ev, ...args);
    return ev;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly instances: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.instances.filter((w) => !w.destroyed);
  }
  readonly webContents = new FakeWebContents();
  readonly loadedUrls: string[] = [];
  destroyed = false;
  shown = false;
  constructor(readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
    mock.log.push('BrowserWindow');
    // Electron emits web-contents-created for every new webContents.
    app.emit('web-contents-created', new FakeEvent(), this.webContents);
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrls.push(url);
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  show(): void {
    this.shown = true;
  }
  focus(): void {}
}

class FakeApp extends EventEmitter {
  singleInstance = true;
  ready = false;
  #resolveReady: (() => void) | null = null;
  #readyPromise: Promise<void> = new Promise((ok) => (this.#resolveReady = ok));
  readonly switches: [string, string | undefined][] = [];
  readonly commandLine = {
    appendSwitch: (name: string, value?: string): void => {
      this.switches.push([name, value]);
    },
  };
  enableSandbox = vi.fn(() => {
    mock.log.push('enableSandbox');
  });
  requestSingleInstanceLock = vi.fn(() => {
    mock.log.push('requestSingleInstanceLock');
    return this.singleInstance;
  });
  quit = vi.fn(() => {
    mock.log.push('quit');
  });
  exit = vi.fn();
  getPath(name: string): string {
    return `${mock.userData}/${name === 'userData' ? '' : name}`.replace(/\/$/, '');
  }
  getAppPath(): string {
    return mock.appPath;
  }
  isReady(): boolean {
    return this.ready;
  }
  whenReady(): Promise<void> {
    return this.#readyPromise;
  }
  fireReady(): void {
    this.ready = true;
    mock.log.push('ready');
    this.#resolveReady?.();
  }
  resetReady(): void {
    this.ready = false;
    this.#readyPromise = new Promise((ok) => (this.#resolveReady = ok));
  }
}

export const app = new FakeApp();

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (req: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    mock.log.push('registerSchemesAsPrivileged');
    this.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (req: Request) => Promise<Response>): void {
    this.handlers.set(scheme, handler);
  },
};

class FakeSession extends EventEmitter {
  permissionRequestHandler: Listener | null = null;
  permissionCheckHandler: ((...args: unknown[]) => boolean) | null = null;
  devicePermissionHandler: ((...args: unknown[]) => boolean) | null = null;
  headersReceived: ((details: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void) | null = null;
  readonly webRequest = {
    onHeadersReceived: (h: (details: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void): void => {
      this.headersReceived = h;
    },
  };
  setPermissionRequestHandler(h: Listener): void {
    this.permissionRequestHandler = h;
  }
  setPermissionCheckHandler(h: (...args: unknown[]) => boolean): void {
    this.permissionCheckHandler = h;
  }
  setDevicePermissionHandler(h: (...args: unknown[]) => boolean): void {
    this.devicePermissionHandler = h;
  }
}

export const session = { defaultSession: new FakeSession() };

export const shell = { openExternal: vi.fn((_url: string) => Promise.resolve()) };

export const powerMonitor = new EventEmitter();

export const net = { online: true, isOnline: (): boolean => net.online };

export const ipcMain = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  handle(channel: string, h: (event: unknown, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, h);
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  },
};

export const safeStorage = {
  isEncryptionAvailable: (): boolean => true,
  encryptString: (s: string): Buffer => Buffer.from(`enc:${s}`),
  decryptString: (b: Buffer): string => b.toString().replace(/^enc:/, ''),
  getSelectedStorageBackend: (): string => 'gnome_libsecret',
};

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    this.exposed.set(key, api);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoke: vi.fn((_channel: string, ..._args: unknown[]): Promise<unknown> => Promise.resolve({ ok: true, value: null })),
});

/**
 * The child's side of a FakeUtilityProcess: what `process.parentPort` is inside a real utility
 * process. Messages are structured-cloned and delivered on a microtask, as across processes.
 */
export class FakeParentPort extends EventEmitter {
  constructor(private readonly child: FakeUtilityProcess) {
    super();
  }
  postMessage(message: unknown): void {
    if (this.child.exited) return;
    const data = structuredClone(message);
    queueMicrotask(() => {
      if (!this.child.exited) this.child.emit('message', data);
    });
  }
}

/** A stand-in for Electron's UtilityProcess. Tests drive `parentPort` (the child's side). */
export class FakeUtilityProcess extends EventEmitter {
  static nextPid = 4000;
  readonly pid = FakeUtilityProcess.nextPid++;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly parentPort = new FakeParentPort(this);
  /** Every message main posted to the child (after structured clone), in order. */
  readonly received: unknown[] = [];
  exited = false;
  killed = false;
  constructor(
    readonly modulePath: string,
    readonly args: readonly string[],
    readonly options: Record<string, unknown>,
  ) {
    super();
  }
  postMessage(message: unknown): void {
    if (this.exited) return;
    const data = structuredClone(message);
    this.received.push(data);
    queueMicrotask(() => {
      if (!this.exited) this.parentPort.emit('message', { data, ports: [] });
    });
  }
  kill(): boolean {
    if (this.exited) return false;
    this.killed = true;
    this.crash(0);
    return true;
  }
  /** The process ends (a crash unless `kill()` was called): 'exit' fires on a microtask. */
  crash(code = 1): void {
    if (this.exited) return;
    this.exited = true;
    queueMicrotask(() => this.emit('exit', code));
  }
  /** What a child that sends garbage or talks out of turn does. */
  sendRaw(message: unknown): void {
    this.parentPort.postMessage(message);
  }
}

export const utilityProcess = {
  fork: vi.fn((modulePath: string, args: string[] = [], options: Record<string, unknown> = {}): FakeUtilityProcess => {
    if (mock.utility.forkError !== null) throw mock.utility.forkError;
    const child = new FakeUtilityProcess(modulePath, args, options);
    mock.utility.children.push(child);
    mock.utility.onFork?.(child);
    return child;
  }),
};

export const mock = {
  log: [] as string[],
  userData: '/tmp/samverka-test-userdata',
  appPath: '/opt/samverka',
  utility: {
    children: [] as FakeUtilityProcess[],
    /** Called for every fork, e.g. to run the real core-host logic on `child.parentPort`. */
    onFork: null as ((child: FakeUtilityProcess) => void) | null,
    forkError: null as Error | null,
  },
  reset(): void {
    this.log.length = 0;
    BrowserWindow.instances.length = 0;
    app.removeAllListeners();
    app.singleInstance = true;
    app.resetReady();
    app.switches.length = 0;
    app.enableSandbox.mockClear();
    app.requestSingleInstanceLock.mockClear();
    app.quit.mockClear();
    app.exit.mockClear();
    protocol.privileged.length = 0;
    protocol.handlers.clear();
    session.defaultSession = new FakeSession();
    shell.openExternal.mockClear();
    powerMonitor.removeAllListeners();
    net.online = true;
    ipcMain.handlers.clear();
    contextBridge.exposed.clear();
    ipcRenderer.removeAllListeners();
    ipcRenderer.invoke.mockClear();
    this.utility.children.length = 0;
    this.utility.onFork = null;
    this.utility.forkError = null;
    utilityProcess.fork.mockClear();
  },
};

export default { app, BrowserWindow, protocol, session, shell, powerMonitor, net, ipcMain, safeStorage, contextBridge, ipcRenderer, utilityProcess };
