// A fetch that trusts the organisation's certificate authorities in addition to the system ones.
// Node's global fetch takes no CA list, and the npm `undici` package (which could) installs itself
// as the process-wide dispatcher when it is imported, which changed how every other account's
// global fetch behaved. So this is a small fetch over node:https with its own Agent: it only
// affects the requests it is given.
//
// What it does: normalises the input through the global Request (headers, body, signal), sends it
// with `https.request`, follows redirects like fetch ('follow', at most 10; 303 → GET), and
// answers with a standard Response whose body streams. Network and TLS failures reject with
// TypeError('fetch failed', { cause }) exactly like Node's fetch, so error mapping (the TLS code
// in `cause.code`) works the same for both. Plain http: (loopback test servers) goes through an
// http Agent of its own, so an account never shares keep-alive sockets with anyone else.
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { AppError } from '../../common/errors';

export type FetchFn = typeof globalThis.fetch;

/** The PEM blocks of one trustedCaPem entry (an entry may hold a bundle). */
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Check and normalise the extra CAs: every entry must hold at least one parseable PEM certificate.
 * Empty entries are ignored. Throws AppError('certificate') naming the bad entry.
 */
export function parseTrustedCas(pem: readonly string[] | undefined): string[] {
  const out: string[] = [];
  (pem ?? []).forEach((entry, i) => {
    if (entry.trim().length === 0) return;
    const blocks = entry.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0) throw new AppError('certificate', `trusted certificate authority #${i + 1} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`);
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch (e) {
        throw new AppError('certificate', `trusted certificate authority #${i + 1} cannot be read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      out.push(block);
    }
  });
  return out;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export interface TrustingFetch {
  readonly fetch: FetchFn;
  /** Close idle keep-alive sockets (the account is going away). */
  close(): void;
}

/** `cas`: checked PEM certificates (parseTrustedCas) to trust besides the system's. */
export function fetchTrusting(cas: readonly string[]): TrustingFetch {
  const agents: Agents = { https: new HttpsAgent({ ca: [...rootCertificates, ...cas], keepAlive: true }), http: new HttpAgent({ keepAlive: true }) };
  const fetchFn: FetchFn = async (input, init) => {
    let req = new Request(input, init);
    checkScheme(req.url);
    let body = req.body ? new Uint8Array(await req.arrayBuffer()) : null;
    for (let hop = 0; ; hop++) {
      const res = await send(agents, req, body);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || location === undefined || req.redirect !== 'follow') return toResponse(res, req.method);
      res.resume();
      if (req.redirect === 'follow' && hop >= MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error('too many redirects') });
      const next = new URL(location, req.url);
      const toGet = res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && req.method === 'POST');
      const headers = new Headers(req.headers);
      if (toGet) {
        headers.delete('content-type');
        headers.delete('content-length');
        body = null;
      }
      // Credentials never follow a redirect to another origin (as in fetch).
      if (next.origin !== new URL(req.url).origin) headers.delete('authorization');
      req = new Request(next, { method: toGet ? 'GET' : req.method, headers, signal: req.signal, redirect: req.redirect });
      checkScheme(req.url);
    }
  };
  return {
    fetch: fetchFn,
    close: () => {
      agents.https.destroy();
      agents.http.destroy();
    },
  };
}

interface Agents {
  readonly https: HttpsAgent;
  readonly http: HttpAgent;
}

function checkScheme(url: string): void {
  const p = new URL(url).protocol;
  if (p !== 'https:' && p !== 'http:') throw new TypeError('fetch failed', { cause: new Error(`unsupported scheme ${p}`) });
}

function send(agents: Agents, req: Request, body: Uint8Array | null): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => {
      headers[k] = v;
    });
    if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.byteLength);
    const tls = new URL(req.url).protocol === 'https:';
    const opts = { method: req.method, headers, signal: req.signal };
    const r = tls ? httpsRequest(req.url, { ...opts, agent: agents.https }, resolve) : httpRequest(req.url, { ...opts, agent: agents.http }, resolve);
    r.on('error', (e: Error) => reject(e.name === 'AbortError' ? req.signal.reason ?? e : new TypeError('fetch failed', { cause: e })));
    r.end(body ?? undefined);
  });
}

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const status = res.statusCode ?? 502;
  const empty = method === 'HEAD' || status === 204 || status === 304;
  if (empty) res.resume();
  const stream = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  return new Response(stream, { status, statusText: res.statusMessage ?? '', headers });
}
