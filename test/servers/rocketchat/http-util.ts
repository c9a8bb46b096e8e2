// Response helpers shaped like Rocket.Chat's API.v1.success/failure/unauthorized/tooManyRequests
// (apps/meteor/app/api/server/api.ts): every body carries `success`, failures add `error`
// ("<reason> [<errorType>]" as Meteor.Error formats its message), `errorType` and `details`.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    readonly reason: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${reason} [${errorType}]`);
  }
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

export function success(res: ServerResponse, body: Record<string, unknown> = {}): void {
  send(res, 200, { ...body, success: true });
}

export function failure(res: ServerResponse, e: ApiError): void {
  send(res, e.status, { success: false, error: e.message, errorType: e.errorType, ...(e.details ? { details: e.details } : {}) });
}

/** api.unauthorized() plus the pre-8.0 compatibility fields (status/message) the server still adds. */
export function unauthorized(res: ServerResponse): void {
  send(res, 401, { success: false, status: 'error', error: 'You must be logged in to do this.', message: 'You must be logged in to do this.' });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(req)).toString('utf8');
  if (raw.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through: the real server answers a broken body with a 400 failure
  }
  throw new ApiError(400, 'error-invalid-params', 'Invalid JSON body');
}

export function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new ApiError(400, 'error-invalid-params', `The required "${name}" param is missing.`);
  return v;
}

export function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}
