import type { ReactNode } from 'react';
import { NO_CAPABILITIES } from '../../../common/model';
import { useI18n } from '../../i18n';
import { useChat } from '../../state/store';
import { IconBack, IconPeople } from '../common/Icons';
import { Avatar } from '../common/Avatar';
import { PresenceDot } from '../common/Presence';
import { CallButton } from './CallButton';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { agencyOf } from '../contacts/agency';

export function ConversationView(): ReactNode {
  const { t } = useI18n();
  const selectedId = useChat((s) => s.view.selectedId);
  const conversation = useChat((s) => (s.view.selectedId ? s.domain.conversations[s.view.selectedId] : undefined));
  const account = useChat((s) => (conversation ? s.domain.accounts[conversation.accountId] : undefined));
  const setView = useChat((s) => s.setView);

  if (!selectedId || !conversation) {
    return (
      <main id="conversation" className="conversation empty" tabIndex={-1}>
        <p className="muted">{t('conversation.none')}</p>
      </main>
    );
  }
  const caps = account?.capabilities ?? NO_CAPABILITIES;
  // The organisation too: the same user name can exist at several agencies.
  const agency = account ? agencyOf(account.protocol, account.label, account.server) : '';
  return (
    <main id="conversation" className="conversation" tabIndex={-1} aria-label={t('conversation.label', { title: conversation.title })}>
      <header className="conversation-head">
        <button type="button" className="icon-button back" aria-label={t('conversation.back')} onClick={() => setView({ selectedId: null })}>
          <IconBack />
        </button>
        <Avatar accountId={conversation.accountId} avatar={conversation.avatar} name={conversation.title} size={36} />
        <div className="conversation-title">
          <h2><bdi dir="auto">{conversation.title}</bdi></h2>
          <div className="muted conversation-sub">
            {conversation.kind === 'direct' && conversation.presence ? <PresenceDot state={conversation.presence} withText /> : null}
            <bdi dir="auto" className="address">{conversation.address}</bdi>
            {conversation.isPrivate ? <span className="badge">{t('inbox.private')}</span> : null}
            {/* Said in words, not only by an icon: E2EE vs transport encryption matters to these users. */}
            <span className={`badge ${conversation.encrypted ? 'e2ee' : 'transport'}`} title={t(conversation.encrypted ? 'conversation.e2eeHelp' : 'conversation.transportHelp')}>
              {conversation.encrypted ? '🔒 ' : ''}{t(conversation.encrypted ? 'conversation.e2ee' : 'conversation.transport')}
            </span>
          </div>
          {account ? (
            <div className="sending-as">
              <span className={`badge proto proto-${account.protocol}`}>{t(`protocol.${account.protocol}`)}</span>{' '}
              {t('conversation.sendingAs', { account: '' })}<bdi dir="auto">{account.label}</bdi>
              {agency ? <> (<bdi dir="auto" className="sending-agency">{agency}</bdi>)</> : null}
            </div>
          ) : null}
        </div>
        <CallButton conversation={conversation} account={account} />
        {conversation.kind === 'group' ? (
          <button type="button" onClick={() => setView({ modal: { kind: 'members', conversationId: conversation.id } })}>
            <IconPeople /> {t('conversation.members')}
          </button>
        ) : null}
      </header>
      {conversation.typing.length > 0 ? (
        <p className="typing-line muted" aria-live="polite">
          {conversation.typing.length === 1 ? t('inbox.typing', { names: conversation.typing[0]! }) : t('inbox.typingMany', { count: conversation.typing.length })}
        </p>
      ) : null}
      <MessageList key={conversation.id} conversationId={conversation.id} capabilities={caps} />
      <Composer key={`c-${conversation.id}`} conversation={conversation} account={account} />
    </main>
  );
}
