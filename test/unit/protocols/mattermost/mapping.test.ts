// Pure Mattermost mappings: presence, custom status, emoji keys, mentions, names, cursors, client txn ids.
import { describe, expect, it } from 'vitest';
import {
  Cursors, channelSlug, channelTitle, clientTxnIdFrom, customStatusText, displayName, dmPartner, emojiNameForKey, refsOf, mentionedNames, mentionsUser, parseMentions,
  pendingPostId, presenceFromStatus, reactionKey, statusFromPresence,
} from '../../../../protocols/mattermost/mapping';

describe('presence mapping (protocols.md C.3/C.4)', () => {
  it('maps server statuses to unified states', () => {
    expect(['online', 'away', 'ooo', 'dnd', 'offline', 'weird'].map(presenceFromStatus)).toEqual(['available', 'away', 'xa', 'dnd', 'offline', 'unknown']);
  });
  it('maps what the user chooses to what the server can store', () => {
    expect((['available', 'away', 'xa', 'dnd', 'offline', 'unknown'] as const).map(statusFromPresence)).toEqual(['online', 'away', 'away', 'dnd', 'offline', 'online']);
  });
  it('reads the custom status text and ignores expired or broken ones', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    const cs = (o: Record<string, unknown>) => ({ props: { customStatus: JSON.stringify(o) } });
    expect(customStatusText(cs({ emoji: 'x', text: 'Lunch', duration: 'one_hour', expires_at: '2026-05-01T13:00:00Z' }), now)).toBe('Lunch');
    expect(customStatusText(cs({ emoji: 'x', text: 'Lunch', duration: 'one_hour', expires_at: '2026-05-01T11:00:00Z' }), now)).toBe('');
    expect(customStatusText(cs({ text: 'Forever', duration: 'dont_clear', expires_at: '0001-01-01T00:00:00Z' }), now)).toBe('Forever');
    expect(customStatusText({ props: { customStatus: '{not json' } }, now)).toBe('');
    expect(customStatusText({ props: {} }, now)).toBe('');
  });
});

describe('reactions', () => {
  it('shows known emoji names as Unicode and others as :name:', () => {
    expect(reactionKey('+1')).toBe('👍');
    expect(reactionKey('thumbsup')).toBe('👍');
    expect(reactionKey('party_parrot')).toBe(':party_parrot:');
  });
  it('sends the canonical name for a key, with or without variation selector', () => {
    expect(emojiNameForKey('👍')).toBe('+1');
    expect(emojiNameForKey('❤️')).toBe('heart');
    expect(emojiNameForKey('❤')).toBe('heart');
    expect(emojiNameForKey(':Party_Parrot:')).toBe('party_parrot');
    expect(emojiNameForKey('🦫')).toBeNull();
    expect(emojiNameForKey(':../x:')).toBeNull();
  });
});

describe('mentions', () => {
  it('detects @username, @channel/@all/@here and the server list, not e-mail addresses', () => {
    expect(mentionsUser('hej @anna!', 'anna', [], 'u1')).toBe(true);
    expect(mentionsUser('hej @annabel', 'anna', [], 'u1')).toBe(false);
    expect(mentionsUser('mail anna@example.se', 'anna', [], 'u1')).toBe(false);
    expect(mentionsUser('@here now', 'anna', [], 'u1')).toBe(true);
    expect(mentionsUser('nothing', 'anna', ['u1'], 'u1')).toBe(true);
    expect(mentionsUser('@anna.', 'anna', [], 'u1')).toBe(true);
  });
  it('parses the mentions field and extracts names to resolve', () => {
    expect(parseMentions('["a","b",3]')).toEqual(['a', 'b']);
    expect(parseMentions('{broken')).toEqual([]);
    expect(parseMentions(undefined)).toEqual([]);
    expect(mentionedNames('@Anna and @bo. and @channel and x@y')).toEqual(['anna', 'bo']);
  });
});

describe('names and ids', () => {
  it('builds display names and titles', () => {
    expect(displayName({ username: 'anna', first_name: 'Anna', last_name: 'Berg', nickname: '' })).toBe('Anna Berg');
    expect(displayName({ username: 'anna', first_name: '', last_name: '', nickname: 'Nisse' })).toBe('Nisse');
    expect(displayName({ username: 'anna', first_name: '', last_name: '', nickname: '' })).toBe('anna');
    expect(channelTitle('General', 'Team B')).toBe('General (Team B)');
    expect(channelTitle('General', null)).toBe('General');
  });
  it('makes valid channel slugs from any title', () => {
    expect(channelSlug('Projekt Älg!', 'AB-CD1234ef')).toBe('projekt-alg-abcd1234');
    expect(channelSlug('???', 'x1')).toBe('channel-x1');
    expect(channelSlug('x'.repeat(100), 'r').length).toBeLessThanOrEqual(64);
  });
  it('finds the DM partner (or ourselves in a self-DM) and the thread refs of a post', () => {
    expect(dmPartner({ name: 'aaa__bbb' }, 'aaa')).toBe('bbb');
    expect(dmPartner({ name: 'aaa__bbb' }, 'bbb')).toBe('aaa');
    expect(dmPartner({ name: 'aaa__aaa' }, 'aaa')).toBe('aaa');
    expect(refsOf({ id: 'p', root_id: '' })).toEqual({ postId: 'p' });
    expect(refsOf({ id: 'p', root_id: 'r' })).toEqual({ postId: 'p', rootId: 'r' });
  });
  it('round-trips the client transaction id through pending_post_id, only for our own user', () => {
    const p = pendingPostId('me', 'txn:1');
    expect(clientTxnIdFrom(p, 'me')).toBe('txn:1');
    expect(clientTxnIdFrom(p, 'other')).toBeUndefined();
    expect(clientTxnIdFrom('', 'me')).toBeUndefined();
  });
});

describe('catch-up cursors', () => {
  it('advance only forwards, track the newest, serialise and survive garbage', () => {
    const c = Cursors.from({ t: '100', 'c:a': '100', 'c:b': 'nan', junk: '5' });
    expect(c.channel('a')).toBe(100);
    expect(c.channel('b')).toBeUndefined();
    expect(c.advance('a', 90)).toBe(false);
    expect(c.advance('a', 150)).toBe(true);
    expect(c.newest).toBe(150);
    c.advance('z', 120);
    c.retain(new Set(['a']));
    expect(c.toState()).toEqual({ t: '150', 'c:a': '150' });
    expect(Cursors.from({}).empty).toBe(true);
  });
});
