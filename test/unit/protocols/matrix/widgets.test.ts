import { describe, expect, it } from 'vitest';
import { jitsiWidget, jitsiWidgetUrl, widgetMessage } from '../../../../protocols/matrix/widgets';
import { parseEvent } from '../../../../protocols/matrix/events';
import type { RawEvent, Self } from '../../../../protocols/matrix/events';

const self: Self = { userId: '@me:example.org', localpart: 'me', displayName: 'Me' };
const ROOM = '!room:example.org';

function stateEvent(content: Record<string, unknown>, over: Partial<RawEvent> = {}): RawEvent {
  return { event_id: '$w1', type: 'im.vector.modular.widgets', sender: '@bo:example.org', origin_server_ts: 1000, state_key: 'jitsi_1', content, ...over };
}
const jitsi = (data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'jitsi', url: 'https://x', name: 'Jitsi', data, ...extra });

describe('matrix jitsi widgets', () => {
  it('builds Element\'s widget content and recognises it again', () => {
    const w = jitsiWidget({ url: 'https://meet.example.org/Room1abc', domain: 'meet.example.org', room: 'Room1abc', title: 'Plan', video: true }, self, 'jitsi_abc');
    expect(w).toMatchObject({ eventType: 'im.vector.modular.widgets', stateKey: 'jitsi_abc' });
    expect(w.content).toMatchObject({ type: 'jitsi', name: 'Plan', creatorUserId: '@me:example.org', data: { conferenceId: 'Room1abc', domain: 'meet.example.org', isAudioOnly: false, roomName: 'Plan' } });
    expect(jitsiWidgetUrl(w.content)).toBe('https://meet.example.org/Room1abc');
  });

  it('rebuilds the link from domain and conferenceId only, and refuses anything else', () => {
    expect(jitsiWidgetUrl(jitsi({ domain: 'meet.example.org:8443', conferenceId: 'JitsiAbc' }))).toBe('https://meet.example.org:8443/JitsiAbc');
    expect(jitsiWidgetUrl(jitsi({ domain: 'evil.example/../x', conferenceId: 'Room1' }))).toBeNull();
    expect(jitsiWidgetUrl(jitsi({ domain: 'u:p@meet.example.org', conferenceId: 'Room1' }))).toBeNull();
    expect(jitsiWidgetUrl(jitsi({ domain: 'meet.example.org', conferenceId: '../admin' }))).toBeNull();
    expect(jitsiWidgetUrl(jitsi({ domain: 'meet.example.org', conferenceId: 'a?jwt=stolen' }))).toBeNull();
    expect(jitsiWidgetUrl(jitsi({ domain: 'xn--mt-fka.example', conferenceId: 'Room1' }))).toBeNull();
    expect(jitsiWidgetUrl(jitsi({ domain: 42, conferenceId: 'Room1' }))).toBeNull();
    expect(jitsiWidgetUrl({ type: 'customwidget', data: { domain: 'meet.example.org', conferenceId: 'Room1' } })).toBeNull();
    expect(jitsiWidgetUrl({})).toBeNull();
  });

  it('a widget event is a message with the state event\'s id; removed or redacted widgets are ignored', () => {
    const p = parseEvent(ROOM, stateEvent(jitsi({ domain: 'meet.example.org', conferenceId: 'Room1abc' }, { name: 'Retro' })), self, { fromHistory: true, senderName: 'Bo' });
    expect(p.kind).toBe('message');
    if (p.kind !== 'message') return;
    expect(p.message).toMatchObject({ id: '$w1', senderName: 'Bo', own: false, fromHistory: true, meeting: { system: 'Jitsi', url: 'https://meet.example.org/Room1abc', title: 'Retro' } });
    expect(p.message.text).toContain('https://meet.example.org/Room1abc');
    expect(parseEvent(ROOM, stateEvent({}), self, { fromHistory: false }).kind).toBe('ignored');
    const redacted = stateEvent(jitsi({ domain: 'meet.example.org', conferenceId: 'Room1abc' }), { unsigned: { redacted_because: {} } });
    expect(parseEvent(ROOM, redacted, self, { fromHistory: false }).kind).toBe('ignored');
    // Other state (members, names) stays ignored, as before.
    expect(parseEvent(ROOM, stateEvent({ membership: 'join' }, { type: 'm.room.member', state_key: '@bo:example.org' }), self, { fromHistory: false }).kind).toBe('ignored');
    // A widget type outside a state event is not a widget.
    expect(widgetMessage(ROOM, { ...stateEvent(jitsi({ domain: 'meet.example.org', conferenceId: 'Room1abc' })), state_key: undefined } as RawEvent, self, { fromHistory: false })).toBeNull();
  });
});
