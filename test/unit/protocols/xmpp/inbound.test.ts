// parseMessage / unwrapLive / messageIdOf (protocols/xmpp/inbound.ts) on stanzas modelled on the
// XEP examples. Each fixture names the section it follows.
import { describe, it, expect } from 'vitest';
import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import { parseMessage, unwrapLive, messageIdOf, MAX_INBOUND_TEXT } from '../../../../protocols/xmpp/inbound';
import type { Envelope, ParseContext, ParsedMessage, ParseResult, ParsedInvite } from '../../../../protocols/xmpp/inbound';
import { parseXml } from './xml-fixtures';

const OWN = 'juliet@capulet.example';
const ROOM = 'coven@chat.shakespeare.example';
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);

function ctx(over: Partial<ParseContext> & { rooms?: string[]; nicks?: Record<string, string>; origins?: string[] } = {}): ParseContext {
  const rooms = new Set(over.rooms ?? [ROOM]);
  const nicks = over.nicks ?? { [ROOM]: 'thirdwitch' };
  const origins = new Set(over.origins ?? []);
  return {
    ownBare: OWN,
    isRoom: (b) => rooms.has(b),
    ownNick: (r) => nicks[r],
    isOwnOrigin: (id) => origins.has(id),
    contactName: (b) => (b === 'romeo@montague.example' ? 'Romeo Montague' : undefined),
    occupantRealJid: () => undefined,
    now: () => NOW,
    ...over,
  };
}

function live(message: Element): Envelope {
  return { message, via: 'live' };
}

function asMessage(r: ParseResult): ParsedMessage {
  if (r === null || 'malformed' in r || 'invite' in r) throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r;
}

function isMalformed(r: ParseResult): boolean {
  return r !== null && 'malformed' in r;
}

describe('messageIdOf (id fallback rule)', () => {
  it('prefers origin-id, then sender/@id, then stanza-id', () => {
    expect(messageIdOf('o1', 'romeo@montague.example', 'e1', 's1')).toBe('o1');
    expect(messageIdOf(undefined, 'romeo@montague.example', 'e1', 's1')).toBe('romeo@montague.example/e1');
    expect(messageIdOf(undefined, 'romeo@montague.example', undefined, 's1')).toBe('s1');
    expect(messageIdOf(undefined, 'romeo@montague.example', undefined, undefined)).toBeUndefined();
  });
});

describe('parseMessage: one-to-one chat', () => {
  it('maps a chat message with origin-id (XEP-0359 §3.3 example) and uses origin-id as the message id', () => {
    // XEP-0359 §3.3 Example 2 (origin-id) plus the server's stanza-id (§3.1 Example 1), addressed to us.
    const stanza = parseXml(`
      <message xmlns="jabber:client" to="juliet@capulet.example/balcony" from="romeo@montague.example/orchard" type="chat" id="msg-1">
        <body>Art thou not Romeo, and a Montague?</body>
        <origin-id xmlns="urn:xmpp:sid:0" id="de305d54-75b4-431b-adb2-eb6b9e546013"/>
        <stanza-id xmlns="urn:xmpp:sid:0" id="5f3dbc5e-e1d3-4077-a492-693f3769c7ad" by="juliet@capulet.example"/>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m).toMatchObject({
      conversationId: 'romeo@montague.example',
      isGroup: false,
      own: false,
      senderId: 'romeo@montague.example',
      senderName: 'Romeo Montague',
      ts: NOW,
      messageId: 'de305d54-75b4-431b-adb2-eb6b9e546013',
      originId: 'de305d54-75b4-431b-adb2-eb6b9e546013',
      elementId: 'msg-1',
      stanzaId: '5f3dbc5e-e1d3-4077-a492-693f3769c7ad',
      body: 'Art thou not Romeo, and a Montague?',
      attachments: [],
      requestsReceipt: false,
      markable: false,
      mentionsMe: false,
    });
  });

  it('without origin-id falls back to "<sender bare>/<@id>" (RFC 6120 §8.1.3 id)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" to="juliet@capulet.example" from="Romeo@Montague.example/orchard" type="chat" id="msg-2">
        <body>Neither, fair saint, if either thee dislike.</body>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.messageId).toBe('romeo@montague.example/msg-2');
    expect(m.originId).toBeUndefined();
    expect(m.conversationId).toBe('romeo@montague.example');
  });

  it('without origin-id and @id uses our server\'s stanza-id, ignoring one claimed by another entity (XEP-0359 §3.1, §4)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" to="juliet@capulet.example" from="romeo@montague.example/orchard" type="chat">
        <body>hello</body>
        <stanza-id xmlns="urn:xmpp:sid:0" id="forged" by="montague.example"/>
        <stanza-id xmlns="urn:xmpp:sid:0" id="real-sid" by="juliet@capulet.example"/>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.stanzaId).toBe('real-sid');
    expect(m.messageId).toBe('real-sid');
  });

  it('reports a body message without any usable id as malformed', () => {
    const stanza = parseXml(`<message xmlns="jabber:client" from="romeo@montague.example/orchard" to="juliet@capulet.example" type="chat"><body>x</body></message>`);
    expect(isMalformed(parseMessage(live(stanza), ctx()))).toBe(true);
  });

  it('rejects ids with control characters or over 256 chars (falls back to the next id)', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'ok-id' },
      xml('body', {}, 'x'),
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'bad\u0000id' }));
    expect(asMessage(parseMessage(live(stanza), ctx())).messageId).toBe('romeo@montague.example/ok-id');
    const long = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'ok-id' },
      xml('body', {}, 'x'),
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'a'.repeat(257) }));
    expect(asMessage(parseMessage(live(long), ctx())).originId).toBeUndefined();
  });

  it('treats a message without type as "normal" and maps it like chat (RFC 6121 §5.2.2)', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, id: 'n1' }, xml('body', {}, 'normal'));
    expect(asMessage(parseMessage(live(stanza), ctx())).body).toBe('normal');
  });

  it('ignores headline and error messages', () => {
    const headline = xml('message', { from: 'news.example', to: OWN, type: 'headline', id: 'h' }, xml('body', {}, 'news'));
    expect(parseMessage(live(headline), ctx())).toBeNull();
    const error = xml('message', { from: 'romeo@montague.example', to: OWN, type: 'error', id: 'e' }, xml('body', {}, 'x'));
    expect(parseMessage(live(error), ctx())).toBeNull();
  });

  it('ignores private messages from MUC occupants in the 1:1 path (XEP-0045 §7.5)', () => {
    const pm = xml('message', { from: `${ROOM}/firstwitch`, to: OWN, type: 'chat', id: 'pm' }, xml('body', {}, 'psst'));
    expect(parseMessage(live(pm), ctx())).toBeNull();
  });

  it('uses the contact\'s local part as name when there is no roster name', () => {
    const stanza = xml('message', { from: 'nurse@capulet.example/x', to: OWN, type: 'chat', id: 'a' }, xml('body', {}, 'Madam!'));
    expect(asMessage(parseMessage(live(stanza), ctx())).senderName).toBe('nurse');
  });

  it('takes the timestamp from XEP-0203 delay (§3 Example 1) for offline messages', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="romeo@montague.example/orchard" to="juliet@capulet.example" type="chat" id="off1">
        <body>O blessed, blessed night!</body>
        <delay xmlns="urn:xmpp:delay" from="capulet.example" stamp="2002-09-10T23:08:25Z">Offline Storage</delay>
      </message>`);
    expect(asMessage(parseMessage(live(stanza), ctx())).ts).toBe(Date.UTC(2002, 8, 10, 23, 8, 25));
  });

  it('falls back to now() for a nonsense delay stamp', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'd' },
      xml('body', {}, 'x'), xml('delay', { xmlns: 'urn:xmpp:delay', stamp: 'yesterday-ish' }));
    expect(asMessage(parseMessage(live(stanza), ctx())).ts).toBe(NOW);
  });

  it('a live message without from is from our own account (RFC 6120 §8.1.2.1)', () => {
    const stanza = xml('message', { to: 'romeo@montague.example', type: 'chat', id: 'self' }, xml('body', {}, 'note'));
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.own).toBe(true);
    expect(m.senderId).toBe(OWN);
    expect(m.conversationId).toBe('romeo@montague.example');
  });
});

describe('unwrapLive: message carbons (XEP-0280 §7, §11)', () => {
  // XEP-0280 §7.3 Example 9 (received) / §7.4 Example 10 (sent), adapted to our JIDs.
  const received = `
    <message xmlns="jabber:client" from="juliet@capulet.example" to="juliet@capulet.example/balcony" type="chat">
      <received xmlns="urn:xmpp:carbons:2">
        <forwarded xmlns="urn:xmpp:forward:0">
          <message xmlns="jabber:client" from="romeo@montague.example/home" to="juliet@capulet.example/chamber" type="chat" id="c-r1">
            <body>Neither, fair saint, if either thee dislike.</body>
            <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>
          </message>
        </forwarded>
      </received>
    </message>`;
  const sent = `
    <message xmlns="jabber:client" from="juliet@capulet.example" to="juliet@capulet.example/balcony" type="chat">
      <sent xmlns="urn:xmpp:carbons:2">
        <forwarded xmlns="urn:xmpp:forward:0">
          <message xmlns="jabber:client" to="romeo@montague.example/home" from="juliet@capulet.example/chamber" type="chat" id="c-s1">
            <body>Did you hear the nightingale?</body>
            <origin-id xmlns="urn:xmpp:sid:0" id="orig-sent-1"/>
          </message>
        </forwarded>
      </sent>
    </message>`;

  it('unwraps a received carbon and maps it as the peer\'s message', () => {
    const env = unwrapLive(parseXml(received), OWN);
    expect('malformed' in env).toBe(false);
    const e = env as Envelope;
    expect(e.via).toBe('carbon-received');
    const m = asMessage(parseMessage(e, ctx()));
    expect(m).toMatchObject({ conversationId: 'romeo@montague.example', own: false, senderId: 'romeo@montague.example', messageId: 'romeo@montague.example/c-r1' });
  });

  it('unwraps a sent carbon as our own message in the conversation with the recipient', () => {
    const e = unwrapLive(parseXml(sent), OWN) as Envelope;
    expect(e.via).toBe('carbon-sent');
    const m = asMessage(parseMessage(e, ctx()));
    expect(m).toMatchObject({ conversationId: 'romeo@montague.example', own: true, senderId: OWN, senderName: 'juliet', messageId: 'orig-sent-1' });
  });

  it('rejects a forged carbon sent by another user (XEP-0280 §11 Security Considerations)', () => {
    const forged = received.replace('from="juliet@capulet.example" to=', 'from="mallory@evil.example/x" to=');
    const env = unwrapLive(parseXml(forged), OWN);
    expect('malformed' in env).toBe(true);
    expect((env as { malformed: string }).malformed).toContain('forged carbon');
  });

  it('rejects a forged "sent" carbon too', () => {
    const forged = sent.replace('from="juliet@capulet.example" to=', 'from="romeo@montague.example" to=');
    expect('malformed' in unwrapLive(parseXml(forged), OWN)).toBe(true);
  });

  it('reports a carbon without a forwarded message as malformed', () => {
    const stanza = xml('message', { from: OWN }, xml('received', { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' })));
    expect(unwrapLive(stanza, OWN)).toEqual({ malformed: 'carbon without forwarded message' });
  });

  it('ignores a carbons element in the wrong namespace (old urn:xmpp:carbons:1) and passes the stanza on as live', () => {
    const stanza = xml('message', { from: 'mallory@evil.example' }, xml('received', { xmlns: 'urn:xmpp:carbons:1' }));
    const env = unwrapLive(stanza, OWN) as Envelope;
    expect(env.via).toBe('live');
    expect(env.message).toBe(stanza);
  });

  it('passes a plain message through as live', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/x', type: 'chat' }, xml('body', {}, 'hi'));
    expect(unwrapLive(stanza, OWN)).toEqual({ message: stanza, via: 'live' });
  });
});

describe('parseMessage: archive results (XEP-0313 §4.2)', () => {
  // The inner <message/> of XEP-0313 §4.2 Example 4; mam.ts passes it with the result id and the
  // <forwarded/> delay stamp as `archive`.
  const inner = () => parseXml(`
    <message xmlns="jabber:client" to="juliet@capulet.example/balcony" from="romeo@montague.example/orchard" type="chat">
      <body>Call me but love, and I'll be new baptized; Henceforth I never will be Romeo.</body>
    </message>`);

  it('uses the archive id as stanza-id/message id and the archive stamp as timestamp', () => {
    const env: Envelope = { message: inner(), via: 'archive', archive: { id: '28482-98726-73623', owner: OWN, ts: Date.parse('2010-07-10T23:08:25Z') } };
    const m = asMessage(parseMessage(env, ctx()));
    expect(m).toMatchObject({
      conversationId: 'romeo@montague.example',
      stanzaId: '28482-98726-73623',
      messageId: '28482-98726-73623',
      ts: Date.UTC(2010, 6, 10, 23, 8, 25),
    });
  });

  it('an archived groupchat message is accepted from that room\'s archive even when not joined', () => {
    const msg = xml('message', { from: `${ROOM}/firstwitch`, type: 'groupchat', id: 'g1' }, xml('body', {}, 'Thrice the brinded cat hath mew\'d.'));
    const env: Envelope = { message: msg, via: 'archive', archive: { id: 'room-arch-1', owner: ROOM, ts: 1000 } };
    const m = asMessage(parseMessage(env, ctx({ rooms: [] })));
    expect(m).toMatchObject({ conversationId: ROOM, isGroup: true, stanzaId: 'room-arch-1', ts: 1000 });
  });

  it('rejects a groupchat message found in a different archive (room A content in our own archive)', () => {
    const msg = xml('message', { from: `${ROOM}/firstwitch`, type: 'groupchat', id: 'g1' }, xml('body', {}, 'x'));
    const env: Envelope = { message: msg, via: 'archive', archive: { id: 'a1', owner: OWN, ts: 1000 } };
    expect(isMalformed(parseMessage(env, ctx()))).toBe(true);
  });

  it('an archived message without from is malformed (no own-account fallback outside live)', () => {
    const msg = xml('message', { to: OWN, type: 'chat' }, xml('body', {}, 'x'));
    const env: Envelope = { message: msg, via: 'archive', archive: { id: 'a1', owner: OWN, ts: 1 } };
    expect(isMalformed(parseMessage(env, ctx()))).toBe(true);
  });

  it('falls back to the inner delay, then now(), when the archive has no stamp', () => {
    const msg = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat' },
      xml('body', {}, 'x'), xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2010-07-10T23:08:25.123Z' }));
    const env: Envelope = { message: msg, via: 'archive', archive: { id: 'a1', owner: OWN, ts: undefined } };
    expect(asMessage(parseMessage(env, ctx())).ts).toBe(Date.parse('2010-07-10T23:08:25.123Z'));
  });

  it('a forwarded element that is not a message is malformed', () => {
    const env: Envelope = { message: xml('iq', { type: 'get' }), via: 'archive', archive: { id: 'a1', owner: OWN, ts: 1 } };
    expect(isMalformed(parseMessage(env, ctx()))).toBe(true);
  });
});

describe('parseMessage: corrections, retractions, reactions', () => {
  it('maps a correction (XEP-0308 §4 Example 2)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" to="juliet@capulet.example/balcony" from="romeo@montague.example/orchard" id="good1" type="chat">
        <body>But soft, what light through yonder window breaks?</body>
        <replace id="bad1" xmlns="urn:xmpp:message-correct:0"/>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.correction).toBe('bad1');
    expect(m.body).toBe('But soft, what light through yonder window breaks?');
    expect(m.messageId).toBe('romeo@montague.example/good1');
  });

  it('maps a retraction (XEP-0424 v0.4 §4 Example 3, urn:xmpp:message-retract:1)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" type="chat" to="lord@capulet.example" from="romeo@montague.example/orchard" id="retract-message-1">
        <retract id="origin-id-1" xmlns="urn:xmpp:message-retract:1"/>
        <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/>
        <body>/me retracted a previous message, but it's unsupported by your client.</body>
        <store xmlns="urn:xmpp:hints"/>
      </message>`);
    expect(asMessage(parseMessage(live(stanza), ctx())).retraction).toBe('origin-id-1');
  });

  it('maps a legacy fastening retraction (XEP-0424 v0.3, apply-to + retract:0)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" type="chat" to="juliet@capulet.example" from="romeo@montague.example/orchard" id="retract-message-0">
        <apply-to id="origin-id-0" xmlns="urn:xmpp:fasten:0">
          <retract xmlns="urn:xmpp:message-retract:0"/>
        </apply-to>
      </message>`);
    expect(asMessage(parseMessage(live(stanza), ctx())).retraction).toBe('origin-id-0');
  });

  it('ignores an apply-to without a retract payload', () => {
    const stanza = xml('message', { type: 'chat', from: 'romeo@montague.example/o', to: OWN, id: 'x' },
      xml('apply-to', { xmlns: 'urn:xmpp:fasten:0', id: 'target' }, xml('external', { xmlns: 'urn:xmpp:fasten:0', name: 'body' })));
    expect(parseMessage(live(stanza), ctx())).toBeNull();
  });

  it('maps reactions (XEP-0444 §3.2 Example 3) and deduplicates keys', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" to="juliet@capulet.example" from="romeo@montague.example/orchard" id="96d73204-a57a-11e9-88b8-4889e7820c76" type="chat">
        <reactions id="744f6e18-a57a-11e9-a656-4889e7820c76" xmlns="urn:xmpp:reactions:0">
          <reaction>🐢</reaction>
          <reaction>👋</reaction>
          <reaction> 👋 </reaction>
          <reaction></reaction>
        </reactions>
        <store xmlns="urn:xmpp:hints"/>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.reactions).toEqual({ target: '744f6e18-a57a-11e9-a656-4889e7820c76', keys: ['🐢', '👋'] });
    expect(m.body).toBeUndefined();
  });

  it('an empty reactions element removes all reactions (XEP-0444 §3.2 Example 4)', () => {
    const stanza = xml('message', { type: 'chat', from: 'romeo@montague.example/o', to: OWN, id: 'r2' },
      xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'target-1' }));
    expect(asMessage(parseMessage(live(stanza), ctx())).reactions).toEqual({ target: 'target-1', keys: [] });
  });

  it('caps reactions at 64 distinct keys and drops keys over 64 chars', () => {
    const many = Array.from({ length: 80 }, (_, i) => xml('reaction', {}, `k${i}`));
    const stanza = xml('message', { type: 'chat', from: 'romeo@montague.example/o', to: OWN, id: 'r3' },
      xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 't' }, ...many, xml('reaction', {}, 'x'.repeat(65))));
    const keys = asMessage(parseMessage(live(stanza), ctx())).reactions?.keys ?? [];
    expect(keys).toHaveLength(64);
    expect(keys.some((k) => k.length > 64)).toBe(false);
  });

  it('reports reactions without a target id as malformed', () => {
    const stanza = xml('message', { type: 'chat', from: 'romeo@montague.example/o', to: OWN, id: 'r4' },
      xml('reactions', { xmlns: 'urn:xmpp:reactions:0' }, xml('reaction', {}, '👍')));
    expect(isMalformed(parseMessage(live(stanza), ctx()))).toBe(true);
  });
});

describe('parseMessage: chat states, receipts and markers', () => {
  it.each(['active', 'composing', 'paused', 'inactive', 'gone'] as const)('maps the standalone chat state <%s/> (XEP-0085 §5.1)', (state) => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="romeo@montague.example/orchard" to="juliet@capulet.example/balcony" type="chat">
        <${state} xmlns="http://jabber.org/protocol/chatstates"/>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.chatState).toBe(state);
    expect(m.messageId).toBe(''); // notifications carry no id and need none
    expect(m.body).toBeUndefined();
  });

  it('keeps the chat state next to a body (XEP-0085 §5.2 Example 3)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="bernardo@shakespeare.example/pda" to="francisco@shakespeare.example" type="chat" id="cs1">
        <body>Who's there?</body>
        <active xmlns="http://jabber.org/protocol/chatstates"/>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.chatState).toBe('active');
    expect(m.body).toBe("Who's there?");
  });

  it('ignores a chat-state-looking element in another namespace', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat' }, xml('composing', { xmlns: 'urn:example:other' }));
    expect(parseMessage(live(stanza), ctx())).toBeNull();
  });

  it('flags a receipt request (XEP-0184 §5 Example 3)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="northumberland@shakespeare.example/westminster" id="richard2-4.1.247" to="kingrichard@royalty.england.example/throne">
        <body>My lord, dispatch; read o'er these articles.</body>
        <request xmlns="urn:xmpp:receipts"/>
      </message>`);
    expect(asMessage(parseMessage(live(stanza), ctx())).requestsReceipt).toBe(true);
  });

  it('maps a delivery receipt (XEP-0184 §5 Example 4)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="kingrichard@royalty.england.example/throne" id="bi29sg183b4v" to="juliet@capulet.example/westminster">
        <received xmlns="urn:xmpp:receipts" id="richard2-4.1.247"/>
      </message>`);
    expect(asMessage(parseMessage(live(stanza), ctx())).receipt).toEqual({ kind: 'received', target: 'richard2-4.1.247' });
  });

  it('maps a markable message and a displayed marker (XEP-0333 §4 Examples 1 and 3)', () => {
    const markable = parseXml(`
      <message xmlns="jabber:client" from="northumberland@shakespeare.example/westminster" to="juliet@capulet.example" id="message-1">
        <body>My lord, dispatch; read o'er these articles.</body>
        <markable xmlns="urn:xmpp:chat-markers:0"/>
      </message>`);
    expect(asMessage(parseMessage(live(markable), ctx())).markable).toBe(true);
    const displayed = parseXml(`
      <message xmlns="jabber:client" from="kingrichard@royalty.england.example/throne" to="juliet@capulet.example/westminster" id="message-2">
        <displayed xmlns="urn:xmpp:chat-markers:0" id="message-1"/>
      </message>`);
    expect(asMessage(parseMessage(live(displayed), ctx())).receipt).toEqual({ kind: 'displayed', target: 'message-1' });
  });

  it('maps a XEP-0333 received marker as a delivery receipt', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, id: 'm3' }, xml('received', { xmlns: 'urn:xmpp:chat-markers:0', id: 'message-1' }));
    expect(asMessage(parseMessage(live(stanza), ctx())).receipt).toEqual({ kind: 'received', target: 'message-1' });
  });

  it('ignores a receipt without a target id', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, id: 'm4' }, xml('received', { xmlns: 'urn:xmpp:receipts' }));
    expect(parseMessage(live(stanza), ctx())).toBeNull();
  });
});

describe('parseMessage: OOB attachments (XEP-0066 §3.1)', () => {
  const withUrl = (url: string, body?: string): Element =>
    xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'oob1' },
      ...(body !== undefined ? [xml('body', {}, body)] : []),
      xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url), xml('desc', {}, 'A license to Jabber!')));

  it('maps an https URL (XEP-0066 §3.1 Example 5 shape) to an attachment and clears the duplicate body', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="stpeter@jabber.example/work" to="juliet@capulet.example" type="chat" id="oob-ex">
        <body>https://upload.example/abc/h%C3%A4lsning%20f%C3%B6r%20dig.png</body>
        <x xmlns="jabber:x:oob">
          <url>https://upload.example/abc/h%C3%A4lsning%20f%C3%B6r%20dig.png</url>
        </x>
      </message>`);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.attachments).toEqual([
      { id: 'oob-0', name: 'hälsning för dig.png', mime: 'image/png', size: null, url: 'https://upload.example/abc/h%C3%A4lsning%20f%C3%B6r%20dig.png' },
    ]);
    expect(m.body).toBe('');
  });

  it('keeps a body that is different from the URL', () => {
    const m = asMessage(parseMessage(live(withUrl('http://www.jabber.example/license.txt', 'see the license')), ctx()));
    expect(m.body).toBe('see the license');
    expect(m.attachments[0]?.name).toBe('license.txt');
    expect(m.attachments[0]?.mime).toBe('text/plain');
  });

  it.each([
    'javascript:alert(document.cookie)',
    'JavaScript:alert(1)',
    'file:///etc/passwd',
    'data:text/html,<script>alert(1)</script>',
    'ftp://files.example/a.zip',
    'not a url',
    '',
  ])('refuses the URL %p', (url) => {
    const r = parseMessage(live(withUrl(url, 'x')), ctx());
    expect(asMessage(r).attachments).toEqual([]);
  });

  it('a message with only a refused OOB URL and no body is ignored', () => {
    expect(parseMessage(live(withUrl('javascript:alert(1)')), ctx())).toBeNull();
  });

  it('sanitises a traversing file name from the URL path', () => {
    const m = asMessage(parseMessage(live(withUrl('https://evil.example/x/..%2F..%2F.bashrc')), ctx()));
    expect(m.attachments[0]?.name).toBe('bashrc');
  });

  it('falls back to "file" when the URL has no last path segment', () => {
    const m = asMessage(parseMessage(live(withUrl('https://upload.example/dir/')), ctx()));
    expect(m.attachments[0]?.name).toBe('file');
  });

  it('caps the number of OOB attachments at 10', () => {
    const xs = Array.from({ length: 15 }, (_, i) => xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, `https://u.example/${i}.png`)));
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'many' }, ...xs);
    const m = asMessage(parseMessage(live(stanza), ctx()));
    expect(m.attachments).toHaveLength(10);
    expect(m.attachments.map((a) => a.id)).toContain('oob-9');
  });
});

describe('parseMessage: MUC groupchat (XEP-0045 §7.4, XEP-0359 §3.1)', () => {
  const groupchat = (from: string, extra = ''): Element => parseXml(`
    <message xmlns="jabber:client" from="${from}" to="juliet@capulet.example/balcony" type="groupchat" id="162BEBB1-F6DB-4D9A-9BD8-CFDCC801A0B2">
      <body>Thrice the brinded cat hath mew'd.</body>
      <stanza-id xmlns="urn:xmpp:sid:0" id="5f3dbc5e-e1d3-4077-a492-693f3769c7ad" by="coven@chat.shakespeare.example"/>
      ${extra}
    </message>`);

  it('maps a room message with the room\'s stanza-id', () => {
    const m = asMessage(parseMessage(live(groupchat(`${ROOM}/firstwitch`)), ctx()));
    expect(m).toMatchObject({
      conversationId: ROOM,
      isGroup: true,
      own: false,
      senderId: `${ROOM}/firstwitch`,
      senderName: 'firstwitch',
      stanzaId: '5f3dbc5e-e1d3-4077-a492-693f3769c7ad',
      messageId: `${ROOM}/firstwitch/162BEBB1-F6DB-4D9A-9BD8-CFDCC801A0B2`,
    });
  });

  it('ignores a stanza-id not set by the room', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="${ROOM}/firstwitch" type="groupchat">
        <body>x</body>
        <stanza-id xmlns="urn:xmpp:sid:0" id="fake" by="firstwitch@shakespeare.example"/>
      </message>`);
    const r = parseMessage(live(stanza), ctx());
    expect(isMalformed(r)).toBe(true); // no origin-id, no @id and no trustworthy stanza-id
  });

  it('uses the real JID from the room\'s occupant mapping (non-anonymous rooms)', () => {
    const m = asMessage(parseMessage(live(groupchat(`${ROOM}/secondwitch`)), ctx({ occupantRealJid: (o) => (o === `${ROOM}/secondwitch` ? 'wiccarocks@shakespeare.example' : undefined) })));
    expect(m.senderId).toBe('wiccarocks@shakespeare.example');
    expect(m.senderName).toBe('secondwitch');
  });

  it('recognises our own reflected message by nick', () => {
    const m = asMessage(parseMessage(live(groupchat(`${ROOM}/thirdwitch`)), ctx()));
    expect(m.own).toBe(true);
    expect(m.senderId).toBe(OWN);
  });

  it('recognises our own reflected message by origin-id after a nick change', () => {
    const stanza = groupchat(`${ROOM}/oldnick`, '<origin-id xmlns="urn:xmpp:sid:0" id="mine-1"/>');
    const m = asMessage(parseMessage(live(stanza), ctx({ origins: ['mine-1'] })));
    expect(m.own).toBe(true);
    expect(m.messageId).toBe('mine-1');
  });

  it('rejects groupchat from a room we are not in', () => {
    expect(isMalformed(parseMessage(live(groupchat('other@chat.shakespeare.example/x')), ctx()))).toBe(true);
  });

  it('ignores messages from the room itself (subject changes, XEP-0045 §8.1)', () => {
    const subject = parseXml(`<message xmlns="jabber:client" from="${ROOM}" type="groupchat"><subject>Fire Burn and Cauldron Bubble!</subject></message>`);
    expect(parseMessage(live(subject), ctx())).toBeNull();
  });

  it('flags a mention of our nick, case-insensitively, but not in our own messages', () => {
    const stanza = xml('message', { from: `${ROOM}/firstwitch`, type: 'groupchat', id: 'men' }, xml('body', {}, 'Hail, ThirdWitch!'));
    expect(asMessage(parseMessage(live(stanza), ctx())).mentionsMe).toBe(true);
    const mine = xml('message', { from: `${ROOM}/thirdwitch`, type: 'groupchat', id: 'men2' }, xml('body', {}, 'thirdwitch here'));
    expect(asMessage(parseMessage(live(mine), ctx())).mentionsMe).toBe(false);
  });

  it('does not treat 1:1 messages as mentions', () => {
    const stanza = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'x' }, xml('body', {}, 'thirdwitch'));
    expect(asMessage(parseMessage(live(stanza), ctx())).mentionsMe).toBe(false);
  });
});

describe('parseMessage: invitations', () => {
  it('maps a mediated invitation (XEP-0045 §7.8.2 Example 59)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="coven@chat.shakespeare.example" id="nzd143v8" to="juliet@capulet.example">
        <x xmlns="http://jabber.org/protocol/muc#user">
          <invite from="crone1@shakespeare.example/desktop">
            <reason>Hey Hecate, this is the place for all good witches!</reason>
          </invite>
          <password>cauldronburn</password>
        </x>
      </message>`);
    const r = parseMessage(live(stanza), ctx({ rooms: [] })) as ParsedInvite;
    expect(r.invite).toEqual({ roomId: ROOM, from: 'crone1@shakespeare.example', reason: 'Hey Hecate, this is the place for all good witches!' });
  });

  it('maps a direct invitation (XEP-0249 §2 Example 1)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="crone1@shakespeare.example/desktop" to="juliet@capulet.example">
        <x xmlns="jabber:x:conference" jid="darkcave@macbeth.shakespeare.example" password="cauldronburn" reason="Hey Hecate, this is the place for all good witches!"/>
      </message>`);
    const r = parseMessage(live(stanza), ctx({ rooms: [] })) as ParsedInvite;
    expect(r.invite).toEqual({ roomId: 'darkcave@macbeth.shakespeare.example', from: 'crone1@shakespeare.example', reason: 'Hey Hecate, this is the place for all good witches!' });
  });

  it('does not accept invitations from carbons or archives', () => {
    const stanza = xml('message', { from: 'crone1@shakespeare.example/desktop', to: OWN }, xml('x', { xmlns: 'jabber:x:conference', jid: 'darkcave@macbeth.shakespeare.example' }));
    expect(parseMessage({ message: stanza, via: 'carbon-received' }, ctx())).toBeNull();
  });
});

describe('parseMessage: hostile and odd bodies', () => {
  const chat = (body: string): Element => xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'b' }, xml('body', {}, body));

  it('keeps HTML and script in bodies as literal text (parsed from escaped XML)', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="romeo@montague.example/o" to="juliet@capulet.example" type="chat" id="h1">
        <body>&lt;script&gt;alert("x")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp;amp;</body>
      </message>`);
    expect(asMessage(parseMessage(live(stanza), ctx())).body).toBe('<script>alert("x")</script><img src=x onerror=alert(1)> &amp;');
  });

  it('ignores XHTML-IM (XEP-0071) markup and uses the plain body', () => {
    const stanza = parseXml(`
      <message xmlns="jabber:client" from="romeo@montague.example/o" to="juliet@capulet.example" type="chat" id="h2">
        <body>plain</body>
        <html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></body></html>
      </message>`);
    expect(asMessage(parseMessage(live(stanza), ctx())).body).toBe('plain');
  });

  it('passes bidi control characters through unchanged (no silent rewriting of the text)', () => {
    const body = 'invoice\u202Egnp.exe \u2067x\u2069 \u200F';
    expect(asMessage(parseMessage(live(chat(body)), ctx())).body).toBe(body);
  });

  it('keeps a 1 MB body intact (below MAX_INBOUND_TEXT)', () => {
    const body = 'a'.repeat(1_000_000);
    expect(asMessage(parseMessage(live(chat(body)), ctx())).body).toHaveLength(1_000_000);
  });

  it('cuts a body longer than MAX_INBOUND_TEXT to exactly that length', () => {
    const body = 'b'.repeat(2 * 1024 * 1024);
    const m = asMessage(parseMessage(live(chat(body)), ctx()));
    expect(m.body).toHaveLength(MAX_INBOUND_TEXT);
    expect(MAX_INBOUND_TEXT).toBeGreaterThanOrEqual(1_048_576);
  });

  it('keeps an empty body as an empty string (it is still a message)', () => {
    expect(asMessage(parseMessage(live(chat('')), ctx())).body).toBe('');
  });
});

describe('parseMessage: malformed shapes never throw', () => {
  it('reports a message with a missing from outside live as malformed', () => {
    const env: Envelope = { message: xml('message', { type: 'chat', id: 'x' }, xml('body', {}, 'x')), via: 'carbon-received' };
    expect(isMalformed(parseMessage(env, ctx()))).toBe(true);
  });

  it('reports an unparseable from as malformed', () => {
    const m = xml('message', { from: 'romeo@', type: 'chat', id: 'x' }, xml('body', {}, 'x'));
    expect(isMalformed(parseMessage(live(m), ctx()))).toBe(true);
  });

  it('reports our own message without a valid to as malformed', () => {
    const m = xml('message', { from: `${OWN}/phone`, type: 'chat', id: 'x' }, xml('body', {}, 'x'));
    expect(isMalformed(parseMessage({ message: m, via: 'carbon-sent' }, ctx()))).toBe(true);
  });

  it('returns null for a message without body or any known payload', () => {
    const m = parseXml(`<message xmlns="jabber:client" from="romeo@montague.example/o" to="juliet@capulet.example" type="chat" id="x"><thread>t</thread><unknown xmlns="urn:example:nope"><body>not ours</body></unknown></message>`);
    expect(parseMessage(live(m), ctx())).toBeNull();
  });

  it('does not pick a body from a foreign namespace', () => {
    const m = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'x' }, xml('body', { xmlns: 'urn:example:other' }, 'sneaky'));
    expect(parseMessage(live(m), ctx())).toBeNull();
  });

  it('treats non-string attribute values as absent', () => {
    const m = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'x' }, xml('body', {}, 'x'));
    const weird = m.attrs as Record<string, unknown>;
    weird.from = 42;
    expect(() => parseMessage(live(m), ctx())).not.toThrow();
    // Live: a non-string from counts as absent, i.e. our own account (RFC 6120 §8.1.2.1) ...
    expect(asMessage(parseMessage(live(m), ctx())).senderId).toBe(OWN);
    // ... anywhere else it is malformed.
    expect(isMalformed(parseMessage({ message: m, via: 'carbon-received' }, ctx()))).toBe(true);

    const m2 = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat' }, xml('body', {}, 'x'));
    (m2.attrs as Record<string, unknown>).id = { toString: () => 'evil' };
    (m2.attrs as Record<string, unknown>).type = ['chat'];
    const r = parseMessage(live(m2), ctx());
    expect(isMalformed(r)).toBe(true); // type falls back to "normal", no usable id
  });

  it('tolerates non-string attributes on payload elements', () => {
    const replace = xml('replace', { xmlns: 'urn:xmpp:message-correct:0' });
    (replace.attrs as Record<string, unknown>).id = 7;
    const m = xml('message', { from: 'romeo@montague.example/o', to: OWN, type: 'chat', id: 'x' }, xml('body', {}, 'x'), replace);
    const r = asMessage(parseMessage(live(m), ctx()));
    expect(r.correction).toBeUndefined();
  });

  it('never throws on a pile of random shapes', () => {
    const shapes: Element[] = [
      xml('message', {}),
      xml('message', { type: 'groupchat' }),
      xml('message', { from: ROOM, type: 'groupchat' }, 'stray text', xml('body')),
      xml('message', { from: 'a@b/c', type: 'chat' }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'x' }, 'text', xml('reaction'))),
      xml('message', { from: 'a@b/c' }, xml('x', { xmlns: 'jabber:x:oob' })),
      xml('message', { from: 'a@b/c' }, xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'https://[::1'))),
      xml('message', { from: 'a@b/c' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('invite'))),
      xml('message', { from: 'a@b/c' }, xml('x', { xmlns: 'jabber:x:conference', jid: '' })),
      xml('presence', { from: 'a@b/c' }),
    ];
    for (const s of shapes) {
      for (const via of ['live', 'carbon-received', 'carbon-sent', 'archive'] as const) {
        expect(() => parseMessage({ message: s, via, ...(via === 'archive' ? { archive: { id: 'i', owner: OWN, ts: 1 } } : {}) }, ctx())).not.toThrow();
      }
      expect(() => unwrapLive(s, OWN)).not.toThrow();
    }
  });
});
