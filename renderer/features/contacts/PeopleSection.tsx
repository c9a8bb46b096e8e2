// The people of all accounts (main/core/people): merge suggestions on top, then one entry per
// person. Selecting people with the checkboxes and "Merge selected" joins them; each address
// can be split off again; names can be changed inline. Everything is buttons, checkboxes and
// form fields, so it works with the keyboard and a screen reader.
import { useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { PersonAddressView, PersonSuggestion, PersonView } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useI18n } from '../../i18n';
import { useChat, useChatStore } from '../../state/store';
import { ErrorText } from '../common/ErrorText';
import { reloadPeople, sortPeople, suggestionNames } from './people-state';
import { PersonItem } from './PersonItem';
import type { PersonActions } from './PersonItem';
import { useAddressActions } from './use-address-actions';

export function PeopleSection(): ReactNode {
  const { t, locale } = useI18n();
  const api = useApi();
  const store = useChatStore();
  const people = useChat((s) => s.domain.people);
  const [suggestions, setSuggestions] = useState<readonly PersonSuggestion[]>([]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<AppErrorDto | null>(null);
  const collator = useMemo(() => new Intl.Collator(locale === 'sv' ? 'sv' : 'en'), [locale]);
  const sorted = useMemo(() => sortPeople(Object.values(people), collator), [people, collator]);
  // Suggestions depend on who has which addresses, not on presence: reload only when that changes.
  const shape = useMemo(() => sorted.map((p) => `${p.id}=${p.addresses.map((a) => `${a.accountId}/${a.address}`).join(',')}`).sort().join(';'), [sorted]);

  useEffect(() => {
    let live = true;
    api.invoke('people:suggestions', {}).then((s) => live && setSuggestions(s), () => undefined);
    return () => {
      live = false;
    };
  }, [api, shape]);

  // Forget selections of people that are gone (merged away, removed).
  const chosen = [...selected].filter((id) => id in people);

  const run = async (p: Promise<unknown>): Promise<boolean> => {
    setError(null);
    try {
      await p;
      setSuggestions(await reloadPeople(api, store));
      return true;
    } catch (e) {
      setError(toAppError(e));
      return false;
    }
  };

  const merge = (personIds: readonly string[]): void => {
    void run(api.invoke('people:merge', { personIds: [...personIds] })).then((ok) => ok && setSelected(new Set()));
  };

  // Chat and call always on exactly this address's account (shared with the directory search).
  const addressActions = useAddressActions(setError);
  const personActions: PersonActions = {
    chat: (a: PersonAddressView) => addressActions.chat(a),
    call: (a: PersonAddressView) => addressActions.call(a),
    split: (p: PersonView, a: PersonAddressView) => {
      void run(api.invoke('people:split', { personId: p.id, accountId: a.accountId, address: a.address }));
    },
    rename: (p: PersonView, name: string) => run(api.invoke('people:rename', { personId: p.id, name })),
  };

  const shown = suggestions.flatMap((s) => {
    const names = suggestionNames(s, people, locale, t);
    return names === null ? [] : [{ s, names }];
  });

  return (
    <>
      <ErrorText error={error} />
      {shown.length > 0 ? (
        <section aria-labelledby="suggestions-heading" className="people-suggestions">
          <h3 id="suggestions-heading">{t('people.suggestions')}</h3>
          <ul>
            {shown.map(({ s, names }) => (
              <li key={s.id} className="contact suggestion">
                <p>{t('people.maybeSame', { names })}</p>
                <div className="row">
                  <button type="button" className="small primary" aria-label={t('people.mergeNamed', { names })}
                    onClick={() => merge(s.personIds)}>{t('people.merge')}</button>
                  <button type="button" className="small" aria-label={t('people.notSameNamed', { names })}
                    onClick={() => void run(api.invoke('people:dismissSuggestion', { suggestionId: s.id }))}>{t('people.notSame')}</button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {sorted.length === 0 ? <p className="muted">{t('contacts.empty')}</p> : (
        <>
          <div className="people-toolbar">
            <button type="button" className="small" disabled={chosen.length < 2} aria-describedby="merge-hint"
              onClick={() => merge(chosen)}>{t('people.mergeSelected', { count: chosen.length })}</button>
            <span id="merge-hint" className="muted small-text">{t('people.mergeHint')}</span>
          </div>
          <ul className="contact-list people-list">
            {sorted.map((p) => (
              <PersonItem key={p.id} person={p} selected={selected.has(p.id)} actions={personActions}
                onSelect={(on) => setSelected((prev) => {
                  const next = new Set(prev);
                  if (on) next.add(p.id);
                  else next.delete(p.id);
                  return next;
                })} />
            ))}
          </ul>
        </>
      )}
    </>
  );
}
