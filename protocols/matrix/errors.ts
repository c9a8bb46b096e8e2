// Translate what matrix-js-sdk, fetch and Synapse throw into AppError kinds.
import { ConnectionError, HTTPError, MatrixError } from 'matrix-js-sdk';
import { AppError } from '../../common/errors';
import type { ErrorKind } from '../../common/errors';
import { causeCode, causeMessage, certificateProblem, isCertificateCode } from '../base/net-errors';

export { certificateProblem, isCertificateCode };

const ERRCODE_KINDS: Record<string, ErrorKind> = {
  M_UNKNOWN_TOKEN: 'auth',
  M_MISSING_TOKEN: 'auth',
  M_USER_DEACTIVATED: 'auth',
  M_USER_LOCKED: 'auth',
  M_LIMIT_EXCEEDED: 'rate_limited',
  M_NOT_FOUND: 'not_found',
  M_FORBIDDEN: 'forbidden',
  M_TOO_LARGE: 'invalid_input',
  M_BAD_JSON: 'invalid_input',
  M_NOT_JSON: 'invalid_input',
  M_INVALID_PARAM: 'invalid_input',
  M_UNRECOGNIZED: 'unsupported',
  M_UNSUPPORTED_ROOM_VERSION: 'unsupported',
  M_ROOM_IN_USE: 'conflict',
  M_USER_IN_USE: 'conflict',
  M_RESOURCE_LIMIT_EXCEEDED: 'server',
};

function fromCause(e: unknown, msg: string): AppError {
  if (e instanceof AppError) return e; // already decided by our fetch (http.ts: an unreadable trusted CA)
  const code = causeCode(e);
  if (isCertificateCode(code)) {
    const detail = causeMessage(e);
    return new AppError('certificate', `${msg}: ${certificateProblem(code)} (${code}${detail && detail !== msg ? `: ${detail}` : ''})`, { cause: e });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return new AppError('timeout', msg, { cause: e });
  return new AppError('network', code ? `${msg} (${code})` : msg, { cause: e });
}

export interface MapOptions {
  /** Context for the message. */
  readonly what?: string;
  /** During password login M_FORBIDDEN means "wrong password". */
  readonly login?: boolean;
  /** The last raw fetch failure of this account (see sdk.ts FetchProbe). */
  readonly lastFetchError?: unknown;
}

export function toAppError(e: unknown, opts: MapOptions = {}): AppError {
  if (e instanceof AppError) return e;
  const what = opts.what ? `${opts.what}: ` : '';
  if (e instanceof MatrixError) {
    const status = e.httpStatus ?? 0;
    const msg = `${what}${e.errcode ?? ''} ${e.data.error ?? e.message}`.trim();
    if (e.errcode === 'M_LIMIT_EXCEEDED' || status === 429) {
      let retry: number | null;
      try {
        retry = e.getRetryAfterMs();
      } catch {
        retry = null;
      }
      return new AppError('rate_limited', msg, { cause: e, retryAfterMs: retry ?? 5_000 });
    }
    if (opts.login && (e.errcode === 'M_FORBIDDEN' || status === 403 || status === 401)) return new AppError('auth', msg, { cause: e });
    const byCode = e.errcode ? ERRCODE_KINDS[e.errcode] : undefined;
    if (byCode) return new AppError(byCode, msg, { cause: e });
    return new AppError(kindForStatus(status), msg, { cause: e });
  }
  if (e instanceof HTTPError) {
    const status = e.httpStatus ?? 0;
    if (status === 429) return new AppError('rate_limited', `${what}${e.message}`, { cause: e, retryAfterMs: 5_000 });
    return new AppError(kindForStatus(status), `${what}${e.message}`, { cause: e });
  }
  if (e instanceof ConnectionError) return fromCause(opts.lastFetchError ?? e, `${what}${e.message}`);
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')) return new AppError('timeout', `${what}${e.message}`, { cause: e });
  if (e instanceof TypeError && causeCode(e)) return fromCause(e, `${what}${e.message}`);
  if (e instanceof TypeError && /fetch failed/.test(e.message)) return new AppError('network', `${what}${e.message}`, { cause: e });
  return new AppError('unknown', `${what}${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

export function kindForStatus(status: number): ErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 409) return 'conflict';
  if (status === 413 || status === 400) return 'invalid_input';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'unknown';
}
