// Wraps the preload's `window.samverka` (contextBridge) into a ChatApi.
import type { CommandInput, CommandName, CommandOutputs, IpcResult, Patch } from '../../common/api';
import { ApiError } from './errors';
import type { RendererApi } from './types';

export interface PreloadBridge {
  invoke(cmd: string, input: unknown): Promise<IpcResult<unknown>>;
  onPatches(cb: (patches: readonly Patch[]) => void): () => void;
}

declare global {
  interface Window {
    samverka?: PreloadBridge;
  }
}

export function createElectronApi(bridge: PreloadBridge): RendererApi {
  return {
    async invoke<C extends CommandName>(cmd: C, input: CommandInput<C>): Promise<CommandOutputs[C]> {
      const r = await bridge.invoke(cmd, input);
      if (r.ok) return r.value as CommandOutputs[C];
      throw new ApiError(r.error);
    },
    onPatches(listener) {
      return bridge.onPatches(listener);
    },
  };
}
