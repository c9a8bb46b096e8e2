// REST /api/v1 over fetch with X-User-Id/X-Auth-Token. Every answer is checked against a narrow
// schema; a body that is not JSON or not the expected shape is reported as `malformed` and
// becomes a 'server' error for the caller, never an exception from deep inside.
import type { z } from 'zod';
import { AppError } from '../../common/errors';
import { errorFromResponse } from './errors';
import type { RcErrorBody } from './errors';
import { certificateError } from '../base/net-errors';

export interface RestHooks {
  onMalformed(detail: string): void;
  /** A 401 on an authenticated call: the session is gone (token expired or revoked). */
  onUnauthorized(e: AppError): void;
  now(): number;
  /** The account's fetch (extra trusted CAs); default the global fetch. */
  readonly fetch?: typeof fetch;
}

const TIMEOUT_MS = 30_000;
const STALE_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

function isStaleConnection(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && STALE_CODES.has(code)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

export class RestClient {
  private auth: { userId: string; token: string } | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly hooks: RestHooks,
  ) {}

  setAuth(userId: string, token: string): void {
    this.auth = { userId, token };
  }
  clearAuth(): void {
    this.auth = null;
  }
  get userId(): string | null {
    return this.auth?.userId ?? null;
  }

  authHeaders(): Record<string, string> {
    return this.auth ? { 'X-User-Id': this.auth.userId, 'X-Auth-Token': this.auth.token } : {};
  }

  get<S extends z.ZodType>(endpoint: string, query: Record<string, string | undefined>, schema: S): Promise<z.infer<S>> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, v);
    const qs = q.toString();
    return this.request(`/api/v1/${endpoint}${qs ? `?${qs}` : ''}`, { method: 'GET' }, schema, endpoint);
  }

  post<S extends z.ZodType>(endpoint: string, body: unknown, schema: S, headers: Record<string, string> = {}): Promise<z.infer<S>> {
    return this.request(`/api/v1/${endpoint}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }, schema, endpoint);
  }

  postForm<S extends z.ZodType>(endpoint: string, form: FormData, schema: S): Promise<z.infer<S>> {
    return this.request(`/api/v1/${endpoint}`, { method: 'POST', body: form }, schema, endpoint);
  }

  /** A raw authenticated GET of a path on this server (file downloads). */
  async download(path: string): Promise<Response> {
    const res = await this.fetchWithTimeout(`${this.baseUrl}${path}`, { method: 'GET' }, 'download');
    if (!res.ok) {
      await res.body?.cancel();
      throw errorFromResponse(res.status, res.headers, {}, 'download', this.hooks.now());
    }
    return res;
  }

  private async fetchWithTimeout(url: string, init: RequestInit, what: string): Promise<Response> {
    const attempt = (): Promise<Response> => (this.hooks.fetch ?? fetch)(url, {
      ...init,
      headers: { ...this.authHeaders(), ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
    try {
      try {
        return await attempt();
      } catch (e) {
        // A pooled keep-alive connection the server closed (restart, idle timeout) fails before
        // any answer; one retry on a fresh connection. Our writes are safe to repeat: sends carry
        // their own _id, reactions say shouldReact explicitly.
        if (!isStaleConnection(e)) throw e;
        return await attempt();
      }
    } catch (e) {
      if (e instanceof Error && e.name === 'TimeoutError') throw new AppError('timeout', `${what} timed out`, { cause: e });
      const cert = certificateError(e, what);
      if (cert) throw cert;
      throw new AppError('network', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private async request<S extends z.ZodType>(path: string, init: RequestInit, schema: S, what: string): Promise<z.infer<S>> {
    const authed = this.auth !== null;
    const res = await this.fetchWithTimeout(`${this.baseUrl}${path}`, init, what);
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new AppError('network', `${what}: connection lost while reading the answer`, { cause: e });
    }
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      this.hooks.onMalformed(`${what}: answer is not JSON (HTTP ${res.status})`);
      if (res.status >= 400) throw errorFromResponse(res.status, res.headers, {}, what, this.hooks.now());
      throw new AppError('server', `${what}: unreadable answer`);
    }
    const obj = (body !== null && typeof body === 'object' ? body : {}) as RcErrorBody & { success?: unknown };
    if (!res.ok || obj.success === false) {
      const err = errorFromResponse(res.status, res.headers, obj, what, this.hooks.now());
      if (res.status === 401 && authed && err.kind === 'auth') this.hooks.onUnauthorized(err);
      throw err;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      this.hooks.onMalformed(`${what}: unexpected answer shape`);
      throw new AppError('server', `${what}: unexpected answer shape`);
    }
    return parsed.data;
  }
}
