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
import { X509Certificate } from 'node:crypto';
import { AppError } from '../../common/errors';
import { fetchTrusting } from '../base/tls-fetch';
import type { FetchFn } from '../base/tls-fetch';

export type { FetchFn };

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
