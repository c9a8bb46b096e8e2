// The REST v4 calls of one account: Bearer auth, JSON in and out, every failure as an AppError
// (errors.ts). A 401 on an authenticated call is reported to `onUnauthorized` once, so the adapter
// can tell the core that this account needs attention while the call itself rejects.
import { AppError } from '../../common/errors';
import type { Transport } from './transport';
import { httpError, networkError } from './errors';

const TIMEOUT_MS = 30_000;

export interface RawResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: Uint8Array;
}

export class MmHttp {
  token: string | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly transport: Transport,
    private readonly onUnauthorized: (e: AppError) => void,
  ) {}

  /** JSON request; `null` body for GET/DELETE. Resolves with the parsed JSON answer. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body === undefined ? undefined : { 'Content-Type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body));
    return parseJson<T>(res.body, `${method} ${path}`);
  }

  async upload(path: string, fields: Record<string, string>, file: { name: string; mime: string; data: Uint8Array }): Promise<unknown> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('files', new Blob([file.data.slice()], { type: file.mime }), file.name);
    const res = await this.raw('POST', path, undefined, form);
    return parseJson<unknown>(res.body, `POST ${path}`);
  }

  async raw(method: string, path: string, headers?: Record<string, string>, body?: string | FormData): Promise<RawResponse> {
    const what = `${method} ${path.split('?')[0]}`;
    let res: Awaited<ReturnType<Transport['fetch']>>;
    try {
      res = await this.transport.fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Accept: 'application/json',
          // Client4 sends it on every call; the server uses it to tell API clients from browsers.
          'X-Requested-With': 'XMLHttpRequest',
          ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw networkError(e, what);
    }
    const data = new Uint8Array(await res.arrayBuffer().catch((e: unknown) => {
      throw networkError(e, what);
    }));
    if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, body: data };
    const err = httpError(res.status, new TextDecoder().decode(data.slice(0, 4096)), (n) => res.headers.get(n), what);
    if (err.kind === 'auth' && this.token) this.onUnauthorized(err);
    throw err;
  }
}

export function parseJson<T>(body: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as T;
  } catch {
    throw new AppError('invalid_input', `${what}: the server sent malformed JSON`);
  }
}
