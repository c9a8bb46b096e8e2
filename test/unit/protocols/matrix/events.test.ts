// Pure event mapping of the Matrix adapter: validation, reply fallbacks, mentions, reactions.
import { describe, expect, it } from 'vitest';
import { asRawEvent, parseEvent, ReactionIndex, stripReplyFallback } from '../../../../protocols/matrix/events';
import type { Self } from '../../../../protocols/matrix/events';
import { isRoomId, parseMxc, parseUserId } from '../../../../protocols/matrix/ids';
import { parseTokenCredentials, roleFor } from '../../../../protocols/matrix/adapter';

const self: Self = { userId: '@anna:example.org', localpart: 'anna', displayName: 'Anna Berg' };
const ev = (content: unknown, extra: Record<string, unknown> = {}) =>
  asRawEvent({ event_id: '$e1', type: 'm.room.message', sender: '@bo:example.org', origin_server_ts: 1000, content, ...extra })!;

describe('matrix event mapping', () => {
  it('rejects envelopes without id, type, sender or timestamp', () => {
    expect(asRawEvent(null)).toBeNull();
    expect(asRawEvent({ event_id: 'x', type: 't', sender: 's', origin_server_ts: 1, content: {} })).toBeNull();
    expect(asRawEvent({ event_id: '$x', type: 't', sender: 's', origin_server_ts: '1', content: {} })).toBeNull();
  });

  it('maps text, ignores formatted_body, strips reply fallbacks only on replies', () => {
    const p = parseEvent('!r', ev({ msgtype: 'm.text', body: 'hi', format: 'org.matrix.custom.html', formatted_body: '<script>x</script>' }), self, { fromHistory: false });
    expect(p.kind === 'message' && p.message.text).toBe('hi');
    expect(JSON.stringify(p)).not.toContain('script');
    const r = parseEvent('!r', ev({ msgtype: 'm.text', body: '> <@x:y> quoted\n\nanswer', 'm.relates_to': { 'm.in_reply_to': { event_id: '$t' } } }), self, { fromHistory: false });
    expect(r.kind === 'message' && [r.message.text, r.message.replyToId]).toEqual(['answer', '$t']);
    expect(stripReplyFallback('> just a quote')).toBe('');
    const q = parseEvent('!r', ev({ msgtype: 'm.text', body: '> not a reply' }), self, { fromHistory: false });
    expect(q.kind === 'message' && q.message.text).toBe('> not a reply');
  });

  it('mentions: m.mentions wins; otherwise localpart or display name as a word', () => {
    const m = (content: Record<string, unknown>) => {
      const p = parseEvent('!r', ev({ msgtype: 'm.text', ...content }), self, { fromHistory: false });
      return p.kind === 'message' && p.message.mentionsMe;
    };
    expect(m({ body: 'x', 'm.mentions': { user_ids: ['@anna:example.org'] } })).toBe(true);
    expect(m({ body: 'anna', 'm.mentions': {} })).toBe(false);
    expect(m({ body: 'hej Anna Berg!' })).toBe(true);
    expect(m({ body: 'hannah' })).toBe(false);
  });

  it('flags malformed messages, reactions, redactions and unknown types; ignores state and redacted events', () => {
    expect(parseEvent('!r', ev({ msgtype: 'm.text', body: 5 }), self, { fromHistory: false }).kind).toBe('malformed');
    expect(parseEvent('!r', ev({ msgtype: 'm.image', body: 'x' }), self, { fromHistory: false }).kind).toBe('malformed');
    expect(parseEvent('!r', asRawEvent({ event_id: '$r', type: 'm.reaction', sender: '@b:x', origin_server_ts: 1, content: { 'm.relates_to': 'x' } })!, self, { fromHistory: false }).kind).toBe('malformed');
    expect(parseEvent('!r', asRawEvent({ event_id: '$r', type: 'm.room.redaction', sender: '@b:x', origin_server_ts: 1, content: {} })!, self, { fromHistory: false }).kind).toBe('malformed');
    expect(parseEvent('!r', asRawEvent({ event_id: '$r', type: 'com.example.x', sender: '@b:x', origin_server_ts: 1, content: {} })!, self, { fromHistory: false }).kind).toBe('malformed');
    expect(parseEvent('!r', ev({ name: 'x' }, { type: 'm.room.name', state_key: '' }), self, { fromHistory: false }).kind).toBe('ignored');
    expect(parseEvent('!r', ev({}, { unsigned: { redacted_because: {} } }), self, { fromHistory: false }).kind).toBe('ignored');
  });

  it('attachments keep the mxc url and a sanitized name', () => {
    const p = parseEvent('!r', ev({ msgtype: 'm.file', body: 'f', filename: '../../x/åäö.pdf', url: 'mxc://s/abc', info: { mimetype: 'application/pdf', size: 3 } }), self, { fromHistory: true });
    expect(p.kind === 'message' && p.message.attachments).toEqual([{ id: '$e1', name: 'åäö.pdf', mime: 'application/pdf', size: 3, url: 'mxc://s/abc' }]);
    expect(p.kind === 'message' && p.message.fromHistory).toBe(true);
  });

  it('reaction index turns annotations and redactions into full key sets', () => {
    const idx = new ReactionIndex();
    expect(idx.add('!r', '$a', '$t', '@b:x', '👍')).toMatchObject({ keys: ['👍'] });
    expect(idx.add('!r', '$b', '$t', '@b:x', '🎉')).toMatchObject({ keys: ['👍', '🎉'] });
    expect(idx.add('!r', '$b', '$t', '@b:x', '🎉')).toBeNull();
    expect(idx.redact('$a')).toMatchObject({ targetId: '$t', senderId: '@b:x', keys: ['🎉'] });
    expect(idx.redact('$zzz')).toBe('unknown');
  });

  it('ids, tokens and roles', () => {
    expect(parseUserId('@anna:example.org:8448')).toMatchObject({ localpart: 'anna', server: 'example.org:8448' });
    expect(parseUserId('anna@example.org')).toBeNull();
    expect(isRoomId('!abc:example.org') && isRoomId('!opaqueV12')).toBe(true);
    expect(parseMxc('mxc://s/../etc')).toBeNull();
    expect(parseTokenCredentials('{"accessToken":"a","deviceId":"d","userId":"@u:s"}')).toEqual({ accessToken: 'a', deviceId: 'd', userId: '@u:s' });
    expect(parseTokenCredentials('{"accessToken":1}')).toBeNull();
    expect([roleFor(100), roleFor(50), roleFor(0)]).toEqual(['admin', 'moderator', 'member']);
  });
});
