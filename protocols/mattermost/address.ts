// Account addresses are `username@host[:port]` (or just `host[:port]` before an SSO sign-in). The
// API base is https://host[:port] unless AccountConfig.serviceUrl names another; plain http is
// accepted only for loopback and only with allowPlaintext, because the password and the session
// token travel in every request.
import { AppError } from '../../common/errors';
import type { AccountConfig } from '../contract';

export interface MattermostAddress {
  /** Empty when the address names only the server (SSO sign-in before we know the user). */
  readonly username: string;
  /** Origin plus any path prefix, without a trailing slash, e.g. https://chat.agency.se/mm */
  readonly baseUrl: string;
}

const USERNAME = /^[a-z0-9._-]{1,64}$/i;
const HOST = /^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function parseAddress(config: AccountConfig): MattermostAddress {
  const raw = config.address.trim();
  const at = raw.lastIndexOf('@');
  const username = at >= 0 ? raw.slice(0, at).replace(/^@/, '') : '';
  const host = at >= 0 ? raw.slice(at + 1) : raw;
  if ((at >= 0 && !USERNAME.test(username)) || !HOST.test(host)) throw new AppError('invalid_input', `not a Mattermost address (username@host): ${raw}`);
  return { username: username.toLowerCase(), baseUrl: baseUrlFor(config, host) };
}

function baseUrlFor(config: AccountConfig, host: string): string {
  if (!config.serviceUrl) return `https://${host.toLowerCase()}`;
  let u: URL;
  try {
    u = new URL(config.serviceUrl);
  } catch {
    throw new AppError('invalid_input', `not a URL: ${config.serviceUrl}`);
  }
  if (u.username || u.password || u.search || u.hash) throw new AppError('invalid_input', 'the server URL must not carry credentials, a query or a fragment');
  if (u.protocol === 'http:') {
    if (!config.allowPlaintext || !LOOPBACK.has(u.hostname)) throw new AppError('insecure', 'plain http is allowed only for a loopback test server');
  } else if (u.protocol !== 'https:') {
    throw new AppError('invalid_input', `unsupported scheme ${u.protocol}`);
  }
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** The WebSocket endpoint for an API base URL. */
export function websocketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}/api/v4/websocket`;
}
