import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Patch } from '../../../common/api';
import { contextBridge, ipcRenderer, mock } from './electron-mock';

vi.mock('electron', async () => await import('./electron-mock'));

interface Bridge {
  invoke(cmd: string, input: unknown): Promise<unknown>;
  onPatches(cb: (patches: readonly Patch[]) => void): () => void;
}

let bridge: Bridge;

beforeAll(async () => {
  mock.reset();
  await import('../../../main/electron/preload');
  bridge = contextBridge.exposed.get('samverka') as Bridge;
});

describe('preload', () => {
  it('exposes only window.samverka with invoke and onPatches', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['samverka']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onPatches']);
  });

  it('forwards a known command over the one invoke channel', async () => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: 42 });
    await expect(bridge.invoke('inbox:list', { accountId: 'a' })).resolves.toEqual({ ok: true, value: 42 });
    expect(ipcRenderer.invoke).toHaveBeenCalledWith('samverka:invoke', { cmd: 'inbox:list', input: { accountId: 'a' } });
  });

  it.each(['fs:read', '__proto__', 'toString', ''])('rejects unknown command %j without IPC', async (cmd) => {
    ipcRenderer.invoke.mockClear();
    await expect(bridge.invoke(cmd, {})).rejects.toThrow(/Unknown command/);
    expect(ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('rejects a non-string command', async () => {
    await expect(bridge.invoke(7 as unknown as string, {})).rejects.toThrow(/Unknown command/);
  });

  it('delivers patches without the IPC event, and unsubscribes', () => {
    const got: unknown[][] = [];
    const off = bridge.onPatches((...args: unknown[]) => void got.push(args));
    const patches: Patch[] = [{ type: 'contact.removed', contactId: 'c' }];
    ipcRenderer.emit('samverka:patches', { sender: 'SECRET' }, patches);
    expect(got).toEqual([[patches]]);
    off();
    ipcRenderer.emit('samverka:patches', {}, patches);
    expect(got).toHaveLength(1);
    expect(ipcRenderer.listenerCount('samverka:patches')).toBe(0);
  });

  it('refuses a non-function listener', () => {
    expect(() => bridge.onPatches('x' as never)).toThrow(TypeError);
  });
});
