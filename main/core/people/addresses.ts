// What an address says about its owner: the user part and the organisation's domain. Used to tell
// internal from external people, to label a person's agency, and for merge suggestions. Pure.
import type { ProtocolId } from '../../../common/ids';

export interface ParsedAddress {
  /** Lower-cased user part: `anna` of anna@agency.se and of @anna:agency.se. */
  readonly user: string;
  /** Lower-cased domain without port: `agency.se`. */
  readonly domain: string;
}

/** A host name without port, brackets or trailing dot, lower-cased; '' when there is none. */
export function hostOf(server: string): string {
  let h = server.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : '';
  }
  h = h.replace(/:\d{1,5}$/u, '');
  return h.replace(/\.$/u, '');
}

/**
 * A user's address on this protocol, or null when the string is not one: Matrix `@user:server`;
 * XMPP `user@domain[/resource]`; Mattermost and Rocket.Chat `user@server`. Room ids (`!x:server`)
 * and server-internal ids (Mattermost channel ids) are not addresses of a person.
 */
export function parseAddress(protocol: ProtocolId, address: string): ParsedAddress | null {
  const a = address.trim();
  if (protocol === 'matrix') {
    const m = /^@([^:@\s]+):(\S+)$/u.exec(a);
    if (!m) return null;
    const domain = hostOf(m[2]!);
    return domain ? { user: m[1]!.toLowerCase(), domain } : null;
  }
  const bare = protocol === 'xmpp' ? a.split('/')[0]! : a;
  const at = bare.lastIndexOf('@');
  if (at <= 0) return null;
  const user = bare.slice(0, at).replace(/^@/u, '').toLowerCase();
  const domain = hostOf(bare.slice(at + 1));
  return user && domain && !/\s/u.test(user) ? { user, domain } : null;
}

/**
 * Public suffixes under which organisations register (a short list, not the whole Public Suffix
 * List). A missing entry can only make the heuristic below miss a match, never invent one,
 * because a match needs an address AT the registrable domain itself — nobody has an address at
 * a public suffix such as `org.se`.
 */
const SECOND_LEVEL_SUFFIXES = new Set([
  // Sweden (the .se second-level names of the Public Suffix List)
  'a.se', 'ac.se', 'b.se', 'bd.se', 'brand.se', 'c.se', 'd.se', 'e.se', 'f.se', 'fh.se', 'fhsk.se', 'fhv.se', 'g.se',
  'h.se', 'i.se', 'k.se', 'komforb.se', 'kommunalforbund.se', 'komvux.se', 'l.se', 'lanbib.se', 'm.se', 'n.se',
  'naturbruk.se', 'o.se', 'org.se', 'p.se', 'parti.se', 'pp.se', 'press.se', 'r.se', 's.se', 't.se', 'tm.se', 'u.se',
  'w.se', 'x.se', 'y.se', 'z.se',
  // common elsewhere
  'co.uk', 'org.uk', 'gov.uk', 'ac.uk', 'com.au', 'gov.au', 'co.nz', 'com.br', 'co.jp',
]);

/** The domain an organisation registered: `agency.se` for chat.agency.se. IPs and single labels stay. */
export function registrableDomain(domain: string): string {
  if (/^[\d.]+$/u.test(domain) || domain.includes(':')) return domain;
  const labels = domain.split('.');
  if (labels.length <= 2) return domain;
  const lastTwo = labels.slice(-2).join('.');
  return SECOND_LEVEL_SUFFIXES.has(lastTwo) ? labels.slice(-3).join('.') : lastTwo;
}

/**
 * Same organisation domain: equal, or one is the registrable domain of the other (a Mattermost
 * server chat.agency.se belongs to agency.se). Two different subdomains do not count: they may
 * be different user directories.
 */
export function sameOrganisation(a: string, b: string): boolean {
  return a === b || registrableDomain(a) === b || registrableDomain(b) === a;
}

/** Internal: the domain is one of `own` or a subdomain of one. */
export function isInternalDomain(domain: string, own: ReadonlySet<string>): boolean {
  if (domain === '') return false;
  for (const o of own) if (domain === o || domain.endsWith(`.${o}`)) return true;
  return false;
}

/** The key of an address in dismissals and suggestion ids. Account ids never contain a newline. */
export function addressKey(accountId: string, address: string): string {
  return `${accountId}\n${address}`;
}
