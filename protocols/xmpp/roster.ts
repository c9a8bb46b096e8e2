// Roster (RFC 6121) items and presence mapping (protocols.md C.3/C.4).
import { xml } from './sdk';
import type { Element } from './sdk';
import { NS } from './ns';
import { attr, children, childText } from './stanza';
import { parseJid, jidLabel } from './jid';
import type { ContactInfo } from '../contract';
import type { ContactSubscription, PresenceState } from '../../common/model';
import { AppError } from '../../common/errors';

export function rosterItemToContact(item: Element, pendingIn: ReadonlySet<string>): ContactInfo | 'remove' | null {
  const jid = parseJid(attr(item, 'jid'));
  if (!jid || jid.resource) return null;
  const sub = attr(item, 'subscription') ?? 'none';
  if (sub === 'remove') return 'remove';
  const ask = attr(item, 'ask') === 'subscribe';
  let subscription: ContactSubscription;
  if (sub === 'both' || sub === 'to') subscription = sub;
  else if (ask) subscription = 'pending-out';
  else if (pendingIn.has(jid.bare)) subscription = 'pending-in';
  else subscription = sub === 'from' ? 'from' : 'none';
  const name = (attr(item, 'name') ?? '').trim().slice(0, 200) || jidLabel(jid.bare);
  const groups = children(item, 'group')
    .map((g) => (g.text() ?? '').trim().slice(0, 200))
    .filter((g) => g.length > 0)
    .slice(0, 50);
  return { address: jid.bare, name, subscription, groups };
}

export function rosterQuery(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster }));
}

export function rosterSet(address: string, opts: { name?: string; remove?: boolean }): Element {
  const itemAttrs: Record<string, string> = { jid: address };
  if (opts.remove) itemAttrs.subscription = 'remove';
  if (opts.name) itemAttrs.name = opts.name;
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, xml('item', itemAttrs)));
}

export interface ResourcePresence {
  readonly state: PresenceState;
  readonly priority: number;
  readonly status: string;
}

/** One resource's presence stanza → unified state (C.3). */
export function presenceOf(stanza: Element): ResourcePresence {
  const type = attr(stanza, 'type');
  const status = (childText(stanza, 'status') ?? '').slice(0, 1000);
  const prio = Number.parseInt(childText(stanza, 'priority') ?? '0', 10);
  const priority = Number.isFinite(prio) ? Math.max(-128, Math.min(127, prio)) : 0;
  if (type === 'unavailable') return { state: 'offline', priority, status };
  const show = childText(stanza, 'show')?.trim();
  const state: PresenceState = show === 'away' ? 'away' : show === 'xa' ? 'xa' : show === 'dnd' ? 'dnd' : 'available';
  return { state, priority, status };
}

const AVAILABILITY_RANK: Record<PresenceState, number> = { available: 5, dnd: 4, away: 3, xa: 2, offline: 1, unknown: 0 };

/** A contact's presence = its highest-priority online resource, ties broken by "most available". */
export function aggregate(resources: Iterable<ResourcePresence>): ResourcePresence {
  let best: ResourcePresence | null = null;
  for (const r of resources) {
    if (r.state === 'offline') continue;
    if (!best || r.priority > best.priority || (r.priority === best.priority && AVAILABILITY_RANK[r.state] > AVAILABILITY_RANK[best.state])) best = r;
  }
  return best ?? { state: 'offline', priority: 0, status: '' };
}

/** Own presence (C.4). Offline/invisible is not offered on XMPP: unavailable would stop delivery. */
export function ownPresence(state: PresenceState, statusText: string): Element {
  const kids: Element[] = [];
  if (state === 'away' || state === 'xa' || state === 'dnd') kids.push(xml('show', {}, state));
  else if (state !== 'available') throw new AppError('unsupported', `presence '${state}' cannot be set on XMPP`);
  if (statusText) kids.push(xml('status', {}, statusText.slice(0, 1000)));
  return xml('presence', {}, ...kids);
}
