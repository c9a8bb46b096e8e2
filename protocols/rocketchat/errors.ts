// Rocket.Chat error bodies to AppError kinds. REST failures are {success:false, error,
// errorType, details} (400), login failures {status:'error', error, message, details} (401),
// the rate limiter answers 429 with X-RateLimit-Reset (epoch ms) and no Retry-After
// (apps/meteor/app/api/server/api.ts enforceRateLimit).
import { AppError } from '../../common/errors';
import type { ErrorKind } from '../../common/errors';
import { DdpError } from './ddp';

const ERROR_TYPE_KINDS: Record<string, ErrorKind> = {
  'totp-required': 'second_factor',
  // A wrong code: the user must type a new one, not the password again.
  'totp-invalid': 'second_factor',
  'error-room-not-found': 'not_found',
  'error-message-not-found': 'not_found',
  'error-invalid-user': 'not_found',
  'error-invalid-room': 'not_found',
  'error-not-allowed': 'forbidden',
  'error-action-not-allowed': 'forbidden',
  'not-allowed': 'forbidden',
  'error-forbidden': 'forbidden',
  'error-unauthorized': 'forbidden',
  'error-duplicate-channel-name': 'conflict',
  'error-too-many-requests': 'rate_limited',
  'error-file-too-large': 'invalid_input',
  // VideoConfService: no video conference provider app installed (apps/meteor tests "[With No App]").
  'no-videoconf-provider-app': 'unsupported',
};

export interface RcErrorBody {
  readonly error?: unknown;
  readonly errorType?: unknown;
  readonly message?: unknown;
  readonly details?: unknown;
}

/** How long the server wants us to wait: Retry-After (a proxy may add it), X-RateLimit-Reset, the text. */
export function retryAfterMs(headers: Headers, body: RcErrorBody, now: number): number {
  const ra = headers.get('retry-after');
  if (ra !== null) {
    const secs = Number(ra);
    if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = Number(headers.get('x-ratelimit-reset'));
  // Rocket.Chat sends an epoch in ms; a small number would be seconds-from-now (other proxies).
  if (Number.isFinite(reset) && reset > 0) {
    if (reset > 1e12) return Math.max(0, reset - now);
    if (reset > 1e9) return Math.max(0, reset * 1000 - now);
    return reset * 1000;
  }
  const m = typeof body.error === 'string' ? /wait (\d+) seconds/.exec(body.error) : null;
  if (m) return Number(m[1]) * 1000;
  return 10_000;
}

export function errorFromResponse(status: number, headers: Headers, body: RcErrorBody, what: string, now: number): AppError {
  const type = typeof body.errorType === 'string' ? body.errorType : typeof body.error === 'string' && /^[a-z0-9-]+$/.test(body.error) ? body.error : '';
  const text = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  const message = `${what}: ${text}`;
  if (status === 429 || type === 'error-too-many-requests') return new AppError('rate_limited', message, { retryAfterMs: retryAfterMs(headers, body, now) });
  const mapped = ERROR_TYPE_KINDS[type];
  if (mapped) return new AppError(mapped, message);
  if (status === 401) return new AppError('auth', message);
  if (status === 403) return new AppError('forbidden', message);
  if (status === 404) return new AppError('not_found', message);
  if (status === 413) return new AppError('invalid_input', message);
  if (status >= 500) return new AppError('server', message);
  return new AppError('invalid_input', message);
}

export function errorFromDdp(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof DdpError) {
    const code = String(e.error);
    // Meteor's DDPRateLimiter: error 'too-many-requests', details.timeToReset in ms.
    if (code === 'too-many-requests') {
      const ms = (e.details as { timeToReset?: unknown } | undefined)?.timeToReset;
      return new AppError('rate_limited', `${what}: ${e.message}`, { retryAfterMs: typeof ms === 'number' && ms >= 0 ? ms : 10_000 });
    }
    const mapped = ERROR_TYPE_KINDS[code];
    if (mapped) return new AppError(mapped, `${what}: ${e.message}`);
    if (code === '403' || code === '401') return new AppError('auth', `${what}: ${e.message}`);
    if (code === '404') return new AppError('not_found', `${what}: ${e.message}`);
    return new AppError('server', `${what}: ${e.message}`);
  }
  return new AppError('network', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
