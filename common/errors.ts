// Error kinds shared by adapters, core and UI. The renderer maps the kind to a translated message.
export const ERROR_KINDS = [
  'network', // server unreachable, connection dropped
  'timeout', // server too slow
  'server', // server answered with an internal error
  'rate_limited', // told to slow down; retryAfterMs says how long
  'auth', // wrong password, expired or revoked token
  'second_factor', // the server asks for a one-time code (TOTP, e-mail code); retry with Credentials.otp
  'forbidden', // authenticated but not allowed
  'certificate', // TLS certificate not trusted / wrong host
  'insecure', // server would require plaintext authentication
  'crypto', // end-to-end encryption problem
  'invalid_input', // request rejected as malformed (ours or theirs)
  'not_found',
  'unsupported', // server or protocol lacks the feature
  'conflict',
  'ipc_invalid', // API call failed validation
  'ipc_forbidden',
  'unknown',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface AppErrorDto {
  readonly kind: ErrorKind;
  /** Developer-facing detail in English; the UI shows a translated text chosen by `kind`. */
  readonly message: string;
  readonly fatal: boolean;
  readonly retryAfterMs?: number;
}

/** Errors that need the user (re-login, trust a certificate) rather than a retry. */
export function isFatalKind(kind: ErrorKind): boolean {
  return kind === 'auth' || kind === 'second_factor' || kind === 'forbidden' || kind === 'certificate' || kind === 'insecure';
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly retryAfterMs: number | undefined;
  constructor(kind: ErrorKind, message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
  }
  get fatal(): boolean {
    return isFatalKind(this.kind);
  }
  toDto(): AppErrorDto {
    return {
      kind: this.kind,
      message: this.message,
      fatal: this.fatal,
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
    };
  }
}

export function toErrorDto(e: unknown): AppErrorDto {
  if (e instanceof AppError) return e.toDto();
  const message = e instanceof Error ? e.message : String(e);
  return { kind: 'unknown', message, fatal: false };
}
