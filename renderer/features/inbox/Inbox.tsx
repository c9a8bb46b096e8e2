// The unified inbox: every conversation of every account, newest activity first. A virtualised
// listbox (aria-activedescendant) so 10 000 conversations stay fast; arrows move, Enter opens.
import { useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ConversationSummary } from '../../../common/model';
import { useI18n } from '../../i18n';
import { useActions } from '../../state/actions';
import { useChat } from '../../state/store';
import { observeRectWithFallback } from '../common/virtual';
import { InboxRow } from './InboxRow';

const ROW_HEIGHT = 68;

export function AccountFilter(): ReactNode {
  const { t } = useI18n();
  const order = useChat((s) => s.domain.accountOrder);
  const accounts = useChat((s) => s.domain.accounts);
  const filter = useChat((s) => s.view.accountFilter);
  const setView = useChat((s) => s.setView);
  if (order.length < 2 && filter === null) return null;
  return (
    <label className="inline-field filter">
      <span>{t('accounts.filter')}</span>
      <select value={filter ?? ''} onChange={(e) => setView({ accountFilter: e.target.value || null })}>
        <option value="">{t('accounts.filterAll')}</option>
        {order.map((id) => <option key={id} value={id}>{accounts[id]?.label ?? id}</option>)}
      </select>
    </label>
  );
}

export function Inbox(): ReactNode {
  const { t } = useI18n();
  const actions = useActions();
  const order = useChat((s) => s.domain.order);
  const conversations = useChat((s) => s.domain.conversations);
  const filter = useChat((s) => s.view.accountFilter);
  const selectedId = useChat((s) => s.view.selectedId);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);

  const items = useMemo<ConversationSummary[]>(() => {
    const out: ConversationSummary[] = [];
    for (const id of order) {
      const c = conversations[id];
      if (c && (filter === null || c.accountId === filter)) out.push(c);
    }
    return out;
  }, [order, conversations, filter]);

  const totalUnread = useMemo(() => items.reduce((n, c) => n + c.unread, 0), [items]);

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    observeElementRect: observeRectWithFallback,
    getItemKey: (i) => items[i]?.id ?? i,
  });

  const activeIndex = Math.min(active, Math.max(0, items.length - 1));
  const move = (i: number): void => {
    const next = Math.max(0, Math.min(items.length - 1, i));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 600) / ROW_HEIGHT));
    switch (e.key) {
      case 'ArrowDown': move(activeIndex + 1); break;
      case 'ArrowUp': move(activeIndex - 1); break;
      case 'Home': move(0); break;
      case 'End': move(items.length - 1); break;
      case 'PageDown': move(activeIndex + page); break;
      case 'PageUp': move(activeIndex - page); break;
      case 'Enter':
      case ' ': {
        const c = items[activeIndex];
        if (c) void actions.open(c.id);
        break;
      }
      default: return;
    }
    e.preventDefault();
  };

  if (items.length === 0) {
    return <p className="muted empty">{filter === null ? t('inbox.empty') : t('inbox.emptyFiltered')}</p>;
  }

  const activeItem = items[activeIndex];
  return (
    <>
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {totalUnread > 0 ? t('inbox.totalUnread', { count: totalUnread }) : ''}
      </div>
      <div
        ref={scrollRef}
        className="inbox-scroll"
        role="listbox"
        aria-label={t('inbox.title')}
        tabIndex={0}
        aria-activedescendant={activeItem ? `inbox-opt-${activeIndex}` : undefined}
        onKeyDown={onKeyDown}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const c = items[v.index];
            if (!c) return null;
            return (
              <InboxRow
                key={v.key}
                id={`inbox-opt-${v.index}`}
                conversation={c}
                selected={c.id === selectedId}
                active={v.index === activeIndex}
                top={v.start}
                height={ROW_HEIGHT}
                setSize={items.length}
                posInSet={v.index + 1}
                onOpen={() => { setActive(v.index); void actions.open(c.id); }}
              />
            );
          })}
        </div>
      </div>
    </>
  );
}
