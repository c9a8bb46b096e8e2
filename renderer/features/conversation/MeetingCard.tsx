// A call a message invites to: the system's name, the title, and Join. The link is asked from the
// core at click time (it checks it, and for Rocket.Chat it is only issued on request), checked
// again here, and opened outside the app (the desktop shell sends new windows to the browser).
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import { MEETING_WINDOW_NAME, safeMeetingUrl } from '../../../common/meetings';
import type { MessageView } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { ErrorText } from '../common/ErrorText';

export function MeetingCard({ message }: { readonly message: MessageView }): ReactNode {
  const t = useT();
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const [copied, setCopied] = useState(false);
  const meeting = message.meeting;
  if (!meeting) return null;
  /** Jitsi opens in the app's meeting window (desktop) unless the user asks for the browser. */
  const join = async (inBrowser = false): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const { url } = await api.invoke('meeting:join', { conversationId: message.conversationId, messageId: message.id });
      const safe = safeMeetingUrl(url);
      if (safe) window.open(safe, meeting.system === 'Jitsi' && !inBrowser ? MEETING_WINDOW_NAME : '_blank', 'noopener,noreferrer');
      else setError({ kind: 'forbidden', message: 'unsafe meeting link', fatal: false });
    } catch (e) {
      setError(toAppError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="meeting-card" role="group" aria-label={t('meeting.card', { system: meeting.system })}>
      <span className="meeting-icon" aria-hidden="true">📹</span>
      <div className="meeting-text">
        <strong><bdi dir="auto">{t('meeting.card', { system: meeting.system })}</bdi></strong>
        {meeting.title ? <bdi className="muted" dir="auto">{meeting.title}</bdi> : null}
      </div>
      <button type="button" className="primary small" disabled={busy} onClick={() => void join()}>
        {busy ? t('meeting.joining') : t('meeting.join')}
      </button>
      {meeting.system === 'Jitsi' ? (
        <button type="button" className="small" disabled={busy} onClick={() => void join(true)}>{t('meeting.openInBrowser')}</button>
      ) : null}
      {meeting.url ? (
        <button
          type="button"
          className="small"
          onClick={() => {
            // For guests outside any chat system: the link, to paste into a mail or calendar.
            void navigator.clipboard.writeText(meeting.url!).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {t('meeting.copy')}
        </button>
      ) : null}
      {copied ? <span role="status" className="muted">{t('meeting.copied')}</span> : null}
      <ErrorText error={error} />
    </div>
  );
}
