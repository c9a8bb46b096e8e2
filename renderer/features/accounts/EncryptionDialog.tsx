// End-to-end encryption of one account: is this device verified, are keys backed up, and the two
// actions a user needs — set up a recovery key (shown once, to write down) and, on a new device,
// unlock with it so that older encrypted messages can be read.
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { AccountId } from '../../../common/ids';
import type { EncryptionStatusView } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { Dialog } from '../common/Dialog';
import { ErrorText } from '../common/ErrorText';
import { IconSpinner } from '../common/Icons';

type Step = { kind: 'status' } | { kind: 'setup' } | { kind: 'showKey'; recoveryKey: string } | { kind: 'restore' };

export function EncryptionDialog({ accountId, onClose }: { readonly accountId: AccountId; readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const label = useChat((s) => s.domain.accounts[accountId]?.label ?? '');
  const [status, setStatus] = useState<EncryptionStatusView | null>(null);
  const [step, setStep] = useState<Step>({ kind: 'status' });
  const [password, setPassword] = useState('');
  const [recoveryKey, setRecoveryKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    api.invoke('encryption:status', { accountId }).then(
      (s) => live && setStatus(s),
      (e: unknown) => live && setError(toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [api, accountId, reload]);

  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(toAppError(e));
    } finally {
      setBusy(false);
    }
  };
  const setup = (e: FormEvent): void => {
    e.preventDefault();
    void run(async () => {
      const r = await api.invoke('encryption:setupRecovery', { accountId, ...(password ? { password } : {}) });
      setPassword('');
      setStep({ kind: 'showKey', recoveryKey: r.recoveryKey });
      setReload((n) => n + 1);
    });
  };
  const restore = (e: FormEvent): void => {
    e.preventDefault();
    void run(async () => {
      await api.invoke('encryption:restore', { accountId, recoveryKey });
      setRecoveryKey('');
      setStep({ kind: 'status' });
      setReload((n) => n + 1);
    });
  };
  const yesNo = (v: boolean): string => t(v ? 'common.yes' : 'common.no');

  return (
    <Dialog title={t('encryption.title', { account: label })} onClose={onClose}>
      {step.kind === 'status' ? (
        <>
          {status ? (
            <dl className="facts">
              <dt>{t('encryption.device')}</dt>
              <dd><code>{status.deviceId}</code></dd>
              <dt>{t('encryption.verified')}</dt>
              <dd>{yesNo(status.deviceVerified)}</dd>
              <dt>{t('encryption.recovery')}</dt>
              <dd>{yesNo(status.recoverySetUp)}</dd>
              <dt>{t('encryption.backup')}</dt>
              <dd>{yesNo(status.keyBackup)}</dd>
            </dl>
          ) : error ? null : (
            <p role="status"><IconSpinner /> {t('common.loading')}</p>
          )}
          {status && !status.persistent ? <p className="error">{t('encryption.notPersistent')}</p> : null}
          <ErrorText error={error} />
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>{t('common.close')}</button>
            {status ? (
              <>
                <button type="button" onClick={() => { setError(null); setStep({ kind: 'restore' }); }}>{t('encryption.restore')}</button>
                <button type="button" className="primary" onClick={() => { setError(null); setStep({ kind: 'setup' }); }}>
                  {t(status.recoverySetUp ? 'encryption.newKey' : 'encryption.setup')}
                </button>
              </>
            ) : null}
          </div>
        </>
      ) : step.kind === 'setup' ? (
        <form className="form" onSubmit={setup} aria-busy={busy}>
          <p>{t('encryption.setupExplain')}</p>
          <label className="field">
            <span>{t('encryption.password')} <span className="muted">{t('common.optional')}</span></span>
            <input type="password" autoComplete="current-password" data-autofocus value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <ErrorText error={error} />
          {busy ? <p role="status"><IconSpinner /> {t('encryption.working')}</p> : null}
          <div className="dialog-actions">
            <button type="button" onClick={() => setStep({ kind: 'status' })}>{t('common.cancel')}</button>
            <button type="submit" className="primary" disabled={busy}>{t('encryption.create')}</button>
          </div>
        </form>
      ) : step.kind === 'showKey' ? (
        <>
          <p>{t('encryption.keyExplain')}</p>
          <p className="recovery-key" aria-label={t('encryption.keyLabel')}><code>{step.recoveryKey}</code></p>
          <div className="dialog-actions">
            <button type="button" onClick={() => void navigator.clipboard?.writeText(step.recoveryKey).catch(() => undefined)}>{t('encryption.copy')}</button>
            <button type="button" className="primary" data-autofocus onClick={() => setStep({ kind: 'status' })}>{t('encryption.saved')}</button>
          </div>
        </>
      ) : (
        <form className="form" onSubmit={restore} aria-busy={busy}>
          <p>{t('encryption.restoreExplain')}</p>
          <label className="field">
            <span>{t('encryption.keyLabel')}</span>
            <input type="text" spellCheck={false} autoComplete="off" data-autofocus value={recoveryKey} onChange={(e) => setRecoveryKey(e.target.value)} />
          </label>
          <ErrorText error={error} />
          {busy ? <p role="status"><IconSpinner /> {t('encryption.working')}</p> : null}
          <div className="dialog-actions">
            <button type="button" onClick={() => setStep({ kind: 'status' })}>{t('common.cancel')}</button>
            <button type="submit" className="primary" disabled={busy || recoveryKey.trim().length < 8}>{t('encryption.unlock')}</button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
