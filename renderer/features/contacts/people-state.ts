// Shared helpers of the people views: ordering, the suggestion sentence, and refreshing people
// and suggestions from the core after the user changed them.
import type { Locale } from '../../../common/api';
import type { PersonSuggestion, PersonView, PresenceState } from '../../../common/model';
import { intlLocale } from '../../i18n';
import type { MessageKey, Params } from '../../i18n';
import type { RendererApi } from '../../bridge/types';
import { replacePeoplePatches } from '../../state/domain';
import type { ChatStore } from '../../state/store';

/** Same order as the core's merged presence: reachable people first. */
export const PRESENCE_RANK: Record<PresenceState, number> = { available: 0, dnd: 1, away: 2, xa: 3, offline: 4, unknown: 5 };

export function sortPeople(people: readonly PersonView[], collator: Intl.Collator): PersonView[] {
  return [...people].sort((a, b) => PRESENCE_RANK[a.presence] - PRESENCE_RANK[b.presence] || collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
}

/** "Anna Berg on XMPP and Anna Berg on Matrix" in the UI language. */
export function suggestionNames(
  s: PersonSuggestion,
  people: Readonly<Record<string, PersonView>>,
  locale: Locale,
  t: (key: MessageKey, params?: Params) => string,
): string | null {
  const list = new Intl.ListFormat(intlLocale(locale), { type: 'conjunction' });
  const parts: string[] = [];
  for (const id of s.personIds) {
    const p = people[id];
    if (!p) return null; // not loaded yet, or gone: the next refresh brings a new list
    const protocols = [...new Set(p.addresses.map((a) => t(`protocol.${a.protocol}`)))];
    parts.push(t('people.onProtocols', { name: p.name, protocols: list.format(protocols) }));
  }
  return list.format(parts);
}

/** People and suggestions again from the core (after a merge, split, rename or dismissal). */
export async function reloadPeople(api: RendererApi, store: ChatStore): Promise<readonly PersonSuggestion[]> {
  const [people, suggestions] = await Promise.all([api.invoke('people:list', {}), api.invoke('people:suggestions', {})]);
  store.getState().apply(replacePeoplePatches(store.getState().domain, people));
  return suggestions;
}
