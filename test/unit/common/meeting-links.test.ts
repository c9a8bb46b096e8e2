// Which links in a message become a "Join" card, and which never do.
import { describe, expect, it } from 'vitest';
import { detectMeeting, meetingOfUrl } from '../../../common/meeting-links';

const AGENCY_JITSI = ['meet.agency.se'];

describe('meeting links', () => {
  it.each([
    ['https://meet.agency.se/SamverkaBudget2026', 'Jitsi'],
    ['https://meet.agency.se/SamverkaBudget2026?jwt=eyJ.abc.def#config.startWithVideoMuted=true', 'Jitsi'],
    ['https://meet.jit.si/PublicRoomName', 'Jitsi'],
    ['https://8x8.vc/vpaas-magic-cookie-123/MyRoom', 'Jitsi'],
    ['https://cloud.kommun.se/call/a1b2c3d4', 'Nextcloud Talk'],
    ['https://cloud.kommun.se/index.php/call/a1b2c3d4#message_12', 'Nextcloud Talk'],
    ['https://bbb.region.se/bigbluebutton/api/join?fullName=A&meetingID=x&checksum=abc123', 'BigBlueButton'],
    ['https://bbb.region.se/b/ann-x3k-9pq', 'BigBlueButton'],
    ['https://bbb.region.se/rooms/abc-def-ghi/join', 'BigBlueButton'],
    ['https://video.myndighet.se/webapp/conference/meet.anna?name=Bo&pin=1234', 'Pexip'],
    ['https://video.myndighet.se/webapp/#/?conference=meet.anna', 'Pexip'],
    ['https://video.myndighet.se/webapp3/m/meet.anna', 'Pexip'],
    ['https://cms.myndighet.se/meeting/123456789?secret=abc', 'Cisco Meeting Server'],
    ['https://call.element.io/room/#/budget?password=x', 'Element Call'],
    ['https://us02web.zoom.us/j/85512345678?pwd=abc', 'Zoom'],
    ['https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d', 'Microsoft Teams'],
    ['https://teams.microsoft.com/meet/3333?p=abc', 'Microsoft Teams'],
    ['https://teams.live.com/meet/9876', 'Microsoft Teams'],
    ['https://meet.google.com/abc-defg-hij', 'Google Meet'],
    ['https://agency.webex.com/meet/anna.berg', 'Webex'],
  ])('%s is a %s meeting', (url, system) => {
    expect(meetingOfUrl(url, AGENCY_JITSI)).toEqual({ system, url: new URL(url).href });
  });

  it.each([
    ['javascript:alert(1)//meet.google.com/abc-defg-hij', 'not https'],
    ['http://meet.agency.se/SamverkaBudget2026', 'not https'],
    ['https://user:pass@meet.agency.se/Room123', 'credentials in the link'],
    ['https://zoom.us.evil.example/j/85512345678', 'vendor name as a subdomain of another host'],
    ['https://teams-microsoft.com/l/meetup-join/abc', 'look-alike vendor domain'],
    ['https://zооm.us/j/85512345678', 'homograph (Cyrillic o) host'],
    ['https://meet.goog1e.com/abc-defg-hij', 'look-alike Google host'],
    ['https://www.agency.se/Kontakt', 'an ordinary page on a host not known as Jitsi'],
    ['https://meet.agency.se/', 'a Jitsi server but no room'],
    ['https://meet.google.com/', 'no meeting code'],
  ])('%s is not offered (%s)', (url) => {
    expect(meetingOfUrl(url, AGENCY_JITSI)).toBeNull();
  });

  it('finds the first meeting link in a message, ignoring punctuation and other links', () => {
    const text = 'Agenda: https://www.agency.se/agenda. Join here: https://meet.agency.se/BudgetMote42). Thanks!';
    expect(detectMeeting(text, () => AGENCY_JITSI)).toEqual({ system: 'Jitsi', url: 'https://meet.agency.se/BudgetMote42' });
    expect(detectMeeting('no links at all', () => AGENCY_JITSI)).toBeNull();
    expect(detectMeeting('https://meet.agency.se/BudgetMote42', () => [])).toBeNull();
    // The known hosts are only looked up when there is a link to check.
    let asked = 0;
    detectMeeting('plain words, no address', () => (asked++, AGENCY_JITSI));
    expect(asked).toBe(0);
  });
});
