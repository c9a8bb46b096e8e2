// Meteor OAuth ("custom OAuth" service) as Rocket.Chat runs it, plus a fake IdP a test drives
// with plain HTTP:
//   1. The client picks a credentialToken, puts it in `state` (base64 JSON {loginStyle,
//      credentialToken, isCordova}) and opens the IdP's authorize URL (from settings.oauth).
//   2. GET /idp/authorize shows a login form; POST /idp/authorize redirects to
//      <server>/_oauth/<service>?code=…&state=… (the IdP's job).
//   3. GET /_oauth/<service> trades the code, stores {credentialToken → credentialSecret, user} and
//      answers Meteor's end_of_popup_response page: a #config div with the JSON; for isCordova
//      clients the page's script writes {credentialToken, credentialSecret} into location.hash.
//   4. The client logs in with {oauth: {credentialToken, credentialSecret}} (one use only).
// Modelled on meteor/meteor packages/oauth (oauth_server.js, end_of_popup_response.html/.js),
// RocketChat/Rocket.Chat apps/meteor/app/custom-oauth and the mobile app's OAuthView.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, send } from './http-util';
import { randomSecret } from './ids';
import type { Store } from './store';

export const OAUTH_SERVICE = 'samverka-idp';
const codes = new WeakMap<Store, Map<string, string>>();

export function oauthSettings(baseUrl: string): Record<string, unknown> {
  return {
    services: [{
      _id: 'x7Hn2B', service: OAUTH_SERVICE, clientId: 'rocketchat-client', custom: true, serverURL: `${baseUrl}/idp`,
      authorizePath: '/authorize', tokenPath: '/token', scope: 'openid', loginStyle: 'popup', buttonLabelText: 'Agency login',
      buttonLabelColor: '#FFFFFF', buttonColor: '#1d74f5',
    }],
    success: true,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function decodeState(state: string): { credentialToken?: string; isCordova?: boolean } | null {
  try {
    return JSON.parse(Buffer.from(state, 'base64').toString('utf8')) as { credentialToken?: string; isCordova?: boolean };
  } catch {
    return null;
  }
}

export async function handleOAuth(store: Store, baseUrl: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let byCode = codes.get(store);
  if (!byCode) codes.set(store, (byCode = new Map()));
  const q = url.searchParams;
  if (url.pathname === '/idp/authorize' && req.method === 'GET') {
    const hidden = ['redirect_uri', 'state'].map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(q.get(k) ?? '')}">`).join('');
    res.writeHead(200, { 'content-type': 'text/html' }).end(
      `<!doctype html><form method="post" action="/idp/authorize">${hidden}<input name="username"><input name="password" type="password"><button>Sign in</button></form>`,
    );
    return;
  }
  if (url.pathname === '/idp/authorize' && req.method === 'POST') {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const u = store.userByName(form.get('username') ?? '');
    if (!u || u.password !== form.get('password')) {
      res.writeHead(401, { 'content-type': 'text/html' }).end('<p>Wrong user name or password</p>');
      return;
    }
    const code = randomSecret();
    byCode.set(code, u._id);
    const target = new URL(form.get('redirect_uri') ?? `${baseUrl}/_oauth/${OAUTH_SERVICE}`);
    target.searchParams.set('code', code);
    target.searchParams.set('state', form.get('state') ?? '');
    res.writeHead(302, { location: target.toString() }).end();
    return;
  }
  if (url.pathname === `/_oauth/${OAUTH_SERVICE}`) {
    const state = decodeState(q.get('state') ?? '');
    const userId = byCode.get(q.get('code') ?? '');
    if (!state?.credentialToken || !userId) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Login failed: no matching login attempt</p>');
      return;
    }
    byCode.delete(q.get('code') ?? '');
    const credentialSecret = randomSecret();
    store.pendingOAuth.set(state.credentialToken, { secret: credentialSecret, userId });
    const config = { setCredentialToken: true, credentialToken: state.credentialToken, credentialSecret, storagePrefix: 'Meteor.oauth.credentialSecret-', isCordova: state.isCordova === true };
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!DOCTYPE html><html><body><p id="completedText" style="display:none;">Login completed. <a href="#" id="loginCompleted">Click here</a> to close this window.</p>` +
      `<div id="config" style="display:none;">${escapeHtml(JSON.stringify(config))}</div>` +
      `<script type="text/javascript" src="/packages/oauth/end_of_popup_response.js"></script></body></html>`,
    );
    return;
  }
  send(res, 404, { success: false, error: 'Not found' });
}
