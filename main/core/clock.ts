// Time and timers behind one small interface, so the supervisor, typing TTLs and patch batching
// can be driven deterministically in tests (fake timers or a hand-rolled scheduler).
export type TimerHandle = unknown;

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export function systemScheduler(now: () => number = () => Date.now()): Scheduler {
  return {
    now,
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms);
      // Timers must never keep a host process (or a test worker) alive on their own.
      t.unref?.();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

export interface CoreLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

export const silentLogger: CoreLogger = { debug() {}, info() {}, warn() {}, error() {} };
