// Translate what xmpp.js, Node sockets/TLS and servers throw into AppError kinds the core and UI
// understand. Everything unknown stays 'unknown' rather than being guessed.
import { AppError } from '../../common/errors';
import type { ErrorKind } from '../../common/errors';

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED',
  'ERR_STREAM_DESTROYED', 'ERR_SOCKET_CLOSED',
]);

const STANZA_KINDS: Record<string, ErrorKind> = {
  'item-not-found': 'not_found',
  'remote-server-not-found': 'not_found',
  'recipient-unavailable': 'not_found',
  forbidden: 'forbidden',
  'not-allowed': 'forbidden',
  'registration-required': 'forbidden',
  'not-authorized': 'forbidden',
  'bad-request': 'invalid_input',
  'not-acceptable': 'invalid_input',
  'jid-malformed': 'invalid_input',
  'service-unavailable': 'unsupported',
  'feature-not-implemented': 'unsupported',
  conflict: 'conflict',
  'resource-constraint': 'rate_limited',
  'policy-violation': 'rate_limited',
  'internal-server-error': 'server',
  'remote-server-timeout': 'timeout',
};

const STREAM_KINDS: Record<string, ErrorKind> = {
  'system-shutdown': 'network',
  'connection-timeout': 'timeout',
  conflict: 'conflict',
  'not-authorized': 'auth',
  'policy-violation': 'rate_limited',
  'host-unknown': 'not_found',
  'reset': 'network',
  'see-other-host': 'network',
  'internal-server-error': 'server',
};

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  condition?: unknown;
  message?: unknown;
}

export function toAppError(e: unknown, context = ''): AppError {
  if (e instanceof AppError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as ErrorLike;
  const name = typeof err.name === 'string' ? err.name : '';
  const code = typeof err.code === 'string' ? err.code : '';
  const condition = typeof err.condition === 'string' ? err.condition : '';
  const msg = `${context ? `${context}: ` : ''}${typeof err.message === 'string' ? err.message : String(e)}`;
  const opts = { cause: e };
  if (name === 'SASLError') {
    // not-authorized, account-disabled, credentials-expired, …: the user must act.
    return new AppError(condition === 'temporary-auth-failure' ? 'server' : 'auth', msg, opts);
  }
  if (CERT_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return new AppError('certificate', msg, opts);
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') return new AppError('timeout', msg, opts);
  if (NETWORK_CODES.has(code)) return new AppError('network', msg, opts);
  if (name === 'StreamError') return new AppError(STREAM_KINDS[condition] ?? 'server', msg, opts);
  if (name === 'StanzaError') return new AppError(STANZA_KINDS[condition] ?? 'server', msg, opts);
  if (name === 'AbortError') return new AppError('network', msg, opts);
  return new AppError('unknown', msg, opts);
}
