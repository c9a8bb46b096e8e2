// Roster items (RFC 6121 §2) and presence → PresenceState per shared/docs/protocols.md C.3/C.4.
import { describe, it, expect } from 'vitest';
import xml from '@xmpp/xml';
import { rosterItemToContact, presenceOf, aggregate, ownPresence, rosterSet } from '../../../../protocols/xmpp/roster';
import type { ResourcePresence } from '../../../../protocols/xmpp/roster';
import { AppError } from '../../../../common/errors';
import { parseXml } from './xml-fixtures';

describe('presenceOf (C.3 XMPP column)', () => {
  it('no <show/> is available (RFC 6121 §4.7.2.1; C.3 "no <show>")', () => {
    // RFC 6121 §4.2.2 Example: initial presence with no show.
    const p = presenceOf(parseXml(`<presence xmlns="jabber:client" from="romeo@example.net/orchard"/>`));
    expect(p).toEqual({ state: 'available', priority: 0, status: '' });
  });

  it.each([
    ['chat', 'available'],
    ['away', 'away'],
    ['xa', 'xa'],
    ['dnd', 'dnd'],
  ] as const)('<show>%s</show> maps to %s', (show, state) => {
    // RFC 6121 §4.7.2.1 show values; C.3 rows available/away/xa/dnd.
    const p = presenceOf(parseXml(`<presence xmlns="jabber:client" from="romeo@example.net/orchard"><show>${show}</show></presence>`));
    expect(p.state).toBe(state);
  });

  it('tolerates whitespace around the show value', () => {
    expect(presenceOf(parseXml(`<presence xmlns="jabber:client"><show>\n  dnd \n</show></presence>`)).state).toBe('dnd');
  });

  it('maps an unknown show value to available (RFC 6121 §4.7.2.1 says treat as normal availability)', () => {
    expect(presenceOf(xml('presence', {}, xml('show', {}, 'sleeping'))).state).toBe('available');
  });

  it('type="unavailable" is offline, whatever the show says (RFC 6121 §4.5.1 Example)', () => {
    const p = presenceOf(parseXml(`
      <presence xmlns="jabber:client" from="romeo@example.net/orchard" type="unavailable">
        <show>dnd</show>
        <status>gone home</status>
      </presence>`));
    expect(p).toEqual({ state: 'offline', priority: 0, status: 'gone home' });
  });

  it('reads status and priority (RFC 6121 §4.7.2.2, §4.7.2.3)', () => {
    const p = presenceOf(parseXml(`
      <presence xmlns="jabber:client" from="romeo@example.net/orchard" xml:lang="en">
        <show>away</show>
        <status>be right back</status>
        <priority>5</priority>
      </presence>`));
    expect(p).toEqual({ state: 'away', priority: 5, status: 'be right back' });
  });

  it.each([
    ['300', 127],
    ['-300', -128],
    ['-1', -1],
    ['abc', 0],
    ['', 0],
  ])('clamps or defaults priority %p to %p', (raw, prio) => {
    expect(presenceOf(xml('presence', {}, xml('priority', {}, raw))).priority).toBe(prio);
  });

  it('cuts very long status texts at 1000 chars', () => {
    expect(presenceOf(xml('presence', {}, xml('status', {}, 's'.repeat(5000)))).status).toHaveLength(1000);
  });
});

describe('aggregate (priority/resource aggregation)', () => {
  const r = (state: ResourcePresence['state'], priority: number, status = ''): ResourcePresence => ({ state, priority, status });

  it('is offline when there are no resources or all are unavailable (C.3 "all resources")', () => {
    expect(aggregate([])).toEqual({ state: 'offline', priority: 0, status: '' });
    expect(aggregate([r('offline', 5), r('offline', 0)]).state).toBe('offline');
  });

  it('takes the highest-priority online resource', () => {
    expect(aggregate([r('available', 0, 'phone'), r('dnd', 10, 'desk')])).toEqual(r('dnd', 10, 'desk'));
  });

  it('breaks priority ties by most available: available > dnd > away > xa', () => {
    expect(aggregate([r('xa', 1), r('away', 1), r('dnd', 1)]).state).toBe('dnd');
    expect(aggregate([r('away', 1), r('available', 1)]).state).toBe('available');
    expect(aggregate([r('xa', 1), r('away', 1)]).state).toBe('away');
  });

  it('an offline resource never wins even with a higher priority', () => {
    expect(aggregate([r('offline', 100), r('xa', -5)]).state).toBe('xa');
  });

  it('accepts any iterable (the adapter passes Map values)', () => {
    const m = new Map([['a', r('away', 0)], ['b', r('available', 0)]]);
    expect(aggregate(m.values()).state).toBe('available');
  });
});

describe('ownPresence (C.4)', () => {
  it('available is a bare <presence/>', () => {
    expect(ownPresence('available', '').toString()).toBe('<presence/>');
  });
  it.each(['away', 'xa', 'dnd'] as const)('%s sends <show>', (s) => {
    const el = ownPresence(s, 'busy');
    expect(el.getChildText('show')).toBe(s);
    expect(el.getChildText('status')).toBe('busy');
  });
  it('refuses offline (not offered on XMPP)', () => {
    expect(() => ownPresence('offline', '')).toThrow(AppError);
  });
});

describe('rosterItemToContact (RFC 6121 §2.1.2)', () => {
  const item = (attrs: string, inner = ''): ReturnType<typeof parseXml> =>
    parseXml(`<item xmlns="jabber:iq:roster" ${attrs}>${inner}</item>`);

  it('maps a roster push item (RFC 6121 §2.1.6 Example) with groups', () => {
    const c = rosterItemToContact(item('jid="Nurse@Example.com" name="Nurse" subscription="both"', '<group>Servants</group><group> </group><group>Capulets</group>'), new Set());
    expect(c).toEqual({ address: 'nurse@example.com', name: 'Nurse', subscription: 'both', groups: ['Servants', 'Capulets'] });
  });

  it('defaults the name to the local part and subscription to none', () => {
    expect(rosterItemToContact(item('jid="romeo@example.net"'), new Set())).toEqual({ address: 'romeo@example.net', name: 'romeo', subscription: 'none', groups: [] });
  });

  it('maps ask="subscribe" to pending-out (RFC 6121 §2.1.2.2)', () => {
    expect(rosterItemToContact(item('jid="romeo@example.net" subscription="none" ask="subscribe"'), new Set())).toMatchObject({ subscription: 'pending-out' });
  });

  it('maps a pending inbound request to pending-in', () => {
    expect(rosterItemToContact(item('jid="romeo@example.net" subscription="none"'), new Set(['romeo@example.net']))).toMatchObject({ subscription: 'pending-in' });
  });

  it.each(['to', 'from', 'both'])('keeps subscription="%s"', (sub) => {
    expect(rosterItemToContact(item(`jid="romeo@example.net" subscription="${sub}"`), new Set())).toMatchObject({ subscription: sub });
  });

  it('returns "remove" for subscription="remove" (RFC 6121 §2.5.2)', () => {
    expect(rosterItemToContact(item('jid="romeo@example.net" subscription="remove"'), new Set())).toBe('remove');
  });

  it('ignores items with an invalid or full JID', () => {
    expect(rosterItemToContact(item('jid="romeo@"'), new Set())).toBeNull();
    expect(rosterItemToContact(item('jid="romeo@example.net/orchard"'), new Set())).toBeNull();
    expect(rosterItemToContact(item(''), new Set())).toBeNull();
  });

  it('caps name length and group count', () => {
    const groups = Array.from({ length: 60 }, (_, i) => `<group>g${i}</group>`).join('');
    const c = rosterItemToContact(item(`jid="a@b.example" name="${'n'.repeat(300)}"`, groups), new Set());
    expect(c !== null && c !== 'remove' && c.name.length).toBe(200);
    expect(c !== null && c !== 'remove' && c.groups.length).toBe(50);
  });

  it('rosterSet builds a removal item (RFC 6121 §2.5.2 Example)', () => {
    expect(rosterSet('nurse@example.com', { remove: true }).toString()).toBe(
      '<iq type="set"><query xmlns="jabber:iq:roster"><item jid="nurse@example.com" subscription="remove"/></query></iq>',
    );
  });
});
