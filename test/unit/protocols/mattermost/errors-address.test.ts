// Mattermost HTTP error mapping, address parsing and SSO URL building (pure functions).
import { describe, expect, it } from 'vitest';
import { httpError, networkError, retryAfterMs } from '../../../../protocols/mattermost/errors';
import { parseAddress, websocketUrl } from '../../../../protocols/mattermost/address';
import { mobileLoginUrl, providersFromConfig } from '../../../../protocols/mattermost/sso';
import { capabilitiesFrom } from '../../../../protocols/mattermost/capabilities';
import { AppError } from '../../../../common/errors';

const none = () => null;
const body = (id: string) => JSON.stringify({ id, message: 'm', detailed_error: '', request_id: 'r', status_code: 0 });

describe('httpError', () => {
  it('maps MFA ids to second_factor whatever the status', () => {
    expect(httpError(400, body('mfa.validate_token.authenticate.app_error'), none, 'login').kind).toBe('second_factor');
    expect(httpError(401, body('api.user.check_user_mfa.bad_code.app_error'), none, 'login').kind).toBe('second_factor');
  });
  it('maps statuses', () => {
    expect(httpError(401, body('api.context.session_expired.app_error'), none, 'x').kind).toBe('auth');
    expect(httpError(403, body('api.context.permissions.app_error'), none, 'x').kind).toBe('forbidden');
    expect(httpError(404, '', none, 'x').kind).toBe('not_found');
    expect(httpError(400, 'garbage', none, 'x').kind).toBe('invalid_input');
    expect(httpError(502, '<html>', none, 'x').kind).toBe('server');
    expect(httpError(501, '', none, 'x').kind).toBe('unsupported');
  });
  it('turns 429 into rate_limited with Retry-After or X-RateLimit-Reset seconds', () => {
    const h = (m: Record<string, string>) => (n: string) => m[n] ?? null;
    const e = httpError(429, 'limit exceeded\n', h({ 'retry-after': '3' }), 'x');
    expect([e.kind, e.retryAfterMs]).toEqual(['rate_limited', 3000]);
    expect(retryAfterMs(h({ 'x-ratelimit-reset': '2' }))).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }))).toBe(1000);
    expect(retryAfterMs(h({ 'retry-after': '0' }))).toBe(1000);
  });
  it('classifies thrown network failures', () => {
    const cert = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }) });
    expect(networkError(cert, 'GET /').kind).toBe('certificate');
    expect(networkError(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), 'GET /').kind).toBe('network');
    expect(networkError(new DOMException('t', 'TimeoutError'), 'GET /').kind).toBe('timeout');
    expect(networkError(new AppError('auth', 'a'), 'x').kind).toBe('auth');
  });
});

describe('parseAddress', () => {
  it('derives https from the host, keeps ports, lower-cases the username', () => {
    expect(parseAddress({ address: 'Anna@chat.agency.se' })).toEqual({ username: 'anna', baseUrl: 'https://chat.agency.se' });
    expect(parseAddress({ address: 'anna@chat.agency.se:8443' }).baseUrl).toBe('https://chat.agency.se:8443');
    expect(parseAddress({ address: 'chat.agency.se' }).username).toBe('');
  });
  it('honours serviceUrl with a path, allows http only for loopback with allowPlaintext', () => {
    expect(parseAddress({ address: 'a@x.se', serviceUrl: 'https://x.se/mm/' }).baseUrl).toBe('https://x.se/mm');
    expect(parseAddress({ address: 'a@127.0.0.1:9', serviceUrl: 'http://127.0.0.1:9', allowPlaintext: true }).baseUrl).toBe('http://127.0.0.1:9');
    expect(() => parseAddress({ address: 'a@x.se', serviceUrl: 'http://x.se', allowPlaintext: true })).toThrow(expect.objectContaining({ kind: 'insecure' }));
    expect(() => parseAddress({ address: 'a@x.se', serviceUrl: 'https://u:p@x.se' })).toThrow(expect.objectContaining({ kind: 'invalid_input' }));
    expect(() => parseAddress({ address: 'a b@x.se' })).toThrow(expect.objectContaining({ kind: 'invalid_input' }));
    expect(() => parseAddress({ address: 'a@x.se/evil' })).toThrow(expect.objectContaining({ kind: 'invalid_input' }));
  });
  it('builds the WebSocket URL', () => {
    expect(websocketUrl('https://x.se/mm')).toBe('wss://x.se/mm/api/v4/websocket');
    expect(websocketUrl('http://127.0.0.1:9')).toBe('ws://127.0.0.1:9/api/v4/websocket');
  });
});

describe('SSO helpers and capabilities', () => {
  it('lists providers from the client config flags', () => {
    expect(providersFromConfig({ EnableSignUpWithGitLab: 'true', EnableSignUpWithOpenId: 'true', OpenIdButtonText: 'Logga in med Freja', EnableSaml: 'false' }))
      .toEqual([{ id: 'gitlab', name: 'GitLab' }, { id: 'openid', name: 'Logga in med Freja' }]);
    expect(providersFromConfig({})).toEqual([]);
  });
  it('builds mobile_login and SAML mobile URLs with the redirect encoded', () => {
    expect(mobileLoginUrl('https://x.se', 'gitlab', 'mmauth://cb?a=1')).toBe('https://x.se/oauth/gitlab/mobile_login?redirect_to=mmauth%3A%2F%2Fcb%3Fa%3D1');
    expect(mobileLoginUrl('https://x.se', 'saml', 'mmauth://cb')).toBe('https://x.se/login/sso/saml?action=mobile&redirect_to=mmauth%3A%2F%2Fcb');
  });
  it('reads the upload limit and switches from the client config', () => {
    expect(capabilitiesFrom({ MaxFileSize: '1048576' }).maxUploadBytes).toBe(1048576);
    expect(capabilitiesFrom({ MaxFileSize: 'x', EnableFileAttachments: 'false' })).toMatchObject({ maxUploadBytes: null, upload: false, history: true });
  });
});
