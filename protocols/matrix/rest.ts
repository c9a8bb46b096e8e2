// Typed wrappers over the SDK's authenticated HTTP layer (client.http): errcode-aware MatrixErrors,
// the access token, timeouts. Answers are `unknown` until checked by the caller.
import { Method } from 'matrix-js-sdk';
import type { MatrixClient } from './sdk';
import type { FetchProbe } from './sdk';
import { toAppError } from './errors';
import { asRawEvent } from './events';
import type { RawEvent } from './events';

export type Query = Record<string, string | number | boolean | undefined>;

export const REQUEST_TIMEOUT_MS = 30_000;

export class Rest {
  constructor(
    readonly client: MatrixClient,
    private readonly probe: FetchProbe,
  ) {}

  async call(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, opts: { query?: Query; body?: unknown; prefix?: string; what?: string } = {}): Promise<unknown> {
    const m = method === 'GET' ? Method.Get : method === 'PUT' ? Method.Put : method === 'POST' ? Method.Post : Method.Delete;
    try {
      const query: Record<string, string | number | boolean> = {};
      for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) query[k] = v;
      return await this.client.http.authedRequest<unknown>(m, path, query, opts.body === undefined ? undefined : (opts.body as Record<string, unknown>), {
        localTimeoutMs: REQUEST_TIMEOUT_MS,
        ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
      });
    } catch (e) {
      throw toAppError(e, { what: opts.what ?? `${method} ${path.slice(0, 80)}`, lastFetchError: this.probe.lastError });
    }
  }

  /** GET /rooms/{id}/messages. Returns checked events and how many were not events at all. */
  async messages(roomId: string, q: { from?: string; to?: string; dir: 'b' | 'f'; limit: number; filter?: unknown }): Promise<{ events: RawEvent[]; end: string | null; dropped: number }> {
    const res = await this.call('GET', `/rooms/${encodeURIComponent(roomId)}/messages`, {
      query: { dir: q.dir, limit: q.limit, from: q.from, to: q.to, filter: q.filter === undefined ? undefined : JSON.stringify(q.filter) },
      what: 'history',
    });
    const obj = typeof res === 'object' && res !== null ? (res as Record<string, unknown>) : {};
    const chunk = Array.isArray(obj.chunk) ? (obj.chunk as unknown[]) : [];
    const events: RawEvent[] = [];
    let dropped = 0;
    for (const raw of chunk) {
      const ev = asRawEvent(raw);
      if (ev) events.push(ev);
      else dropped++;
    }
    return { events, end: typeof obj.end === 'string' && chunk.length > 0 ? obj.end : null, dropped };
  }
}

export const enc = encodeURIComponent;

export function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}
export function stringField(obj: unknown, key: string): string | undefined {
  const v = field(obj, key);
  return typeof v === 'string' ? v : undefined;
}
