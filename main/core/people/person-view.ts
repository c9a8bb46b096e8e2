// Rows → PersonView: which addresses of a person are shown, their names, agency labels,
// internal/external, and the merged presence.
import { PROTOCOLS } from '../../../common/ids';
import { PRESENCE_STATES } from '../../../common/model';
import type { PersonAddressView, PersonView, PresenceState } from '../../../common/model';
import type { PersonAddressRow, PersonRow } from '../store/rows';
import { isInternalDomain, parseAddress } from './addresses';
import { mergePresence } from './presence';

export interface ViewContext {
  /** Domains of the user's own accounts (their addresses and servers). */
  readonly ownDomains: ReadonlySet<string>;
  /** Each account's own domain: the agency of an address that names no domain. */
  readonly accountDomain: ReadonlyMap<string, string>;
}

export const personIdOf = (n: number): string => `p${n}`;

/** The row number of a view id, or null when the id is not one of ours. */
export function personNumber(id: string): number | null {
  const m = /^p(\d{1,15})$/u.exec(id);
  return m ? Number(m[1]) : null;
}

/**
 * An address is shown while it is a contact (not a mere request) or the peer of a direct chat;
 * the row itself stays when it is neither, so a merge survives a contact list reload.
 */
export function isLive(r: PersonAddressRow): boolean {
  if (r.contact_name !== null && r.subscription !== 'pending-in') return true;
  return r.conversation_id !== null && parseAddress(r.protocol, r.address) !== null;
}

const presenceOf = (s: string | null): PresenceState =>
  s !== null && (PRESENCE_STATES as readonly string[]).includes(s) ? (s as PresenceState) : 'unknown';

/** Protocol order, then account, then address: the same order everywhere, on every restart. */
export function compareAddresses(a: PersonAddressRow, b: PersonAddressRow): number {
  const pa = PROTOCOLS.indexOf(a.protocol);
  const pb = PROTOCOLS.indexOf(b.protocol);
  if (pa !== pb) return pa - pb;
  if (a.account_id !== b.account_id) return a.account_id < b.account_id ? -1 : 1;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

export function addressView(r: PersonAddressRow, ctx: ViewContext): PersonAddressView {
  const agency = parseAddress(r.protocol, r.address)?.domain ?? ctx.accountDomain.get(r.account_id) ?? '';
  return {
    accountId: r.account_id,
    protocol: r.protocol,
    address: r.address,
    name: r.contact_name || r.conversation_title || r.address,
    agency,
    internal: isInternalDomain(agency, ctx.ownDomains),
    presence: presenceOf(r.presence_state),
    statusText: r.status_text ?? '',
    conversationId: r.conversation_id,
  };
}

/** The person as the UI sees it, or null when none of its addresses is shown. */
export function personView(person: PersonRow, rows: readonly PersonAddressRow[], ctx: ViewContext): PersonView | null {
  const live = rows.filter(isLive).sort(compareAddresses);
  if (live.length === 0) return null;
  const addresses = live.map((r) => addressView(r, ctx));
  const merged = mergePresence(live.map((r, i) => ({
    accountId: r.account_id, address: r.address, state: addresses[i]!.presence, statusText: addresses[i]!.statusText, at: r.presence_at,
  })));
  // Not renamed: the first name an account knows that is more than the bare address.
  const derived = addresses.find((a) => a.name !== a.address)?.name ?? addresses[0]!.name;
  return {
    id: personIdOf(person.id),
    name: person.renamed === 1 ? person.name : derived,
    presence: merged.state,
    presenceFrom: merged.from,
    statusText: merged.statusText,
    lastActiveAt: merged.lastActiveAt,
    internal: addresses.some((a) => a.internal),
    addresses,
  };
}
