// toAppError (protocols/xmpp/errors.ts): the shapes xmpp.js 0.14 and Node throw → ErrorKind.
// SASL failures follow RFC 6120 §6.5 conditions, stream errors §4.9.3, stanza errors §8.3.3.
import { describe, it, expect } from 'vitest';
import { toAppError } from '../../../../protocols/xmpp/errors';
import { AppError } from '../../../../common/errors';

/** What @xmpp/error's XMPPError subclasses look like: name, condition, message "condition - text". */
function xmppError(name: 'SASLError' | 'StreamError' | 'StanzaError', condition: string, text = ''): Error {
  return Object.assign(new Error(condition + (text ? ` - ${text}` : '')), { name, condition });
}

/** What Node's net/tls layers throw: an Error with a string code. */
function sysError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('toAppError', () => {
  it.each([
    ['not-authorized', 'auth'],
    ['account-disabled', 'auth'],
    ['credentials-expired', 'auth'],
    ['invalid-mechanism', 'auth'],
    ['temporary-auth-failure', 'server'],
  ])('SASL <%s/> (RFC 6120 §6.5) → %s', (condition, kind) => {
    const e = toAppError(xmppError('SASLError', condition, 'Invalid username or password'));
    expect(e.kind).toBe(kind);
  });

  it('marks auth failures as fatal and keeps the cause and the context in the message', () => {
    const cause = xmppError('SASLError', 'not-authorized');
    const e = toAppError(cause, 'login');
    expect(e).toBeInstanceOf(AppError);
    expect(e.fatal).toBe(true);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe('login: not-authorized');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE'])('%s → network', (code) => {
    const e = toAppError(sysError(code, `connect ${code} 127.0.0.1:5222`));
    expect(e.kind).toBe('network');
    expect(e.fatal).toBe(false);
  });

  it.each([
    'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT',
  ])('%s → certificate (fatal)', (code) => {
    const e = toAppError(sysError(code));
    expect(e.kind).toBe('certificate');
    expect(e.fatal).toBe(true);
  });

  it('TimeoutError (@xmpp/events) and ETIMEDOUT → timeout', () => {
    expect(toAppError(Object.assign(new Error('Timeout'), { name: 'TimeoutError' })).kind).toBe('timeout');
    expect(toAppError(sysError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:5222')).kind).toBe('timeout');
  });

  it.each([
    ['not-authorized', 'auth'],
    ['conflict', 'conflict'],
    ['host-unknown', 'not_found'],
    ['system-shutdown', 'network'],
    ['connection-timeout', 'timeout'],
    ['policy-violation', 'rate_limited'],
    ['undefined-condition', 'server'],
  ])('stream error <%s/> (RFC 6120 §4.9.3) → %s', (condition, kind) => {
    expect(toAppError(xmppError('StreamError', condition)).kind).toBe(kind);
  });

  it.each([
    ['item-not-found', 'not_found'],
    ['forbidden', 'forbidden'],
    ['not-authorized', 'forbidden'],
    ['bad-request', 'invalid_input'],
    ['service-unavailable', 'unsupported'],
    ['feature-not-implemented', 'unsupported'],
    ['conflict', 'conflict'],
    ['resource-constraint', 'rate_limited'],
    ['remote-server-timeout', 'timeout'],
    ['undefined-condition', 'server'],
  ])('stanza error <%s/> (RFC 6120 §8.3.3) → %s', (condition, kind) => {
    expect(toAppError(xmppError('StanzaError', condition)).kind).toBe(kind);
  });

  it('AbortError → network', () => {
    expect(toAppError(Object.assign(new Error('aborted'), { name: 'AbortError' })).kind).toBe('network');
  });

  it('passes an AppError through unchanged', () => {
    const e = new AppError('insecure', 'no TLS');
    expect(toAppError(e, 'ctx')).toBe(e);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a string', 'boom'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object with non-string fields', { name: 7, code: 111, condition: {}, message: ['x'] }],
  ])('maps %s to unknown without throwing', (_label, input) => {
    const e = toAppError(input);
    expect(e).toBeInstanceOf(AppError);
    expect(e.kind).toBe('unknown');
    expect(typeof e.message).toBe('string');
  });

  it('a numeric code is ignored rather than matched', () => {
    expect(toAppError({ code: 111, message: 'ECONNREFUSED-ish' }).kind).toBe('unknown');
  });
});
