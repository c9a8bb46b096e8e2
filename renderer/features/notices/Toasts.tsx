import { useEffect } from 'react';
import type { ReactNode } from 'react';
import type { NoticeCode } from '../../../common/api';
import { useT } from '../../i18n';
import type { MessageKey } from '../../i18n';
import type { Notice } from '../../state/domain';
import { useChat } from '../../state/store';

const TIMEOUT_MS = 8000;

function noticeKey(code: NoticeCode): MessageKey {
  const key: `notice.${NoticeCode}` = `notice.${code}`;
  return key;
}

function Toast({ notice }: { readonly notice: Notice }): ReactNode {
  const t = useT();
  const dismiss = useChat((s) => s.dismissNotice);
  useEffect(() => {
    if (notice.level === 'error') return undefined;
    const id = setTimeout(() => dismiss(notice.id), TIMEOUT_MS);
    return () => clearTimeout(id);
  }, [notice, dismiss]);
  return (
    <li className={`toast toast-${notice.level}`}>
      <bdi dir="auto">{t(noticeKey(notice.code), notice.params)}</bdi>
      <button type="button" className="icon-button small" aria-label={t('common.dismiss')} onClick={() => dismiss(notice.id)}>×</button>
    </li>
  );
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
