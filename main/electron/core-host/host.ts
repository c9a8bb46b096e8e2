// The core host's logic inside the utilityProcess, kept free of side effects so that tests can
// drive it with a fake parent port and a fake core (entry.ts wires it to process.parentPort).
import type { IpcResult, Patch } from '../../../common/api';
import { AppError, toErrorDto } from '../../../common/errors';
import type { CoreApi, SecretStore } from '../../core/host-api';
import { parseParentMessage, type ChildMessage, type SecretOp, type SecretResultMessage, type SecretsKind } from './protocol';

/** What Electron's `process.parentPort` (Electron.ParentPort) offers; a local type keeps tests free of Electron. */
export interface ParentPortLike {
  on(event: 'message', listener: (event: { readonly data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

export interface CoreHostDeps {
  readonly createCore: (opts: { readonly profileDir: string; readonly secrets: SecretStore }) => CoreApi;
  /** Diagnostics (stderr in the real child, piped to main's log). Never gets secrets. */
  readonly log?: (line: string) => void;
}

export interface CoreHostHandle {
  /** The running core, once `init` arrived. */
  readonly core: () => CoreApi | null;
}

function failure(kind: 'unknown', message: string): IpcResult<unknown> {
  return { ok: false, error: { kind, message, fatal: false } };
}

/**
 * Serve a core over `port`: creates the core on `init`, answers `invoke` with `result`, forwards
 * patches, and hands the core a SecretStore that asks main (which alone can use safeStorage).
 */
export function serveCore(port: ParentPortLike, deps: CoreHostDeps): CoreHostHandle {
  const log = deps.log ?? ((line: string) => process.stderr.write(line + '\n'));
  let core: CoreApi | null = null;
  let closing: Promise<void> | null = null;
  let nextSecretId = 1;
  const pendingSecrets = new Map<number, { resolve: (m: SecretResultMessage) => void }>();

  const post = (msg: ChildMessage): boolean => {
    try {
      port.postMessage(msg);
      return true;
    } catch (e) {
      // Typically a value that cannot be structured-cloned. Say what kind of message, not its content.
      log(`Samverka core host: could not send a ${msg.kind} message: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  };

  const askMain = (op: SecretOp, key: string, value?: string): Promise<string | null> =>
    new Promise<SecretResultMessage>((resolve) => {
      const id = nextSecretId++;
      pendingSecrets.set(id, { resolve });
      const msg: ChildMessage = op === 'set' ? { kind: 'secret', id, op, key, value: value ?? '' } : { kind: 'secret', id, op, key };
      if (!post(msg)) {
        pendingSecrets.delete(id);
        resolve({ kind: 'secret-result', id, ok: false, error: { kind: 'unknown', message: 'could not reach the main process', fatal: false } });
      }
    }).then((res) => {
      if (!res.ok) throw new AppError(res.error.kind, res.error.message);
      return res.value ?? null;
    });

  const secretsProxy = (kind: SecretsKind): SecretStore => ({
    kind,
    get: (key) => askMain('get', key),
    set: async (key, value) => {
      await askMain('set', key, value);
    },
    delete: async (key) => {
      await askMain('delete', key);
    },
  });

  const invoke = async (id: number, cmd: string, input: unknown): Promise<void> => {
    let result: IpcResult<unknown>;
    if (core === null) {
      result = failure('unknown', 'The core is not initialised yet.');
    } else if (closing !== null) {
      result = failure('unknown', 'The core is shutting down.');
    } else {
      try {
        result = await core.handle(cmd, input);
      } catch (e) {
        result = { ok: false, error: toErrorDto(e) };
      }
    }
    if (!post({ kind: 'result', id, result })) {
      post({ kind: 'result', id, result: failure('unknown', `The result of ${cmd} could not be sent to the main process.`) });
    }
  };

  port.on('message', (event) => {
    const msg = parseParentMessage(event?.data);
    if (msg === null) {
      log('Samverka core host: ignored a malformed message from the main process.');
      return;
    }
    switch (msg.kind) {
      case 'init': {
        if (core !== null) return;
        const created = deps.createCore({ profileDir: msg.profileDir, secrets: secretsProxy(msg.secretsKind) });
        core = created;
        created.onPatches((patches: readonly Patch[]) => {
          post({ kind: 'patches', patches });
        });
        return;
      }
      case 'invoke':
        void invoke(msg.id, msg.cmd, msg.input);
        return;
      case 'wake':
        core?.wake();
        return;
      case 'close':
        closing ??= (async () => {
          try {
            await core?.close();
          } catch (e) {
            log(`Samverka core host: error while closing the core: ${e instanceof Error ? e.message : String(e)}`);
          }
          post({ kind: 'closed' });
        })();
        return;
      case 'secret-result': {
        const pending = pendingSecrets.get(msg.id);
        if (!pending) return;
        pendingSecrets.delete(msg.id);
        pending.resolve(msg);
        return;
      }
    }
  });

  return { core: () => core };
}
