// Message search across all accounts. Snippets are text; matches are marked with <mark>.
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { SearchHit } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useI18n } from '../../i18n';
import { useActions } from '../../state/actions';
import { useChat } from '../../state/store';
import { ErrorText } from '../common/ErrorText';

function Snippet({ hit }: { readonly hit: SearchHit }): ReactNode {
  const parts: ReactNode[] = [];
  let at = 0;
  const ranges = [...hit.matches].sort((a, b) => a[0] - b[0]);
  for (const [s, e] of ranges) {
    if (s < at || e <= s || e > hit.snippet.length) continue;
    if (s > at) parts.push(hit.snippet.slice(at, s));
    parts.push(<mark key={s}>{hit.snippet.slice(s, e)}</mark>);
    at = e;
  }
  if (at < hit.snippet.length) parts.push(hit.snippet.slice(at));
  return <bdi dir="auto" className="snippet">{parts}</bdi>;
}

export function SearchBox({ onResults }: { readonly onResults: (r: { query: string; hits: readonly SearchHit[] | null; error: AppErrorDto | null } | null) => void }): ReactNode {
  const { t } = useI18n();
  const api = useApi();
  const filter = useChat((s) => s.view.accountFilter);
  const [query, setQuery] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const q = query.trim();
    if (!q) { onResults(null); return; }
    onResults({ query: q, hits: null, error: null });
    api.invoke('search:messages', filter ? { query: q, accountId: filter } : { query: q }).then(
      (hits) => onResults({ query: q, hits, error: null }),
      (err: unknown) => onResults({ query: q, hits: [], error: toAppError(err) }),
    );
  };
  return (
    <form role="search" className="search" onSubmit={submit}>
      <input type="search" aria-label={t('search.label')} placeholder={t('search.label')} dir="auto" maxLength={200} value={query}
        onChange={(e) => { setQuery(e.target.value); if (!e.target.value) onResults(null); }} />
      <button type="submit" className="small">{t('search.submit')}</button>
    </form>
  );
}

export function SearchResults({ hits, error, onClose }: { readonly hits: readonly SearchHit[] | null; readonly error: AppErrorDto | null; readonly onClose: () => void }): ReactNode {
  const { t, dateTime } = useI18n();
  const actions = useActions();
  return (
    <section className="search-results" aria-labelledby="search-heading">
      <div className="section-head">
        <h2 id="search-heading">{t('search.results')}</h2>
        <button type="button" className="small" onClick={onClose}>{t('search.close')}</button>
      </div>
      <ErrorText error={error} />
      {hits === null ? <p role="status">{t('common.loading')}</p> : (
        <>
          <p role="status" className="muted">{hits.length === 0 ? t('search.none') : t('search.count', { count: hits.length })}</p>
          <ul className="hit-list">
            {hits.map((h) => (
              <li key={h.messageId}>
                <button type="button" className="hit" onClick={() => void actions.open(h.conversationId)}>
                  <span className="hit-head">
                    <bdi dir="auto">{h.senderName}</bdi> <span className="muted">{t('search.in', { title: '' })}<bdi dir="auto">{h.conversationTitle}</bdi></span>
                    <time className="muted">{dateTime(h.ts)}</time>
                  </span>
                  <Snippet hit={h} />
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
