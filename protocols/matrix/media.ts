// Upload to the content repository and download through authenticated media (MSC3916,
// /_matrix/client/v1/media/download) with a fallback to the legacy /_matrix/media/v3 endpoints for
// servers older than spec v1.11.
import { AppError } from '../../common/errors';
import type { AttachmentInfo } from '../contract';
import { guessMime, sanitizeFileName } from '../base/filenames';
import { kindForStatus, toAppError } from './errors';
import { parseMxc } from './ids';

export const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;

export interface MediaContext {
  readonly baseUrl: string;
  readonly accessToken: string;
  readonly fetchFn: typeof fetch;
  readonly authenticatedMedia: boolean;
  readonly maxUploadBytes: number | null;
}

async function errorFrom(res: Response, what: string): Promise<AppError> {
  let errcode = '';
  let detail = '';
  try {
    const j = JSON.parse(await res.text()) as { errcode?: unknown; error?: unknown; retry_after_ms?: unknown };
    errcode = typeof j.errcode === 'string' ? j.errcode : '';
    detail = typeof j.error === 'string' ? j.error : '';
    if (res.status === 429) {
      return new AppError('rate_limited', `${what}: ${errcode} ${detail}`, { retryAfterMs: typeof j.retry_after_ms === 'number' ? j.retry_after_ms : 5_000 });
    }
  } catch {
    // not JSON
  }
  const kind = errcode === 'M_TOO_LARGE' ? 'invalid_input' : errcode === 'M_UNKNOWN_TOKEN' ? 'auth' : kindForStatus(res.status);
  return new AppError(kind, `${what}: HTTP ${res.status} ${errcode} ${detail}`.trim());
}

export async function upload(ctx: MediaContext, file: { name: string; mime: string; data: Uint8Array }): Promise<AttachmentInfo> {
  const name = sanitizeFileName(file.name, 'file');
  if (ctx.maxUploadBytes !== null && file.data.byteLength > ctx.maxUploadBytes) {
    throw new AppError('invalid_input', `file is ${file.data.byteLength} bytes; the server accepts at most ${ctx.maxUploadBytes}`);
  }
  const mime = /^[a-z]+\/[a-z0-9.+-]+$/i.test(file.mime) ? file.mime : guessMime(name);
  let res: Response;
  try {
    res = await ctx.fetchFn(`${ctx.baseUrl}/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.accessToken}`, 'content-type': mime },
      body: new Blob([file.data.slice()]),
      signal: AbortSignal.timeout(300_000),
    });
  } catch (e) {
    throw toAppError(e, { what: 'upload' });
  }
  if (!res.ok) throw await errorFrom(res, 'upload');
  let uri: unknown;
  try {
    uri = (JSON.parse(await res.text()) as { content_uri?: unknown }).content_uri;
  } catch {
    uri = undefined;
  }
  if (typeof uri !== 'string' || !parseMxc(uri)) throw new AppError('server', 'upload: server returned no valid content_uri');
  return { id: uri, name, mime, size: file.data.byteLength, url: uri };
}

export async function download(ctx: MediaContext, att: AttachmentInfo): Promise<{ name: string; mime: string; data: Uint8Array }> {
  const mxc = parseMxc(att.url);
  if (!mxc) throw new AppError('invalid_input', 'not an mxc:// URL');
  const path = `${encodeURIComponent(mxc.server)}/${encodeURIComponent(mxc.mediaId)}`;
  const get = (url: string, auth: boolean): Promise<Response> =>
    ctx.fetchFn(url, { headers: auth ? { authorization: `Bearer ${ctx.accessToken}` } : {}, signal: AbortSignal.timeout(300_000), redirect: 'follow' });
  let res: Response;
  try {
    res = ctx.authenticatedMedia
      ? await get(`${ctx.baseUrl}/_matrix/client/v1/media/download/${path}`, true)
      : await get(`${ctx.baseUrl}/_matrix/media/v3/download/${path}`, false);
    // A server that does not know the v1 endpoint answers 404/405 M_UNRECOGNIZED: use the legacy one.
    if (ctx.authenticatedMedia && (res.status === 404 || res.status === 405 || res.status === 400)) {
      const body = await res.clone().text().catch(() => '');
      if (/M_UNRECOGNIZED/.test(body) || res.status === 405) res = await get(`${ctx.baseUrl}/_matrix/media/v3/download/${path}`, false);
    }
  } catch (e) {
    throw toAppError(e, { what: 'download' });
  }
  if (!res.ok) throw await errorFrom(res, 'download');
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_DOWNLOAD_BYTES) throw new AppError('invalid_input', `download too large (${declared} bytes)`);
  const data = new Uint8Array(await res.arrayBuffer());
  if (data.byteLength > MAX_DOWNLOAD_BYTES) throw new AppError('invalid_input', 'download too large');
  return { name: sanitizeFileName(att.name, 'file'), mime: att.mime, data };
}

/** Thumbnails are small; anything bigger than this is not a picture we want in the inbox. */
const MAX_THUMBNAIL_BYTES = 1024 * 1024;

/**
 * A square thumbnail of an avatar (spec "Thumbnails", authenticated /_matrix/client/v1/media/
 * thumbnail since v1.11, legacy /_matrix/media/v3 before). Only mxc:// locators are accepted.
 */
export async function fetchThumbnail(ctx: MediaContext, locator: string, size: number): Promise<{ mime: string; data: Uint8Array }> {
  const mxc = parseMxc(locator);
  if (!mxc) throw new AppError('invalid_input', 'not an mxc:// URL');
  const px = Math.max(16, Math.min(512, Math.round(size)));
  const path = `${encodeURIComponent(mxc.server)}/${encodeURIComponent(mxc.mediaId)}?width=${px}&height=${px}&method=crop`;
  const get = (url: string, auth: boolean): Promise<Response> =>
    ctx.fetchFn(url, { headers: auth ? { authorization: `Bearer ${ctx.accessToken}` } : {}, signal: AbortSignal.timeout(30_000), redirect: 'follow' });
  let res: Response;
  try {
    res = ctx.authenticatedMedia
      ? await get(`${ctx.baseUrl}/_matrix/client/v1/media/thumbnail/${path}`, true)
      : await get(`${ctx.baseUrl}/_matrix/media/v3/thumbnail/${path}`, false);
  } catch (e) {
    throw toAppError(e, { what: 'thumbnail' });
  }
  if (!res.ok) throw await errorFrom(res, 'thumbnail');
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_THUMBNAIL_BYTES) throw new AppError('invalid_input', `thumbnail too large (${declared} bytes)`);
  const data = new Uint8Array(await res.arrayBuffer());
  if (data.byteLength > MAX_THUMBNAIL_BYTES) throw new AppError('invalid_input', 'thumbnail too large');
  return { mime: (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase(), data };
}
