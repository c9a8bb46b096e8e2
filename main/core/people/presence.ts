// One presence for a person reachable on several accounts.
import type { PresenceState } from '../../../common/model';

/**
 * Best first. The merged state answers "can I reach this person now, and where": an address
 * where they are available wins; do-not-disturb means they are at a client right now (only
 * busy), which is more current than away (idle for a while), and away more than extended away;
 * offline was reported by a server, which is still more than unknown (nothing reported).
 */
export const PRESENCE_ORDER: readonly PresenceState[] = ['available', 'dnd', 'away', 'xa', 'offline', 'unknown'];

export interface AddressPresence {
  readonly accountId: string;
  readonly address: string;
  readonly state: PresenceState;
  readonly statusText: string;
  /** When the state was reported (epoch ms), null when never. */
  readonly at: number | null;
}

export interface MergedPresence {
  readonly state: PresenceState;
  readonly from: { readonly accountId: string; readonly address: string } | null;
  readonly statusText: string;
  readonly lastActiveAt: number | null;
}

/**
 * The best state of the addresses, with the address it comes from and that address's status
 * text; among equals the most recently reported. `lastActiveAt` is the latest report of any
 * address ("last seen"), null when none reported anything.
 */
export function mergePresence(list: readonly AddressPresence[]): MergedPresence {
  let best: AddressPresence | null = null;
  let lastActiveAt: number | null = null;
  for (const p of list) {
    if (p.state !== 'unknown' && p.at !== null) lastActiveAt = Math.max(lastActiveAt ?? 0, p.at);
    if (best === null) {
      best = p;
      continue;
    }
    const rank = PRESENCE_ORDER.indexOf(p.state) - PRESENCE_ORDER.indexOf(best.state);
    if (rank < 0 || (rank === 0 && (p.at ?? -1) > (best.at ?? -1))) best = p;
  }
  if (best === null || best.state === 'unknown') return { state: 'unknown', from: null, statusText: '', lastActiveAt };
  return { state: best.state, from: { accountId: best.accountId, address: best.address }, statusText: best.statusText, lastActiveAt };
}
