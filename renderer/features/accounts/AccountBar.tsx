// The account list: each account with its connection state in text (not colour only) and the
// action that fixes a problem.
import type { ReactNode } from 'react';
import type { AccountSummary } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { useErrorText } from '../common/ErrorText';
import { IconPlus, IconWarn, IconCheck, IconSpinner } from '../common/Icons';
import { useNow } from '../common/useNow';
import { OWN_PRESENCE_STATES } from '../../../common/model';

function StateIcon({ state }: { readonly state: AccountSummary['state'] }): ReactNode {
  if (state === 'connected') return <IconCheck />;
  if (state === 'needs-attention') return <IconWarn />;
  if (state === 'connecting' || state === 'reconnecting') return <IconSpinner />;
  return null;
}

function AccountItem({ account }: { readonly account: AccountSummary }): ReactNode {
  const t = useT();
  const api = useApi();
  const errorText = useErrorText();
  const setView = useChat((s) => s.setView);
  const now = useNow(account.state === 'reconnecting' && account.nextRetryAt !== null);
  const seconds = account.nextRetryAt === null ? null : Math.max(0, Math.ceil((account.nextRetryAt - now) / 1000));
  return (
    <li className={`account account-${account.state}`} aria-label={account.label}>
      <div className="account-line">
        <span className={`badge proto proto-${account.protocol}`}>{t(`protocol.${account.protocol}`)}</span>
        <bdi className="account-label" dir="auto">{account.label}</bdi>
        <button
          type="button"
          className="icon-button small"
          aria-label={t('accounts.removeNamed', { account: account.label })}
          title={t('accounts.remove')}
          onClick={() => setView({ modal: { kind: 'removeAccount', accountId: account.id } })}
        >
          <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true"><path d="M3 3l10 10M13 3L3 13" stroke="currentColor" strokeWidth="2" /></svg>
        </button>
      </div>
      <div className="account-state" role="status">
        <StateIcon state={account.state} />
        <span>{t(`accounts.state.${account.state}`)}</span>
        {account.state === 'reconnecting' && seconds !== null ? <span>, {t('accounts.nextTry', { seconds })}</span> : null}
        {account.protocol === 'matrix' && account.state === 'connected' ? (
          <button
            type="button"
            className="link-button small"
            aria-label={t('encryption.openNamed', { account: account.label })}
            onClick={() => setView({ modal: { kind: 'encryption', accountId: account.id } })}
          >
            🔒 {t('encryption.open')}
          </button>
        ) : null}
      </div>
      <label className="account-presence">
        <span className="visually-hidden">{t('accounts.presenceFor', { account: account.label })}</span>
        <select
          value={account.presenceOverride ?? ''}
          onChange={(e) => {
            const v = e.target.value;
            const state = OWN_PRESENCE_STATES.find((s) => s === v) ?? null;
            void api.invoke('presence:setForAccount', { accountId: account.id, state }).catch(() => undefined);
          }}
        >
          <option value="">{t('accounts.presenceSameAsAll')}</option>
          {OWN_PRESENCE_STATES.map((s) => <option key={s} value={s}>{t(`presence.${s}`)}</option>)}
        </select>
      </label>
      {account.state === 'needs-attention' || (account.error && account.state !== 'connected') ? (
        <div className="account-problem">
          {account.error ? <p className="error">{errorText(account.error)}</p> : null}
          <div className="row">
            <button type="button" onClick={() => void api.invoke('accounts:reconnect', { accountId: account.id }).catch(() => undefined)}>
              {t('accounts.tryAgain')}
            </button>
            {account.error?.kind === 'auth' ? (
              <button type="button" onClick={() => setView({ modal: { kind: 'updatePassword', accountId: account.id } })}>
                {t('accounts.updatePassword')}
              </button>
            ) : null}
          </div>
        </div>
      ) : null}
    </li>
  );
}

export function AccountBar(): ReactNode {
  const t = useT();
  const order = useChat((s) => s.domain.accountOrder);
  const accounts = useChat((s) => s.domain.accounts);
  const setView = useChat((s) => s.setView);
  return (
    <section className="accounts" aria-labelledby="accounts-heading">
      <div className="section-head">
        <h2 id="accounts-heading">{t('accounts.title')}</h2>
        <button type="button" className="primary small" onClick={() => setView({ modal: { kind: 'addAccount' } })}>
          <IconPlus /> {t('accounts.add')}
        </button>
      </div>
      {order.length === 0 ? <p className="muted">{t('accounts.none')}</p> : (
        <ul className="account-list">
          {order.map((id) => {
            const a = accounts[id];
            return a ? <AccountItem key={id} account={a} /> : null;
          })}
        </ul>
      )}
    </section>
  );
}
