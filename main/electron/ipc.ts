// The one IPC handler between the renderer and the core, and the patch fan-out to the main window.
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import { isCommandName, type IpcResult, type Patch } from '../../common/api';
import { toErrorDto, type ErrorKind } from '../../common/errors';
import type { CoreApi } from '../core/host-api';
import { APP_ORIGIN_PREFIX, INVOKE_CHANNEL, PATCHES_CHANNEL } from './channels';

function fail(kind: ErrorKind, message: string): IpcResult<unknown> {
  return { ok: false, error: { kind, message, fatal: false } };
}

/** Only our own page, in the top frame (GHSA-mq8j-3h7h-p8g7: never trust subframes). */
export function isTrustedSender(frame: WebFrameMain | null | undefined): boolean {
  if (!frame) return false;
  let url: string;
  try {
    url = frame.url;
  } catch {
    return false; // the frame was destroyed
  }
  return typeof url === 'string' && url.startsWith(APP_ORIGIN_PREFIX) && frame.parent === null;
}

export interface IpcDeps {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  readonly core: CoreApi;
  readonly getMainWindow: () => BrowserWindow | null;
}

/** Registers the handler and the patch forwarding; returns a function that undoes both. */
export function registerIpc({ ipcMain, core, getMainWindow }: IpcDeps): () => void {
  ipcMain.handle(INVOKE_CHANNEL, async (event: IpcMainInvokeEvent, raw: unknown): Promise<IpcResult<unknown>> => {
    if (!isTrustedSender(event.senderFrame)) return fail('ipc_forbidden', 'untrusted sender');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('ipc_invalid', 'request must be an object');
    const { cmd, input } = raw as { cmd?: unknown; input?: unknown };
    if (typeof cmd !== 'string' || !isCommandName(cmd)) return fail('ipc_invalid', 'unknown command');
    try {
      return await core.handle(cmd, input);
    } catch (e) {
      return { ok: false, error: toErrorDto(e) };
    }
  });
  const unsubscribe = core.onPatches((patches: readonly Patch[]) => {
    const win = getMainWindow();
    if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
    win.webContents.send(PATCHES_CHANNEL, patches);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(INVOKE_CHANNEL);
  };
}
