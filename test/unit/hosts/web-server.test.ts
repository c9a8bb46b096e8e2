import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Patch, ServerFrame } from '../../../common/api';
import { startWebServer, WS_CLOSE_UNAUTHORIZED, type WebServer } from '../../../main/web/server';
import { createFakeCore, type FakeCore } from './fake-core';

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResult> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end();
  });
}

interface Client {
  ws: WebSocket;
  frames: ServerFrame[];
  next(pred?: (f: ServerFrame) => boolean): Promise<ServerFrame>;
  closed: Promise<{ code: number }>;
}

function connect(port: number, opts: { origin?: string | null; host?: string; path?: string } = {}): Promise<Client> {
  const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${port}` };
  const origin = opts.origin === undefined ? `http://127.0.0.1:${port}` : opts.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/api'}`, {
    headers,
    ...(origin === null ? {} : { origin }),
  });
  const frames: ServerFrame[] = [];
  const waiters: { pred: (f: ServerFrame) => boolean; ok: (f: ServerFrame) => void }[] = [];
  ws.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString('utf8')) as ServerFrame;
    const i = waiters.findIndex((w) => w.pred(f));
    if (i >= 0) waiters.splice(i, 1)[0]!.ok(f);
    else frames.push(f);
  });
  const closed = new Promise<{ code: number }>((ok) => ws.on('close', (code) => ok({ code })));
  const client: Client = {
    ws,
    frames,
    closed,
    next(pred = () => true) {
      const i = frames.findIndex(pred);
      if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]!);
      return new Promise((ok) => waiters.push({ pred, ok }));
    },
  };
  return new Promise((ok, fail) => {
    ws.once('open', () => ok(client));
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode ?? 0}`)));
    ws.once('error', fail);
  });
}

async function authed(server: WebServer): Promise<Client> {
  const c = await connect(server.port);
  c.ws.send(JSON.stringify({ token: server.token }));
  return c;
}

function resultOf(f: ServerFrame): { id: number; ok: boolean; value?: unknown; kind?: string } {
  if (!('id' in f)) throw new Error('expected a result frame');
  return f.result.ok
    ? { id: f.id, ok: true, value: f.result.value }
    : { id: f.id, ok: false, kind: f.result.error.kind };
}

let dir: string;
let staticDir: string;
let core: FakeCore;
let server: WebServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samverka-web-'));
  staticDir = join(dir, 'renderer');
  await mkdir(join(staticDir, 'assets'), { recursive: true });
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Samverka</title>');
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(staticDir, 'assets', 'app.css'), 'body{}');
  await writeFile(join(dir, 'secret.txt'), 'TOP SECRET');
  await symlink(join(dir, 'secret.txt'), join(staticDir, 'assets', 'link.txt'));
  core = createFakeCore();
  server = await startWebServer({ core, staticDir, port: 0, authTimeoutMs: 300 });
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('web server: startup', () => {
  it('binds 127.0.0.1 with a random 256-bit base64url token in the URL hash', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
    const other = await startWebServer({ core, staticDir });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  it('refuses a non-loopback host', async () => {
    await expect(startWebServer({ core, staticDir, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1/);
  });
});

describe('web server: static files', () => {
  it('serves index.html at / with the security headers and no-store', async () => {
    const r = await get(server.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Samverka</title>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-store');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port}`);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("base-uri 'none'");
  });

  it('serves assets with the right content type, also for Host localhost', async () => {
    const js = await get(server.port, '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await get(server.port, '/assets/app.css?v=1', { host: `localhost:${server.port}` });
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get(server.port, '/assets/missing.js')).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/index.html%00.js',
    '/%00',
    '/%zz',
    '/assets/link.txt',
  ])('refuses path traversal %s', async (path) => {
    const r = await get(server.port, path);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.body).not.toContain('TOP SECRET');
  });

  it('refuses a wrong Host header (DNS rebinding) on HTTP', async () => {
    expect((await get(server.port, '/', { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await get(server.port, '/', { host: '127.0.0.1' })).status).toBe(403);
    expect((await get(server.port, '/', { host: `127.0.0.1:${server.port + 1}` })).status).toBe(403);
  });

  it('allows only GET and HEAD', async () => {
    expect((await get(server.port, '/', {}, 'POST')).status).toBe(405);
    const head = await get(server.port, '/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('web server: WebSocket guard', () => {
  it('rejects a wrong Origin on the upgrade', async () => {
    await expect(connect(server.port, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(connect(server.port, { origin: `http://127.0.0.1:${server.port + 1}` })).rejects.toThrow(/403/);
    await expect(connect(server.port, { origin: null })).rejects.toThrow(/403/);
  });

  it('rejects a wrong Host on the upgrade', async () => {
    await expect(connect(server.port, { host: `evil.example:${server.port}` })).rejects.toThrow(/403/);
  });

  it('accepts Origin and Host localhost', async () => {
    const c = await connect(server.port, { origin: `http://localhost:${server.port}`, host: `localhost:${server.port}` });
    c.ws.send(JSON.stringify({ token: server.token }));
    c.ws.send(JSON.stringify({ id: 1, cmd: 'app:snapshot', input: {} }));
    expect(resultOf(await c.next()).ok).toBe(true);
    c.ws.close();
  });

  it('rejects upgrades on other paths', async () => {
    await expect(connect(server.port, { path: '/other' })).rejects.toThrow(/404/);
  });

  it('closes with 4401 on a wrong token, and never runs a command', async () => {
    const c = await connect(server.port);
    c.ws.send(JSON.stringify({ token: 'x'.repeat(43) }));
    c.ws.send(JSON.stringify({ id: 1, cmd: 'app:snapshot', input: {} }));
    expect((await c.closed).code).toBe(WS_CLOSE_UNAUTHORIZED);
    expect(core.calls).toHaveLength(0);
  });

  it('closes with 4401 when the first frame is a command instead of the token', async () => {
    const c = await connect(server.port);
    c.ws.send(JSON.stringify({ id: 1, cmd: 'app:snapshot', input: {} }));
    expect((await c.closed).code).toBe(WS_CLOSE_UNAUTHORIZED);
    expect(core.calls).toHaveLength(0);
  });

  it('closes with 4401 when no token arrives in time', async () => {
    const c = await connect(server.port);
    expect((await c.closed).code).toBe(WS_CLOSE_UNAUTHORIZED);
  });

  it('does not send patches to an unauthenticated socket', async () => {
    const c = await connect(server.port);
    core.emit([{ type: 'contact.removed', contactId: 'c1' }]);
    await c.closed;
    expect(c.frames).toHaveLength(0);
  });
});

describe('web server: commands and patches', () => {
  it('round-trips a command to the core', async () => {
    const c = await authed(server);
    c.ws.send(JSON.stringify({ id: 7, cmd: 'inbox:list', input: { accountId: 'a1' } }));
    const r = resultOf(await c.next());
    expect(r).toEqual({ id: 7, ok: true, value: { echo: { cmd: 'inbox:list', input: { accountId: 'a1' } } } });
    expect(core.calls).toEqual([{ cmd: 'inbox:list', input: { accountId: 'a1' } }]);
    c.ws.close();
  });

  it('answers an unknown command with ipc_invalid without calling the core', async () => {
    const c = await authed(server);
    c.ws.send(JSON.stringify({ id: 3, cmd: 'fs:readFile', input: {} }));
    expect(resultOf(await c.next())).toEqual({ id: 3, ok: false, kind: 'ipc_invalid' });
    c.ws.send(JSON.stringify({ id: 4, cmd: '__proto__', input: {} }));
    expect(resultOf(await c.next())).toEqual({ id: 4, ok: false, kind: 'ipc_invalid' });
    expect(core.calls).toHaveLength(0);
    c.ws.close();
  });

  it('answers malformed frames with an error result and stays usable', async () => {
    const c = await authed(server);
    c.ws.send('{not json');
    expect(resultOf(await c.next())).toEqual({ id: -1, ok: false, kind: 'ipc_invalid' });
    c.ws.send(JSON.stringify([1, 2]));
    expect(resultOf(await c.next())).toEqual({ id: -1, ok: false, kind: 'ipc_invalid' });
    c.ws.send(JSON.stringify({ id: 'x', cmd: 'app:snapshot' }));
    expect(resultOf(await c.next())).toEqual({ id: -1, ok: false, kind: 'ipc_invalid' });
    c.ws.send(JSON.stringify({ id: 5, cmd: 42 }));
    expect(resultOf(await c.next())).toEqual({ id: 5, ok: false, kind: 'ipc_invalid' });
    c.ws.send(JSON.stringify({ id: 6, cmd: 'app:snapshot', input: {} }));
    expect(resultOf(await c.next())).toMatchObject({ id: 6, ok: true });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('turns a throwing core into an error result', async () => {
    await server.close();
    core = createFakeCore(() => Promise.reject(new Error('boom')));
    server = await startWebServer({ core, staticDir });
    const c = await authed(server);
    c.ws.send(JSON.stringify({ id: 1, cmd: 'app:snapshot', input: {} }));
    expect(resultOf(await c.next())).toEqual({ id: 1, ok: false, kind: 'unknown' });
    c.ws.close();
  });

  it('fans patches out to every authenticated tab and unsubscribes on close', async () => {
    const a = await authed(server);
    const b = await authed(server);
    // The token frame has no answer; a round trip proves both are authenticated.
    a.ws.send(JSON.stringify({ id: 1, cmd: 'app:snapshot', input: {} }));
    b.ws.send(JSON.stringify({ id: 1, cmd: 'app:snapshot', input: {} }));
    await a.next();
    await b.next();
    expect(core.listenerCount()).toBe(2);
    const patches: Patch[] = [{ type: 'presence.own', state: 'available', statusText: 'hej' }];
    core.emit(patches);
    expect(await a.next()).toEqual({ event: 'patches', patches });
    expect(await b.next()).toEqual({ event: 'patches', patches });
    a.ws.close();
    await a.closed;
    await expect.poll(() => core.listenerCount()).toBe(1);
    core.emit(patches);
    expect(await b.next()).toEqual({ event: 'patches', patches });
    b.ws.close();
    await b.closed;
    await expect.poll(() => core.listenerCount()).toBe(0);
  });

  it('accepts a large (upload-sized) frame', async () => {
    const c = await authed(server);
    const dataBase64 = 'A'.repeat(5 * 1024 * 1024);
    c.ws.send(JSON.stringify({ id: 9, cmd: 'file:upload', input: { conversationId: 'c', name: 'f', mime: 'x', dataBase64 } }));
    expect(resultOf(await c.next())).toMatchObject({ id: 9, ok: true });
    c.ws.close();
  });
});

describe('web server: close', () => {
  it('closes open sockets and frees the port', async () => {
    const c = await authed(server);
    const port = server.port;
    await server.close();
    await c.closed;
    await new Promise<void>((ok, fail) => {
      const probe = createNetServer();
      probe.once('error', fail);
      probe.listen(port, '127.0.0.1', () => probe.close(() => ok()));
    });
    expect(core.listenerCount()).toBe(0);
    await server.close(); // idempotent
  });
});
