// Virtualised message list with dynamic row sizes, day separators and history on scroll-to-top.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ConversationId } from '../../../common/ids';
import type { Capabilities, MessageView } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { useI18n } from '../../i18n';
import { useActions } from '../../state/actions';
import { useChat } from '../../state/store';
import { IconSpinner } from '../common/Icons';
import { observeRectWithFallback } from '../common/virtual';
import { MessageItem } from './MessageItem';

type Row =
  | { readonly kind: 'top'; readonly key: string }
  | { readonly kind: 'day'; readonly key: string; readonly ts: number }
  | { readonly kind: 'msg'; readonly key: string; readonly message: MessageView };

const EMPTY: readonly string[] = [];
const LOAD_AT_PX = 160;

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function MessageList({ conversationId, capabilities }: { readonly conversationId: ConversationId; readonly capabilities: Capabilities }): ReactNode {
  const { t, day } = useI18n();
  const api = useApi();
  const actions = useActions();
  const ids = useChat((s) => s.domain.messages[conversationId]?.ids ?? EMPTY);
  const byId = useChat((s) => s.domain.messages[conversationId]?.byId);
  const meta = useChat((s) => s.view.history[conversationId]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ firstId: string | undefined; fromBottom: number } | null>(null);
  const [announce, setAnnounce] = useState({ conversationId, count: 0 });

  const rows = useMemo<Row[]>(() => {
    const out: Row[] = [{ kind: 'top', key: 'top' }];
    let last = '';
    for (const id of ids) {
      const m = byId?.[id];
      if (!m) continue;
      const dk = dayKey(m.ts);
      if (dk !== last) {
        out.push({ kind: 'day', key: `day-${dk}`, ts: m.ts });
        last = dk;
      }
      out.push({ kind: 'msg', key: m.id, message: m });
    }
    return out;
  }, [ids, byId]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.kind === 'msg' ? 72 : 40),
    overscan: 6,
    observeElementRect: observeRectWithFallback,
    getItemKey: (i) => rows[i]?.key ?? i,
  });

  // Start at the newest message when a conversation opens.
  useLayoutEffect(() => {
    atBottom.current = true;
    anchor.current = null;
  }, [conversationId]);

  // Keep the view pinned: at the bottom for new messages, on the same message after older ones load.
  const lastId = ids[ids.length - 1];
  const firstId = ids[0];
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const a = anchor.current;
    if (a && a.firstId !== firstId) {
      el.scrollTop = el.scrollHeight - a.fromBottom;
      anchor.current = null;
      return;
    }
    if (atBottom.current && rows.length > 1) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [firstId, lastId, rows.length, virtualizer]);

  // Announce messages from others arriving in the open conversation; mark them read.
  const prevLast = useRef<{ conversationId: string; id: string | undefined }>({ conversationId, id: lastId });
  useEffect(() => {
    const prev = prevLast.current;
    prevLast.current = { conversationId, id: lastId };
    if (prev.conversationId !== conversationId || prev.id === undefined || prev.id === lastId || lastId === undefined || !byId) return;
    const m = byId[lastId];
    if (!m || m.own) return;
    setAnnounce((a) => ({ conversationId, count: a.conversationId === conversationId ? a.count + 1 : 1 }));
    if (typeof document.hasFocus === 'function' && document.hasFocus()) {
      void api.invoke('read:mark', { conversationId }).catch(() => undefined);
    }
  }, [conversationId, lastId, byId, api]);

  const hasMore = meta?.hasMore ?? true;
  const loading = meta?.loading ?? false;
  const onScroll = (): void => {
    const el = scrollRef.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    if (el.scrollTop < LOAD_AT_PX && hasMore && !loading && capabilities.history !== false && ids.length > 0) {
      anchor.current = { firstId, fromBottom: el.scrollHeight - el.scrollTop };
      void actions.loadOlder(conversationId);
    }
  };

  const announceCount = announce.conversationId === conversationId ? announce.count : 0;
  return (
    <>
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announceCount > 0 ? t('conversation.newMessages', { count: announceCount }) : ''}
      </div>
      <div ref={scrollRef} className="message-scroll" role="list" aria-label={t('conversation.messages')} tabIndex={0} onScroll={onScroll} aria-busy={loading}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index];
            if (!row) return null;
            return (
              <div
                key={v.key}
                ref={virtualizer.measureElement}
                data-index={v.index}
                role="listitem"
                className={`vrow vrow-${row.kind}`}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
              >
                {row.kind === 'top' ? (
                  loading ? <p className="history-state" role="status"><IconSpinner /> {t('conversation.loadingHistory')}</p>
                    : !hasMore || !capabilities.history ? <p className="history-state muted">{t('conversation.beginning')}</p>
                    : <p className="history-state" />
                ) : row.kind === 'day' ? (
                  <h3 className="day-separator"><span>{day(row.ts)}</span></h3>
                ) : (
                  <MessageItem message={row.message} capabilities={capabilities} />
                )}
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}
