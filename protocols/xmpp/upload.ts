// XEP-0363 HTTP File Upload and the matching download. Only http(s) URLs are ever fetched and
// downloads are size-limited while streaming (a Content-Length header is not trusted).
import { xml } from './sdk';
import type { XmppSession } from './sdk';
import { NS } from './ns';
import { attr, child, children, text } from './stanza';
import { AppError } from '../../common/errors';

export interface Slot {
  readonly putUrl: string;
  readonly getUrl: string;
  readonly headers: Record<string, string>;
}

// XEP-0363 §4: only these headers may be copied from the slot onto the PUT request.
const ALLOWED_HEADERS = new Set(['authorization', 'cookie', 'expires']);

function httpUrl(raw: string | undefined, what: string): string {
  let u: URL;
  try {
    u = new URL(raw ?? '');
  } catch {
    throw new AppError('server', `upload slot has an invalid ${what} URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new AppError('server', `upload slot ${what} URL is not http(s)`);
  return u.toString();
}

export async function requestSlot(session: XmppSession, service: string, file: { name: string; size: number; mime: string }): Promise<Slot> {
  const res = await session.iqCaller.request(
    xml('iq', { type: 'get', to: service }, xml('request', { xmlns: NS.upload, filename: file.name, size: String(file.size), 'content-type': file.mime })),
    20_000,
  );
  const slot = child(res, 'slot', NS.upload);
  const put = child(slot, 'put');
  const get = child(slot, 'get');
  const headers: Record<string, string> = {};
  for (const h of children(put, 'header')) {
    const name = attr(h, 'name')?.toLowerCase();
    const value = text(h)?.replace(/[\r\n]/g, '');
    if (name && value !== undefined && ALLOWED_HEADERS.has(name)) headers[name] = value;
  }
  return { putUrl: httpUrl(attr(put, 'url'), 'put'), getUrl: httpUrl(attr(get, 'url'), 'get'), headers };
}

export async function putFile(slot: Slot, data: Uint8Array, mime: string, timeoutMs = 120_000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(slot.putUrl, {
      method: 'PUT',
      headers: { ...slot.headers, 'content-type': mime, 'content-length': String(data.byteLength) },
      body: data.slice(),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new AppError((e as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'network', 'upload failed', { cause: e });
  }
  if (res.status === 413) throw new AppError('invalid_input', 'file too large for the server');
  if (res.status === 401 || res.status === 403) throw new AppError('forbidden', `upload refused (${res.status})`);
  if (!res.ok) throw new AppError('server', `upload failed with HTTP ${res.status}`);
}

export async function download(url: string, maxBytes: number, timeoutMs = 120_000): Promise<{ data: Uint8Array; mime: string }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('invalid_input', 'invalid attachment URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new AppError('invalid_input', 'attachment URL is not http(s)');
  let res: Response;
  try {
    res = await fetch(u, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new AppError((e as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'network', 'download failed', { cause: e });
  }
  if (res.status === 404 || res.status === 410) throw new AppError('not_found', `download failed with HTTP ${res.status}`);
  if (!res.ok || !res.body) throw new AppError('server', `download failed with HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new AppError('invalid_input', 'attachment is larger than allowed');
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new AppError('invalid_input', 'attachment is larger than allowed');
    }
    chunks.push(value);
  }
  const data = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    data.set(c, off);
    off += c.byteLength;
  }
  return { data, mime: (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim() };
}
