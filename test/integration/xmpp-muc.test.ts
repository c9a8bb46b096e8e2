// Group chat (XEP-0045) with bookmarks, reflections and room archives, plus HTTP upload (XEP-0363).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { connectedAdapter, rawPeer, stopPeer, waitForStanza, xml } from '../servers/prosody/clients';
import type { Recorder } from '../servers/prosody/clients';
import type { AdapterEvent, ProtocolAdapter } from '../../protocols/contract';
import { AppError } from '../../common/errors';

type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;
const isMsg = (text: string) => (e: AdapterEvent): e is MsgEvent => e.type === 'message' && e.message.text === text;

describe('xmpp adapter: group chat and files', () => {
  let server: ProsodyServer;
  let anna: ProtocolAdapter;
  let annaRec: Recorder;
  let bob: ProtocolAdapter;
  let bobRec: Recorder;
  let room = '';

  beforeAll(async () => {
    server = await startProsody();
    await Promise.all(['anna', 'bob', 'carl'].map((u) => server.register(u, `${u}pw`)));
    [{ adapter: anna, rec: annaRec }, { adapter: bob, rec: bobRec }] = await Promise.all([
      connectedAdapter(server, 'anna', 'annapw'),
      connectedAdapter(server, 'bob', 'bobpw'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([anna?.disconnect(), bob?.disconnect()]);
    await server.dispose();
  });

  it('creates a members-only room, invites, uninvited users cannot join', async () => {
    const info = await anna.rooms!.create({ name: 'Krisgrupp <b>Öst</b>', members: ['bob@localhost'] });
    room = info.id;
    expect(info).toMatchObject({ kind: 'group', isPrivate: true, title: 'Krisgrupp <b>Öst</b>' });
    expect(room.endsWith('@conference.localhost')).toBe(true);
    const inv = await bobRec.waitFor((e) => e.type === 'room.invite' && e.roomId === room);
    expect(inv.type === 'room.invite' && inv.from).toBe('anna@localhost');

    // room config as seen by the server: members-only, persistent, hidden
    const carl = await rawPeer(server, 'carl', 'carlpw');
    try {
      const disco = await carl.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const feats = disco.getChild('query')!.getChildren('feature').map((f) => f.attrs.var as string);
      expect(feats).toEqual(expect.arrayContaining(['muc_membersonly', 'muc_persistent', 'muc_hidden']));
      const err = waitForStanza(carl, (s) => s.is('presence') && s.attrs.type === 'error' && String(s.attrs.from).startsWith(room));
      await carl.send(xml('presence', { to: `${room}/carl` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
      expect((await err).getChild('error')!.getChild('registration-required')).toBeDefined();
    } finally {
      await stopPeer(carl);
    }

    const joined = await bob.rooms!.join(room);
    expect(joined.id).toBe(room);
    // Joined by address, the room shows its configured name (as text), not its address.
    expect(joined.title).toBe('Krisgrupp <b>Öst</b>');
    const members = await anna.rooms!.members(room);
    expect(members.map((m) => m.id).sort()).toEqual(['anna@localhost', 'bob@localhost']);
    expect(members.find((m) => m.id === 'bob@localhost')?.presence).toBe('available');
    expect((await anna.listConversations()).some((c) => c.id === room && c.kind === 'group')).toBe(true);
  });

  it('groupchat send/receive; own reflection has the id returned by send', async () => {
    const ack = await anna.send(room, { clientTxnId: 'g-1', text: 'hej gruppen, bob' });
    const own = (await annaRec.waitFor(isMsg('hej gruppen, bob'))).message;
    expect(own).toMatchObject({ id: ack.messageId, own: true, clientTxnId: 'g-1', senderId: 'anna@localhost', conversationId: room });
    expect(own.refs.stanzaId).toBeTruthy();
    const got = (await bobRec.waitFor(isMsg('hej gruppen, bob'))).message;
    expect(got).toMatchObject({ id: 'g-1', own: false, senderId: 'anna@localhost', senderName: 'anna', mentionsMe: true });

    // reactions and retraction reference the room's stanza-id; the receiver resolves it back
    await bob.reactions!.set(room, { id: got.id, refs: got.refs }, ['👍']);
    const re = await annaRec.waitFor((e) => e.type === 'reactions' && e.senderId === 'bob@localhost');
    expect(re).toMatchObject({ targetId: 'g-1', keys: ['👍'] });
    await anna.deletes!.delete(room, { id: own.id, refs: own.refs });
    await bobRec.waitFor((e) => e.type === 'message.deleted' && e.targetId === 'g-1');

    // room archive
    await bob.send(room, { clientTxnId: 'g-2', text: 'svar' });
    await annaRec.waitFor(isMsg('svar'));
    const page = await bob.getHistory(room, { limit: 10 });
    expect(page.messages.map((m) => m.text)).toEqual(['svar']); // the retracted one is folded away
    expect(page.messages[0]).toMatchObject({ id: 'g-2', own: true });
  });

  it('rooms come back from bookmarks on the next login; leave removes them', async () => {
    const again = await connectedAdapter(server, 'bob', 'bobpw');
    try {
      const conv = await again.rec.waitFor((e) => e.type === 'conversation' && e.conversation.id === room);
      expect(conv.type === 'conversation' && conv.conversation.kind).toBe('group');
      await again.adapter.send(room, { clientTxnId: 'g-3', text: 'från andra enheten' });
      await annaRec.waitFor(isMsg('från andra enheten'));
      await again.adapter.rooms!.leave(room);
      expect((await again.adapter.listConversations()).some((c) => c.id === room)).toBe(false);
      await expect(again.adapter.send(room, { clientTxnId: 'g-4', text: 'x' })).resolves.toBeDefined(); // now a 1:1 address
    } finally {
      await again.adapter.disconnect();
    }
  });

  it('upload + download round trip; hostile file name is sanitised', async () => {
    const data = new TextEncoder().encode('innehåll åäö\n'.repeat(100));
    const t0 = performance.now();
    const att = await anna.files!.upload('bob@localhost', { name: '../../etc/rapport åäö\u202Egpj.txt', mime: 'text/plain', data });
    console.log(`[timing] xmpp upload 1.3 KB (slot + PUT): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(att.name).toBe('rapport åäögpj.txt');
    expect(att.url.startsWith(`http://127.0.0.1:${server.httpPort}/`)).toBe(true);
    await anna.send('bob@localhost', { clientTxnId: 'f-1', text: '', attachment: att });
    const msg = (await bobRec.waitFor((e): e is MsgEvent => e.type === 'message' && e.message.id === 'f-1')).message;
    expect(msg.text).toBe('');
    expect(msg.attachments).toHaveLength(1);
    const a = msg.attachments![0]!;
    expect(a.name).toBe('rapport åäögpj.txt');
    const file = await bob.files!.download(a);
    expect(new TextDecoder().decode(file.data)).toBe(new TextDecoder().decode(data));
    await expect(bob.files!.download({ ...a, url: 'file:///etc/passwd' })).rejects.toBeInstanceOf(AppError);
    await expect(anna.files!.upload('bob@localhost', { name: 'big.bin', mime: 'application/octet-stream', data: new Uint8Array(11 * 1024 * 1024) })).rejects.toMatchObject({ kind: 'invalid_input' });
  });
});
