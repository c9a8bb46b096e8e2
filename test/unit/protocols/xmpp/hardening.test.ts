// Regressions for hostile input found in review: each case was accepted before the fix.
import { describe, it, expect } from 'vitest';
import { parseMessage, unwrapLive, truncateText } from '../../../../protocols/xmpp/inbound';
import type { Envelope, ParseContext, ParsedMessage, ParseResult } from '../../../../protocols/xmpp/inbound';
import { parseJid } from '../../../../protocols/xmpp/jid';
import { sanitizeFileName } from '../../../../protocols/base/filenames';
import { parseXml } from './xml-fixtures';

const OWN = 'juliet@capulet.example';
const ROOM = 'coven@chat.shakespeare.example';
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

const ctx: ParseContext = {
  ownBare: OWN,
  isRoom: (b) => b === ROOM,
  ownNick: () => 'thirdwitch',
  isOwnOrigin: () => false,
  contactName: () => undefined,
  occupantRealJid: (key) => (key === `${ROOM}/firstwitch` ? 'hecate@shakespeare.example' : undefined),
  now: () => NOW,
};

function asMessage(r: ParseResult): ParsedMessage {
  if (r === null || 'malformed' in r || 'invite' in r) throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r;
}

describe('file names that sanitise to nothing', () => {
  it.each(['. .', '.. ..', 'x/.. ..', ' . ', '...'])('%j becomes the fallback, never "." or ".."', (raw) => {
    expect(sanitizeFileName(raw)).toBe('file');
  });
  it('drops trailing dots and spaces that Windows would silently remove', () => {
    expect(sanitizeFileName('rapport.exe. .')).toBe('rapport.exe');
  });
  it('prefixes Windows device names', () => {
    expect(sanitizeFileName('CON.txt')).toBe('_CON.txt');
    expect(sanitizeFileName('lpt1')).toBe('_lpt1');
    expect(sanitizeFileName('console.txt')).toBe('console.txt');
  });
});

describe('room messages cannot claim another sender', () => {
  const spoof = (realJid: string): ParseResult =>
    parseMessage(
      {
        via: 'live',
        message: parseXml(`
          <message xmlns="jabber:client" from="${ROOM}/mallory" type="groupchat" id="m1">
            <body>I am Romeo</body>
            <x xmlns="http://jabber.org/protocol/muc#user"><item jid="${realJid}"/></x>
          </message>`),
      },
      ctx,
    );
  it('ignores a real JID written into a live message', () => {
    const m = asMessage(spoof('romeo@montague.example/x'));
    expect(m.senderId).toBe(`${ROOM}/mallory`);
  });
  it('cannot make a message look like our own', () => {
    expect(asMessage(spoof(`${OWN}/balcony`)).own).toBe(false);
  });
  it('still uses the real JID the room told us through occupant presence', () => {
    const m = asMessage(parseMessage({ via: 'live', message: parseXml(`<message xmlns="jabber:client" from="${ROOM}/firstwitch" type="groupchat" id="m2"><body>x</body></message>`) }, ctx));
    expect(m.senderId).toBe('hecate@shakespeare.example');
  });
});

describe('carbons only from our own bare JID (XEP-0280 §11)', () => {
  const carbon = (from: string): ReturnType<typeof unwrapLive> =>
    unwrapLive(
      parseXml(`
        <message xmlns="jabber:client" from="${from}" to="${OWN}/balcony">
          <received xmlns="urn:xmpp:carbons:2"><forwarded xmlns="urn:xmpp:forward:0">
            <message xmlns="jabber:client" from="romeo@montague.example/home" to="${OWN}/other" type="chat" id="c1"><body>hi</body></message>
          </forwarded></received>
        </message>`),
      OWN,
    );
  it('rejects a carbon from one of our full JIDs', () => {
    expect('malformed' in carbon(`${OWN}/other`)).toBe(true);
  });
  it('accepts a carbon from our bare JID', () => {
    expect((carbon(OWN) as Envelope).via).toBe('carbon-received');
  });
});

describe('timestamps and long bodies', () => {
  it('a live message cannot be dated into the future by its delay stamp', () => {
    const m = asMessage(
      parseMessage({ via: 'live', message: parseXml(`<message xmlns="jabber:client" from="romeo@montague.example/h" type="chat" id="d1"><body>x</body><delay xmlns="urn:xmpp:delay" stamp="9999-01-01T00:00:00Z"/></message>`) }, ctx),
    );
    expect(m.ts).toBe(NOW);
  });
  it('truncation never splits an emoji', () => {
    const t = truncateText('a'.repeat(9) + '😀', 10);
    expect(t).toBe('a'.repeat(9));
    expect(/[\ud800-\udbff]$/.test(t)).toBe(false); // no lone high surrogate left at the end
    expect(truncateText('abc', 10)).toBe('abc');
  });
});

describe('invalid JIDs', () => {
  it('rejects an empty local part before @', () => {
    expect(parseJid('@example.com')).toBeNull();
  });
  it('rejects control characters', () => {
    expect(parseJid('a@exa\u0000mple.com')).toBeNull();
    expect(parseJid('a@example.com/res\u0007')).toBeNull();
  });
  it('treats a trailing dot as the same domain', () => {
    expect(parseJid('anna@Example.com.')?.bare).toBe('anna@example.com');
  });
});
