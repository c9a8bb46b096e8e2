// discover() (protocols/xmpp/disco.ts): disco#info/#items answers → Capabilities. Answers follow
// XEP-0030 §3.1/§4.1, XEP-0363 §2 (upload service with max-file-size in a XEP-0128 form) and
// XEP-0045 §6.2 (conference identity).
import { describe, it, expect } from 'vitest';
import type { Element } from '@xmpp/xml';
import { discover } from '../../../../protocols/xmpp/disco';
import { parseXml } from './xml-fixtures';
import { fakeSession } from './fake-session';

const OWN = 'juliet@capulet.example';
const DOMAIN = 'capulet.example';

function infoResult(from: string, inner: string): Element {
  return parseXml(`<iq xmlns="jabber:client" type="result" from="${from}" id="x"><query xmlns="http://jabber.org/protocol/disco#info">${inner}</query></iq>`);
}

// XEP-0363 §2 Example 2: upload component with max-file-size in its extended disco info.
const UPLOAD_INFO = `
  <identity category="store" type="file" name="HTTP File Upload"/>
  <feature var="urn:xmpp:http:upload:0"/>
  <x type="result" xmlns="jabber:x:data">
    <field var="FORM_TYPE" type="hidden"><value>urn:xmpp:http:upload:0</value></field>
    <field var="max-file-size"><value>5242880</value></field>
  </x>`;
// XEP-0045 §6.2 Example 2 (trimmed): a MUC service.
const MUC_INFO = `
  <identity category="conference" name="Shakespearean Chat Service" type="text"/>
  <feature var="http://jabber.org/protocol/muc"/>`;

interface World {
  account?: string | null;
  server?: string | null;
  items?: string[];
  components?: Record<string, string | null>;
}

function world(w: World) {
  return fakeSession((req) => {
    const to = req.attrs.to as string | undefined;
    const q = req.getChild('query');
    const ns = q?.attrs.xmlns as string;
    if (ns === 'http://jabber.org/protocol/disco#items') {
      const items = (w.items ?? []).map((j) => `<item jid="${j}"/>`).join('');
      return parseXml(`<iq xmlns="jabber:client" type="result" from="${to}" id="x"><query xmlns="http://jabber.org/protocol/disco#items">${items}</query></iq>`);
    }
    const body = to === OWN ? w.account : to === DOMAIN ? w.server : w.components?.[to ?? ''];
    if (body === null || body === undefined) throw Object.assign(new Error('service-unavailable'), { name: 'StanzaError', condition: 'service-unavailable' });
    return infoResult(to ?? DOMAIN, body);
  });
}

describe('discover', () => {
  it('maps a full-featured server: MAM on the account, carbons, upload with max size, MUC', async () => {
    const s = world({
      // XEP-0313 §6.1 account features; XEP-0280 §4 carbons on the server.
      account: '<identity category="account" type="registered"/><feature var="urn:xmpp:mam:2"/><feature var="urn:xmpp:bookmarks:1#compat"/>',
      server: '<identity category="server" type="im"/><feature var="urn:xmpp:carbons:2"/><feature var="urn:xmpp:ping"/>',
      items: ['upload.capulet.example', 'conference.capulet.example'],
      components: { 'upload.capulet.example': UPLOAD_INFO, 'conference.capulet.example': MUC_INFO },
    });
    const d = await discover(s, OWN, DOMAIN, true);
    expect(d.capabilities).toEqual({
      edit: true, delete: true, reactions: true, replies: true, typing: true, receipts: true,
      upload: true, maxUploadBytes: 5242880, history: true, createRoom: true, presence: true, contacts: true,
      carbons: true, streamManagement: true, meetingDomain: null,
    });
    expect(d.uploadService).toBe('upload.capulet.example');
    expect(d.mucService).toBe('conference.capulet.example');
    expect(d.bookmarks2).toBe(true);
  });

  it('a bare server: no upload, no history, no rooms, no carbons, no SM', async () => {
    const d = await discover(world({ account: '', server: '<identity category="server" type="im"/>' }), OWN, DOMAIN, false);
    expect(d.capabilities).toMatchObject({ upload: false, maxUploadBytes: null, history: false, createRoom: false, carbons: false, streamManagement: false });
    expect(d.uploadService).toBeNull();
    expect(d.mucService).toBeNull();
    expect(d.bookmarks2).toBe(false);
  });

  it('MAM advertised only on the server domain does not enable history (XEP-0313 §6.1 is per account)', async () => {
    const d = await discover(world({ account: '', server: '<feature var="urn:xmpp:mam:2"/>' }), OWN, DOMAIN, false);
    expect(d.capabilities.history).toBe(false);
  });

  it('carbons on the account alone are enough', async () => {
    const d = await discover(world({ account: '<feature var="urn:xmpp:carbons:2"/>', server: '' }), OWN, DOMAIN, false);
    expect(d.capabilities.carbons).toBe(true);
  });

  it('upload without a max-file-size field: upload on, size unknown (XEP-0363 §2 "no limit advertised")', async () => {
    const d = await discover(world({ account: '', server: '', items: ['up.capulet.example'], components: { 'up.capulet.example': '<feature var="urn:xmpp:http:upload:0"/>' } }), OWN, DOMAIN, false);
    expect(d.capabilities.upload).toBe(true);
    expect(d.capabilities.maxUploadBytes).toBeNull();
  });

  it.each(['-5', '0', 'lots', ''])('a nonsense max-file-size %p becomes null', async (v) => {
    const comp = `<feature var="urn:xmpp:http:upload:0"/><x type="result" xmlns="jabber:x:data"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:http:upload:0</value></field><field var="max-file-size"><value>${v}</value></field></x>`;
    const d = await discover(world({ account: '', server: '', items: ['up.capulet.example'], components: { 'up.capulet.example': comp } }), OWN, DOMAIN, false);
    expect(d.capabilities.maxUploadBytes).toBeNull();
  });

  it('reads max-file-size only from the form whose FORM_TYPE is the upload namespace', async () => {
    const comp = `<feature var="urn:xmpp:http:upload:0"/>
      <x type="result" xmlns="jabber:x:data"><field var="FORM_TYPE" type="hidden"><value>urn:example:other</value></field><field var="max-file-size"><value>1</value></field></x>
      <x type="result" xmlns="jabber:x:data"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:http:upload:0</value></field><field var="max-file-size"><value>1048576</value></field></x>`;
    const d = await discover(world({ account: '', server: '', items: ['up.capulet.example'], components: { 'up.capulet.example': comp } }), OWN, DOMAIN, false);
    expect(d.capabilities.maxUploadBytes).toBe(1048576);
  });

  it('a component that only has the MUC feature but no conference/text identity is not a MUC service', async () => {
    const d = await discover(world({ account: '', server: '', items: ['pubsub.capulet.example'], components: { 'pubsub.capulet.example': '<identity category="pubsub" type="service"/><feature var="http://jabber.org/protocol/muc"/>' } }), OWN, DOMAIN, false);
    expect(d.capabilities.createRoom).toBe(false);
  });

  it('survives failing disco requests (error answers count as "nothing advertised")', async () => {
    const d = await discover(world({ account: null, server: null, items: ['broken.capulet.example'], components: { 'broken.capulet.example': null } }), OWN, DOMAIN, true);
    expect(d.capabilities).toMatchObject({ history: false, carbons: false, upload: false, createRoom: false, streamManagement: true });
  });

  it('recognises bookmarks2 via #compat-pep too (XEP-0402 §3)', async () => {
    const d = await discover(world({ account: '<feature var="urn:xmpp:bookmarks:1#compat-pep"/>', server: '' }), OWN, DOMAIN, false);
    expect(d.bookmarks2).toBe(true);
  });

  it('ignores invalid item JIDs and queries at most 50 components', async () => {
    const items = ['bad@', ...Array.from({ length: 70 }, (_, i) => `c${i}.capulet.example`)];
    const s = world({ account: '', server: '', items, components: {} });
    await discover(s, OWN, DOMAIN, false);
    const infoTargets = s.requests.filter((r) => r.getChild('query')?.attrs.xmlns === 'http://jabber.org/protocol/disco#info').map((r) => r.attrs.to as string);
    expect(infoTargets.filter((t) => /^c\d+\./.test(t))).toHaveLength(50);
    expect(infoTargets).not.toContain('bad@');
  });
});
