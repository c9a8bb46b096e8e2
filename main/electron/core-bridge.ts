// Where the core runs in the desktop app: an Electron utilityProcess (core-host/entry.ts, bundled
// to dist/electron/core-host.cjs), crash-isolated from the window. This module returns a CoreApi
// proxy over the child's message port, so ipc.ts, desktop.ts and the preload do not change.
// Secrets stay here: safeStorage works only in the main process, so the child asks for them
// (protocol.ts `secret`) and main answers from its SecretStore. Every message from the child is
// validated; a child that dies fails its pending calls and is restarted with backoff.
import { utilityProcess } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IpcResult, Patch } from '../../common/api';
import { toErrorDto, type ErrorKind } from '../../common/errors';
import type { CoreApi, SecretStore } from '../core/host-api';
import { parseChildMessage, type ParentMessage, type SecretRequestMessage } from './core-host/protocol';

export interface CoreBridgeOptions {
  readonly profileDir: string;
  readonly secrets: SecretStore;
  /** The bundled entry; defaults to core-host.cjs next to the bundled main (dist/electron/). */
  readonly entryPath?: string;
  readonly log?: (line: string) => void;
  /** A call the core has not answered by then resolves to a `timeout` error. */
  readonly invokeTimeoutMs?: number;
  /** How long close() waits for the core to shut down before killing the process. */
  readonly closeTimeoutMs?: number;
  /** Restart backoff: first delay, doubled per consecutive crash, capped. */
  readonly restartBaseMs?: number;
  readonly restartMaxMs?: number;
  /** A child that ran this long before dying restarts after the first delay again. */
  readonly stableAfterMs?: number;
}

export const CORE_HOST_FILE = 'core-host.cjs';
export const CORE_SERVICE_NAME = 'Samverka core';
export const DEFAULT_INVOKE_TIMEOUT_MS = 120_000;

/** The part of Electron's UtilityProcess the bridge uses. */
interface CoreChild {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (type: string, location: string) => void): unknown;
  postMessage(message: ParentMessage): void;
  kill(): boolean;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
}

interface Pending {
  readonly cmd: string;
  readonly resolve: (r: IpcResult<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

function fail(kind: ErrorKind, message: string): IpcResult<unknown> {
  return { ok: false, error: { kind, message, fatal: false } };
}

export function defaultCoreHostPath(): string {
  // In the bundle import.meta.url is main.cjs's file URL, so this is dist/electron/.
  return join(dirname(fileURLToPath(import.meta.url)), CORE_HOST_FILE);
}

/** Forward a child's stdout/stderr to the log, line by line, with a prefix. */
function pipeLines(stream: NodeJS.ReadableStream | null, log: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.on('data', (chunk: Buffer | string) => {
    buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      if (line.length > 0) log(`[core] ${line.slice(0, 4000)}`);
    }
    if (buffered.length > 16_384) {
      log(`[core] ${buffered.slice(0, 4000)}`);
      buffered = '';
    }
  });
  stream.on('end', () => {
    if (buffered.length > 0) log(`[core] ${buffered.slice(0, 4000)}`);
    buffered = '';
  });
}

/** Starts the core in a utilityProcess (call after app ready) and returns a CoreApi proxy. */
export function startCoreInUtilityProcess(opts: CoreBridgeOptions): CoreApi {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const entryPath = opts.entryPath ?? defaultCoreHostPath();
  const invokeTimeoutMs = opts.invokeTimeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
  const restartBaseMs = opts.restartBaseMs ?? 1000;
  const restartMaxMs = opts.restartMaxMs ?? 30_000;
  const stableAfterMs = opts.stableAfterMs ?? 60_000;

  const listeners = new Set<(patches: readonly Patch[]) => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let child: CoreChild | null = null;
  let generation = 0;
  let startedAt = 0;
  let crashes = 0;
  let restartTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let closing: Promise<void> | null = null;
  let onClosedOrExit: (() => void) | null = null;
  let malformed = 0;

  const failAll = (message: string): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.resolve(fail('unknown', message));
    }
  };

  const send = (c: CoreChild, msg: ParentMessage): boolean => {
    try {
      c.postMessage(msg);
      return true;
    } catch (e) {
      log(`Samverka: could not send a ${msg.kind} message to the core process: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  };

  const answerSecret = async (c: CoreChild, gen: number, req: SecretRequestMessage): Promise<void> => {
    // Never log keys or values here: only that a request failed, and why (the store's own message).
    let reply: ParentMessage;
    try {
      if (req.op === 'get') {
        reply = { kind: 'secret-result', id: req.id, ok: true, value: await opts.secrets.get(req.key) };
      } else if (req.op === 'set') {
        await opts.secrets.set(req.key, req.value);
        reply = { kind: 'secret-result', id: req.id, ok: true };
      } else {
        await opts.secrets.delete(req.key);
        reply = { kind: 'secret-result', id: req.id, ok: true };
      }
    } catch (e) {
      reply = { kind: 'secret-result', id: req.id, ok: false, error: toErrorDto(e) };
    }
    if (gen === generation && child === c) send(c, reply);
  };

  const onMessage = (c: CoreChild, gen: number, raw: unknown): void => {
    if (gen !== generation || child !== c) return;
    const msg = parseChildMessage(raw);
    if (msg === null) {
      // Do not echo the content: it might hold anything.
      if (malformed++ < 20) log('Samverka: ignored a malformed message from the core process.');
      return;
    }
    switch (msg.kind) {
      case 'result': {
        const p = pending.get(msg.id);
        if (!p) return; // already timed out or failed
        pending.delete(msg.id);
        clearTimeout(p.timer);
        p.resolve(msg.result);
        return;
      }
      case 'patches':
        for (const l of listeners) {
          try {
            l(msg.patches);
          } catch (e) {
            log(`Samverka: a patch listener threw: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        return;
      case 'secret':
        void answerSecret(c, gen, msg);
        return;
      case 'closed':
        onClosedOrExit?.();
        return;
    }
  };

  const scheduleRestart = (): void => {
    const delay = Math.min(restartBaseMs * 2 ** Math.min(crashes, 30), restartMaxMs);
    crashes++;
    log(`Samverka: restarting the core process in ${Math.round(delay / 1000)} s.`);
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (!closed) spawn();
    }, delay);
    restartTimer.unref?.();
  };

  const onExit = (c: CoreChild, gen: number, code: number): void => {
    if (gen !== generation || child !== c) return;
    child = null;
    if (closed) {
      failAll('The core has been closed.');
      onClosedOrExit?.();
      return;
    }
    log(`Samverka: the core process exited unexpectedly (code ${code}).`);
    failAll('The core process stopped unexpectedly and is being restarted; please try again.');
    if (Date.now() - startedAt >= stableAfterMs) crashes = 0;
    scheduleRestart();
  };

  const spawn = (): void => {
    let c: CoreChild;
    try {
      c = utilityProcess.fork(entryPath, [], { serviceName: CORE_SERVICE_NAME, stdio: 'pipe' }) as unknown as CoreChild;
    } catch (e) {
      log(`Samverka: could not start the core process: ${e instanceof Error ? e.message : String(e)}`);
      startedAt = Date.now();
      scheduleRestart();
      return;
    }
    const gen = ++generation;
    child = c;
    startedAt = Date.now();
    c.on('message', (m: unknown) => onMessage(c, gen, m));
    c.on('exit', (code: number) => onExit(c, gen, code));
    c.on('error', (type: string, location: string) => log(`Samverka: the core process reported ${String(type)} at ${String(location)}.`));
    pipeLines(c.stdout, log);
    pipeLines(c.stderr, log);
    send(c, { kind: 'init', profileDir: opts.profileDir, secretsKind: opts.secrets.kind });
  };

  spawn();

  return {
    handle(cmd: string, input: unknown): Promise<IpcResult<unknown>> {
      if (closed) return Promise.resolve(fail('unknown', 'The core has been closed.'));
      const c = child;
      if (c === null) return Promise.resolve(fail('unknown', 'The core process is restarting; please try again in a moment.'));
      const id = nextId++;
      return new Promise<IpcResult<unknown>>((resolve) => {
        const timer = setTimeout(() => {
          if (!pending.delete(id)) return;
          log(`Samverka: the core did not answer ${cmd} within ${Math.round(invokeTimeoutMs / 1000)} s.`);
          resolve(fail('timeout', `The core did not answer ${cmd} within ${Math.round(invokeTimeoutMs / 1000)} s.`));
        }, invokeTimeoutMs);
        pending.set(id, { cmd, resolve, timer });
        if (!send(c, { kind: 'invoke', id, cmd, input })) {
          pending.delete(id);
          clearTimeout(timer);
          resolve(fail('unknown', `${cmd} could not be sent to the core process.`));
        }
      });
    },
    onPatches(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    wake() {
      if (child !== null && !closed) send(child, { kind: 'wake' });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        if (restartTimer !== null) {
          clearTimeout(restartTimer);
          restartTimer = null;
        }
        const c = child;
        if (c === null) {
          failAll('The core has been closed.');
          resolve();
          return;
        }
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          onClosedOrExit = null;
          failAll('The core has been closed.');
          if (child === c) {
            c.kill();
          }
          resolve();
        };
        const timer = setTimeout(() => {
          log('Samverka: the core process did not shut down in time; ending it.');
          finish();
        }, closeTimeoutMs);
        onClosedOrExit = finish;
        if (!send(c, { kind: 'close' })) finish();
      });
      return closing;
    },
  };
}
