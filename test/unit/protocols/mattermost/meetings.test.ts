import { describe, expect, it } from 'vitest';
import { jitsiPost, meetingOfPost, meetingText, safeMeetingUrl } from '../../../../protocols/mattermost/meetings';

describe('mattermost meeting posts', () => {
  it('builds the Jitsi plugin post, keeping a JWT apart from the link as the plugin does', () => {
    const plain = jitsiPost({ url: 'https://meet.example.org/Room1', domain: 'meet.example.org', room: 'Room1', video: true });
    expect(plain.type).toBe('custom_jitsi');
    expect(plain.props).toMatchObject({ meeting_id: 'Room1', meeting_link: 'https://meet.example.org/Room1', jwt_meeting: false, meeting_personal: false, meeting_topic: '' });
    expect(plain.message).toContain('https://meet.example.org/Room1');
    const jwt = jitsiPost({ url: 'https://meet.example.org/Room2?jwt=abc', domain: 'meet.example.org', room: 'Room2', title: 'Topic', video: false });
    expect(jwt.props).toMatchObject({ meeting_link: 'https://meet.example.org/Room2', jwt_meeting: true, meeting_jwt: 'abc', meeting_topic: 'Topic' });
    // Round trip: what we post is what we recognise.
    expect(meetingOfPost(jwt)).toEqual({ system: 'Jitsi', url: 'https://meet.example.org/Room2?jwt=abc', title: 'Topic' });
  });

  it('does not append the token twice when an older plugin put it in the link', () => {
    const m = meetingOfPost({ type: 'custom_jitsi', props: { meeting_link: 'https://m.example/R?jwt=t1', jwt_meeting: true, meeting_jwt: 't1' } });
    expect(m?.url).toBe('https://m.example/R?jwt=t1');
  });

  it('ignores tokens when jwt_meeting is not true and drops unsafe links', () => {
    expect(meetingOfPost({ type: 'custom_jitsi', props: { meeting_link: 'https://m.example/R', jwt_meeting: 'true', meeting_jwt: 'x' } })?.url).toBe('https://m.example/R');
    expect(meetingOfPost({ type: 'custom_jitsi', props: { meeting_link: 'javascript:alert(1)' } })).toBeUndefined();
    expect(meetingOfPost({ type: 'custom_jitsi', props: { meeting_link: 42 } })).toBeUndefined();
    expect(meetingOfPost({ type: 'custom_jitsi' })).toBeUndefined();
    expect(meetingOfPost({ type: '', props: { meeting_link: 'https://m.example/R' } })).toBeUndefined();
    expect(safeMeetingUrl('https://u:p@m.example/R')).toBeNull();
  });

  it('maps Mattermost Calls posts to a card without a link and writes a preview line', () => {
    const m = meetingOfPost({ type: 'custom_calls', props: { title: 'Standup', start_at: 1 } });
    expect(m).toEqual({ system: 'Mattermost Calls', title: 'Standup' });
    expect(meetingText(m!)).toContain('Standup');
    expect(meetingText({ system: 'Jitsi', url: 'https://m.example/R' })).toContain('https://m.example/R');
  });
});
