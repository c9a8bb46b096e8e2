// The one place that creates matrix-js-sdk clients. Everything the adapter needs from the SDK's
// construction (store, logger, fetch, crypto) is decided here.
//
// - Crypto: `initCrypto()` runs initRustCrypto before startClient. With a persistent CryptoStore the
//   Rust store lives in the (fake, in-memory) IndexedDB under a fresh prefix, loaded from and saved
//   to an encrypted file (crypto-store/); without one it is the SDK's ephemeral in-memory store.
//   No storageKey is given to the wasm store: the whole snapshot is already sealed with AES-256-GCM
//   on disk and the IndexedDB only exists in this process' memory, so a second layer of
//   per-value encryption would cost time on every write and protect nothing more.
// - MemoryStore: the SDK's sync state is rebuilt by an initial /sync on every connect. Resuming
//   from the saved `since` token is done by the adapter (catch-up.ts), not by the SDK store.
// - fetch is wrapped so that the underlying cause of a failed request (ECONNREFUSED, a TLS
//   certificate error) is kept: the SDK's ConnectionError drops it. The fetch underneath is the
//   account's (http.ts): global fetch, or node:https trusting the organisation's extra CAs too.
// - the SDK's own logger is routed to the adapter's debug log instead of the console.
import { createClient, Filter, MemoryStore } from 'matrix-js-sdk';
import type { ICreateClientOpts, MatrixClient } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import type { AdapterLogger } from '../contract';

export type { MatrixClient };

// The global logger (loglevel underneath; the typings omit setLevel) is used by code paths that do
// not get the per-client logger.
type Leveled = { setLevel?: (level: string) => void };
(sdkLogger as unknown as Leveled).setLevel?.('warn');
// Module loggers (e.g. MatrixRTCSession) are children created at DEBUG level: cap them too.
const rootGetChild = sdkLogger.getChild.bind(sdkLogger);
sdkLogger.getChild = (namespace: string): Logger => {
  const child = rootGetChild(namespace);
  (child as unknown as Leveled).setLevel?.('warn');
  return child;
};

/** Remembers the last network-level failure of this account's requests. */
export interface FetchProbe {
  lastError: unknown;
}

/** `base`: the account's fetch (http.ts createMatrixFetch: extra trusted CAs); default the global one. */
export function probingFetch(probe: FetchProbe, base: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init)): typeof globalThis.fetch {
  return async (input, init) => {
    try {
      return await base(input, init);
    } catch (e) {
      probe.lastError = e;
      throw e;
    }
  };
}

function sdkLoggerFor(log: AdapterLogger, ns = 'matrix-sdk'): Logger {
  const fmt = (msg: unknown[]): string => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : safeJson(m))).join(' ').slice(0, 500);
  const write = (level: string) => (...msg: unknown[]): void => log.debug(`${ns} ${level}: ${fmt(msg)}`);
  return {
    trace: write('trace'),
    debug: () => undefined, // very chatty (every HTTP request); the adapter logs what matters
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    getChild: (child: string) => sdkLoggerFor(log, `${ns}:${child}`),
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export interface ClientParams {
  readonly baseUrl: string;
  readonly fetchFn: typeof globalThis.fetch;
  readonly log: AdapterLogger;
  readonly session?: { readonly userId: string; readonly accessToken: string; readonly deviceId: string };
  /** Secret storage callbacks (the recovery key); only for the account's main client. */
  readonly cryptoCallbacks?: ICreateClientOpts['cryptoCallbacks'];
}

/** A client for one account. Without `session` it can only log in / ask public endpoints. */
export function createMatrixClient(p: ClientParams): MatrixClient {
  return createClient({
    baseUrl: p.baseUrl,
    fetchFn: p.fetchFn,
    logger: sdkLoggerFor(p.log),
    store: new MemoryStore(),
    useAuthorizationHeader: true,
    timelineSupport: false,
    ...(p.session ? { userId: p.session.userId, accessToken: p.session.accessToken, deviceId: p.session.deviceId } : {}),
    ...(p.cryptoCallbacks ? { cryptoCallbacks: p.cryptoCallbacks } : {}),
  });
}

/** initRustCrypto: persistent under the store's prefix, or in memory (keys lost on restart). */
export async function initCrypto(client: MatrixClient, store: { readonly prefix: string } | null): Promise<void> {
  await client.initRustCrypto(store ? { useIndexedDB: true, cryptoDatabasePrefix: store.prefix } : { useIndexedDB: false });
}

/**
 * How the SDK is started. initialSyncLimit is small: live events and catch-up are ours.
 *
 * The filter carries a per-connect nonce (an account-data type that never exists). Synapse caches
 * /sync answers for two minutes keyed by (user, device, since, filter, …) and ignores the SDK's
 * `_cacheBuster`, so a reconnect of the same device within two minutes would otherwise get the
 * *previous* initial sync back, with a stale next_batch, and replay old events as live ones.
 */
export async function startSync(client: MatrixClient): Promise<void> {
  const filter = new Filter(client.getUserId());
  const nonce = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  filter.setDefinition({ account_data: { not_types: [`net.samverka.connect.${nonce}`] } });
  await client.startClient({ initialSyncLimit: 1, lazyLoadMembers: true, pollTimeout: 30_000, threadSupport: false, filter });
}
