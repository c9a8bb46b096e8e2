// The message protocol between the Electron main process and the core's utilityProcess
// (core-bridge.ts on the main side, core-host/host.ts in the child). Both sides validate every
// message they receive with the pure parsers below; anything malformed is dropped (null).
// Messages travel by structured clone, so they are plain DTOs (design-anchors §4.3).
import { ERROR_KINDS, type AppErrorDto } from '../../../common/errors';
import type { IpcResult, Patch } from '../../../common/api';

export type SecretsKind = 'keystore' | 'keyfile';
export type SecretOp = 'get' | 'set' | 'delete';

/** main → child */
export type ParentMessage =
  /** Sent once, first, after every fork: where the profile lives and what kind of secret store main holds. */
  | { readonly kind: 'init'; readonly profileDir: string; readonly secretsKind: SecretsKind }
  | { readonly kind: 'invoke'; readonly id: number; readonly cmd: string; readonly input: unknown }
  | { readonly kind: 'wake' }
  | { readonly kind: 'close' }
  | SecretResultMessage;

export type SecretResultMessage =
  | { readonly kind: 'secret-result'; readonly id: number; readonly ok: true; readonly value?: string | null }
  | { readonly kind: 'secret-result'; readonly id: number; readonly ok: false; readonly error: AppErrorDto };

/** child → main */
export type ChildMessage =
  | { readonly kind: 'result'; readonly id: number; readonly result: IpcResult<unknown> }
  | { readonly kind: 'patches'; readonly patches: readonly Patch[] }
  | SecretRequestMessage
  /** The answer to `close`: the core has shut down; main may now end the process. */
  | { readonly kind: 'closed' };

export type SecretRequestMessage =
  | { readonly kind: 'secret'; readonly id: number; readonly op: 'get' | 'delete'; readonly key: string }
  | { readonly kind: 'secret'; readonly id: number; readonly op: 'set'; readonly key: string; readonly value: string };

/** Limits on what a secret request may carry (keys are short ids; values small JSON blobs). */
export const MAX_SECRET_KEY_LENGTH = 512;
export const MAX_SECRET_VALUE_LENGTH = 1 << 20;
export const MAX_PATCHES_PER_MESSAGE = 100_000;
const MAX_CMD_LENGTH = 128;
const MAX_PATH_LENGTH = 4096;

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function has(o: Rec, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

const ERROR_KIND_SET: ReadonlySet<string> = new Set(ERROR_KINDS);

export function isAppErrorDto(v: unknown): v is AppErrorDto {
  if (!isRecord(v)) return false;
  if (typeof v.kind !== 'string' || !ERROR_KIND_SET.has(v.kind)) return false;
  if (typeof v.message !== 'string' || typeof v.fatal !== 'boolean') return false;
  if (v.retryAfterMs !== undefined && !(typeof v.retryAfterMs === 'number' && Number.isFinite(v.retryAfterMs) && v.retryAfterMs >= 0)) return false;
  return true;
}

function cleanError(e: AppErrorDto): AppErrorDto {
  return {
    kind: e.kind,
    message: e.message,
    fatal: e.fatal,
    ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
  };
}

export function isIpcResult(v: unknown): v is IpcResult<unknown> {
  if (!isRecord(v)) return false;
  if (v.ok === true) return has(v, 'value');
  if (v.ok === false) return isAppErrorDto(v.error);
  return false;
}

function isPatchList(v: unknown): v is readonly Patch[] {
  if (!Array.isArray(v) || v.length > MAX_PATCHES_PER_MESSAGE) return false;
  for (const p of v) if (!isRecord(p) || typeof p.type !== 'string') return false;
  return true;
}

function isSecretKey(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_SECRET_KEY_LENGTH;
}

/** Validates a message from the core process (main side). Returns null for anything malformed. */
export function parseChildMessage(raw: unknown): ChildMessage | null {
  if (!isRecord(raw)) return null;
  switch (raw.kind) {
    case 'result':
      if (!isId(raw.id) || !isIpcResult(raw.result)) return null;
      return {
        kind: 'result',
        id: raw.id,
        result: raw.result.ok ? { ok: true, value: raw.result.value } : { ok: false, error: cleanError(raw.result.error) },
      };
    case 'patches':
      if (!isPatchList(raw.patches)) return null;
      return { kind: 'patches', patches: raw.patches };
    case 'secret': {
      if (!isId(raw.id) || !isSecretKey(raw.key)) return null;
      if (raw.op === 'get' || raw.op === 'delete') return { kind: 'secret', id: raw.id, op: raw.op, key: raw.key };
      if (raw.op === 'set') {
        if (typeof raw.value !== 'string' || raw.value.length > MAX_SECRET_VALUE_LENGTH) return null;
        return { kind: 'secret', id: raw.id, op: 'set', key: raw.key, value: raw.value };
      }
      return null;
    }
    case 'closed':
      return { kind: 'closed' };
    default:
      return null;
  }
}

/** Validates a message from the main process (child side). Returns null for anything malformed. */
export function parseParentMessage(raw: unknown): ParentMessage | null {
  if (!isRecord(raw)) return null;
  switch (raw.kind) {
    case 'init':
      if (typeof raw.profileDir !== 'string' || raw.profileDir.length === 0 || raw.profileDir.length > MAX_PATH_LENGTH) return null;
      if (raw.secretsKind !== 'keystore' && raw.secretsKind !== 'keyfile') return null;
      return { kind: 'init', profileDir: raw.profileDir, secretsKind: raw.secretsKind };
    case 'invoke':
      if (!isId(raw.id) || typeof raw.cmd !== 'string' || raw.cmd.length === 0 || raw.cmd.length > MAX_CMD_LENGTH) return null;
      return { kind: 'invoke', id: raw.id, cmd: raw.cmd, input: raw.input };
    case 'wake':
      return { kind: 'wake' };
    case 'close':
      return { kind: 'close' };
    case 'secret-result':
      if (!isId(raw.id)) return null;
      if (raw.ok === true) {
        if (raw.value === undefined) return { kind: 'secret-result', id: raw.id, ok: true };
        if (raw.value === null || typeof raw.value === 'string') return { kind: 'secret-result', id: raw.id, ok: true, value: raw.value };
        return null;
      }
      if (raw.ok === false && isAppErrorDto(raw.error)) return { kind: 'secret-result', id: raw.id, ok: false, error: cleanError(raw.error) };
      return null;
    default:
      return null;
  }
}
