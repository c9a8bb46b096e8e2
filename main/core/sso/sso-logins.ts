// Browser sign-ins in progress (accounts:startSso / ssoStatus / cancelSso). One entry per
// attempt: a one-shot loopback listener (loopback.ts), the URL the host opens in the system
// browser, and, when the browser comes back with the one-time token, the account creation through
// the core (the token goes from the listener straight to the adapter: never to the UI or a log).
import { randomUUID } from 'node:crypto';
import type { Patch, SsoFailure, SsoStart, SsoStatus } from '../../../common/api';
import { AppError, toErrorDto } from '../../../common/errors';
import type { AccountSummary } from '../../../common/model';
import type { Credentials, ProtocolAdapter, SsoFeature } from '../../../protocols/contract';
import type { CoreLogger } from '../clock';
import { startLoopbackRedirect } from './loopback';
import type { LoopbackRedirect } from './loopback';

/** How long the app waits for the browser (the user may have to type a password and a 2FA code). */
export const SSO_TIMEOUT_MS = 5 * 60_000;
/** Finished attempts are remembered this long for accounts:ssoStatus. */
const KEEP_FINISHED_MS = 10 * 60_000;
const MAX_PENDING = 4;

/** What the core gives this module: a throwaway adapter to ask for the URL, and account creation. */
export interface SsoHost {
  /** Validates the request like accounts:add and returns an adapter that is not connected. */
  prepare(): { readonly adapter: ProtocolAdapter; readonly complete: (credentials: Credentials) => Promise<AccountSummary> };
  emit(patch: Patch): void;
  now(): number;
  readonly log: CoreLogger;
}

interface Attempt {
  status: SsoStatus;
  listener: LoopbackRedirect | null;
  /** 'final-page' sign-ins: where the result page is and how to read it; the timer ends the wait. */
  finalPage: FinalPage | null;
  finishedAt: number | null;
}

interface FinalPage {
  readonly prefix: string;
  readonly read: (url: URL) => string | null;
  readonly deliver: (token: string | null) => void;
  /** Stop waiting without a result (cancelled, app closing). */
  readonly abandon: (failure: SsoFailure, message: string) => void;
}

export class SsoLogins {
  private readonly attempts = new Map<string, Attempt>();
  private closed = false;

  constructor(private readonly timeoutMs: number = SSO_TIMEOUT_MS) {}

  async start(host: SsoHost, providerId: string | undefined): Promise<SsoStart> {
    if (this.closed) throw new AppError('unknown', 'The core is shut down');
    this.prune(host.now());
    if ([...this.attempts.values()].filter((a) => a.finishedAt === null).length >= MAX_PENDING) {
      throw new AppError('rate_limited', 'Too many browser sign-ins are waiting; finish or cancel one first', { retryAfterMs: 5_000 });
    }
    const { adapter, complete } = host.prepare();
    try {
      const sso = adapter.sso;
      if (!sso) throw new AppError('unsupported', `${adapter.protocol} accounts cannot sign in through the browser`);
      const providers = await sso.providers();
      if (providerId !== undefined && providers.length > 0 && !providers.some((p) => p.id === providerId)) {
        throw new AppError('invalid_input', 'The server does not offer that identity provider');
      }
      if (sso.returnVia === 'final-page') return await this.startFinalPage(host, sso, providerId, complete);
      const tokenParam = sso.tokenParam;
      const listener = await startLoopbackRedirect({ timeoutMs: this.timeoutMs, accept: (q) => (q.get(tokenParam) ?? '') !== '' });
      let url: string;
      try {
        url = checkBrowserUrl(await sso.loginUrl(listener.redirectUrl, providerId));
      } catch (e) {
        listener.close();
        throw e;
      }
      const ssoId = randomUUID();
      const attempt: Attempt = { status: { ssoId, state: 'waiting' }, listener, finalPage: null, finishedAt: null };
      this.attempts.set(ssoId, attempt);
      host.log.info('sso: waiting for the browser', { ssoId, protocol: adapter.protocol });
      listener.result.then(
        (params) => void this.redirected(host, attempt, params.get(tokenParam), complete),
        (e: unknown) => this.finish(host, attempt, failureOf(e), toErrorDto(e)),
      );
      return { ssoId, url, expiresAt: host.now() + this.timeoutMs, returnVia: 'loopback' };
    } finally {
      // The throwaway adapter only answered discovery questions; the account gets its own.
      await adapter.disconnect().catch(() => undefined);
    }
  }

  /**
   * A server that ends the sign-in on a page of its own (Rocket.Chat): nothing to listen on; the
   * app hands us that page's address (redirect()). Only an address under the adapter's prefix is
   * read, so a pasted link elsewhere can never be taken for a sign-in.
   */
  private async startFinalPage(host: SsoHost, sso: SsoFeature, providerId: string | undefined, complete: (c: Credentials) => Promise<AccountSummary>): Promise<SsoStart> {
    if (!sso.finalPagePrefix || !sso.tokenFromUrl) throw new AppError('unsupported', 'The adapter cannot read this server\'s sign-in result');
    const prefix = sso.finalPagePrefix();
    const read = sso.tokenFromUrl.bind(sso);
    const url = checkBrowserUrl(await sso.loginUrl('', providerId));
    const ssoId = randomUUID();
    const attempt: Attempt = { status: { ssoId, state: 'waiting' }, listener: null, finalPage: null, finishedAt: null };
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      return true;
    };
    const abandon = (failure: SsoFailure, message: string): void => {
      if (settle()) this.finish(host, attempt, failure, { kind: failure === 'timeout' ? 'timeout' : 'conflict', message, fatal: false });
    };
    const timer = setTimeout(() => abandon('timeout', 'No sign-in result in time'), this.timeoutMs);
    const deliver = (token: string | null): void => {
      if (settle()) void this.redirected(host, attempt, token, complete);
    };
    attempt.finalPage = { prefix, read, deliver, abandon };
    this.attempts.set(ssoId, attempt);
    host.log.info('sso: waiting for the final page', { ssoId });
    return { ssoId, url, expiresAt: host.now() + this.timeoutMs, returnVia: 'final-page' };
  }

  /** accounts:ssoRedirect: the address a 'final-page' sign-in ended on. */
  redirect(ssoId: string, raw: string): void {
    const a = this.attempts.get(ssoId);
    if (!a) throw new AppError('not_found', 'No such sign-in');
    const page = a.finalPage;
    if (!page) throw new AppError('invalid_input', 'This sign-in comes back to the app by itself');
    if (a.status.state !== 'waiting') throw new AppError('conflict', 'This sign-in is already finished');
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new AppError('invalid_input', 'That is not the address of a web page');
    }
    if (!url.href.startsWith(page.prefix)) throw new AppError('invalid_input', 'That is not the sign-in page of this server');
    const token = page.read(url);
    if (token === null || token === '') throw new AppError('invalid_input', 'That page holds no sign-in result; copy the address of the page shown after signing in');
    page.deliver(token);
  }

  status(ssoId: string): SsoStatus {
    const a = this.attempts.get(ssoId);
    if (!a) throw new AppError('not_found', 'No such sign-in');
    return a.status;
  }

  cancel(ssoId: string): void {
    const a = this.attempts.get(ssoId);
    if (!a) throw new AppError('not_found', 'No such sign-in');
    // Once the token arrived, the account is being created; cancelling can no longer stop that.
    if (a.status.state !== 'waiting') return;
    a.listener?.close(new AppError('conflict', 'The sign-in was cancelled'));
    a.finalPage?.abandon('cancelled', 'The sign-in was cancelled');
  }

  closeAll(): void {
    this.closed = true;
    for (const a of this.attempts.values()) {
      a.listener?.close(new AppError('conflict', 'The app is shutting down'));
      a.finalPage?.abandon('cancelled', 'The app is shutting down');
    }
  }

  private async redirected(host: SsoHost, attempt: Attempt, token: string | null, complete: (c: Credentials) => Promise<AccountSummary>): Promise<void> {
    if (token === null || token === '') {
      this.finish(host, attempt, 'denied', { kind: 'auth', message: 'The browser came back without a sign-in token', fatal: true });
      return;
    }
    this.update(host, attempt, { ssoId: attempt.status.ssoId, state: 'completing' });
    try {
      const account = await complete({ kind: 'sso-token', token });
      attempt.listener = null;
      host.emit({ type: 'account', account });
      this.update(host, attempt, { ssoId: attempt.status.ssoId, state: 'done', account });
      attempt.finishedAt = host.now();
      host.log.info('sso: account added', { ssoId: attempt.status.ssoId, accountId: account.id });
    } catch (e) {
      const dto = toErrorDto(e);
      this.finish(host, attempt, dto.kind === 'auth' || dto.kind === 'forbidden' ? 'refused' : 'error', dto);
    }
  }

  private finish(host: SsoHost, attempt: Attempt, failure: SsoFailure, error: ReturnType<typeof toErrorDto>): void {
    attempt.listener = null;
    attempt.finishedAt = host.now();
    host.log.info('sso: failed', { ssoId: attempt.status.ssoId, failure, kind: error.kind });
    this.update(host, attempt, { ssoId: attempt.status.ssoId, state: 'failed', failure, error });
  }

  private update(host: SsoHost, attempt: Attempt, status: SsoStatus): void {
    attempt.status = status;
    if (!this.closed) host.emit({ type: 'sso', status });
  }

  private prune(now: number): void {
    for (const [id, a] of this.attempts) if (a.finishedAt !== null && now - a.finishedAt > KEEP_FINISHED_MS) this.attempts.delete(id);
  }
}

function failureOf(e: unknown): SsoFailure {
  const kind = toErrorDto(e).kind;
  if (kind === 'timeout') return 'timeout';
  if (kind === 'conflict') return 'cancelled';
  return 'error';
}

/** What the host may open: http(s) with a host and no embedded credentials (as safe-open-url). */
export function checkBrowserUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new AppError('server', 'The sign-in address from the server is not a URL');
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.hostname === '' || u.username !== '' || u.password !== '' || u.href.length > 4096) {
    throw new AppError('server', 'The sign-in address from the server is not an http(s) address');
  }
  return u.href;
}
