// The one fetch of a Matrix account. Every HTTP request of the adapter goes through it: the
// matrix-js-sdk client (login, /sync, rest.ts), .well-known discovery, the SSO helpers and media
// upload/download (media.ts).
//
// Without extra certificate authorities it is Node's global fetch (system CAs). With
// AccountConfig.trustedCaPem it is base/tls-fetch: node:https with an Agent that trusts the
// system CAs *and* the organisation's, affecting only this account's requests.
//
// Failures are thrown as they come (a TypeError "fetch failed" whose cause carries the TLS code);
// errors.ts turns them into AppErrors (kind 'certificate' for TLS verification failures). A CA
// that is not a readable PEM certificate is a configuration error and throws AppError
// 'certificate' before any connection is made.
import { fetchTrusting, parseTrustedCas } from '../base/tls-fetch';
import type { FetchFn } from '../base/tls-fetch';

export type { FetchFn };
export { parseTrustedCas };

/**
 * The account's fetch. `trustedCaPem` is read on every request (the config can be replaced, e.g.
 * by an SSO login); the Agent is made once per distinct CA list and reused.
 */
export function createMatrixFetch(trustedCaPem: () => readonly string[] | undefined): FetchFn {
  let current: { readonly key: string; readonly fetch: FetchFn; close(): void } | null = null;
  return (input, init) => {
    const raw = trustedCaPem() ?? [];
    if (raw.every((p) => p.trim().length === 0)) return globalThis.fetch(input, init);
    const key = raw.join('\n');
    if (!current || current.key !== key) {
      let cas: string[];
      try {
        cas = parseTrustedCas(raw);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      current?.close();
      current = { key, ...fetchTrusting(cas) };
    }
    return current.fetch(input, init);
  };
}
