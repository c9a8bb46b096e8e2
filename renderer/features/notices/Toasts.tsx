import { useEffect } from 'react';
import type { ReactNode } from 'react';
import type { NoticeCode } from '../../../common/api';
import { useT } from '../../i18n';
import type { MessageKey } from '../../i18n';
import type { Notice } from '../../state/domain';
import { useChat } from '../../state/store';
import { useApi } from '../../bridge/context';
import { MEETING_WINDOW_NAME, safeMeetingUrl } from '../../../common/meetings';

const TIMEOUT_MS = 8000;

function noticeKey(code: NoticeCode): MessageKey {
  const key: `notice.${NoticeCode}` = `notice.${code}`;
  return key;
}

function Toast({ notice }: { readonly notice: Notice }): ReactNode {
  const t = useT();
  const dismiss = useChat((s) => s.dismissNotice);
  const invite = notice.code === 'meeting-invite';
  useEffect(() => {
    // Errors and call invitations stay until the user acts on them.
    if (notice.level === 'error' || invite) return undefined;
    const id = setTimeout(() => dismiss(notice.id), TIMEOUT_MS);
    return () => clearTimeout(id);
  }, [notice, dismiss, invite]);
  return (
    <li className={`toast toast-${notice.level}`}>
      <bdi dir="auto">{t(noticeKey(notice.code), notice.params)}</bdi>
      {invite ? <JoinFromNotice notice={notice} onDone={() => dismiss(notice.id)} /> : null}
      <button type="button" className="icon-button small" aria-label={t('common.dismiss')} onClick={() => dismiss(notice.id)}>×</button>
    </li>
  );
}

/** Join straight from the invitation: the core gives the link (meeting:join), as on the card. */
function JoinFromNotice({ notice, onDone }: { readonly notice: Notice; readonly onDone: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const { conversationId, messageId, system } = notice.params;
  if (!conversationId || !messageId) return null;
  const join = async (): Promise<void> => {
    try {
      const { url } = await api.invoke('meeting:join', { conversationId, messageId });
      const safe = safeMeetingUrl(url);
      if (safe) window.open(safe, system === 'Jitsi' ? MEETING_WINDOW_NAME : '_blank', 'noopener,noreferrer');
      onDone();
    } catch {
      // The card in the conversation shows why; the invitation stays so the user can retry.
    }
  };
  return <button type="button" className="primary small" onClick={() => void join()}>{t('meeting.join')}</button>;
}

export function Toasts(): ReactNode {
  const t = useT();
  const notices = useChat((s) => s.domain.notices);
  return (
    <section className="toasts" aria-label={t('notices.region')} aria-live="polite">
      <ul>{notices.map((n) => <Toast key={n.id} notice={n} />)}</ul>
    </section>
  );
}
