// The Contacts tab: requests to accept or decline, then the people of all accounts
// (PeopleSection: one entry per person, with presence as shape + text and "Chat" per address).
import { useMemo, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { Dialog } from '../common/Dialog';
import { ErrorText } from '../common/ErrorText';
import { IconPlus } from '../common/Icons';
import { AccountSelect } from '../groups/GroupDialogs';
import { PeopleSection } from './PeopleSection';
import { PeopleSearch } from './PeopleSearch';

export function ContactsPanel(): ReactNode {
  const t = useT();
  const api = useApi();
  const contacts = useChat((s) => s.domain.contacts);
  const setView = useChat((s) => s.setView);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const requests = useMemo(() => Object.values(contacts).filter((c) => c.subscription === 'pending-in'), [contacts]);

  const run = (p: Promise<unknown>): void => {
    setError(null);
    p.catch((e: unknown) => setError(toAppError(e)));
  };

  return (
    <section className="contacts" aria-labelledby="contacts-heading">
      <div className="section-head">
        <h2 id="contacts-heading">{t('contacts.title')}</h2>
        <button type="button" className="small" onClick={() => setView({ modal: { kind: 'addContact' } })}><IconPlus /> {t('contacts.add')}</button>
      </div>
      <ErrorText error={error} />
      {requests.length > 0 ? (
        <section aria-labelledby="requests-heading" className="requests">
          <h3 id="requests-heading">{t('contacts.requests')}</h3>
          <ul>
            {requests.map((c) => {
              const name = c.name || c.address;
              // The name goes where the translation puts it ("{name} wants…", "{name} vill…").
              const [before, after = ''] = t('contacts.wantsToAdd', { name: '\u0000' }).split('\u0000');
              return (
                <li key={c.id} className="contact">
                  <p>{before}<bdi dir="auto">{name}</bdi>{after}</p>
                  <div className="row">
                    <button type="button" className="small primary" aria-label={t('contacts.acceptNamed', { name })}
                      onClick={() => run(api.invoke('contacts:respond', { accountId: c.accountId, address: c.address, accept: true }))}>{t('contacts.accept')}</button>
                    <button type="button" className="small" aria-label={t('contacts.declineNamed', { name })}
                      onClick={() => run(api.invoke('contacts:respond', { accountId: c.accountId, address: c.address, accept: false }))}>{t('contacts.decline')}</button>
                  </div>
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}
      <PeopleSearch />
      <PeopleSection />
    </section>
  );
}

export function AddContactDialog({ onClose }: { readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const first = useChat((s) => s.domain.accountOrder[0] ?? '');
  const [accountId, setAccountId] = useState(first);
  const [address, setAddress] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const n = name.trim();
    api.invoke('contacts:add', { accountId, address: address.trim(), ...(n ? { name: n } : {}) }).then(onClose, (err: unknown) => {
      setError(toAppError(err));
      setBusy(false);
    });
  };
  return (
    <Dialog title={t('contacts.add')} onClose={onClose}>
      {first === '' ? <p>{t('groups.needAccount')}</p> : (
        <form className="form" onSubmit={submit}>
          <AccountSelect value={accountId} onChange={setAccountId} />
          <label className="field">
            <span>{t('contacts.address')}</span>
            <input type="text" spellCheck={false} data-autofocus value={address} onChange={(e) => setAddress(e.target.value)} required />
          </label>
          <label className="field">
            <span>{t('contacts.name')}</span>
            <input type="text" dir="auto" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          </label>
          <ErrorText error={error} />
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>{t('common.cancel')}</button>
            <button type="submit" className="primary" disabled={busy || address.trim().length < 3 || !accountId}>{t('contacts.submit')}</button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
