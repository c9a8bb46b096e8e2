// XEP-0313 Message Archive Management with XEP-0059 result set paging. One query = one page; the
// results arrive as <message><result/></message> stanzas before the IQ result that carries <fin/>.
import { xml } from './sdk';
import type { Element, XmppSession } from './sdk';
import { NS } from './ns';
import { attr, child, childText, cleanId, parseStamp } from './stanza';
import { parseJid } from './jid';
import type { Envelope } from './inbound';

export interface MamQuery {
  /** Archive to query: a room JID, or our own bare JID for the personal archive. */
  readonly archive: string;
  readonly ownBare: string;
  /** Only messages with this peer (personal archive). */
  readonly with?: string;
  /** Page backwards from this archive id; '' = the newest page. */
  readonly before?: string;
  /** Page forwards from this archive id. */
  readonly after?: string;
  readonly max: number;
}

export interface MamPage {
  readonly results: readonly Envelope[];
  readonly first: string | undefined;
  readonly last: string | undefined;
  readonly complete: boolean;
  /** Results that could not be understood, for `malformed` events. */
  readonly dropped: readonly string[];
}

let counter = 0;

function field(name: string, value: string): Element {
  return xml('field', { var: name }, xml('value', {}, value));
}

export async function queryArchive(session: XmppSession, q: MamQuery, timeoutMs = 30_000): Promise<MamPage> {
  const queryid = `q${Date.now().toString(36)}${(counter++).toString(36)}`;
  const results: Envelope[] = [];
  const dropped: string[] = [];
  const ownArchive = q.archive === q.ownBare;

  const onStanza = (stanza: Element): void => {
    if (!stanza.is('message')) return;
    const result = child(stanza, 'result', NS.mam);
    if (!result || attr(result, 'queryid') !== queryid) return;
    // Results must come from the archive we asked (absent from = our own account).
    const from = parseJid(attr(stanza, 'from') ?? q.ownBare)?.bare;
    if (from !== q.archive) {
      dropped.push(`archive result from unexpected sender ${String(from)}`);
      return;
    }
    const forwarded = child(result, 'forwarded', NS.forward);
    const inner = child(forwarded, 'message');
    const id = cleanId(attr(result, 'id'));
    if (!inner || !id) {
      dropped.push('archive result without message or id');
      return;
    }
    const ts = parseStamp(attr(child(forwarded, 'delay', NS.delay), 'stamp'));
    results.push({ message: inner, via: 'archive', archive: { id, owner: q.archive, ts } });
  };

  const form = xml(
    'x',
    { xmlns: NS.dataForm, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.mam)),
    ...(q.with ? [field('with', q.with)] : []),
  );
  const set = xml(
    'set',
    { xmlns: NS.rsm },
    xml('max', {}, String(q.max)),
    ...(q.after !== undefined ? [xml('after', {}, q.after)] : []),
    ...(q.before !== undefined ? [xml('before', {}, q.before)] : []),
  );
  const iq = xml('iq', { type: 'set', ...(ownArchive ? {} : { to: q.archive }) }, xml('query', { xmlns: NS.mam, queryid }, form, set));

  const entity = session.entity;
  entity.on('stanza', onStanza as (...args: never[]) => void);
  try {
    const res = await session.iqCaller.request(iq, timeoutMs);
    const fin = child(res, 'fin', NS.mam);
    const rsm = child(fin, 'set', NS.rsm);
    return {
      results,
      first: cleanId(childText(rsm, 'first')),
      last: cleanId(childText(rsm, 'last')),
      complete: attr(fin, 'complete') === 'true',
      dropped,
    };
  } finally {
    entity.removeListener('stanza', onStanza as (...args: never[]) => void);
  }
}

/** True for stanzas that are archive results (handled by the query that asked for them). */
export function isArchiveResult(stanza: Element): boolean {
  return child(stanza, 'result', NS.mam) !== undefined;
}
