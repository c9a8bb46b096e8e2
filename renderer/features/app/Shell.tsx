// Layout: left column (accounts, presence, search, inbox/contacts), right column (conversation).
// Below ~720 px it is one column: the conversation replaces the list and has a Back button.
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { SearchHit } from '../../../common/model';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { AccountBar } from '../accounts/AccountBar';
import { ContactsPanel } from '../contacts/ContactsPanel';
import { ConversationView } from '../conversation/ConversationView';
import { AccountFilter, Inbox } from '../inbox/Inbox';
import { Toasts } from '../notices/Toasts';
import { SearchBox, SearchResults } from '../search/Search';
import { LanguageSwitch } from '../settings/LanguageSwitch';
import { PresencePicker } from '../settings/PresencePicker';
import { ConnectionBanner } from './ConnectionBanner';
import { Modals } from './Modals';

type SearchState = { query: string; hits: readonly SearchHit[] | null; error: AppErrorDto | null } | null;

export function Shell(): ReactNode {
  const t = useT();
  const locale = useChat((s) => s.view.locale);
  const tab = useChat((s) => s.view.sidebarTab);
  const selected = useChat((s) => s.view.selectedId);
  const hasAccounts = useChat((s) => s.domain.accountOrder.length > 0);
  const setView = useChat((s) => s.setView);
  const [search, setSearch] = useState<SearchState>(null);

  return (
    <div className={`app${selected ? ' has-selection' : ''}`} lang={locale}>
      <a href="#conversation" className="skip-link">{t('app.skipToConversation')}</a>
      <ConnectionBanner />
      <div className="columns">
        <div className="sidebar" role="region" aria-label={t('app.sidebar')}>
          <header className="brand">
            <h1>{t('app.name')}</h1>
            <LanguageSwitch />
          </header>
          <AccountBar />
          {hasAccounts ? <PresencePicker /> : null}
          <SearchBox onResults={setSearch} />
          {search ? (
            <SearchResults hits={search.hits} error={search.error} onClose={() => setSearch(null)} />
          ) : (
            <>
              <div className="tabs" role="tablist" aria-label={t('tabs.label')}>
                {(['inbox', 'contacts'] as const).map((k) => (
                  <button key={k} type="button" role="tab" id={`tab-${k}`} aria-controls={`panel-${k}`} aria-selected={tab === k}
                    tabIndex={tab === k ? 0 : -1}
                    onClick={() => setView({ sidebarTab: k })}
                    onKeyDown={(e) => {
                      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                        const next = k === 'inbox' ? 'contacts' : 'inbox';
                        setView({ sidebarTab: next });
                        document.getElementById(`tab-${next}`)?.focus();
                      }
                    }}>
                    {t(k === 'inbox' ? 'tabs.inbox' : 'tabs.contacts')}
                  </button>
                ))}
              </div>
              {tab === 'inbox' ? (
                <section id="panel-inbox" role="tabpanel" aria-labelledby="tab-inbox" className="inbox">
                  <div className="inbox-tools">
                    <AccountFilter />
                    <div className="row">
                      <button type="button" className="small" onClick={() => setView({ modal: { kind: 'newGroup' } })}>{t('groups.new')}</button>
                      <button type="button" className="small" onClick={() => setView({ modal: { kind: 'joinRoom' } })}>{t('groups.join')}</button>
                    </div>
                  </div>
                  <Inbox />
                </section>
              ) : (
                <div id="panel-contacts" role="tabpanel" aria-labelledby="tab-contacts">
                  <ContactsPanel />
                </div>
              )}
            </>
          )}
        </div>
        <ConversationView />
      </div>
      <Toasts />
      <Modals />
    </div>
  );
}
