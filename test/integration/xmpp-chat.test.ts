// 1:1 chat, roster/presence, carbons, MAM ids and the message-level XEPs against real Prosody.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { connectedAdapter, rawPeer, stopPeer, waitForStanza, xml, sleep } from '../servers/prosody/clients';
import type { RawPeer, Recorder } from '../servers/prosody/clients';
import type { AdapterEvent, MessageInfo, ProtocolAdapter } from '../../protocols/contract';

type MsgEvent = Extract<AdapterEvent, { type: 'message' }>;
const isMsg = (text: string) => (e: AdapterEvent): e is MsgEvent => e.type === 'message' && e.message.text === text;

describe('xmpp adapter: 1:1 chat', () => {
  let server: ProsodyServer;
  let anna: ProtocolAdapter;
  let annaRec: Recorder;
  let bob: RawPeer;
  let annaPhone: RawPeer; // anna's second device, for carbons

  beforeAll(async () => {
    server = await startProsody();
    await Promise.all([server.register('anna', 'annapw'), server.register('bob', 'bobpw'), server.register('carl', 'carlpw')]);
    ({ adapter: anna, rec: annaRec } = await connectedAdapter(server, 'anna', 'annapw'));
    bob = await rawPeer(server, 'bob', 'bobpw');
    await bob.send(xml('presence'));
    annaPhone = await rawPeer(server, 'anna', 'annapw', 'phone');
    await annaPhone.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
    await annaPhone.send(xml('presence'));
  });
  afterAll(async () => {
    await anna?.disconnect();
    await Promise.all([stopPeer(bob), stopPeer(annaPhone)]);
    await server.dispose();
  });

  it('roster: add contact, subscription request, presence mapping', async () => {
    // anna adds bob → bob gets a subscribe request and accepts → anna sees bob's presence
    const got = waitForStanza(bob, (s) => s.is('presence') && s.attrs.type === 'subscribe', 10_000, 'bob: subscribe');
    await anna.contacts!.add('bob@localhost', 'Bob B');
    await got;
    await bob.send(xml('presence', { to: 'anna@localhost', type: 'subscribed' }));
    await annaRec.waitFor((e) => e.type === 'contact' && e.contact.address === 'bob@localhost' && e.contact.subscription === 'to');
    await bob.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('status', {}, 'in a meeting <b>')));
    const pres = await annaRec.waitFor((e) => e.type === 'presence' && e.userId === 'bob@localhost' && e.state === 'dnd');
    expect(pres.type === 'presence' && pres.statusText).toBe('in a meeting <b>');
    const list = await anna.contacts!.list();
    expect(list.find((c) => c.address === 'bob@localhost')).toMatchObject({ name: 'Bob B', subscription: 'to' });

    // carl asks anna → subscription.request; anna accepts → carl receives subscribed
    const carl = await rawPeer(server, 'carl', 'carlpw');
    await carl.send(xml('presence')); // subscription answers go to available resources only
    try {
      const subscribed = waitForStanza(
        carl,
        // approval shows as 'subscribed' or directly as anna's presence (Prosody sends the latter)
        (s) => s.is('presence') && (s.attrs.type === 'subscribed' || String(s.attrs.from).startsWith('anna@localhost/')),
        10_000,
        'carl: subscribed',
      );
      await carl.send(xml('presence', { to: 'anna@localhost', type: 'subscribe' }));
      await annaRec.waitFor((e) => e.type === 'subscription.request' && e.address === 'carl@localhost');
      await anna.contacts!.respond('carl@localhost', true);
      await subscribed;
    } finally {
      await stopPeer(carl);
    }
    // own presence mapping (C.4): away → <show>away</show>
    const seen = waitForStanza(bob, (s) => s.is('presence') && String(s.attrs.from).startsWith('anna@localhost/samverka') && s.getChildText('show') === 'away', 10_000, 'bob: away');
    await bob.send(xml('presence', { to: 'anna@localhost', type: 'subscribe' }));
    await annaRec.waitFor((e) => e.type === 'subscription.request' && e.address === 'bob@localhost');
    await anna.contacts!.respond('bob@localhost', true);
    await anna.presence!.set('away', 'lunch');
    await seen;
  });

  it('send: ack, origin-id = clientTxnId, peer receives once, carbon copy on own other device', async () => {
    const toBob = waitForStanza(bob, (s) => s.is('message') && s.getChildText('body') === 'hej bob');
    const carbon = waitForStanza(annaPhone, (s) => s.is('message') && s.getChild('sent', 'urn:xmpp:carbons:2') !== undefined);
    const t0 = performance.now();
    const ack = await anna.send('bob@localhost', { clientTxnId: 'txn-1', text: 'hej bob' });
    console.log(`[timing] xmpp send → server ack (XEP-0198): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(ack.messageId).toBe('txn-1');
    const m = await toBob;
    expect(m.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('txn-1');
    expect(m.attrs.id).toBe('txn-1');
    await carbon;
  });

  it('receive live, as carbon, and from MAM with the same id', async () => {
    // bob → anna, with origin-id
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'b1' }, xml('body', {}, 'hi anna'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'b1-origin' })));
    const live = (await annaRec.waitFor(isMsg('hi anna'))).message;
    expect(live).toMatchObject({ id: 'b1-origin', conversationId: 'bob@localhost', senderId: 'bob@localhost', own: false, text: 'hi anna' });
    expect(live.refs.stanzaId).toBeTruthy();

    // without origin-id: id = bare/@id
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'b2' }, xml('body', {}, 'no origin')));
    const live2 = (await annaRec.waitFor(isMsg('no origin'))).message;
    expect(live2.id).toBe('bob@localhost/b2');

    // anna's phone sends → adapter gets a sent carbon → own message in the bob conversation
    await annaPhone.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'p1' }, xml('body', {}, 'from phone'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'p1' })));
    const carbon = (await annaRec.waitFor(isMsg('from phone'))).message;
    expect(carbon).toMatchObject({ id: 'p1', conversationId: 'bob@localhost', own: true, senderId: 'anna@localhost', clientTxnId: 'p1' });

    // the archive returns the same ids
    const t0 = performance.now();
    const page = await anna.getHistory('bob@localhost', { limit: 20 });
    console.log(`[timing] xmpp MAM page (20): ${(performance.now() - t0).toFixed(0)} ms`);
    const byText = new Map(page.messages.map((m: MessageInfo) => [m.text, m]));
    expect(byText.get('hi anna')?.id).toBe('b1-origin');
    expect(byText.get('no origin')?.id).toBe('bob@localhost/b2');
    expect(byText.get('from phone')).toMatchObject({ id: 'p1', own: true });
    expect(byText.get('hej bob')).toMatchObject({ id: 'txn-1', own: true, clientTxnId: 'txn-1' });
    expect(page.messages.every((m) => m.fromHistory === true)).toBe(true);
    const ts = page.messages.map((m) => m.ts);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    // a live message is emitted once even though carbons/offline/MAM overlap
    expect(annaRec.events.filter(isMsg('hi anna'))).toHaveLength(1);
  });

  it('edits, retractions, reactions both ways', async () => {
    await anna.send('bob@localhost', { clientTxnId: 'txn-edit', text: 'speling' });
    const edited = waitForStanza(bob, (s) => s.is('message') && s.getChild('replace', 'urn:xmpp:message-correct:0')?.attrs.id === 'txn-edit');
    await anna.edits!.edit('bob@localhost', { id: 'txn-edit', refs: { originId: 'txn-edit', elementId: 'txn-edit' } }, 'spelling', 'txn-edit-2');
    expect((await edited).getChildText('body')).toBe('spelling');

    const reacted = waitForStanza(bob, (s) => s.is('message') && s.getChild('reactions', 'urn:xmpp:reactions:0') !== undefined);
    await anna.reactions!.set('bob@localhost', { id: 'txn-edit', refs: { originId: 'txn-edit' } }, ['👍', '🎉', '👍']);
    const r = (await reacted).getChild('reactions', 'urn:xmpp:reactions:0')!;
    expect(r.attrs.id).toBe('txn-edit');
    expect(r.getChildren('reaction').map((x) => x.text())).toEqual(['👍', '🎉']);

    const retracted = waitForStanza(bob, (s) => s.is('message') && s.getChild('retract', 'urn:xmpp:message-retract:1') !== undefined);
    await anna.deletes!.delete('bob@localhost', { id: 'txn-edit', refs: { originId: 'txn-edit' } });
    expect((await retracted).getChild('retract', 'urn:xmpp:message-retract:1')!.attrs.id).toBe('txn-edit');

    // incoming: bob edits, reacts to and retracts his message b1-origin
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'b1e' }, xml('body', {}, 'hi anna!'), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'b1' }), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'b1e' })));
    const e = await annaRec.waitFor((x) => x.type === 'message.edited' && x.text === 'hi anna!');
    expect(e).toMatchObject({ targetId: 'b1-origin', senderId: 'bob@localhost', conversationId: 'bob@localhost' });
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'b1r' }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'txn-1' }, xml('reaction', {}, '❤️'))));
    const re = await annaRec.waitFor((x) => x.type === 'reactions' && x.targetId === 'txn-1');
    expect(re.type === 'reactions' && re.keys).toEqual(['❤️']);
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'b1d' }, xml('retract', { xmlns: 'urn:xmpp:message-retract:1', id: 'b1-origin' }), xml('body', {}, 'fallback')));
    await annaRec.waitFor((x) => x.type === 'message.deleted' && x.targetId === 'b1-origin' && x.senderId === 'bob@localhost');
    expect(annaRec.events.filter(isMsg('fallback'))).toHaveLength(0);
  });

  it('chat states, delivery receipts and displayed markers', async () => {
    const composing = waitForStanza(bob, (s) => s.is('message') && s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined);
    await anna.typing!.set('bob@localhost', true);
    await composing;
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await annaRec.waitFor((e) => e.type === 'typing' && e.senderId === 'bob@localhost' && e.typing);
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat' }, xml('paused', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await annaRec.waitFor((e) => e.type === 'typing' && e.senderId === 'bob@localhost' && !e.typing);

    // bob requests a receipt → anna (bob is a contact) answers automatically
    const receipt = waitForStanza(bob, (s) => s.is('message') && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'rq1');
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'rq1' }, xml('body', {}, 'receipt please'), xml('request', { xmlns: 'urn:xmpp:receipts' }), xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' })));
    const msg = (await annaRec.waitFor(isMsg('receipt please'))).message;
    await receipt;
    const displayed = waitForStanza(bob, (s) => s.is('message') && s.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id === 'rq1');
    await anna.receipts!.markDisplayed('bob@localhost', { id: msg.id, refs: msg.refs, senderId: msg.senderId });
    await displayed;

    // bob's receipt and marker for anna's message
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'txn-1' })));
    await annaRec.waitFor((e) => e.type === 'receipt' && e.kind === 'received' && e.targetId === 'txn-1');
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat' }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'txn-1' })));
    await annaRec.waitFor((e) => e.type === 'receipt' && e.kind === 'displayed' && e.targetId === 'txn-1');
  });

  it('malformed stanzas, a 1 MB body and HTML do not break the adapter', async () => {
    const before = annaRec.events.filter((e) => e.type === 'malformed').length;
    // forged carbon from bob (must be dropped and reported)
    await bob.send(
      xml('message', { to: 'anna@localhost', type: 'chat' },
        xml('sent', { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, xml('message', { from: 'anna@localhost/x', to: 'bob@localhost', type: 'chat', id: 'forged' }, xml('body', {}, 'forged'))))),
    );
    // odd shapes and unknown namespaces
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'w1' }, xml('body', {}, xml('b', {}, 'nested')), xml('x', { xmlns: 'urn:example:unknown' }, 'junk')));
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat' }, xml('reactions', { xmlns: 'urn:xmpp:reactions:0' }, xml('reaction', {}, '👍'))));
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'w2' }, xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'javascript:alert(1)')), xml('body', {}, 'oob js')));
    const html = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'h1' }, xml('body', {}, html)));
    const big = 'x'.repeat(1024 * 1024);
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'big1' }, xml('body', {}, big)));
    await bob.send(xml('message', { to: 'anna@localhost', type: 'chat', id: 'after' }, xml('body', {}, 'still alive')));

    await annaRec.waitFor(isMsg('still alive'));
    expect((await annaRec.waitFor(isMsg(html))).message.text).toBe(html); // plain text, untouched
    expect((await annaRec.waitFor(isMsg(big))).message.text.length).toBe(1024 * 1024);
    expect(annaRec.events.filter(isMsg('forged'))).toHaveLength(0);
    const js = (await annaRec.waitFor(isMsg('oob js'))).message;
    expect(js.attachments ?? []).toHaveLength(0);
    expect(annaRec.events.filter((e) => e.type === 'malformed').length).toBeGreaterThanOrEqual(before + 2);
    await sleep(50);
    // and the adapter still sends
    await anna.send('bob@localhost', { clientTxnId: 'txn-after', text: 'ok' });
  });
});
