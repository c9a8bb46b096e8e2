import { useState } from 'react';
import type { ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { AttachmentView, MessageView } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useI18n } from '../../i18n';
import { base64ToBytes, saveBytes } from '../../lib/files';
import { ErrorText } from '../common/ErrorText';

export function Attachment({ message, attachment }: { readonly message: MessageView; readonly attachment: AttachmentView }): ReactNode {
  const { t, size } = useI18n();
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  const download = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const f = await api.invoke('file:download', { conversationId: message.conversationId, messageId: message.id, attachmentId: attachment.id });
      saveBytes(base64ToBytes(f.dataBase64), f.name || attachment.name, f.mime || attachment.mime);
    } catch (e) {
      setError(toAppError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="attachment">
      <svg width="20" height="20" viewBox="0 0 16 16" aria-hidden="true"><path d="M3 1h7l3 3v11H3z" fill="none" stroke="currentColor" /></svg>
      <bdi className="attachment-name" dir="auto">{attachment.name}</bdi>
      <span className="muted">{size(attachment.size)}</span>
      <button type="button" className="small" disabled={busy} aria-label={t('message.downloadNamed', { name: attachment.name })} onClick={() => void download()}>
        {busy ? t('message.downloading') : t('message.download')}
      </button>
      <ErrorText error={error} />
    </div>
  );
}
