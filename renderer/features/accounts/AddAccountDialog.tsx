import { useCallback, useId, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { ProtocolId } from '../../../common/ids';
import type { AccountSummary } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { Dialog } from '../common/Dialog';
import { ErrorText } from '../common/ErrorText';
import { IconSpinner } from '../common/Icons';
import { SsoSignIn } from './SsoSignIn';

const ALL: readonly ProtocolId[] = ['xmpp', 'matrix', 'mattermost', 'rocketchat'];

/** What a valid address looks like per protocol: user@domain (XMPP), @user:server (Matrix). */
const ADDRESS_SHAPE: Readonly<Record<ProtocolId, RegExp>> = {
  xmpp: /^[^\s@/]+@[^\s@/]+$/u,
  matrix: /^@[^\s:]+:[^\s]+$/u,
  mattermost: /^[^\s@/]+@[^\s@/]+$/u,
  rocketchat: /^[^\s@/]+@[^\s@/]+$/u,
};

/** Protocols whose servers issue personal access tokens a user can sign in with. */
const TOKEN_PROTOCOLS: ReadonlySet<ProtocolId> = new Set(['mattermost', 'rocketchat']);

function hintKeys(p: ProtocolId): { address: 'addAccount.addressHintMatrix' | 'addAccount.addressHint' | 'addAccount.addressHintServer'; url: 'addAccount.serviceUrlHintMatrix' | 'addAccount.serviceUrlHint' | 'addAccount.serviceUrlHintServer' } {
  if (p === 'matrix') return { address: 'addAccount.addressHintMatrix', url: 'addAccount.serviceUrlHintMatrix' };
  if (p === 'xmpp') return { address: 'addAccount.addressHint', url: 'addAccount.serviceUrlHint' };
  return { address: 'addAccount.addressHintServer', url: 'addAccount.serviceUrlHintServer' };
}

export function AddAccountDialog({ onClose }: { readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const apply = useChat((s) => s.apply);
  const enabled = useChat((s) => s.view.protocols);
  const [protocol, setProtocol] = useState<ProtocolId>('xmpp');
  const [address, setAddress] = useState('');
  const [password, setPassword] = useState('');
  const [useToken, setUseToken] = useState(false);
  const [otp, setOtp] = useState('');
  /** The server asked for a one-time code: the code field stays until the dialog closes. */
  const [needsOtp, setNeedsOtp] = useState(false);
  const [serviceUrl, setServiceUrl] = useState('');
  const [allowPlaintext, setAllowPlaintext] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const [invalid, setInvalid] = useState(false);
  const [ssoBusy, setSsoBusy] = useState(false);
  const ssoDone = useCallback(
    (account: AccountSummary) => {
      apply([{ type: 'account', account }]);
      onClose();
    },
    [apply, onClose],
  );
  const ids = { hint: useId(), err: useId(), urlHint: useId(), soon: useId(), tokenHint: useId(), otpHint: useId() };
  const tokenLogin = useToken && TOKEN_PROTOCOLS.has(protocol);
  const hints = hintKeys(protocol);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy || ssoBusy) return;
    const addr = address.trim();
    if (!ADDRESS_SHAPE[protocol].test(addr)) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    setBusy(true);
    setError(null);
    try {
      const url = serviceUrl.trim();
      const code = otp.replace(/\s+/gu, '');
      const account = await api.invoke('accounts:add', {
        protocol,
        address: addr,
        ...(tokenLogin ? { token: password.trim() } : { password }),
        ...(needsOtp && code && !tokenLogin ? { otp: code } : {}),
        ...(url ? { serviceUrl: url } : {}),
        ...(allowPlaintext ? { allowPlaintext: true } : {}),
      });
      apply([{ type: 'account', account }]);
      onClose();
    } catch (err) {
      const e2 = toAppError(err);
      if (e2.kind === 'second_factor') setNeedsOtp(true);
      setError(e2);
      setBusy(false);
    }
  };

  return (
    <Dialog title={t('addAccount.title')} onClose={onClose}>
      <form className="form" onSubmit={(e) => void submit(e)} aria-busy={busy} noValidate>
        <label className="field">
          <span>{t('addAccount.protocol')}</span>
          <select value={protocol} onChange={(e) => setProtocol(e.target.value as ProtocolId)} aria-describedby={ids.soon}>
            {ALL.map((p) => (
              <option key={p} value={p} disabled={!enabled.includes(p)}>
                {enabled.includes(p) ? t(`protocol.${p}`) : t('addAccount.comingSoon', { protocol: t(`protocol.${p}`) })}
              </option>
            ))}
          </select>
          <small id={ids.soon} className="muted">{t('addAccount.comingSoonNote')}</small>
        </label>
        <label className="field">
          <span>{t('addAccount.address')}</span>
          <input
            type="email"
            inputMode="email"
            autoComplete="username"
            spellCheck={false}
            required
            data-autofocus
            value={address}
            onChange={(e) => setAddress(e.target.value)}
            aria-invalid={invalid || error?.kind === 'auth' ? true : undefined}
            aria-describedby={`${ids.hint}${error || invalid ? ` ${ids.err}` : ''}`}
          />
          <small id={ids.hint} className="muted">{t(hints.address)}</small>
        </label>
        <label className="field">
          <span>{t(tokenLogin ? 'addAccount.token' : 'addAccount.password')}</span>
          <input
            type="password"
            autoComplete={tokenLogin ? 'off' : 'current-password'}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error?.kind === 'auth' ? true : undefined}
            aria-describedby={[tokenLogin ? ids.tokenHint : '', error ? ids.err : ''].filter(Boolean).join(' ') || undefined}
          />
          {tokenLogin ? <small id={ids.tokenHint} className="muted">{t('addAccount.tokenHint')}</small> : null}
        </label>
        {TOKEN_PROTOCOLS.has(protocol) ? (
          <label className="check">
            <input type="checkbox" checked={useToken} onChange={(e) => setUseToken(e.target.checked)} />
            <span>{t('addAccount.useToken')}</span>
          </label>
        ) : null}
        {needsOtp && !tokenLogin ? (
          <label className="field">
            <span>{t('addAccount.otp')}</span>
            <input
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              spellCheck={false}
              autoFocus
              value={otp}
              onChange={(e) => setOtp(e.target.value)}
              aria-describedby={ids.otpHint}
            />
            <small id={ids.otpHint} className="muted">{t('addAccount.otpHint')}</small>
          </label>
        ) : null}
        <details className="advanced">
          <summary>{t('addAccount.advanced')}</summary>
          <label className="field">
            <span>{t('addAccount.serviceUrl')} <span className="muted">{t('common.optional')}</span></span>
            <input type="text" spellCheck={false} autoComplete="off" value={serviceUrl} onChange={(e) => setServiceUrl(e.target.value)} aria-describedby={ids.urlHint} />
            <small id={ids.urlHint} className="muted">{t(hints.url)}</small>
          </label>
          <label className="check">
            <input type="checkbox" checked={allowPlaintext} onChange={(e) => setAllowPlaintext(e.target.checked)} />
            <span>{t('addAccount.allowPlaintext')}</span>
          </label>
        </details>
        {invalid ? <p className="error" role="alert" id={ids.err}>{t(protocol === 'matrix' ? 'addAccount.invalidAddressMatrix' : 'addAccount.invalidAddress')}</p> : <ErrorText error={error} id={ids.err} />}
        {busy ? <p role="status" className="progress"><IconSpinner /> {t('addAccount.connecting')}</p> : null}
        {protocol !== 'xmpp' && enabled.includes(protocol) ? (
          <SsoSignIn key={protocol} protocol={protocol} address={address} serviceUrl={serviceUrl} allowPlaintext={allowPlaintext} disabled={busy} onBusyChange={setSsoBusy} onDone={ssoDone} />
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy || ssoBusy || !address || !password}>{t('addAccount.submit')}</button>
        </div>
      </form>
    </Dialog>
  );
}
