// protocols/matrix/http.ts (the account's fetch, extra trusted CAs) and the certificate part of
// errors.ts. The TLS handshakes themselves are tested against Synapse in
// test/integration/matrix-tls.test.ts.
import { rootCertificates } from 'node:tls';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError } from 'matrix-js-sdk';
import { AppError } from '../../../../common/errors';
import { createMatrixFetch, parseTrustedCas } from '../../../../protocols/matrix/http';
import { certificateProblem, toAppError } from '../../../../protocols/matrix/errors';

const aCert = rootCertificates[0]!;
const bCert = rootCertificates[1]!;

/** What undici's fetch throws when the handshake fails: TypeError "fetch failed" with the TLS error as cause. */
function fetchFailed(code: string, message: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseTrustedCas', () => {
  it('keeps every certificate, splits bundles and ignores empty entries', () => {
    expect(parseTrustedCas(undefined)).toEqual([]);
    expect(parseTrustedCas(['', '  \n'])).toEqual([]);
    const out = parseTrustedCas([aCert, `${aCert}\n${bCert}\n`]);
    expect(out).toHaveLength(3);
    expect(out[2]!.trim()).toBe(bCert.trim());
  });

  it('rejects an entry without a certificate, or with a broken one, as certificate naming the entry', () => {
    const e1 = (() => {
      try {
        parseTrustedCas([aCert, 'hello']);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(e1).toBeInstanceOf(AppError);
    expect(e1).toMatchObject({ kind: 'certificate', message: expect.stringMatching(/#2 is not a PEM certificate/) });
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    expect(() => parseTrustedCas([broken])).toThrow(/#1 cannot be read/);
  });
});

describe('createMatrixFetch', () => {
  it('without extra CAs it is the global fetch', async () => {
    const global = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('ok'));
    const f = createMatrixFetch(() => undefined);
    const res = await f('https://example.invalid/x');
    expect(await res.text()).toBe('ok');
    expect(global).toHaveBeenCalledTimes(1);
    const g = createMatrixFetch(() => ['']);
    await g('https://example.invalid/y');
    expect(global).toHaveBeenCalledTimes(2);
  });

  it('with extra CAs it does not use the global fetch; a bad CA rejects before any connection', async () => {
    const global = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('ok'));
    const f = createMatrixFetch(() => ['not a pem']);
    await expect(f('https://example.invalid/x')).rejects.toMatchObject({ kind: 'certificate' });
    expect(global).not.toHaveBeenCalled();
  });
});

describe('certificate errors (errors.ts)', () => {
  it('a TLS verification failure from fetch is kind certificate with what it means', () => {
    const e = toAppError(fetchFailed('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), { what: 'upload' });
    expect(e.kind).toBe('certificate');
    expect(e.fatal).toBe(true);
    expect(e.message).toMatch(/^upload: .*not signed by a trusted certificate authority .*UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate/);
    expect(toAppError(fetchFailed('CERT_HAS_EXPIRED', 'certificate has expired')).message).toMatch(/has expired/);
    expect(toAppError(fetchFailed('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")).message).toMatch(/another host name/);
    expect(toAppError(fetchFailed('ECONNREFUSED', 'connect ECONNREFUSED')).kind).toBe('network');
  });

  it('the SDK ConnectionError (cause dropped) is mapped from the last fetch failure', () => {
    const raw = fetchFailed('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain');
    const e = toAppError(new ConnectionError('fetch failed', raw), { what: 'login', lastFetchError: raw });
    expect(e).toMatchObject({ kind: 'certificate' });
    expect(e.message).toMatch(/^login: fetch failed.*not signed by a trusted certificate authority/);
    // An AppError our fetch threw (an unreadable trusted CA) is kept as it is.
    const bad = new AppError('certificate', 'trusted certificate authority #1 is not a PEM certificate');
    expect(toAppError(new ConnectionError('fetch failed', bad), { lastFetchError: bad })).toBe(bad);
  });

  it('every verification code has a user-facing explanation', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'ERR_SSL_WRONG_VERSION_NUMBER']) {
      expect(certificateProblem(code)).toMatch(/TLS/);
    }
  });
});
