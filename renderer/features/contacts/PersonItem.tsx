// One person in the Contacts tab: merged presence (and where it comes from), status, agencies,
// internal/external in words, and each address with its protocol, account and actions. Chats
// always start on one chosen address: a person never decides which account a message uses.
import { useEffect, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent, ReactNode } from 'react';
import type { PersonAddressView, PersonView } from '../../../common/model';
import { useI18n } from '../../i18n';
import { useChat } from '../../state/store';
import { PresenceDot } from '../common/Presence';

export interface PersonActions {
  readonly chat: (a: PersonAddressView) => void;
  /** Start a call on this address (call:start in its direct chat). */
  readonly call: (a: PersonAddressView) => void;
  readonly split: (p: PersonView, a: PersonAddressView) => void;
  readonly rename: (p: PersonView, name: string) => Promise<boolean>;
}

export function PersonItem({ person, selected, onSelect, actions }: {
  readonly person: PersonView;
  readonly selected: boolean;
  readonly onSelect: (on: boolean) => void;
  readonly actions: PersonActions;
}): ReactNode {
  const { t, dateTime } = useI18n();
  const accounts = useChat((s) => s.domain.accounts);
  const [renaming, setRenaming] = useState(false);
  const [draft, setDraft] = useState(person.name);
  const input = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const wasRenaming = useRef(false);
  const many = person.addresses.length > 1;
  const agencies = [...new Set(person.addresses.map((a) => a.agency).filter((a) => a !== ''))];
  const from = person.presenceFrom;
  const fromAccount = from ? (accounts[from.accountId]?.label ?? from.accountId) : null;

  useEffect(() => {
    // Focus follows the inline field: into it when it opens, back to "Rename" when it closes.
    if (renaming) input.current?.focus();
    else if (wasRenaming.current) renameButton.current?.focus();
    wasRenaming.current = renaming;
  }, [renaming]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const name = draft.trim();
    if (name === '') return;
    void actions.rename(person, name).then((ok) => ok && setRenaming(false));
  };
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      setRenaming(false);
    }
  };

  return (
    <li className="contact person" aria-label={person.name}>
      <input type="checkbox" className="person-select" checked={selected} aria-label={t('people.select', { name: person.name })}
        onChange={(e) => onSelect(e.target.checked)} />
      <PresenceDot state={person.presence} withText />
      {many && fromAccount !== null ? <span className="muted small-text person-via">{t('people.via', { account: fromAccount })}</span> : null}
      <div className="contact-main">
        {renaming ? (
          <form className="person-rename" onSubmit={submit} onKeyDown={onKey}>
            <input ref={input} type="text" dir="auto" value={draft} maxLength={200} aria-label={t('people.newName', { name: person.name })}
              onChange={(e) => setDraft(e.target.value)} />
            <button type="submit" className="small primary" disabled={draft.trim() === ''}>{t('people.save')}</button>
            <button type="button" className="small" onClick={() => setRenaming(false)}>{t('common.cancel')}</button>
          </form>
        ) : (
          <span className="person-head">
            <bdi dir="auto" className="contact-name">{person.name}</bdi>
            <button ref={renameButton} type="button" className="link-button small-text" aria-label={t('people.renameNamed', { name: person.name })}
              onClick={() => { setDraft(person.name); setRenaming(true); }}>{t('people.rename')}</button>
          </span>
        )}
        {person.statusText ? <bdi dir="auto" className="muted small-text">{person.statusText}</bdi> : null}
        {/* Only worth saying when they are not reachable now. */}
        {person.presence === 'offline' && person.lastActiveAt !== null
          ? <span className="muted small-text">{t('people.lastSeen', { time: dateTime(person.lastActiveAt) })}</span> : null}
        <span className="person-badges">
          <span className={`badge ${person.internal ? 'internal' : 'external'}`} title={t(person.internal ? 'people.internalHelp' : 'people.externalHelp')}>
            {t(person.internal ? 'people.internal' : 'people.external')}
          </span>
          {agencies.map((a) => <span key={a} className="badge agency" title={t('people.agencies')}><bdi dir="auto">{a}</bdi></span>)}
        </span>
        {/* A group, not a nested list: each person stays one list item with all its addresses. */}
        <div role="group" className="person-addresses" aria-label={t('people.addresses', { name: person.name })}>
          {person.addresses.map((a) => {
            const account = accounts[a.accountId]?.label ?? a.accountId;
            const protocol = t(`protocol.${a.protocol}`);
            return (
              <div key={`${a.accountId}\n${a.address}`} className="person-address">
                <span className={`badge proto proto-${a.protocol}`}>{protocol}</span>
                {many ? <PresenceDot state={a.presence} /> : null}
                <span className="person-address-text small-text">
                  <bdi dir="auto">{a.address}</bdi>
                  <span className="muted" title={t('people.account', { account })}> · <bdi dir="auto">{account}</bdi></span>
                  {many && a.statusText ? <span className="muted"> · <bdi dir="auto">{a.statusText}</bdi></span> : null}
                </span>
                <span className="row">
                  <button type="button" className="small"
                    aria-label={many ? t('people.chatVia', { name: person.name, protocol, address: a.address }) : t('contacts.chatNamed', { name: person.name })}
                    onClick={() => actions.chat(a)}>{t('contacts.chat')}</button>
                  <button type="button" className="small"
                    aria-label={t('people.callVia', { name: person.name, protocol, address: a.address })}
                    onClick={() => actions.call(a)}>{t('call.start')}</button>
                  {many ? (
                    <button type="button" className="small" aria-label={t('people.splitNamed', { address: a.address, name: person.name })}
                      onClick={() => actions.split(person, a)}>{t('people.split')}</button>
                  ) : null}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </li>
  );
}
