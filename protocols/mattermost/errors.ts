// Mattermost HTTP failures → AppError. The body is model.AppError JSON ({id, message, …}) except
// for rate limiting, which answers 429 in plain text with Retry-After / X-RateLimit-Reset seconds
// (server/channels/app/ratelimit.go). The error *id* decides second-factor prompts, not the
// status: servers answer a missing MFA code with 400 or 401 depending on the version.
import { AppError } from '../../common/errors';
import { certificateError } from '../base/net-errors';

/** Ids that mean "ask the user for the MFA code" (webapp login.tsx, mobile mfaExpectedErrors). */
const MFA_IDS = new Set(['mfa.validate_token.authenticate.app_error', 'ent.mfa.validate_token.authenticate.app_error', 'api.user.check_user_mfa.bad_code.app_error']);

export interface ServerErrorBody {
  readonly id: string;
  readonly message: string;
}

export function parseErrorBody(text: string): ServerErrorBody | null {
  try {
    const j = JSON.parse(text) as unknown;
    if (typeof j !== 'object' || j === null) return null;
    const o = j as Record<string, unknown>;
    return typeof o.id === 'string' ? { id: o.id, message: typeof o.message === 'string' ? o.message : '' } : null;
  } catch {
    return null;
  }
}

/** Milliseconds to wait from a 429's headers; at least one second. */
export function retryAfterMs(get: (name: string) => string | null): number {
  for (const h of ['retry-after', 'x-ratelimit-reset']) {
    const v = get(h);
    if (v !== null && /^\d+(\.\d+)?$/.test(v.trim())) return Math.max(1000, Math.ceil(Number(v) * 1000));
  }
  return 1000;
}

export function httpError(status: number, bodyText: string, get: (name: string) => string | null, what: string): AppError {
  const body = parseErrorBody(bodyText);
  const detail = `${what}: HTTP ${status}${body ? ` ${body.id}` : ''}`;
  if (status === 429) return new AppError('rate_limited', detail, { retryAfterMs: retryAfterMs(get) });
  if (body && MFA_IDS.has(body.id)) return new AppError('second_factor', detail);
  if (status === 401) return new AppError('auth', detail);
  if (status === 403) return new AppError('forbidden', detail);
  if (status === 404) return new AppError('not_found', detail);
  if (status === 409) return new AppError('conflict', detail);
  if (status === 501) return new AppError('unsupported', detail);
  if (status === 400 || status === 413) return new AppError('invalid_input', detail);
  if (status >= 500) return new AppError('server', detail);
  return new AppError('unknown', detail);
}

/** A thrown fetch/WebSocket failure (no HTTP answer). */
export function networkError(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e;
  const code = errorCode(e);
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return new AppError('timeout', `${what}: timed out`, { cause: e });
  const cert = certificateError(e, what);
  if (cert) return cert;
  return new AppError('network', `${what}: ${code ?? (e instanceof Error ? e.message : String(e))}`, { cause: e });
}

function errorCode(e: unknown): string | null {
  let cur: unknown = e;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}
