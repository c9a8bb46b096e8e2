import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { AccountId } from '../../../common/ids';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { ConfirmDialog, Dialog } from '../common/Dialog';
import { ErrorText } from '../common/ErrorText';

export function UpdatePasswordDialog({ accountId, onClose }: { readonly accountId: AccountId; readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const label = useChat((s) => s.domain.accounts[accountId]?.label ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.invoke('accounts:updatePassword', { accountId, password });
      onClose();
    } catch (err) {
      setError(toAppError(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t('accounts.updatePasswordTitle', { account: label })} onClose={onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>{t('accounts.newPassword')}</span>
          <input type="password" autoComplete="current-password" data-autofocus value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <ErrorText error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy || !password}>{t('accounts.save')}</button>
        </div>
      </form>
    </Dialog>
  );
}

export function RemoveAccountDialog({ accountId, onClose }: { readonly accountId: AccountId; readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const apply = useChat((s) => s.apply);
  const label = useChat((s) => s.domain.accounts[accountId]?.label ?? '');
  return (
    <ConfirmDialog
      title={t('accounts.removeTitle')}
      body={t('accounts.removeBody', { account: label })}
      confirmLabel={t('accounts.removeConfirm')}
      onClose={onClose}
      onConfirm={() => {
        void api.invoke('accounts:remove', { accountId }).then(() => apply([{ type: 'account.removed', accountId }]), () => undefined);
      }}
    />
  );
}
