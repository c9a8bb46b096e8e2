// Which people may be the same human, from reliable signals only. Pure: the people service
// feeds it what the store knows; adapters that learn e-mail addresses feed `emails` later.
//
// Signals (case-insensitive, always between addresses of DIFFERENT accounts):
// - 'same-email': both addresses carry the same e-mail address;
// - 'same-user-same-domain': the same user part on the same organisation domain, across
//   protocols: XMPP anna@agency.se ~ Matrix @anna:agency.se ~ Mattermost anna@chat.agency.se
//   (see sameOrganisation). Never across different domains.
// Two people are never suggested when both have an address on the same account (one server
// does not give one human two user names we could tell apart), nor when the user already said
// they are different (a dismissed suggestion or a split, stored as address pairs).
import { createHash } from 'node:crypto';
import type { ProtocolId } from '../../../common/ids';
import type { PersonSuggestionReason } from '../../../common/model';
import { addressKey, parseAddress, registrableDomain, sameOrganisation } from './addresses';

export interface SuggestionAddress {
  readonly accountId: string;
  readonly protocol: ProtocolId;
  readonly address: string;
  /** E-mail addresses the account's server reported for this user, when it does. */
  readonly emails?: readonly string[];
}

export interface SuggestionPerson {
  readonly id: string;
  readonly addresses: readonly SuggestionAddress[];
}

export interface Suggestion {
  readonly id: string;
  readonly personIds: readonly string[];
  readonly reason: PersonSuggestionReason;
  /** The address pairs (addressKey, a < b) behind it: what dismissing it records. */
  readonly pairs: readonly (readonly [string, string])[];
}

interface Entry {
  readonly personId: string;
  readonly key: string;
  readonly accountId: string;
}

interface Edge {
  readonly a: string;
  readonly b: string;
  reason: PersonSuggestionReason;
  readonly pairs: [string, string][];
}

const ordered = (x: string, y: string): [string, string] => (x < y ? [x, y] : [y, x]);

export function dismissalKey(a: string, b: string): string {
  const [x, y] = ordered(a, b);
  return `${x}\t${y}`;
}

export function suggestMerges(people: readonly SuggestionPerson[], dismissed: ReadonlySet<string>): Suggestion[] {
  const accountsOf = new Map<string, Set<string>>();
  const keysOf = new Map<string, string[]>();
  const byEmail = new Map<string, Entry[]>();
  const byUser = new Map<string, (Entry & { domain: string })[]>();
  for (const p of people) {
    accountsOf.set(p.id, new Set(p.addresses.map((a) => a.accountId)));
    keysOf.set(p.id, p.addresses.map((a) => addressKey(a.accountId, a.address)));
    for (const a of p.addresses) {
      const entry = { personId: p.id, key: addressKey(a.accountId, a.address), accountId: a.accountId };
      for (const e of new Set((a.emails ?? []).map((m) => m.trim().toLowerCase()).filter((m) => /^[^@\s]+@[^@\s]+$/u.test(m)))) {
        push(byEmail, e, entry);
      }
      const parsed = parseAddress(a.protocol, a.address);
      // Bucket by user and registrable domain: every same-organisation pair shares the bucket.
      if (parsed) push(byUser, `${parsed.user}@${registrableDomain(parsed.domain)}`, { ...entry, domain: parsed.domain });
    }
  }

  // Said to be different: any dismissed pair between the two people.
  const distinct = (p: string, q: string): boolean => {
    for (const x of keysOf.get(p) ?? []) for (const y of keysOf.get(q) ?? []) if (dismissed.has(dismissalKey(x, y))) return true;
    return false;
  };
  const shareAccount = (p: string, q: string): boolean => {
    const qa = accountsOf.get(q)!;
    for (const a of accountsOf.get(p)!) if (qa.has(a)) return true;
    return false;
  };
  const compatible = (p: string, q: string): boolean => p !== q && !shareAccount(p, q) && !distinct(p, q);

  const edges = new Map<string, Edge>();
  const addEdge = (x: Entry, y: Entry, reason: PersonSuggestionReason): void => {
    if (x.accountId === y.accountId || !compatible(x.personId, y.personId)) return;
    const [a, b] = ordered(x.personId, y.personId);
    const id = `${a}\t${b}`;
    const pair = ordered(x.key, y.key);
    const edge = edges.get(id);
    if (!edge) {
      edges.set(id, { a, b, reason, pairs: [pair] });
      return;
    }
    if (!edge.pairs.some((p) => p[0] === pair[0] && p[1] === pair[1])) edge.pairs.push(pair);
    if (reason === 'same-email') edge.reason = reason;
  };
  for (const list of byEmail.values()) forPairs(list, (x, y) => addEdge(x, y, 'same-email'));
  for (const list of byUser.values()) forPairs(list, (x, y) => sameOrganisation(x.domain, y.domain) && addEdge(x, y, 'same-user-same-domain'));

  // Group connected people into one suggestion when every two of them may be merged; otherwise
  // (someone in the group was said to be different) offer the pairs one by one.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const e of edges.values()) {
    const ra = find(e.a);
    const rb = find(e.b);
    if (ra !== rb) parent.set(ra, rb);
  }
  const groups = new Map<string, Edge[]>();
  for (const e of edges.values()) push(groups, find(e.a), e);
  const out: Suggestion[] = [];
  for (const group of groups.values()) {
    const ids = [...new Set(group.flatMap((e) => [e.a, e.b]))].sort(byNumericId);
    const clique = ids.every((p, i) => ids.slice(i + 1).every((q) => compatible(p, q)));
    const parts = clique ? [group] : group.map((e) => [e]);
    for (const part of parts) {
      const personIds = [...new Set(part.flatMap((e) => [e.a, e.b]))].sort(byNumericId);
      const pairs = part.flatMap((e) => e.pairs).sort((x, y) => (x.join('\t') < y.join('\t') ? -1 : 1));
      const reason: PersonSuggestionReason = part.some((e) => e.reason === 'same-email') ? 'same-email' : 'same-user-same-domain';
      out.push({ id: suggestionId(pairs), personIds, reason, pairs });
    }
  }
  return out.sort((x, y) => byNumericId(x.personIds[0]!, y.personIds[0]!));
}

/** Stable while the same evidence stands; changes when new evidence joins (then it is new). */
function suggestionId(pairs: readonly (readonly [string, string])[]): string {
  return `s-${createHash('sha256').update(pairs.map((p) => p.join('\t')).join('\n')).digest('hex').slice(0, 16)}`;
}

/** Person ids are `p<number>`: sort by the number so the oldest person comes first. */
function byNumericId(a: string, b: string): number {
  const na = Number(a.replace(/^\D+/u, ''));
  const nb = Number(b.replace(/^\D+/u, ''));
  return na !== nb && Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function forPairs<T>(list: readonly T[], fn: (x: T, y: T) => unknown): void {
  for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) fn(list[i]!, list[j]!);
}
