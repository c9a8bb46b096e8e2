import { describe, expect, it } from 'vitest';
import { inviteText, safeMeetingUrl } from '../../../../protocols/rocketchat/meetings';

describe('rocketchat meeting links', () => {
  it('keeps https links and drops everything a Join button must not open', () => {
    expect(safeMeetingUrl('https://meet.example.org/Room1?jwt=abc')).toBe('https://meet.example.org/Room1?jwt=abc');
    expect(safeMeetingUrl('javascript:alert(1)')).toBeNull();
    expect(safeMeetingUrl('http://meet.example.org/Room1')).toBeNull();
    expect(safeMeetingUrl('https://user:pw@meet.example.org/Room1')).toBeNull();
    expect(safeMeetingUrl('not a url')).toBeNull();
    expect(safeMeetingUrl(undefined)).toBeNull();
  });

  it('writes the fallback text with the plain link and the title', () => {
    const t = inviteText({ url: 'https://meet.example.org/R', domain: 'meet.example.org', room: 'R', title: 'Standup', video: false });
    expect(t).toContain('https://meet.example.org/R');
    expect(t).toContain('Standup');
  });
});
