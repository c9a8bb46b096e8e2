// A small fake CoreApi for the host tests: records calls, echoes input, lets a test push patches.
import type { IpcResult, Patch } from '../../../common/api';
import type { CoreApi } from '../../../main/core/host-api';

export interface FakeCore extends CoreApi {
  readonly calls: { cmd: string; input: unknown }[];
  readonly listenerCount: () => number;
  emit(patches: readonly Patch[]): void;
  wakes: number;
  closed: boolean;
}

export function createFakeCore(handler?: (cmd: string, input: unknown) => Promise<IpcResult<unknown>>): FakeCore {
  const listeners = new Set<(p: readonly Patch[]) => void>();
  const calls: { cmd: string; input: unknown }[] = [];
  const core: FakeCore = {
    calls,
    wakes: 0,
    closed: false,
    listenerCount: () => listeners.size,
    emit(patches) {
      for (const l of listeners) l(patches);
    },
    async handle(cmd, input) {
      calls.push({ cmd, input });
      if (handler) return handler(cmd, input);
      return { ok: true, value: { echo: { cmd, input } } };
    },
    onPatches(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    wake() {
      core.wakes++;
    },
    async close() {
      core.closed = true;
    },
  };
  return core;
}
