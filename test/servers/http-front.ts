// A loopback HTTP or HTTPS reverse proxy in front of a plain-HTTP test server (Synapse):
//
// - `tls: { key, cert }` makes it an HTTPS front, so a client's certificate checks can be tested
//   against a server that itself only speaks HTTP.
// - `pause()` holds every request that arrives from then on (nothing reaches the server, the
//   client just waits, as on a stalled network); `resume()` forwards them in arrival order.
//   Requests already forwarded before `pause()` complete normally.
// - `requests` lists the paths of every request received, to prove traffic went through the front.
import { createServer as createHttpServer, request as httpRequest, Agent } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface HttpFront {
  /** http(s)://127.0.0.1:<port>, no trailing slash. */
  readonly url: string;
  /** Every request path received (including the query), in arrival order. */
  readonly requests: readonly string[];
  pause(): void;
  resume(): void;
  /** Resolve with the path of the first held request matching pred (past or future). */
  waitHeld(pred: (path: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface HttpFrontOptions {
  /** Port of the plain-HTTP server on 127.0.0.1. */
  readonly targetPort: number;
  /** PEM key and certificate (chain) for an HTTPS front; absent = plain HTTP. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export async function startHttpFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const agent = new Agent({ keepAlive: true });
  const requests: string[] = [];
  let held: (() => void)[] | null = null;
  const heldPaths: string[] = [];
  const heldWaiters = new Set<{ pred: (p: string) => boolean; resolve: (p: string) => void }>();

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const up = httpRequest(
      { host: '127.0.0.1', port: opts.targetPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${opts.targetPort}` }, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    requests.push(path);
    if (held) {
      // Hold the request (and its body, which stays buffered in the paused stream) until resume().
      req.pause();
      held.push(() => {
        req.resume();
        forward(req, res);
      });
      heldPaths.push(path);
      for (const w of [...heldWaiters]) {
        if (w.pred(path)) {
          heldWaiters.delete(w);
          w.resolve(path);
        }
      }
      return;
    }
    forward(req, res);
  };

  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createHttpServer(handler);
  // Long polls (/sync) must not be cut by the server's own timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    pause() {
      held ??= [];
    },
    resume() {
      const queue = held ?? [];
      held = null;
      heldPaths.length = 0;
      for (const go of queue) go();
    },
    waitHeld(pred, timeoutMs = 10_000) {
      const hit = heldPaths.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (p: string) => {
            clearTimeout(t);
            resolve(p);
          },
        };
        const t = setTimeout(() => {
          heldWaiters.delete(w);
          reject(new Error(`no matching request was held within ${timeoutMs} ms; received: ${requests.slice(-10).join(', ')}`));
        }, timeoutMs);
        heldWaiters.add(w);
      });
    },
    async close() {
      held = null;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
