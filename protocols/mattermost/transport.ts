// Network primitives for one account: REST through a fetch and the WebSocket through `ws`, both
// trusting the organisation's extra CAs (AccountConfig.trustedCaPem) besides the system ones. Not
// Client4/WebSocketClient from @mattermost/client: Client4 calls the global fetch (no CA list) and
// drops response headers on errors (we need Retry-After); WebSocketClient reconnects on its own
// timer and logs to the console, while the core owns reconnect policy here. Not npm undici either:
// importing it replaces the dispatcher of Node's global fetch for the whole process.
import { rootCertificates } from 'node:tls';
import { WebSocket } from 'ws';
import { fetchTrusting, parseTrustedCas } from '../base/tls-fetch';
import type { FetchFn } from '../base/tls-fetch';

export interface Transport {
  readonly fetch: FetchFn;
  openWebSocket(url: string): WebSocket;
  close(): void;
}

/** Throws AppError('certificate') when an extra CA is not a readable PEM certificate. */
export function createTransport(trustedCaPem: readonly string[] | undefined): Transport {
  const cas = parseTrustedCas(trustedCaPem);
  // A fetch of our own per connect also means a new connection never reuses a keep-alive socket a
  // restarted server has closed.
  const trusting = fetchTrusting(cas);
  return {
    fetch: trusting.fetch,
    openWebSocket: (url) => new WebSocket(url, { ca: [...rootCertificates, ...cas], handshakeTimeout: 15_000, maxPayload: 16 * 1024 * 1024 }),
    close: () => trusting.close(),
  };
}
