// "Sign in with your organisation (SSO)": the core starts the sign-in (accounts:startSso) and gives
// us the server's sign-in URL; we open it in the system browser (Electron: window.open is routed
// to shell.openExternal through the safe-open-url allowlist; web mode: a new tab of the browser the
// app runs in) and wait for the core's `sso` patch. Most servers come back to the core's loopback
// listener by themselves; Rocket.Chat ends on a page of its own, whose address the user pastes
// here (accounts:ssoRedirect). No password passes through here.
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { SsoFailure, SsoStatus } from '../../../common/api';
import type { AppErrorDto } from '../../../common/errors';
import type { ProtocolId } from '../../../common/ids';
import type { AccountSummary } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { ErrorText } from '../common/ErrorText';
import { IconSpinner } from '../common/Icons';

/** A Matrix user id, user@server, or a bare server name (host[:port]). */
const SERVER_OR_USER = /^(?:@[^\s:]+:|[^\s@/:]+@)?[^\s@/:]+(?::\d{1,5})?$/u;

type Phase =
  | { readonly kind: 'idle' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'waiting'; readonly ssoId: string; readonly url: string; readonly paste: boolean }
  | { readonly kind: 'completing'; readonly ssoId: string };

export interface SsoSignInProps {
  readonly protocol: ProtocolId;
  readonly address: string;
  readonly serviceUrl: string;
  readonly allowPlaintext: boolean;
  /** The password form is busy: do not start a second sign-in. */
  readonly disabled: boolean;
  readonly onBusyChange: (busy: boolean) => void;
  readonly onDone: (account: AccountSummary) => void;
}

function openInBrowser(url: string): void {
  // Only http(s): the URL comes from the core, which checked it, but belt and braces.
  if (!/^https?:\/\//iu.test(url)) return;
  window.open(url, '_blank', 'noopener,noreferrer');
}

export function SsoSignIn({ protocol, address, serviceUrl, allowPlaintext, disabled, onBusyChange, onDone }: SsoSignInProps): ReactNode {
  const t = useT();
  const api = useApi();
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [failure, setFailure] = useState<SsoFailure | null>(null);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const [needServer, setNeedServer] = useState(false);
  const current = useRef<string | null>(null);
  const ids = { hint: useId(), err: useId(), paste: useId(), pasteErr: useId() };
  const [pasted, setPasted] = useState('');
  const [pasteError, setPasteError] = useState<AppErrorDto | null>(null);

  const busy = phase.kind !== 'idle';
  useEffect(() => onBusyChange(busy), [busy, onBusyChange]);

  const onStatus = useCallback(
    (s: SsoStatus) => {
      if (s.ssoId !== current.current) return;
      if (s.state === 'completing') setPhase({ kind: 'completing', ssoId: s.ssoId });
      else if (s.state === 'done' && s.account) {
        current.current = null;
        setPhase({ kind: 'idle' });
        onDone(s.account);
      } else if (s.state === 'failed') {
        current.current = null;
        setPhase({ kind: 'idle' });
        setFailure(s.failure ?? 'error');
        setError(s.error ?? null);
      }
    },
    [onDone],
  );

  useEffect(
    () =>
      api.onPatches((patches) => {
        for (const p of patches) if (p.type === 'sso') onStatus(p.status);
      }),
    [api, onStatus],
  );

  // Closing the dialog while waiting stops the listener.
  useEffect(
    () => () => {
      const id = current.current;
      if (id !== null) api.invoke('accounts:cancelSso', { ssoId: id }).catch(() => undefined);
    },
    [api],
  );

  const start = async (): Promise<void> => {
    if (busy || disabled) return;
    const addr = address.trim();
    const url = serviceUrl.trim();
    if (addr === '' ? url === '' : !SERVER_OR_USER.test(addr)) {
      setNeedServer(true);
      return;
    }
    setNeedServer(false);
    setFailure(null);
    setError(null);
    setPhase({ kind: 'starting' });
    try {
      const r = await api.invoke('accounts:startSso', {
        protocol,
        ...(addr ? { address: addr } : {}),
        ...(url ? { serviceUrl: url } : {}),
        ...(allowPlaintext ? { allowPlaintext: true } : {}),
      });
      current.current = r.ssoId;
      setPasted('');
      setPasteError(null);
      setPhase({ kind: 'waiting', ssoId: r.ssoId, url: r.url, paste: r.returnVia === 'final-page' });
      openInBrowser(r.url);
      // The outcome may have been pushed before we knew our id.
      onStatus(await api.invoke('accounts:ssoStatus', { ssoId: r.ssoId }));
    } catch (err) {
      current.current = null;
      setPhase({ kind: 'idle' });
      setError(toAppError(err));
      setFailure('error');
    }
  };

  const finishWithPaste = async (): Promise<void> => {
    if (phase.kind !== 'waiting' || pasted.trim() === '') return;
    setPasteError(null);
    try {
      await api.invoke('accounts:ssoRedirect', { ssoId: phase.ssoId, url: pasted.trim() });
    } catch (err) {
      setPasteError(toAppError(err));
    }
  };

  const cancel = (): void => {
    const id = current.current;
    current.current = null;
    setPhase({ kind: 'idle' });
    if (id !== null) api.invoke('accounts:cancelSso', { ssoId: id }).catch(() => undefined);
  };

  return (
    <section className="sso" aria-labelledby={ids.hint}>
      <p className="muted sso-or" aria-hidden="true">{t('addAccount.ssoOr')}</p>
      {phase.kind === 'idle' || phase.kind === 'starting' ? (
        <button type="button" onClick={() => void start()} disabled={disabled || phase.kind === 'starting'} aria-describedby={`${ids.hint}${needServer || failure ? ` ${ids.err}` : ''}`}>
          {t('addAccount.sso')}
        </button>
      ) : null}
      <small id={ids.hint} className="muted">{t(protocol === 'matrix' ? 'addAccount.ssoHint' : 'addAccount.ssoHintServer')}</small>
      {phase.kind === 'starting' ? <p role="status" className="progress"><IconSpinner /> {t('addAccount.ssoStarting')}</p> : null}
      {phase.kind === 'waiting' ? (
        <div role="status" className="progress sso-waiting">
          <p><IconSpinner /> <strong>{t('addAccount.ssoWaiting')}</strong></p>
          <p className="muted">{t(phase.paste ? 'addAccount.ssoPasteHelp' : 'addAccount.ssoWaitingHelp')}</p>
          {phase.paste ? (
            <div className="field">
              <label htmlFor={ids.paste}>{t('addAccount.ssoPasteLabel')}</label>
              <input
                id={ids.paste}
                type="url"
                spellCheck={false}
                autoComplete="off"
                value={pasted}
                onChange={(e) => setPasted(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    void finishWithPaste();
                  }
                }}
                aria-invalid={pasteError ? true : undefined}
                aria-describedby={pasteError ? ids.pasteErr : undefined}
              />
              <button type="button" className="primary" disabled={pasted.trim() === ''} onClick={() => void finishWithPaste()}>{t('addAccount.ssoPasteSubmit')}</button>
              <ErrorText error={pasteError} id={ids.pasteErr} />
            </div>
          ) : null}
          <p>
            <a href={phase.url} target="_blank" rel="noopener noreferrer">{t('addAccount.ssoOpenAgain')}</a>
          </p>
          <button type="button" onClick={cancel}>{t('common.cancel')}</button>
        </div>
      ) : null}
      {phase.kind === 'completing' ? <p role="status" className="progress"><IconSpinner /> {t('addAccount.ssoCompleting')}</p> : null}
      {needServer ? <p className="error" role="alert" id={ids.err}>{t('addAccount.ssoNeedServer')}</p> : null}
      {!needServer && failure !== null && failure !== 'error' ? <p className="error" role="alert" id={ids.err}>{t(`addAccount.ssoFailed.${failure}`)}</p> : null}
      {!needServer && failure === 'error' ? <ErrorText error={error} id={ids.err} /> : null}
    </section>
  );
}
