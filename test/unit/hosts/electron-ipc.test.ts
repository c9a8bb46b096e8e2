import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindow } from 'electron';
import type { IpcResult, Patch } from '../../../common/api';
import { isTrustedSender, registerIpc } from '../../../main/electron/ipc';
import { createFakeCore, type FakeCore } from './fake-core';

type Handler = (event: unknown, raw: unknown) => Promise<IpcResult<unknown>>;

interface FakeWin {
  destroyed: boolean;
  sent: unknown[][];
  isDestroyed(): boolean;
  webContents: { isDestroyed(): boolean; send(...args: unknown[]): void };
}

function fakeWindow(): FakeWin {
  const w: FakeWin = {
    destroyed: false,
    sent: [],
    isDestroyed: () => w.destroyed,
    webContents: { isDestroyed: () => w.destroyed, send: (...args: unknown[]) => void w.sent.push(args) },
  };
  return w;
}

function setup(core: FakeCore = createFakeCore()) {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: vi.fn((channel: string, h: Handler) => void handlers.set(channel, h)),
    removeHandler: vi.fn((channel: string) => void handlers.delete(channel)),
  };
  let win: FakeWin | null = fakeWindow();
  const dispose = registerIpc({
    ipcMain: ipcMain as never,
    core,
    getMainWindow: () => win as unknown as BrowserWindow | null,
  });
  const invoke = (frame: unknown, raw: unknown): Promise<IpcResult<unknown>> => handlers.get('samverka:invoke')!({ senderFrame: frame }, raw);
  return { core, handlers, ipcMain, dispose, invoke, getWin: () => win, setWin: (w: FakeWin | null) => (win = w) };
}

const mainFrame = { url: 'app://samverka/index.html', parent: null };

describe('electron IPC', () => {
  it('delegates a valid command from the app main frame to the core', async () => {
    const { invoke, core } = setup();
    const r = await invoke(mainFrame, { cmd: 'inbox:list', input: { accountId: 'a' } });
    expect(r).toEqual({ ok: true, value: { echo: { cmd: 'inbox:list', input: { accountId: 'a' } } } });
    expect(core.calls).toEqual([{ cmd: 'inbox:list', input: { accountId: 'a' } }]);
  });

  it.each([
    ['a web page', { url: 'https://evil.example/', parent: null }],
    ['another app host', { url: 'app://samverka.evil/index.html', parent: null }],
    ['a file page', { url: 'file:///tmp/x.html', parent: null }],
    ['a subframe of our page', { url: 'app://samverka/index.html', parent: mainFrame }],
    ['a destroyed frame', null],
  ])('refuses IPC from %s', async (_label, frame) => {
    const { invoke, core } = setup();
    const r = await invoke(frame, { cmd: 'app:snapshot', input: {} });
    expect(r).toMatchObject({ ok: false, error: { kind: 'ipc_forbidden' } });
    expect(core.calls).toHaveLength(0);
  });

  it('treats a frame whose url getter throws as untrusted', () => {
    const frame = {
      get url(): string {
        throw new Error('Render frame was disposed');
      },
      parent: null,
    };
    expect(isTrustedSender(frame as never)).toBe(false);
  });

  it.each([
    ['an unknown command', { cmd: 'shell:exec', input: {} }],
    ['a prototype key', { cmd: 'constructor', input: {} }],
    ['a non-string cmd', { cmd: 1, input: {} }],
    ['a non-object request', 'app:snapshot'],
    ['null', null],
    ['an array', ['app:snapshot', {}]],
  ])('refuses %s with ipc_invalid', async (_label, raw) => {
    const { invoke, core } = setup();
    expect(await invoke(mainFrame, raw)).toMatchObject({ ok: false, error: { kind: 'ipc_invalid' } });
    expect(core.calls).toHaveLength(0);
  });

  it('never throws across IPC when the core throws', async () => {
    const { invoke } = setup(createFakeCore(() => Promise.reject(new Error('boom'))));
    expect(await invoke(mainFrame, { cmd: 'app:snapshot', input: {} })).toEqual({
      ok: false,
      error: { kind: 'unknown', message: 'boom', fatal: false },
    });
  });

  it('forwards patches to the main window only, and not to a destroyed one', () => {
    const { core, getWin, setWin } = setup();
    const patches: Patch[] = [{ type: 'contact.removed', contactId: 'c' }];
    core.emit(patches);
    expect(getWin()!.sent).toEqual([['samverka:patches', patches]]);
    getWin()!.destroyed = true;
    core.emit(patches);
    expect(getWin()!.sent).toHaveLength(1);
    setWin(null);
    expect(() => core.emit(patches)).not.toThrow();
  });

  it('dispose removes the handler and the patch subscription', () => {
    const { core, handlers, dispose } = setup();
    expect(core.listenerCount()).toBe(1);
    dispose();
    expect(handlers.size).toBe(0);
    expect(core.listenerCount()).toBe(0);
  });
});
