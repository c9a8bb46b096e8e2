// Issue 5 on XMPP against real Prosody: a call started from our client is one message with the
// link in the body, XEP-0066 oob and an XEP-0482 invite; a second, independent adapter of ours
// shows it as a Jitsi meeting with the same link, 1:1 and in a room. A raw peer checks the wire
// form and sends hostile invites that must not become meetings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { connectedAdapter, rawPeer, stopPeer, waitForStanza, xml } from '../servers/prosody/clients';
import type { RawPeer, Recorder } from '../servers/prosody/clients';
import type { AdapterEvent, CallInvite, MessageInfo, ProtocolAdapter } from '../../protocols/contract';

type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;
const CALL_NS = 'urn:xmpp:call-invites:0';

function call(room: string, video = true): CallInvite {
  return { url: `https://meet.example.org/${room}`, domain: 'meet.example.org', room, title: 'Weekly sync', video };
}

async function messageWith(rec: Recorder, pred: (m: MessageInfo) => boolean, label: string): Promise<MessageInfo> {
  return ((await rec.waitFor((e): e is MsgEvent => e.type === 'message' && pred(e.message), 10_000, label)) as MsgEvent).message;
}

describe('xmpp meetings', () => {
  let server: ProsodyServer;
  let anna: ProtocolAdapter;
  let annaRec: Recorder;
  let bob: ProtocolAdapter;
  let bobRec: Recorder;
  let bobRaw: RawPeer;

  beforeAll(async () => {
    server = await startProsody();
    await Promise.all(['anna', 'bob', 'mallory'].map((u) => server.register(u, `${u}pw`)));
    [{ adapter: anna, rec: annaRec }, { adapter: bob, rec: bobRec }] = await Promise.all([
      connectedAdapter(server, 'anna', 'annapw'),
      connectedAdapter(server, 'bob', 'bobpw'),
    ]);
    // Bob's second device: sees the raw stanza as any other client of his would.
    bobRaw = await rawPeer(server, 'bob', 'bobpw', 'raw');
    // Wait until Prosody has the raw device's presence (it reflects it back): only then do
    // messages to bob's bare JID reach it, otherwise the first invite may miss it under load.
    const available = waitForStanza(bobRaw, (s) => s.is('presence') && String(s.attrs.from) === 'bob@localhost/raw', 10_000, 'own presence');
    await bobRaw.send(xml('presence', {}, xml('priority', {}, '1')));
    await available;
  });
  afterAll(async () => {
    await Promise.all([anna?.disconnect(), bob?.disconnect(), bobRaw ? stopPeer(bobRaw) : undefined]);
    await server.dispose();
  });

  it('1:1: sends body link + XEP-0066 + XEP-0482; the peer adapter shows a Jitsi meeting with the same link', async () => {
    const c = call('SamverkaQx7Lw2Rk9Vb4Tn8Mz3Pc', false);
    const raw = waitForStanza(bobRaw, (s) => s.is('message') && s.getChild('invite', CALL_NS) !== undefined, 10_000, 'raw invite');
    const { joinUrl } = await anna.meetings!.invite!('bob@localhost', c);
    expect(joinUrl).toBe(c.url);

    const stanza = await raw;
    expect(stanza.getChildText('body')).toContain(c.url);
    expect(stanza.getChild('x', 'jabber:x:oob')?.getChildText('url')).toBe(c.url);
    const invite = stanza.getChild('invite', CALL_NS)!;
    expect(invite.attrs.video).toBe('false');
    expect(invite.getChild('external')?.attrs.uri).toBe(c.url);

    const got = await messageWith(bobRec, (m) => m.text.includes(c.url), 'invite at bob');
    expect(got.meeting).toEqual({ system: 'Jitsi', url: c.url });
    expect(got.own).toBe(false);
    // The call link is the Join card, not a file to download.
    expect(got.attachments).toBeUndefined();
    // The caller's own history shows the invitation too (1:1 has no echo).
    const mine = await messageWith(annaRec, (m) => m.own && m.text.includes(c.url), 'own invite');
    expect(mine.meeting).toEqual({ system: 'Jitsi', url: c.url });
    expect(mine.id).toBe(got.id);
  });

  it('room: the invite reaches the other occupant as a meeting, and the room archive keeps it', async () => {
    const info = await anna.rooms!.create({ name: 'Call room', members: ['bob@localhost'] });
    await bob.rooms!.join(info.id);
    const c = call('SamverkaRoomK2m9Xq4Lw7Vb3Tn8');
    await anna.meetings!.invite!(info.id, c);
    const got = await messageWith(bobRec, (m) => m.conversationId === info.id && m.text.includes(c.url), 'room invite at bob');
    expect(got.meeting).toEqual({ system: 'Jitsi', url: c.url });
    const reflected = await messageWith(annaRec, (m) => m.conversationId === info.id && m.own && m.text.includes(c.url), 'reflection at anna');
    expect(reflected.meeting?.url).toBe(c.url);
    const page = await bob.getHistory(info.id, { limit: 20 });
    expect(page.messages.find((m) => m.id === got.id)?.meeting).toEqual({ system: 'Jitsi', url: c.url });
  });

  it('hostile invites are not offered as meetings', async () => {
    const mallory = await rawPeer(server, 'mallory', 'mallorypw');
    try {
      const hostile = [
        { id: 'h1', uri: 'javascript:alert(1)' },
        { id: 'h2', uri: 'http://meet.example.org/Plain' },
        { id: 'h3', uri: 'https://admin:secret@meet.example.org/Room' },
      ];
      for (const h of hostile) {
        await mallory.send(xml('message', { to: 'bob@localhost', type: 'chat', id: h.id },
          xml('body', {}, `call me ${h.id}`),
          xml('invite', { xmlns: CALL_NS, video: 'true' }, xml('external', { uri: h.uri }))));
      }
      for (const h of hostile) {
        const got = await messageWith(bobRec, (m) => m.text === `call me ${h.id}`, h.id);
        expect(got.meeting).toBeUndefined();
      }
    } finally {
      await stopPeer(mallory);
    }
  });

  it('recognises another client\'s oob-only link to a known meeting system, and leaves other oob links as files', async () => {
    const carlos = await rawPeer(server, 'mallory', 'mallorypw', 'second');
    try {
      await carlos.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'o1' },
        xml('body', {}, 'https://meet.jit.si/PublicRoomAbc123'), xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'https://meet.jit.si/PublicRoomAbc123'))));
      await carlos.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'o2' },
        xml('body', {}, 'photo'), xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'https://files.example.org/up/cat.jpg'))));
      const meet = await messageWith(bobRec, (m) => m.id.endsWith('/o1'), 'oob meeting');
      expect(meet.meeting).toEqual({ system: 'Jitsi', url: 'https://meet.jit.si/PublicRoomAbc123' });
      const file = await messageWith(bobRec, (m) => m.id.endsWith('/o2'), 'oob file');
      expect(file.meeting).toBeUndefined();
      expect(file.attachments?.[0]?.url).toBe('https://files.example.org/up/cat.jpg');
    } finally {
      await stopPeer(carlos);
    }
  });
});
