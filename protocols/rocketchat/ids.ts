// Addresses and ids. An account address is `username@host[:port]`; the server URL is
// https://host[:port] unless the account gives serviceUrl. Our own messages get a client-chosen
// `_id` derived from (user id, clientTxnId), so an outbox replay after a lost answer names the
// same message and the server refuses a second copy instead of storing one.
import { createHash } from 'node:crypto';
import { AppError } from '../../common/errors';

/** Meteor's Random.id alphabet (no 0/1/I/O/l look-alikes); 17 characters like a server id. */
const UNMISTAKABLE = '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';

export function messageIdFor(userId: string, clientTxnId: string): string {
  const digest = createHash('sha256').update(`samverka-rc\n${userId}\n${clientTxnId}`).digest();
  let out = '';
  for (let i = 0; i < 17; i++) out += UNMISTAKABLE[digest[i]! % UNMISTAKABLE.length];
  return out;
}

export interface ParsedAddress {
  readonly username: string;
  readonly host: string;
}

export function parseAddress(address: string): ParsedAddress {
  const at = address.lastIndexOf('@');
  const username = (at > 0 ? address.slice(0, at) : '').replace(/^@/, '');
  const host = at > 0 ? address.slice(at + 1) : '';
  if (!/^[\p{L}\p{N}._-]+$/u.test(username) || !/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(host)) {
    throw new AppError('invalid_input', `not a Rocket.Chat address (username@host[:port]): ${address}`);
  }
  return { username, host };
}

/** The user name from an address someone typed: `anna@chat.example`, `@anna` or `anna`. */
export function usernameOf(address: string): string {
  const s = address.trim().replace(/^@/, '');
  const at = s.lastIndexOf('@');
  return at > 0 ? s.slice(0, at) : s;
}

export function baseUrlFor(address: ParsedAddress, serviceUrl: string | undefined, allowPlaintext: boolean): string {
  let url: URL;
  try {
    url = new URL(serviceUrl ?? `https://${address.host}`);
  } catch {
    throw new AppError('invalid_input', `bad server URL: ${serviceUrl ?? address.host}`);
  }
  if (url.protocol === 'http:' && !allowPlaintext) throw new AppError('insecure', 'the server URL is http://; sign-in needs https');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('invalid_input', `unsupported URL scheme ${url.protocol}`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function websocketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}/websocket`;
}
