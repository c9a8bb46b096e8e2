import { describe, expect, it } from 'vitest';
import { callInviteElement, callInviteText, callMeetingOf } from '../../../../protocols/xmpp/calls';
import { parseMessage } from '../../../../protocols/xmpp/inbound';
import type { ParsedMessage, ParseContext } from '../../../../protocols/xmpp/inbound';
import { parseXml } from './xml-fixtures';

const CALL = 'urn:xmpp:call-invites:0';
const ctx: ParseContext = {
  ownBare: 'juliet@capulet.example', isRoom: () => false, ownNick: () => undefined, isOwnOrigin: () => false,
  contactName: () => undefined, occupantRealJid: () => undefined, now: () => 1_700_000_000_000,
};

function msg(inner: string): string {
  return `<message xmlns='jabber:client' from='romeo@montague.example/phone' to='juliet@capulet.example' type='chat' id='m1'>${inner}</message>`;
}

describe('xmpp call invites', () => {
  it('builds the XEP-0482 invite with the external link and the video flag', () => {
    const el = callInviteElement({ url: 'https://meet.example.org/Room1', domain: 'meet.example.org', room: 'Room1', video: false });
    expect(el.attrs).toMatchObject({ xmlns: CALL, video: 'false' });
    expect(el.getChild('external')?.attrs.uri).toBe('https://meet.example.org/Room1');
    expect(callInviteText({ url: 'https://m.example/R1x', domain: 'm.example', room: 'R1x', title: 'Sync', video: true })).toContain('https://m.example/R1x');
  });

  it('an invited room link on any host is a Jitsi call; other vendors keep their names', () => {
    const jitsi = parseXml(msg(`<invite xmlns='${CALL}' video='true'><external uri='https://meet.example.org/SamverkaRoom42'/></invite>`));
    expect(callMeetingOf(jitsi)).toEqual({ system: 'Jitsi', url: 'https://meet.example.org/SamverkaRoom42' });
    const zoom = parseXml(msg(`<invite xmlns='${CALL}'><external uri='https://us02web.zoom.us/j/123456789'/></invite>`));
    expect(callMeetingOf(zoom)?.system).toBe('Zoom');
    const other = parseXml(msg(`<invite xmlns='${CALL}'><external uri='https://calls.example.org/a/b/c/d'/></invite>`));
    expect(callMeetingOf(other)).toEqual({ system: 'calls.example.org', url: 'https://calls.example.org/a/b/c/d' });
  });

  it('skips unsafe external links and takes the first safe one', () => {
    const el = parseXml(msg(`<invite xmlns='${CALL}'><external uri='javascript:alert(1)'/><external uri='tel:+4612345'/><external uri='https://meet.example.org/Good1'/></invite>`));
    expect(callMeetingOf(el)?.url).toBe('https://meet.example.org/Good1');
    for (const uri of ['javascript:alert(1)', 'http://meet.example.org/R', 'https://u:p@meet.example.org/R', 'https://xn--mt-fka.example/Room1']) {
      expect(callMeetingOf(parseXml(msg(`<invite xmlns='${CALL}'><external uri='${uri}'/></invite>`)))).toBeUndefined();
    }
    expect(callMeetingOf(parseXml(msg(`<invite xmlns='urn:example:other'><external uri='https://meet.example.org/Room1'/></invite>`)))).toBeUndefined();
  });

  it('an oob link alone is a call only for a known meeting system', () => {
    const known = parseXml(msg(`<x xmlns='jabber:x:oob'><url>https://meet.jit.si/OpenRoom99</url></x>`));
    expect(callMeetingOf(known)).toEqual({ system: 'Jitsi', url: 'https://meet.jit.si/OpenRoom99' });
    const file = parseXml(msg(`<x xmlns='jabber:x:oob'><url>https://meet.example.org/OpenRoom99</url></x>`));
    expect(callMeetingOf(file)).toBeUndefined();
  });

  it('parseMessage: the call link becomes the meeting, not an attachment; a bodiless invite gets the link as text', () => {
    const url = 'https://meet.example.org/SamverkaRoom42';
    const p = parseMessage({ message: parseXml(msg(`<body>📹 Join the call: ${url}</body><x xmlns='jabber:x:oob'><url>${url}</url></x><invite xmlns='${CALL}' video='true'><external uri='${url}'/></invite>`)), via: 'live' }, ctx) as ParsedMessage;
    expect(p.meeting).toEqual({ system: 'Jitsi', url });
    expect(p.attachments).toEqual([]);
    expect(p.body).toContain(url);
    const bare = parseMessage({ message: parseXml(msg(`<invite xmlns='${CALL}'><external uri='${url}'/></invite>`)), via: 'live' }, ctx) as ParsedMessage;
    expect(bare.body).toBe(url);
    expect(bare.meeting?.url).toBe(url);
  });
});
