import { memo, useState } from 'react';
import type { ReactNode } from 'react';
import type { Capabilities, MessageView } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { useI18n } from '../../i18n';
import { useChat } from '../../state/store';
import { ConfirmDialog } from '../common/Dialog';
import { useErrorText } from '../common/ErrorText';
import { IconCheck, IconClock, IconWarn } from '../common/Icons';
import { Attachment } from './Attachment';
import { MessageActions } from './MessageActions';
import type { MenuAction } from './MessageActions';
import { COLLAPSE_AT, MessageText } from './MessageText';
import { RichText } from './RichText';
import { MeetingCard } from './MeetingCard';
import { ReactionChips, ReactionPicker } from './Reactions';

function Status({ message }: { readonly message: MessageView }): ReactNode {
  const { t } = useI18n();
  const api = useApi();
  const errorText = useErrorText();
  const s = message.status;
  if (s === 'failed') {
    return (
      <div className="msg-status failed">
        <IconWarn /> <span>{t('message.status.failed')}</span>
        {message.error ? <span className="muted"> — {errorText(message.error)}</span> : null}
        <button
          type="button"
          className="small"
          onClick={() => void api.invoke('message:retry', { conversationId: message.conversationId, messageId: message.id }).catch(() => undefined)}
        >
          {t('message.retry')}
        </button>
      </div>
    );
  }
  return (
    <span className={`msg-status ${s}`} data-status={s}>
      {s === 'pending' ? <IconClock /> : <IconCheck />} <span>{t(`message.status.${s}`)}</span>
    </span>
  );
}

export interface MessageItemProps {
  readonly message: MessageView;
  readonly capabilities: Capabilities;
}

export const MessageItem = memo(function MessageItem({ message: m, capabilities: caps }: MessageItemProps): ReactNode {
  const { t, time, dateTime } = useI18n();
  const api = useApi();
  const setView = useChat((s) => s.setView);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [picking, setPicking] = useState(false);
  const sender = m.own ? t('message.you') : m.senderName;
  const target = { conversationId: m.conversationId, messageId: m.id };
  const react = (key: string, on: boolean): void => {
    void api.invoke('message:react', { ...target, key, on }).catch(() => undefined);
  };

  const actions: MenuAction[] = [];
  if (!m.deleted) {
    if (caps.replies) actions.push({ key: 'reply', label: t('message.reply'), run: () => setView({ replyTo: target, editing: null }) });
    if (caps.reactions) actions.push({ key: 'react', label: t('message.react'), run: () => setPicking(true) });
    if (m.own && caps.edit) actions.push({ key: 'edit', label: t('message.edit'), run: () => setView({ editing: target, replyTo: null }) });
    if (m.own && caps.delete) actions.push({ key: 'delete', label: t('message.delete'), run: () => setConfirmDelete(true) });
  }

  return (
    <article
      className={`msg ${m.own ? 'own' : 'other'}${m.mentionsMe ? ' mention' : ''}${m.deleted ? ' deleted' : ''}`}
      data-message-id={m.id}
      data-status={m.status}
    >
      <div className="msg-meta">
        <bdi className="msg-sender" dir="auto">{sender}</bdi>
        <time className="muted" dateTime={new Date(m.ts).toISOString()} title={dateTime(m.ts)}>{time(m.ts)}</time>
        {m.editedAt !== null && !m.deleted ? <span className="muted edited">{t('message.edited')}</span> : null}
        {m.mentionsMe ? <span className="badge mention-badge">@ {t('message.mentionsYou')}</span> : null}
        <MessageActions actions={actions} label={t('message.actions')} />
      </div>
      {m.replyTo && !m.deleted ? (
        <blockquote className="quote">
          <span className="muted">{t('message.replyQuote', { name: '' })}<bdi dir="auto">{m.replyTo.senderName}</bdi></span>
          <bdi className="quote-text" dir="auto">{m.replyTo.text}</bdi>
        </blockquote>
      ) : null}
      {m.deleted ? (
        <p className="muted deleted-text">{t('message.deleted')}</p>
      ) : m.undecryptable ? (
        <p className="muted undecryptable-text" role="note">{t('message.undecryptable')}</p>
      ) : m.rich && m.text.length <= COLLAPSE_AT ? (
        // Formatted (already an allowlisted tree); very long messages stay collapsible plain text.
        <RichText nodes={m.rich} />
      ) : m.text ? (
        <MessageText text={m.text} />
      ) : null}
      {!m.deleted && m.meeting ? <MeetingCard message={m} /> : null}
      {!m.deleted ? m.attachments.map((a) => <Attachment key={a.id} message={m} attachment={a} />) : null}
      {!m.deleted ? <ReactionChips reactions={m.reactions} enabled={caps.reactions} onToggle={react} /> : null}
      {picking ? <ReactionPicker onPick={(k) => react(k, true)} onClose={() => setPicking(false)} /> : null}
      {m.own ? <Status message={m} /> : null}
      {confirmDelete ? (
        <ConfirmDialog
          title={t('message.deleteTitle')}
          body={t('message.deleteBody')}
          confirmLabel={t('message.deleteConfirm')}
          onClose={() => setConfirmDelete(false)}
          onConfirm={() => void api.invoke('message:delete', target).catch(() => undefined)}
        />
      ) : null}
    </article>
  );
});
