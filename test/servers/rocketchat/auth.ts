// POST /api/v1/login and the Meteor login handlers behind it (password, resume, totp wrapper,
// oauth), with Rocket.Chat's two-factor rules: a missing code is `totp-required` with
// details.method; for e-mail 2FA that first attempt generates and "sends" the code; a wrong code
// is `totp-invalid`. Shapes: apps/meteor/app/api/server/api.ts (_initAuth) and
// apps/meteor/app/2fa/server/code/index.ts (checkCodeForUser).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomInt } from 'node:crypto';
import { ApiError, send } from './http-util';
import type { FakeUser, Store } from './store';
import { hashLoginToken } from './ids';
import { verifyTotp } from './totp';

/** The `me` object (getUserInfo) trimmed to what a client reads. */
export function meOf(store: Store, u: FakeUser): Record<string, unknown> {
  return {
    _id: u._id, username: u.username, name: u.name, status: store.status(u), statusDefault: u.statusDefault,
    statusText: u.statusText, active: true, roles: ['user'], utcOffset: 0,
    settings: { preferences: {} }, emails: [{ address: `${u.username}@example.invalid`, verified: true }],
  };
}

class LoginError extends Error {
  constructor(readonly error: string | number, readonly reason: string, readonly details?: Record<string, unknown>) {
    super(reason);
  }
}

function checkSecondFactor(u: FakeUser, code: string | undefined): void {
  if (!u.twoFactor) return;
  if (!code) {
    if (u.twoFactor === 'email') {
      const c = String(randomInt(0, 1_000_000)).padStart(6, '0');
      u.emailCode = { code: c, expires: Date.now() + 3_600_000 };
      u.lastEmail = c;
      throw new LoginError('totp-required', 'TOTP Required', {
        method: 'email', codeGenerated: true, codeCount: 1, codeExpires: new Date(u.emailCode.expires), availableMethods: ['email'],
      });
    }
    throw new LoginError('totp-required', 'TOTP Required', { method: 'totp', availableMethods: ['totp'] });
  }
  const ok = u.twoFactor === 'totp'
    ? u.totpSecret !== null && verifyTotp(u.totpSecret, code)
    : u.emailCode !== null && u.emailCode.code === code && u.emailCode.expires > Date.now();
  if (!ok) throw new LoginError('totp-invalid', 'TOTP Invalid', { method: u.twoFactor });
  if (u.twoFactor === 'email') u.emailCode = null;
}

function passwordLogin(store: Store, login: Record<string, unknown>, code: string | undefined): FakeUser {
  const userSel = login.user;
  const username = typeof userSel === 'object' && userSel !== null ? (userSel as { username?: unknown }).username : undefined;
  const u = typeof username === 'string' ? store.userByName(username) : undefined;
  // Rocket.Chat turns "User not found" into a plain Unauthorized so that names cannot be probed.
  if (!u) throw new LoginError('Unauthorized', 'Unauthorized');
  if (login.password !== u.password) throw new LoginError(403, 'Incorrect password');
  checkSecondFactor(u, code);
  return u;
}

/** The Meteor `login` method: returns {id, token}. Shared by REST /login and DDP `login`. */
export function meteorLogin(store: Store, args: Record<string, unknown>): { id: string; token: string; type: string } {
  if (typeof args.resume === 'string') {
    const hashed = hashLoginToken(args.resume);
    for (const u of store.users.values()) if (u.tokens.has(hashed)) return { id: u._id, token: args.resume, type: 'resume' };
    throw new LoginError(403, "You've been logged out by the server. Please log in again.");
  }
  if (args.totp && typeof args.totp === 'object') {
    const t = args.totp as { code?: unknown; login?: unknown };
    const u = passwordLogin(store, (t.login ?? {}) as Record<string, unknown>, typeof t.code === 'string' ? t.code : undefined);
    return { id: u._id, token: store.issueToken(u), type: 'password' };
  }
  if (args.oauth && typeof args.oauth === 'object') {
    const o = args.oauth as { credentialToken?: unknown; credentialSecret?: unknown };
    const pending = typeof o.credentialToken === 'string' ? store.pendingOAuth.get(o.credentialToken) : undefined;
    if (!pending || pending.secret !== o.credentialSecret) throw new LoginError(403, 'No matching login attempt found');
    store.pendingOAuth.delete(o.credentialToken as string);
    const u = store.users.get(pending.userId)!;
    return { id: u._id, token: store.issueToken(u), type: 'oauth' };
  }
  if (args.password !== undefined) {
    const u = passwordLogin(store, args, undefined);
    return { id: u._id, token: store.issueToken(u), type: 'password' };
  }
  throw new LoginError(400, 'Unrecognized options for login request');
}

/** What loginCompatibility makes of the REST body: {user,password,code} → totp wrapper. */
function fromRestBody(body: Record<string, unknown>, req: IncomingMessage): Record<string, unknown> {
  const { user, username, password, code } = body;
  if (password === undefined) return body;
  const header = req.headers['x-2fa-code'];
  const c = typeof code === 'string' && code !== '' ? code : typeof header === 'string' ? header : undefined;
  const name = typeof user === 'string' ? user : typeof username === 'string' ? username : undefined;
  const login = { user: { username: name }, password };
  return c ? { totp: { code: c, login } } : login;
}

export function restLogin(store: Store, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): void {
  try {
    const auth = meteorLogin(store, fromRestBody(body, req));
    const u = store.users.get(auth.id)!;
    send(res, 200, { status: 'success', data: { userId: u._id, authToken: auth.token, me: meOf(store, u) }, success: true });
  } catch (e) {
    if (!(e instanceof LoginError)) throw e;
    send(res, 401, {
      success: false, status: 'error', error: e.error, message: e.reason, ...(e.details ? { details: e.details } : {}),
    });
  }
}

/** DDP `login` failures are method errors shaped as Meteor.Error. */
export function ddpLoginError(e: unknown): Record<string, unknown> {
  if (e instanceof LoginError) {
    return { isClientSafe: true, error: e.error, reason: e.reason, message: `${e.reason} [${e.error}]`, errorType: 'Meteor.Error', ...(e.details ? { details: e.details } : {}) };
  }
  if (e instanceof ApiError) return { isClientSafe: true, error: e.errorType, reason: e.reason, message: e.message, errorType: 'Meteor.Error' };
  return { isClientSafe: true, error: 500, reason: 'Internal server error', message: 'Internal server error [500]', errorType: 'Meteor.Error' };
}
