// Web mode: serves the built renderer on 127.0.0.1 and bridges the typed UI API over a WebSocket.
//
// Threat model: any web page the user visits, and any other local user, can reach a loopback
// port. So: a random 256-bit token (kept in the URL hash, never sent to the server in a request
// line), a Host check on every request (DNS rebinding), an Origin check on the WebSocket upgrade
// (cross-site WebSocket hijacking), and the token as the first WebSocket frame.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { isCommandName, type IpcResult, type Patch, type ServerFrame } from '../../common/api';
import { toErrorDto, type AppErrorDto } from '../../common/errors';
import type { CoreApi } from '../core/host-api';
import { contentTypeFor, resolveStaticPath } from '../shared/static-files';

export interface WebServerOptions {
  readonly core: CoreApi;
  /** The built renderer (dist/renderer). */
  readonly staticDir: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Loopback only, by design. */
  readonly host?: '127.0.0.1';
  /** Test hook: how long a new socket may take to authenticate (default 5000 ms). */
  readonly authTimeoutMs?: number;
  /** Test hook: fixed token instead of a random one. */
  readonly token?: string;
}

export interface WebServer {
  /** http://127.0.0.1:<port>/#token=<token> */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Largest accepted WebSocket frame: a 25 MB upload is ~33.4 MB as base64, plus JSON. */
export const MAX_FRAME_BYTES = 40 * 1024 * 1024;
/** The first (token) frame is tiny; anything larger before authentication is refused. */
const MAX_AUTH_FRAME_BYTES = 1024;
/** A socket that stops reading is dropped rather than buffering patches without bound. */
const MAX_BUFFERED_BYTES = 128 * 1024 * 1024;

export const WS_CLOSE_UNAUTHORIZED = 4401;
export const API_PATH = '/api';

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time string comparison (hashing first makes the lengths equal). */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function invalid(message: string): IpcResult<unknown> {
  const error: AppErrorDto = { kind: 'ipc_invalid', message, fatal: false };
  return { ok: false, error };
}

function rawDataLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function rawDataToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const { core } = opts;
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('web mode binds 127.0.0.1 only');
  const staticDir = resolve(opts.staticDir);
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const authTimeoutMs = opts.authTimeoutMs ?? 5000;
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  let csp = '';

  const hostOk = (req: IncomingMessage): boolean => {
    const h = req.headers.host;
    return typeof h === 'string' && allowedHosts.has(h.toLowerCase());
  };

  const securityHeaders = (): Record<string, string> => ({
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': csp,
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });

  const sendText = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, {
      ...securityHeaders(),
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(text);
  };

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostOk(req)) return sendText(res, 403, 'Forbidden\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    const rawUrl = req.url ?? '/';
    if (rawUrl === API_PATH || rawUrl.startsWith(API_PATH + '?')) return sendText(res, 426, 'Upgrade Required\n');
    const found = await resolveStaticPath(staticDir, rawUrl);
    if (!found.ok) {
      const text = found.status === 404 ? 'Not Found\n' : found.status === 403 ? 'Forbidden\n' : 'Bad Request\n';
      return sendText(res, found.status, text);
    }
    const body = await readFile(found.file);
    const isHtml = found.file.endsWith('.html');
    res.writeHead(200, {
      ...securityHeaders(),
      'Content-Type': contentTypeFor(found.file),
      'Content-Length': String(body.length),
      'Cache-Control': isHtml ? 'no-store' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((req, res) => {
    handleHttp(req, res).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const authenticated = new Set<WebSocket>();

  const reject = (socket: Duplex, status: number, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    const origin = req.headers.origin;
    if (!hostOk(req) || typeof origin !== 'string' || !allowedOrigins.has(origin.toLowerCase())) {
      return reject(socket, 403, 'Forbidden');
    }
    if (path !== API_PATH) return reject(socket, 404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  const send = (ws: WebSocket, frame: ServerFrame): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(frame));
  };

  const runCommand = async (ws: WebSocket, text: string): Promise<void> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // No id to answer to: -1 tells the client it was a frame-level error.
      return send(ws, { id: -1, result: invalid('malformed JSON frame') });
    }
    if (!isRecord(parsed)) return send(ws, { id: -1, result: invalid('frame must be an object') });
    const { id, cmd, input } = parsed;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return send(ws, { id: -1, result: invalid('frame id must be an integer') });
    if (typeof cmd !== 'string') return send(ws, { id, result: invalid('cmd must be a string') });
    if (!isCommandName(cmd)) return send(ws, { id, result: invalid(`unknown command: ${cmd.slice(0, 64)}`) });
    let result: IpcResult<unknown>;
    try {
      result = await core.handle(cmd, input);
    } catch (e) {
      result = { ok: false, error: toErrorDto(e) };
    }
    send(ws, { id, result });
  };

  const onConnection = (ws: WebSocket): void => {
    let unsubscribe: (() => void) | null = null;
    const timer = setTimeout(() => ws.close(WS_CLOSE_UNAUTHORIZED, 'unauthorized'), authTimeoutMs);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(timer);
      authenticated.delete(ws);
      unsubscribe?.();
      unsubscribe = null;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!authenticated.has(ws)) {
        if (ws.readyState !== WebSocket.OPEN) return;
        let ok = false;
        if (!isBinary && rawDataLength(data) <= MAX_AUTH_FRAME_BYTES) {
          try {
            const frame: unknown = JSON.parse(rawDataToString(data));
            ok = isRecord(frame) && typeof frame.token === 'string' && tokensEqual(frame.token, token);
          } catch {
            ok = false;
          }
        }
        if (!ok) {
          clearTimeout(timer);
          ws.close(WS_CLOSE_UNAUTHORIZED, 'unauthorized');
          return;
        }
        clearTimeout(timer);
        authenticated.add(ws);
        unsubscribe = core.onPatches((patches: readonly Patch[]) => send(ws, { event: 'patches', patches }));
        return;
      }
      if (isBinary) {
        send(ws, { id: -1, result: invalid('binary frames are not accepted') });
        return;
      }
      void runCommand(ws, rawDataToString(data));
    });
  };

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen({ port: opts.port ?? 0, host, exclusive: true }, () => {
      server.off('error', fail);
      ok();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  csp = contentSecurityPolicy(port);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((done) => {
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      wss.close();
      server.close(() => done());
      server.closeAllConnections();
      // Sockets that do not finish the close handshake promptly are cut.
      setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, 500).unref();
    });
    return closing;
  };

  return { url: `http://127.0.0.1:${port}/#token=${token}`, token, port, close };
}
