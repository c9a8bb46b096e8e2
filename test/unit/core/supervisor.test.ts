import { describe, expect, it } from 'vitest';
import { AppError } from '../../../common/errors';
import { backoffCeiling, backoffDelay, BACKOFF_CAP_MS, STABLE_AFTER_MS } from '../../../main/core/accounts/backoff';
import { AccountSupervisor } from '../../../main/core/accounts/supervisor';
import type { SupervisorStatus } from '../../../main/core/accounts/supervisor';
import type { Scheduler } from '../../../main/core/clock';

/** A hand-driven clock: timers fire only when the test advances time. */
class ManualScheduler implements Scheduler {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): number => {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown): void => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
  pending(): number {
    return this.timers.length;
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup(results: (() => Promise<void>)[], random = () => 1) {
  const sched = new ManualScheduler();
  const states: SupervisorStatus[] = [];
  let calls = 0;
  let abandoned = 0;
  const sup = new AccountSupervisor({
    connect: () => {
      const r = results[Math.min(calls, results.length - 1)]!;
      calls++;
      return r();
    },
    abandon: async () => {
      abandoned++;
    },
    scheduler: sched,
    random,
    onChange: (s) => states.push(s),
  });
  return { sup, sched, states, calls: () => calls, abandoned: () => abandoned };
}

const ok = () => Promise.resolve();
const fail = (kind: ConstructorParameters<typeof AppError>[0], retryAfterMs?: number) => () =>
  Promise.reject(new AppError(kind, kind, retryAfterMs === undefined ? {} : { retryAfterMs }));

describe('backoff', () => {
  it('draws full-jitter delays in [0, min(5 min, 1 s · 2^attempt)]', () => {
    expect(backoffCeiling(0)).toBe(1000);
    expect(backoffCeiling(3)).toBe(8000);
    expect(backoffCeiling(50)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(4, () => 0)).toBe(0);
    expect(backoffDelay(4, () => 0.5)).toBe(8000);
    expect(backoffDelay(40, () => 0.999)).toBeLessThanOrEqual(BACKOFF_CAP_MS);
  });
});

describe('AccountSupervisor', () => {
  it('retries transient failures with growing delays and exposes attempt, nextRetryAt and lastError', async () => {
    const { sup, sched, calls } = setup([fail('network'), fail('network'), fail('network'), ok]);
    sup.start();
    await flush();
    expect(sup.status()).toMatchObject({ state: 'reconnecting', attempt: 1, nextRetryAt: 1000, lastError: { kind: 'network' } });
    await sched.advance(999);
    expect(calls()).toBe(1);
    await sched.advance(1);
    expect(calls()).toBe(2);
    expect(sup.status()).toMatchObject({ state: 'reconnecting', attempt: 2, nextRetryAt: 1000 + 2000 });
    await sched.advance(2000);
    expect(sup.status()).toMatchObject({ attempt: 3, nextRetryAt: 3000 + 4000 });
    await sched.advance(4000);
    expect(sup.status()).toMatchObject({ state: 'connected', nextRetryAt: null, lastError: null });
  });

  it('puts fatal errors (wrong password, certificate) in needs-attention and never retries them', async () => {
    const { sup, sched, calls } = setup([fail('auth')]);
    sup.start();
    await flush();
    expect(sup.status()).toMatchObject({ state: 'needs-attention', lastError: { kind: 'auth', fatal: true }, nextRetryAt: null });
    await sched.advance(60 * 60_000);
    expect(calls()).toBe(1);
    sup.wake();
    await flush();
    expect(calls()).toBe(1);
    const cert = setup([fail('certificate')]);
    cert.sup.start();
    await flush();
    expect(cert.sup.status().state).toBe('needs-attention');
  });

  it('honours the server’s retry-after when rate limited', async () => {
    const { sup, sched, calls } = setup([fail('rate_limited', 42_000), ok]);
    sup.start();
    await flush();
    expect(sup.status().nextRetryAt).toBe(42_000);
    await sched.advance(41_999);
    expect(calls()).toBe(1);
    await sched.advance(1);
    expect(sup.status().state).toBe('connected');
  });

  it('retries at once on wake and resets the attempt counter', async () => {
    const { sup, sched, calls } = setup([fail('network'), fail('network'), fail('network'), ok]);
    sup.start();
    await flush();
    await sched.advance(1000);
    await sched.advance(2000);
    expect(sup.status()).toMatchObject({ attempt: 3, nextRetryAt: 3000 + 4000 });
    sup.wake();
    expect(sup.status().attempt).toBe(0);
    await flush();
    expect(calls()).toBe(4);
    expect(sched.t).toBe(3000); // no waiting for the 4 s timer
    expect(sup.status()).toMatchObject({ state: 'connected', attempt: 0 });
  });

  it('resets the backoff only after 60 s of stable connection', async () => {
    const { sup, sched } = setup([fail('network'), fail('network'), ok, ok, ok]);
    sup.start();
    await flush();
    await sched.advance(1000);
    await sched.advance(2000);
    expect(sup.status()).toMatchObject({ state: 'connected', attempt: 2 });
    // A quick drop keeps the counter: a flapping server does not get hammered.
    await sched.advance(10_000);
    sup.reportDisconnected({ kind: 'network', message: 'reset', fatal: false });
    expect(sup.status()).toMatchObject({ state: 'reconnecting', attempt: 3, nextRetryAt: sched.t + 4000 });
    await sched.advance(4000);
    expect(sup.status().state).toBe('connected');
    await sched.advance(STABLE_AFTER_MS);
    expect(sup.status().attempt).toBe(0);
    sup.reportDisconnected();
    expect(sup.status()).toMatchObject({ state: 'reconnecting', attempt: 1, nextRetryAt: sched.t + 1000 });
  });

  it('does not step in while the SDK reconnects by itself', async () => {
    const { sup, sched, calls } = setup([ok]);
    sup.start();
    await flush();
    sup.reportReconnecting();
    expect(sup.status().state).toBe('reconnecting');
    await sched.advance(10 * 60_000);
    expect(calls()).toBe(1);
    sup.reportConnected();
    expect(sup.status().state).toBe('connected');
  });

  it('ignores a connect that succeeds after stop, and closes that session again', async () => {
    let resolve!: () => void;
    const { sup, abandoned, sched } = setup([() => new Promise<void>((r) => (resolve = r))]);
    sup.start();
    sup.stop();
    resolve();
    await flush();
    expect(sup.status().state).toBe('disconnected');
    expect(abandoned()).toBe(1);
    expect(sched.pending()).toBe(0);
  });
});
