// One supervisor per account: the reconnect state machine of design-anchors §4.6.
//
//   connecting ─ok→ connected ─(transient error | drop)→ reconnecting ─timer/wake→ connecting
//        └─fatal (auth, certificate, …)→ needs-attention (waits for the user)   stop → disconnected
//
// It knows nothing about protocols: it calls `connect` and is told about drops. Every async
// result carries the generation it was started in, so a late answer from an attempt that was
// superseded (stop, wake, reconnect) is ignored instead of resurrecting a dead connection.
import { isFatalKind, toErrorDto } from '../../../common/errors';
import type { AppErrorDto } from '../../../common/errors';
import type { AccountState } from '../../../common/model';
import type { Scheduler, TimerHandle } from '../clock';
import { backoffDelay, STABLE_AFTER_MS } from './backoff';

export interface SupervisorStatus {
  readonly state: AccountState;
  readonly attempt: number;
  readonly nextRetryAt: number | null;
  readonly lastError: AppErrorDto | null;
}

export interface SupervisorOptions {
  /** Connect once. Rejects with an AppError; resolves when the session is usable. */
  readonly connect: (signal: AbortSignal) => Promise<void>;
  /** Called after a superseded or stopped attempt succeeded, to close that session again. */
  readonly abandon: () => Promise<void>;
  readonly scheduler: Scheduler;
  readonly random?: () => number;
  readonly onChange: (status: SupervisorStatus) => void;
  /** A connect that neither resolves nor rejects in time counts as a timeout error. */
  readonly connectTimeoutMs?: number;
}

export class AccountSupervisor {
  private state: AccountState = 'disconnected';
  private attempt = 0;
  private nextRetryAt: number | null = null;
  private lastError: AppErrorDto | null = null;
  private generation = 0;
  private retryTimer: TimerHandle | null = null;
  private stableTimer: TimerHandle | null = null;
  private abort: AbortController | null = null;
  private readonly random: () => number;

  constructor(private readonly opts: SupervisorOptions) {
    this.random = opts.random ?? Math.random;
  }

  status(): SupervisorStatus {
    return { state: this.state, attempt: this.attempt, nextRetryAt: this.nextRetryAt, lastError: this.lastError };
  }

  /** Begin supervising (first connect right away). */
  start(): void {
    this.attempt = 0;
    this.connectNow();
  }

  /** Adopt a session that is already connected (accounts:add connected it to validate). */
  adoptConnected(): void {
    this.clearTimers();
    this.generation++;
    this.lastError = null;
    this.attempt = 0;
    this.enterConnected();
  }

  /** User asked to reconnect (or changed the password): immediately, whatever the state. */
  reconnectNow(): void {
    this.attempt = 0;
    this.connectNow();
  }

  /** OS woke up or the network came back: retry every waiting account at once. */
  wake(): void {
    if (this.state !== 'reconnecting' || this.retryTimer === null) return;
    this.attempt = 0;
    this.connectNow();
  }

  /** The adapter says its session ended (with the reason, if any). */
  reportDisconnected(error?: AppErrorDto): void {
    if (this.state !== 'connected' && this.state !== 'reconnecting') return;
    if (this.state === 'reconnecting' && this.retryTimer !== null) return; // already scheduled
    this.generation++;
    this.failed(error ?? { kind: 'network', message: 'Connection lost', fatal: false });
  }

  /** The adapter's SDK is reconnecting by itself: show it, but do not step in. */
  reportReconnecting(): void {
    if (this.state !== 'connected') return;
    this.clearStableTimer();
    this.set('reconnecting');
  }

  /** The adapter's SDK reconnected by itself. */
  reportConnected(): void {
    if (this.state !== 'reconnecting' || this.retryTimer !== null) return;
    this.lastError = null;
    this.enterConnected();
  }

  stop(): void {
    this.generation++;
    this.clearTimers();
    this.abort?.abort();
    this.abort = null;
    this.nextRetryAt = null;
    this.set('disconnected');
  }

  private connectNow(): void {
    this.clearTimers();
    this.abort?.abort();
    const gen = ++this.generation;
    const abort = new AbortController();
    this.abort = abort;
    this.nextRetryAt = null;
    this.set('connecting');

    let timeout: TimerHandle | null = null;
    const attempt = new Promise<void>((resolve, reject) => {
      const ms = this.opts.connectTimeoutMs;
      if (ms !== undefined) {
        timeout = this.opts.scheduler.setTimeout(() => {
          abort.abort();
          reject({ kind: 'timeout', message: `No answer from the server within ${Math.round(ms / 1000)} s`, fatal: false } satisfies AppErrorDto);
        }, ms);
      }
      this.opts.connect(abort.signal).then(resolve, reject);
    });
    attempt.then(
      () => {
        if (timeout !== null) this.opts.scheduler.clearTimeout(timeout);
        if (gen !== this.generation) {
          void this.opts.abandon().catch(() => undefined);
          return;
        }
        this.abort = null;
        this.lastError = null;
        this.enterConnected();
      },
      (e: unknown) => {
        if (timeout !== null) this.opts.scheduler.clearTimeout(timeout);
        if (gen !== this.generation) return;
        this.abort = null;
        this.failed(isErrorDto(e) ? e : toErrorDto(e));
      },
    );
  }

  private enterConnected(): void {
    this.nextRetryAt = null;
    this.clearStableTimer();
    this.stableTimer = this.opts.scheduler.setTimeout(() => {
      this.stableTimer = null;
      this.attempt = 0;
      this.emit();
    }, STABLE_AFTER_MS);
    this.set('connected');
  }

  private failed(error: AppErrorDto): void {
    this.clearTimers();
    this.lastError = error;
    if (error.fatal || isFatalKind(error.kind)) {
      this.nextRetryAt = null;
      this.set('needs-attention');
      return;
    }
    const delay =
      error.kind === 'rate_limited' && error.retryAfterMs !== undefined && error.retryAfterMs >= 0
        ? error.retryAfterMs
        : backoffDelay(this.attempt, this.random);
    this.attempt++;
    this.nextRetryAt = this.opts.scheduler.now() + delay;
    this.retryTimer = this.opts.scheduler.setTimeout(() => {
      this.retryTimer = null;
      this.connectNow();
    }, delay);
    this.set('reconnecting');
  }

  private clearStableTimer(): void {
    if (this.stableTimer !== null) this.opts.scheduler.clearTimeout(this.stableTimer);
    this.stableTimer = null;
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) this.opts.scheduler.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearStableTimer();
  }

  private set(state: AccountState): void {
    this.state = state;
    this.emit();
  }

  private emit(): void {
    try {
      this.opts.onChange(this.status());
    } catch {
      // A broken listener must not break the state machine.
    }
  }
}

function isErrorDto(e: unknown): e is AppErrorDto {
  return typeof e === 'object' && e !== null && !(e instanceof Error) && typeof (e as { kind?: unknown }).kind === 'string' && typeof (e as { message?: unknown }).message === 'string';
}
