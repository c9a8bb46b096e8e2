// base/tls-fetch against a real TLS server on loopback whose certificate comes from a throwaway
// CA: it behaves like fetch (bodies, headers, redirects, errors) and trusts only what it is given.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTrusting } from '../../../../protocols/base/tls-fetch';
import { makeTestCa } from '../../../servers/test-ca';
import type { TestCa } from '../../../servers/test-ca';

let ca: TestCa;
let server: Server;
let base: string;
const seen: { url: string; method: string; auth: string | undefined; body: string; length: string | undefined }[] = [];

beforeAll(async () => {
  ca = await makeTestCa('Samverka tls-fetch test CA');
  server = createServer({ key: ca.serverKeyPem, cert: ca.serverCertPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', method: req.method ?? '', auth: req.headers.authorization, body: Buffer.concat(chunks).toString(), length: req.headers['content-length'] });
      if (req.url === '/echo') {
        res.writeHead(201, { 'content-type': 'application/json', 'x-thing': 'ja' });
        res.end(JSON.stringify({ got: Buffer.concat(chunks).toString() }));
      } else if (req.url === '/see-other') {
        res.writeHead(303, { location: '/echo' }).end();
      } else if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' }).end();
      } else if (req.url === '/elsewhere') {
        res.writeHead(307, { location: `https://localhost:${(server.address() as { port: number }).port}/echo` }).end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 5_000);
      } else {
        res.writeHead(404).end('nope');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('fetchTrusting', () => {
  it('sends body and headers and returns status, headers and a readable body', async () => {
    const f = fetchTrusting([ca.caPem]);
    const res = await f.fetch(`${base}/echo`, { method: 'PUT', headers: { authorization: 'Bearer t', 'content-type': 'text/plain' }, body: 'hej åäö' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-thing')).toBe('ja');
    expect(await res.json()).toEqual({ got: 'hej åäö' });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', auth: 'Bearer t', length: String(Buffer.byteLength('hej åäö')) });
    f.close();
  });

  it('follows a 303 as GET without the body, and drops the authorization header on another origin', async () => {
    const f = fetchTrusting([ca.caPem]);
    const res = await f.fetch(`${base}/see-other`, { method: 'POST', headers: { authorization: 'Bearer t' }, body: 'x' });
    expect(res.status).toBe(201);
    expect(seen.at(-1)).toMatchObject({ url: '/echo', method: 'GET', body: '' });
    await f.fetch(`${base}/elsewhere`, { headers: { authorization: 'Bearer secret' } });
    expect(seen.at(-1)).toMatchObject({ url: '/echo', auth: undefined });
    await expect(f.fetch(`${base}/loop`)).rejects.toThrow(/fetch failed/u);
    const manual = await f.fetch(`${base}/see-other`, { redirect: 'manual' });
    expect(manual.status).toBe(303);
    f.close();
  });

  it('refuses a server whose CA it was not given, with the TLS code in the cause, like fetch', async () => {
    const other = await makeTestCa('Unrelated CA');
    const f = fetchTrusting([other.caPem]);
    const err = await f.fetch(`${base}/echo`).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as { cause?: { code?: string } }).cause?.code).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/u);
    await expect(globalThis.fetch(`${base}/echo`)).rejects.toThrow(/fetch failed/u);
    f.close();
  });

  it('stops when the signal aborts', async () => {
    const f = fetchTrusting([ca.caPem]);
    const started = f.fetch(`${base}/slow`, { signal: AbortSignal.timeout(200) });
    await expect(started).rejects.toMatchObject({ name: 'TimeoutError' });
    f.close();
  });
});
