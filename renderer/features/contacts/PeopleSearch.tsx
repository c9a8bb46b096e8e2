// "Find people" in the Contacts tab: one search over the directories of all connected accounts
// (people:search). Hits are grouped by name; each shows the account that can reach the person,
// its protocol, the address, the organisation and internal/external in words, with Chat and Call
// on exactly that account. When several accounts reach the same name, all are listed and the
// user picks — the app never chooses the sending identity.
import { useMemo, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { DirectoryFailure, DirectoryHit } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useI18n } from '../../i18n';
import { useChat } from '../../state/store';
import { ErrorText, useErrorText } from '../common/ErrorText';
import { useAddressActions } from './use-address-actions';

type Phase = 'idle' | 'searching' | 'done';

interface Group {
  readonly name: string;
  readonly hits: readonly DirectoryHit[];
}

/** Hits with the same name (case and accents aside) together, in the core's order. */
function groupByName(hits: readonly DirectoryHit[], collator: Intl.Collator): Group[] {
  const groups: { name: string; hits: DirectoryHit[] }[] = [];
  for (const h of hits) {
    const g = groups.find((x) => collator.compare(x.name, h.name) === 0);
    if (g) g.hits.push(h);
    else groups.push({ name: h.name, hits: [h] });
  }
  return groups;
}

export function PeopleSearch(): ReactNode {
  const { t, locale } = useI18n();
  const api = useApi();
  const errorText = useErrorText();
  const accounts = useChat((s) => s.domain.accounts);
  const [term, setTerm] = useState('');
  const [phase, setPhase] = useState<Phase>('idle');
  const [hits, setHits] = useState<readonly DirectoryHit[]>([]);
  const [failed, setFailed] = useState<readonly DirectoryFailure[]>([]);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const [actionError, setActionError] = useState<AppErrorDto | null>(null);
  const actions = useAddressActions(setActionError);
  // Only the latest search may show its answer: an older, slower one must not overwrite it.
  const latest = useRef(0);
  const collator = useMemo(() => new Intl.Collator(locale === 'sv' ? 'sv' : 'en', { sensitivity: 'base' }), [locale]);
  const groups = useMemo(() => groupByName(hits, collator), [hits, collator]);
  const label = (accountId: string): string => accounts[accountId]?.label ?? accountId;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const q = term.trim();
    if (q === '') return;
    const n = ++latest.current;
    setPhase('searching');
    setError(null);
    setActionError(null);
    api.invoke('people:search', { term: q }).then(
      (r) => {
        if (n !== latest.current) return;
        setHits(r.hits);
        setFailed(r.failed);
        setPhase('done');
      },
      (err: unknown) => {
        if (n !== latest.current) return;
        setHits([]);
        setFailed([]);
        setError(toAppError(err));
        setPhase('idle');
      },
    );
  };

  const status = phase === 'searching' ? t('people.searching')
    : phase === 'done' ? (hits.length === 0 ? t('people.foundNone') : t('people.found', { count: hits.length })) : '';

  return (
    <section className="people-search" aria-labelledby="find-people-heading">
      <h3 id="find-people-heading">{t('people.find')}</h3>
      <form role="search" className="people-search-form" aria-labelledby="find-people-heading" onSubmit={submit}>
        <label className="field">
          <span>{t('people.findLabel')}</span>
          <input type="search" spellCheck={false} dir="auto" value={term} maxLength={100} aria-describedby="find-people-help"
            onChange={(e) => setTerm(e.target.value)} />
        </label>
        <button type="submit" className="small primary" disabled={phase === 'searching' || term.trim() === ''}>{t('people.findSubmit')}</button>
        <span id="find-people-help" className="muted small-text">{t('people.findHelp')}</span>
      </form>
      <p className="muted small-text" role="status" aria-live="polite">{status}</p>
      <ErrorText error={error} />
      <ErrorText error={actionError} />
      {failed.map((f) => (
        <p key={f.accountId} className="error">{t('people.findFailed', { account: label(f.accountId), reason: errorText(f.error) })}</p>
      ))}
      {groups.length > 0 ? (
        <ul className="contact-list people-search-results" aria-label={t('people.findResults')}>
          {groups.map((g) => (
            <li key={g.name} className="contact person" aria-label={g.name}>
              <div className="contact-main">
                <bdi dir="auto" className="contact-name">{g.name}</bdi>
                {g.hits.length > 1 ? <span className="muted small-text">{t('people.findSeveral', { count: g.hits.length })}</span> : null}
                <div role="group" className="person-addresses" aria-label={t('people.findWays', { name: g.name })}>
                  {g.hits.map((h) => {
                    const account = label(h.accountId);
                    const protocol = t(`protocol.${h.protocol}`);
                    return (
                      <div key={`${h.accountId}\n${h.address}`} className="person-address">
                        <span className={`badge proto proto-${h.protocol}`}>{protocol}</span>
                        <span className="person-address-text small-text">
                          <bdi dir="auto">{h.address}</bdi>
                          <span className="muted" title={t('people.account', { account })}> · {t('people.account', { account: '' })}<bdi dir="auto">{account}</bdi></span>
                        </span>
                        {h.agency ? <span className="badge agency" title={t('people.agencies')}><bdi dir="auto">{h.agency}</bdi></span> : null}
                        <span className={`badge ${h.internal ? 'internal' : 'external'}`} title={t(h.internal ? 'people.internalHelp' : 'people.externalHelp')}>
                          {t(h.internal ? 'people.internal' : 'people.external')}
                        </span>
                        <span className="row">
                          <button type="button" className="small" aria-label={t('people.chatFrom', { name: g.name, address: h.address, account })}
                            onClick={() => actions.chat(h)}>{t('contacts.chat')}</button>
                          <button type="button" className="small" aria-label={t('people.callFrom', { name: g.name, address: h.address, account })}
                            onClick={() => actions.call(h)}>{t('call.start')}</button>
                        </span>
                      </div>
                    );
                  })}
                </div>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
