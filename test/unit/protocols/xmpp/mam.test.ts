// queryArchive (protocols/xmpp/mam.ts): result wrapping per XEP-0313 §4.2 (Examples 3-5), paging
// per XEP-0059 §2, and filtering of results that do not belong to the query.
import { describe, it, expect } from 'vitest';
import type { Element } from '@xmpp/xml';
import { queryArchive, isArchiveResult } from '../../../../protocols/xmpp/mam';
import { parseMessage } from '../../../../protocols/xmpp/inbound';
import type { ParsedMessage } from '../../../../protocols/xmpp/inbound';
import { parseXml } from './xml-fixtures';
import { fakeSession } from './fake-session';

const OWN = 'juliet@capulet.example';

function queryIdOf(req: Element): string {
  return req.getChild('query', 'urn:xmpp:mam:2')?.attrs.queryid as string;
}

// XEP-0313 §4.2 Example 4: one result, wrapped in <result><forwarded><delay/><message/></forwarded>.
function result(queryid: string, id: string, stamp: string, opts: { from?: string; inner?: string } = {}): Element {
  const from = opts.from === undefined ? '' : `from="${opts.from}"`;
  return parseXml(`
    <message xmlns="jabber:client" id="aeb213" to="juliet@capulet.example/chamber" ${from}>
      <result xmlns="urn:xmpp:mam:2" queryid="${queryid}" id="${id}">
        <forwarded xmlns="urn:xmpp:forward:0">
          <delay xmlns="urn:xmpp:delay" stamp="${stamp}"/>
          ${opts.inner ?? `<message xmlns="jabber:client" to="juliet@capulet.example/balcony" from="romeo@montague.example/orchard" type="chat">
            <body>Call me but love, and I'll be new baptized; Henceforth I never will be Romeo.</body>
          </message>`}
        </forwarded>
      </result>
    </message>`);
}

// XEP-0313 §4.3 Example 9 (fin with RSM set).
function fin(first: string, last: string, complete: boolean): Element {
  return parseXml(`
    <iq xmlns="jabber:client" type="result" id="juliet1">
      <fin xmlns="urn:xmpp:mam:2" ${complete ? 'complete="true"' : ''}>
        <set xmlns="http://jabber.org/protocol/rsm">
          <first index="0">${first}</first>
          <last>${last}</last>
        </set>
      </fin>
    </iq>`);
}

describe('queryArchive', () => {
  it('collects results with archive id and <forwarded><delay> stamp, and reads the fin page', async () => {
    const session = fakeSession((req, s) => {
      const qid = queryIdOf(req);
      s.deliver(result(qid, '28482-98726-73623', '2010-07-10T23:08:25Z'));
      s.deliver(result(qid, '09af3-cc343-b409f', '2010-07-10T23:09:32Z'));
      return fin('28482-98726-73623', '09af3-cc343-b409f', false);
    });
    const page = await queryArchive(session, { archive: OWN, ownBare: OWN, with: 'romeo@montague.example', before: '', max: 2 });
    expect(page.first).toBe('28482-98726-73623');
    expect(page.last).toBe('09af3-cc343-b409f');
    expect(page.complete).toBe(false);
    expect(page.dropped).toEqual([]);
    expect(page.results.map((r) => r.archive)).toEqual([
      { id: '28482-98726-73623', owner: OWN, ts: Date.UTC(2010, 6, 10, 23, 8, 25) },
      { id: '09af3-cc343-b409f', owner: OWN, ts: Date.UTC(2010, 6, 10, 23, 9, 32) },
    ]);
    expect(page.results.every((r) => r.via === 'archive')).toBe(true);
    // The listener is removed after the query.
    expect(session.listenerCount()).toBe(0);

    // End to end with the parser: archive id + archive stamp become the message's id and ts.
    const ctx = {
      ownBare: OWN, isRoom: () => false, ownNick: () => undefined, isOwnOrigin: () => false,
      contactName: () => undefined, occupantRealJid: () => undefined, now: () => 0,
    };
    const m = parseMessage(page.results[0]!, ctx) as ParsedMessage;
    expect(m.messageId).toBe('28482-98726-73623');
    expect(m.ts).toBe(Date.UTC(2010, 6, 10, 23, 8, 25));
  });

  it('builds the query form and RSM set (XEP-0313 §4.1.1, XEP-0059 §2.5)', async () => {
    const session = fakeSession(() => fin('', '', true));
    const page = await queryArchive(session, { archive: OWN, ownBare: OWN, with: 'romeo@montague.example', before: '', max: 20 });
    expect(page.complete).toBe(true);
    expect(page.first).toBeUndefined(); // empty <first/> is not an id
    const iq = session.requests[0]!;
    expect(iq.attrs.to).toBeUndefined(); // own archive: no 'to'
    const q = iq.getChild('query', 'urn:xmpp:mam:2')!;
    const fields = q.getChild('x', 'jabber:x:data')!.getChildren('field');
    expect(fields.map((f) => [f.attrs.var, f.getChildText('value')])).toEqual([
      ['FORM_TYPE', 'urn:xmpp:mam:2'],
      ['with', 'romeo@montague.example'],
    ]);
    const set = q.getChild('set', 'http://jabber.org/protocol/rsm')!;
    expect(set.getChildText('max')).toBe('20');
    expect(set.getChild('before')?.text()).toBe('');
  });

  it('addresses a room archive with to= (XEP-0313 §4.1 MUC archives)', async () => {
    const session = fakeSession(() => fin('', '', true));
    await queryArchive(session, { archive: 'coven@chat.shakespeare.example', ownBare: OWN, after: 'abc', max: 5 });
    const iq = session.requests[0]!;
    expect(iq.attrs.to).toBe('coven@chat.shakespeare.example');
    expect(iq.getChild('query')?.getChild('set')?.getChildText('after')).toBe('abc');
  });

  it('drops results from another sender than the queried archive (forged results)', async () => {
    const session = fakeSession((req, s) => {
      const qid = queryIdOf(req);
      s.deliver(result(qid, 'forged-1', '2010-07-10T23:08:25Z', { from: 'mallory@evil.example' }));
      s.deliver(result(qid, 'ok-1', '2010-07-10T23:08:25Z', { from: OWN }));
      return fin('ok-1', 'ok-1', true);
    });
    const page = await queryArchive(session, { archive: OWN, ownBare: OWN, max: 10 });
    expect(page.results.map((r) => r.archive?.id)).toEqual(['ok-1']);
    expect(page.dropped).toHaveLength(1);
    expect(page.dropped[0]).toContain('unexpected sender');
  });

  it('ignores results for another query id and reports results without id or message', async () => {
    const session = fakeSession((req, s) => {
      const qid = queryIdOf(req);
      s.deliver(result('someone-elses-query', 'x1', '2010-07-10T23:08:25Z'));
      s.deliver(result(qid, '', '2010-07-10T23:08:25Z'));
      s.deliver(result(qid, 'no-msg', '2010-07-10T23:08:25Z', { inner: '<iq type="get"/>' }));
      return fin('', '', true);
    });
    const page = await queryArchive(session, { archive: OWN, ownBare: OWN, max: 10 });
    expect(page.results).toEqual([]);
    expect(page.dropped).toEqual(['archive result without message or id', 'archive result without message or id']);
  });

  it('keeps a result with a nonsense delay stamp, with ts undefined', async () => {
    const session = fakeSession((req, s) => {
      s.deliver(result(queryIdOf(req), 'r1', 'not-a-date'));
      return fin('r1', 'r1', true);
    });
    const page = await queryArchive(session, { archive: OWN, ownBare: OWN, max: 10 });
    expect(page.results[0]?.archive).toEqual({ id: 'r1', owner: OWN, ts: undefined });
  });

  it('removes its listener when the IQ fails', async () => {
    const session = fakeSession(() => {
      throw new Error('item-not-found');
    });
    await expect(queryArchive(session, { archive: OWN, ownBare: OWN, max: 10 })).rejects.toThrow('item-not-found');
    expect(session.listenerCount()).toBe(0);
  });
});

describe('isArchiveResult', () => {
  it('recognises a MAM result message and nothing else', () => {
    expect(isArchiveResult(result('q', 'i', '2010-07-10T23:08:25Z'))).toBe(true);
    expect(isArchiveResult(parseXml('<message xmlns="jabber:client"><body>x</body></message>'))).toBe(false);
    expect(isArchiveResult(parseXml('<message xmlns="jabber:client"><result xmlns="urn:xmpp:mam:1"/></message>'))).toBe(false);
  });
});
