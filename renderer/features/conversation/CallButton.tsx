// "Call": starts a Jitsi meeting on the organisation's server and invites the conversation in its
// protocol's own form (the core does both: call:start), then opens the meeting outside the app
// (the desktop shell sends new windows to the system browser, or to its meeting window).
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import { MEETING_WINDOW_NAME, safeMeetingUrl } from '../../../common/meetings';
import type { AccountSummary, ConversationSummary } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { ErrorText } from '../common/ErrorText';

export function CallButton({ conversation, account }: { readonly conversation: ConversationSummary; readonly account: AccountSummary | undefined }): ReactNode {
  const t = useT();
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const connected = account?.state === 'connected';
  const start = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const { url, openIn } = await api.invoke('call:start', { conversationId: conversation.id });
      const safe = safeMeetingUrl(url);
      // Our calls are Jitsi: the desktop app shows them in its meeting window, unless the caller
      // first signs in at the organisation's token service (that belongs in the browser).
      if (safe) window.open(safe, openIn === 'browser' ? '_blank' : MEETING_WINDOW_NAME, 'noopener,noreferrer');
    } catch (e) {
      setError(toAppError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="call-start">
      <button type="button" disabled={busy || !connected} title={connected ? undefined : t('call.offline')} onClick={() => void start()}>
        <span aria-hidden="true">📹</span> {busy ? t('call.starting') : t('call.start')}
      </button>
      <ErrorText error={error} />
    </div>
  );
}
