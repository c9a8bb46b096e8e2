// Network failures as every HTTP/WebSocket adapter sees them: fetch and `ws` wrap the socket or
// TLS error in `cause`; the innermost `code` says what happened (ECONNREFUSED, a TLS verification
// code …). Shared so that an untrusted certificate is reported the same way on every protocol.
import { AppError } from '../../common/errors';

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE',
]);

/** The innermost error code of a fetch failure (fetch wraps the socket error in `cause`). */
export function causeCode(e: unknown): string {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return '';
}

/** The innermost error message of a fetch failure ("unable to verify the first certificate"). */
export function causeMessage(e: unknown): string {
  let msg = '';
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const m = (cur as { message?: unknown }).message;
    if (typeof m === 'string' && m) msg = m;
    cur = (cur as { cause?: unknown }).cause;
  }
  return msg;
}

export function isCertificateCode(code: string): boolean {
  return CERT_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');
}

/** What a TLS verification code means for the user (the UI translates by kind; this is the detail). */
export function certificateProblem(code: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return "the server's TLS certificate has expired";
    case 'CERT_NOT_YET_VALID':
      return "the server's TLS certificate is not valid yet";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "the server's TLS certificate is for another host name";
    case 'CERT_REVOKED':
      return "the server's TLS certificate was revoked";
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_UNTRUSTED':
    case 'CERT_SIGNATURE_FAILURE':
      return "the server's TLS certificate is not signed by a trusted certificate authority (add the organisation's CA to the account's trusted certificates)";
    default:
      return 'the TLS connection to the server failed';
  }
}

/**
 * A certificate failure as AppError('certificate') with a clear detail, or null when `e` is not
 * one. `what` names the request ("login", "WebSocket").
 */
export function certificateError(e: unknown, what: string): AppError | null {
  const code = causeCode(e);
  if (!isCertificateCode(code)) return null;
  return new AppError('certificate', `${what}: ${certificateProblem(code)} (${code})`, { cause: e });
}
