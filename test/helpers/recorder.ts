// Records an adapter's events for tests: every event in order, the latest sync state, and
// waitFor(pred) resolving with the first past or future match. Protocol-agnostic.
import type { AdapterEvent, ProtocolAdapter, SyncState } from '../../protocols/contract';

export interface Recorder {
  readonly events: AdapterEvent[];
  /** Resolve with the first recorded (past or future) event matching pred. */
  waitFor<T extends AdapterEvent>(pred: (e: AdapterEvent) => e is T, timeoutMs?: number, label?: string): Promise<T>;
  waitFor(pred: (e: AdapterEvent) => boolean, timeoutMs?: number, label?: string): Promise<AdapterEvent>;
  clear(): void;
  /** Latest sync state the adapter emitted. */
  sync(): SyncState;
}

export function record(adapter: ProtocolAdapter, initialSync: SyncState = {}): Recorder {
  const events: AdapterEvent[] = [];
  const waiters = new Set<{ pred: (e: AdapterEvent) => boolean; resolve: (e: AdapterEvent) => void }>();
  let lastSync: SyncState = initialSync;
  adapter.onEvent((e) => {
    events.push(e);
    if (e.type === 'sync') lastSync = e.state;
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.delete(w);
        w.resolve(e);
      }
    }
  });
  return {
    events,
    waitFor(pred: (e: AdapterEvent) => boolean, timeoutMs = 10_000, label = 'event'): Promise<AdapterEvent> {
      const hit = events.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (e: AdapterEvent) => {
            clearTimeout(t);
            resolve(e);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timeout waiting for ${label}; got: ${events.map((e) => e.type).join(',')}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    clear() {
      events.length = 0;
    },
    sync: () => lastSync,
  } as Recorder;
}
