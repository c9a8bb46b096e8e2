import { memo } from 'react';
import type { ReactNode } from 'react';
import type { ConversationSummary } from '../../../common/model';
import { useI18n } from '../../i18n';
import { useChat } from '../../state/store';
import { Avatar } from '../common/Avatar';
import { PresenceDot } from '../common/Presence';

export interface InboxRowProps {
  readonly id: string;
  readonly conversation: ConversationSummary;
  readonly selected: boolean;
  readonly active: boolean;
  readonly top: number;
  readonly height: number;
  readonly setSize: number;
  readonly posInSet: number;
  readonly onOpen: () => void;
}

export const InboxRow = memo(function InboxRow(p: InboxRowProps): ReactNode {
  const { t, time, day } = useI18n();
  const c = p.conversation;
  const accountLabel = useChat((s) => s.domain.accounts[c.accountId]?.label ?? '');
  const isToday = new Date(c.lastActivityAt).toDateString() === new Date().toDateString();
  const typing = c.typing.length === 0 ? null
    : c.typing.length === 1 ? t('inbox.typing', { names: c.typing[0]! })
    : t('inbox.typingMany', { count: c.typing.length });
  return (
    <div
      id={p.id}
      role="option"
      aria-selected={p.selected}
      aria-setsize={p.setSize}
      aria-posinset={p.posInSet}
      className={`inbox-row${p.selected ? ' selected' : ''}${p.active ? ' active' : ''}${c.unread > 0 ? ' unread' : ''}`}
      style={{ position: 'absolute', top: 0, left: 0, right: 0, height: p.height, transform: `translateY(${p.top}px)` }}
      onClick={p.onOpen}
    >
      <div className="inbox-line">
        <Avatar accountId={c.accountId} avatar={c.avatar} name={c.title} size={20} />
        {c.kind === 'direct' && c.presence ? <PresenceDot state={c.presence} /> : <span className="badge kind">{t('inbox.group')}</span>}
        <bdi className="inbox-title" dir="auto">{c.title}</bdi>
        {c.lastActivityAt > 0 ? (
          <time className="inbox-time muted" dateTime={new Date(c.lastActivityAt).toISOString()}>
            {isToday ? time(c.lastActivityAt) : day(c.lastActivityAt)}
          </time>
        ) : null}
      </div>
      <div className="inbox-line">
        <span className={typing ? 'inbox-preview typing' : 'inbox-preview muted'}>
          {typing ?? <bdi dir="auto">{c.lastMessagePreview}</bdi>}
        </span>
        {c.mentions > 0 ? (
          <span className="count mention" title={t('inbox.mentions', { count: c.mentions })}>
            <span aria-hidden="true">@{c.mentions}</span>
            <span className="visually-hidden">{t('inbox.mentions', { count: c.mentions })}</span>
          </span>
        ) : null}
        {c.unread > 0 ? (
          <span className="count unread-count">
            <span aria-hidden="true">{c.unread}</span>
            <span className="visually-hidden">{t('inbox.unread', { count: c.unread })}</span>
          </span>
        ) : null}
      </div>
      <div className="inbox-account muted">
        <span className={`badge proto proto-${c.protocol}`}>{t(`protocol.${c.protocol}`)}</span>{' '}
        <bdi dir="auto">{accountLabel}</bdi>
      </div>
    </div>
  );
});
