// Find people in the roster (RFC 6121): XMPP has no user directory every server offers
// (XEP-0055 search is rare and per-service), so the roster is the directory — names and bare
// JIDs, matched case-insensitively. Pending incoming requests are left out: they are not people
// the user chose to know yet.
import type { ContactInfo, DirectoryEntry } from '../contract';
import { directoryQuery } from '../base/directory-query';

export function searchRoster(roster: Iterable<ContactInfo>, term: string, limit: number): DirectoryEntry[] {
  const q = directoryQuery(term, limit);
  const needle = q.term.toLocaleLowerCase('sv');
  const out: DirectoryEntry[] = [];
  for (const c of roster) {
    if (c.subscription === 'pending-in') continue;
    if (!c.name.toLocaleLowerCase('sv').includes(needle) && !c.address.toLowerCase().includes(needle)) continue;
    out.push({ address: c.address, name: c.name || c.address });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name, 'sv') || a.address.localeCompare(b.address)).slice(0, q.limit);
}
