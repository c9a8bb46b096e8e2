// Preload (bundled to CommonJS; sandboxed preloads cannot be ESM). Exposes exactly two functions.
// `invoke` resolves to the IpcResult (the same `result` the web-mode WebSocket carries);
// an unknown command name is rejected here, before it reaches IPC.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { isCommandName, type IpcResult, type Patch } from '../../common/api';
import { INVOKE_CHANNEL, PATCHES_CHANNEL } from './channels';

export interface SamverkaBridge {
  invoke(cmd: string, input: unknown): Promise<IpcResult<unknown>>;
  onPatches(listener: (patches: readonly Patch[]) => void): () => void;
}

const bridge: SamverkaBridge = {
  invoke(cmd, input) {
    if (typeof cmd !== 'string' || !isCommandName(cmd)) {
      return Promise.reject(new Error(`Unknown command: ${String(cmd).slice(0, 64)}`));
    }
    return ipcRenderer.invoke(INVOKE_CHANNEL, { cmd, input }) as Promise<IpcResult<unknown>>;
  },
  onPatches(listener) {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // Never hand the IpcRendererEvent (it carries `sender`) to the page.
    const handler = (_event: IpcRendererEvent, patches: readonly Patch[]): void => listener(patches);
    ipcRenderer.on(PATCHES_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(PATCHES_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('samverka', bridge);
