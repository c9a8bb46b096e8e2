// Rocket.Chat → contract mappings: presence (protocols.md C.3/C.4), reaction keys, message ids,
// addresses, messages (video conference, attachments, mentions, e2e), error bodies and the
// SSO credential form.
import { describe, expect, it } from 'vitest';
import { presenceFromNumber, presenceFromString, statusForPresence, toMessageInfo } from '../../../../protocols/rocketchat/mapping';
import type { MapContext } from '../../../../protocols/rocketchat/mapping';
import { reactionKeyFromRc, reactionKeyToRc } from '../../../../protocols/rocketchat/emoji';
import { baseUrlFor, messageIdFor, parseAddress, usernameOf, websocketUrl } from '../../../../protocols/rocketchat/ids';
import { errorFromDdp, errorFromResponse, retryAfterMs } from '../../../../protocols/rocketchat/errors';
import { DdpError } from '../../../../protocols/rocketchat/ddp';
import { rcMessage } from '../../../../protocols/rocketchat/schemas';
import { parseSsoToken } from '../../../../protocols/rocketchat/sso';

const ctx: MapContext = {
  selfId: 'ME',
  baseUrl: 'https://chat.example',
  clientTxnFor: (id) => (id === 'mine' ? 'txn-1' : undefined),
  joinUrlFor: (callId) => (callId === 'C1' ? 'https://meet.example/RocketChatC1' : null),
};

const msg = (extra: Record<string, unknown>) =>
  rcMessage.parse({ _id: 'M1', rid: 'R1', msg: 'hi', ts: '2024-05-01T10:00:00.000Z', u: { _id: 'U2', username: 'bo', name: 'Bo' }, ...extra });

describe('presence mapping', () => {
  it('numbers 0–3 are offline, online, away, busy', () => {
    expect([0, 1, 2, 3, 9].map(presenceFromNumber)).toEqual(['offline', 'available', 'away', 'dnd', 'unknown']);
  });
  it('status strings, with disabled as offline', () => {
    expect(['online', 'away', 'busy', 'offline', 'disabled', 'x'].map(presenceFromString)).toEqual(['available', 'away', 'dnd', 'offline', 'offline', 'unknown']);
  });
  it('own state to users.setStatus: xa → away, dnd → busy, offline = invisible', () => {
    expect((['available', 'away', 'xa', 'dnd', 'offline'] as const).map(statusForPresence)).toEqual(['online', 'away', 'away', 'busy', 'offline']);
  });
});

describe('reaction keys', () => {
  it('shortcodes ↔ Unicode for common emoji; custom names pass through', () => {
    expect(reactionKeyFromRc(':thumbsup:')).toBe('👍');
    expect(reactionKeyFromRc(':+1:')).toBe('👍');
    expect(reactionKeyFromRc(':party_parrot:')).toBe(':party_parrot:');
    expect(reactionKeyToRc('👍')).toBe(':thumbsup:');
    expect(reactionKeyToRc('❤')).toBe(':heart:');
    expect(reactionKeyToRc(':party_parrot:')).toBe(':party_parrot:');
    expect(reactionKeyToRc('🦑')).toBeNull();
  });
});

describe('ids and addresses', () => {
  it('message ids are deterministic per (user, clientTxnId) and look like Meteor ids', () => {
    const a = messageIdFor('U1', 'txn');
    expect(a).toBe(messageIdFor('U1', 'txn'));
    expect(a).not.toBe(messageIdFor('U1', 'txn2'));
    expect(a).not.toBe(messageIdFor('U2', 'txn'));
    expect(a).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{17}$/);
  });
  it('parses username@host[:port] and refuses junk', () => {
    expect(parseAddress('anna.svensson@chat.agency.se')).toEqual({ username: 'anna.svensson', host: 'chat.agency.se' });
    expect(parseAddress('bo@127.0.0.1:3000')).toEqual({ username: 'bo', host: '127.0.0.1:3000' });
    expect(() => parseAddress('no-at-sign')).toThrow();
    expect(() => parseAddress('a b@host')).toThrow();
    expect(usernameOf('@bo')).toBe('bo');
    expect(usernameOf('bo@chat.example')).toBe('bo');
  });
  it('https by default; http only with allowPlaintext', () => {
    const addr = parseAddress('bo@chat.example');
    expect(baseUrlFor(addr, undefined, false)).toBe('https://chat.example');
    expect(() => baseUrlFor(addr, 'http://chat.example', false)).toThrow(expect.objectContaining({ kind: 'insecure' }));
    expect(baseUrlFor(addr, 'http://127.0.0.1:3000/', true)).toBe('http://127.0.0.1:3000');
    expect(websocketUrl('https://chat.example/rc')).toBe('wss://chat.example/rc/websocket');
  });
});

describe('messages', () => {
  it('accepts both date encodings (REST ISO, DDP EJSON)', () => {
    const iso = msg({});
    const ejson = msg({ ts: { $date: Date.parse('2024-05-01T10:00:00.000Z') } });
    expect(iso.ts).toBe(ejson.ts);
  });

  it('a plain message: ids, sender, own, cursor, refs, clientTxnId for our echoes', () => {
    const m = toMessageInfo(msg({ _id: 'mine', u: { _id: 'ME', username: 'me' } }), ctx, false);
    expect(m).toMatchObject({ id: 'mine', conversationId: 'R1', own: true, clientTxnId: 'txn-1', text: 'hi', cursor: '2024-05-01T10:00:00.000Z', refs: { rid: 'R1' } });
    expect(m.rich).toBeUndefined();
  });

  it('@here and @all mention everyone; a thread reply points at its root', () => {
    const m = toMessageInfo(msg({ msg: '@here now', tmid: 'ROOT', mentions: [{ _id: 'here', username: 'here' }] }), ctx, true);
    expect(m.mentionsMe).toBe(true);
    expect(m.replyToId).toBe('ROOT');
    expect(m.refs.tmid).toBe('ROOT');
    expect(m.fromHistory).toBe(true);
  });

  it('video conference: plain-text line with the join URL, callId in refs', () => {
    const m = toMessageInfo(msg({ msg: '', t: 'videoconf', blocks: [{ type: 'video_conf', blockId: 'C1', callId: 'C1', appId: 'videoconf-core' }] }), ctx, false);
    expect(m.text).toContain('https://meet.example/RocketChatC1');
    expect(m.text).toMatch(/Bo started a video conference/);
    expect(m.refs.callId).toBe('C1');
    const unknown = toMessageInfo(msg({ msg: '', t: 'videoconf', blocks: [{ type: 'video_conf', callId: 'C2' }] }), ctx, false);
    expect(unknown.text).toMatch(/join it in Rocket.Chat/);
  });

  it('attachments: names sanitised, URL rebuilt from the id, never the server-given path', () => {
    const m = toMessageInfo(msg({
      files: [{ _id: 'F1', name: '../../x\u202Egpj.exe', type: 'image/png', size: 5 }],
      attachments: [{ title_link: 'https://evil.example/steal' }],
    }), ctx, false);
    expect(m.attachments).toEqual([{ id: 'F1', name: 'xgpj.exe', mime: 'application/octet-stream', size: 5, url: 'https://chat.example/file-upload/F1/xgpj.exe' }]);
  });

  it('an end-to-end encrypted message is undecryptable with empty text', () => {
    const m = toMessageInfo(msg({ t: 'e2e', msg: 'ciphertext', e2e: 'pending' }), ctx, false);
    expect(m.undecryptable).toBe(true);
    expect(m.text).toBe('');
  });
});

describe('errors', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it('429: Retry-After wins, else X-RateLimit-Reset (epoch ms), else the text', () => {
    expect(retryAfterMs(h({ 'retry-after': '3' }), {}, 0)).toBe(3000);
    expect(retryAfterMs(h({ 'x-ratelimit-reset': String(1_700_000_005_000) }), {}, 1_700_000_000_000)).toBe(5000);
    expect(retryAfterMs(h({}), { error: 'Error, too many requests. Please slow down. You must wait 12 seconds before trying this endpoint again. [error-too-many-requests]' }, 0)).toBe(12_000);
  });
  it('maps error bodies to kinds', () => {
    const e = (status: number, body: Record<string, unknown>) => errorFromResponse(status, h({}), body, 'x', 0).kind;
    expect(e(401, { status: 'error', error: 'totp-required', details: { method: 'totp' } })).toBe('second_factor');
    expect(e(401, { status: 'error', error: 'totp-invalid' })).toBe('second_factor');
    expect(e(401, { status: 'error', error: 403, message: 'Incorrect password' })).toBe('auth');
    expect(e(400, { success: false, error: 'x [error-room-not-found]', errorType: 'error-room-not-found' })).toBe('not_found');
    expect(e(400, { success: false, errorType: 'error-action-not-allowed' })).toBe('forbidden');
    expect(e(400, { success: false, errorType: 'error-invalid-params' })).toBe('invalid_input');
    expect(e(500, {})).toBe('server');
    expect(errorFromResponse(429, h({ 'x-ratelimit-reset': '2000' }), {}, 'x', 1000).retryAfterMs).toBe(2_000_000);
  });
  it('maps DDP method errors, including the DDP rate limiter', () => {
    const rl = errorFromDdp(new DdpError('too-many-requests', 'Too many requests', { timeToReset: 4200 }), 'typing');
    expect(rl.kind).toBe('rate_limited');
    expect(rl.retryAfterMs).toBe(4200);
    expect(errorFromDdp(new DdpError(403, "You've been logged out by the server", undefined), 'login').kind).toBe('auth');
    expect(errorFromDdp(new DdpError('totp-required', 'TOTP Required', { method: 'email' }), 'login').kind).toBe('second_factor');
    expect(errorFromDdp(new Error('boom'), 'x').kind).toBe('network');
  });
});

describe('SSO credential', () => {
  it('accepts the location.hash JSON (raw, with #, URL-encoded) and token:secret', () => {
    const want = { credentialToken: 'T', credentialSecret: 'S' };
    expect(parseSsoToken('#{"credentialToken":"T","credentialSecret":"S"}')).toEqual(want);
    expect(parseSsoToken(encodeURIComponent('{"credentialToken":"T","credentialSecret":"S"}'))).toEqual(want);
    expect(parseSsoToken('T:S')).toEqual(want);
    expect(() => parseSsoToken('{"credentialToken":"T"}')).toThrow();
  });
});
