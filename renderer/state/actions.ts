// Calls to the core that feed the store. Results are merged through applyPatches (store.apply).
import { useMemo } from 'react';
import type { ConversationId } from '../../common/ids';
import type { ConversationSummary } from '../../common/model';
import { useApi } from '../bridge/context';
import type { RendererApi } from '../bridge/types';
import { replaceAccountsPatches, replaceContactsPatches, replaceConversationsPatches, replacePeoplePatches } from './domain';
import { useChatStore } from './store';
import type { ChatStore } from './store';

export const HISTORY_PAGE = 50;

/** Loads everything from the core (at start and after the link to the core came back). */
export async function bootstrap(api: RendererApi, store: ChatStore): Promise<void> {
  const snap = await api.invoke('app:snapshot', {});
  const s = store.getState();
  s.apply([
    ...replaceAccountsPatches(s.domain, snap.accounts),
    { type: 'presence.own', state: snap.ownPresence, statusText: snap.ownStatusText },
  ]);
  s.setView({ locale: snap.locale, secretStorage: snap.secretStorage, protocols: snap.protocols });
  const [inbox, contacts, people] = await Promise.all([
    api.invoke('inbox:list', {}),
    api.invoke('contacts:list', {}).catch(() => null),
    api.invoke('people:list', {}).catch(() => null),
  ]);
  store.getState().apply(replaceConversationsPatches(store.getState().domain, inbox));
  if (contacts) store.getState().apply(replaceContactsPatches(store.getState().domain, contacts));
  if (people) store.getState().apply(replacePeoplePatches(store.getState().domain, people));
  store.getState().setView({ ready: true });
  const sel = store.getState().view.selectedId;
  if (sel) await loadHistory(api, store, sel, true);
}

export async function loadHistory(api: RendererApi, store: ChatStore, conversationId: ConversationId, latest = false): Promise<void> {
  const st = store.getState();
  const meta = st.view.history[conversationId];
  if (meta?.loading) return;
  const ids = st.domain.messages[conversationId]?.ids ?? [];
  if (!latest && meta && !meta.hasMore) return;
  const before = latest ? undefined : ids[0];
  st.setHistory(conversationId, { loading: true });
  try {
    const r = await api.invoke('history:load', before === undefined ? { conversationId, limit: HISTORY_PAGE } : { conversationId, before, limit: HISTORY_PAGE });
    store.getState().apply([{ type: 'messages', conversationId, messages: r.messages }]);
    const prevMeta = store.getState().view.history[conversationId];
    // A "latest" reload must not forget that older pages were already exhausted.
    const hasMore = latest && ids.length > 0 && prevMeta && !prevMeta.hasMore ? false : r.hasMore;
    store.getState().setHistory(conversationId, { loading: false, hasMore });
  } catch {
    store.getState().setHistory(conversationId, { loading: false });
  }
}

function upsertConversation(store: ChatStore, c: ConversationSummary): void {
  store.getState().apply([{ type: 'conversation', conversation: c }]);
}

export async function openConversation(api: RendererApi, store: ChatStore, conversationId: ConversationId): Promise<void> {
  const st = store.getState();
  if (st.view.selectedId !== conversationId) st.setView({ selectedId: conversationId, replyTo: null, editing: null });
  // Messages pushed live (a new message in a conversation never opened) do not mean its history
  // was loaded: only a history load sets the history state.
  const loaded = st.view.history[conversationId] !== undefined;
  const jobs: Promise<unknown>[] = [
    api.invoke('conversation:open', { conversationId }).then((c) => upsertConversation(store, c)),
  ];
  if (!loaded) jobs.push(loadHistory(api, store, conversationId, true));
  await Promise.allSettled(jobs);
  await api.invoke('read:mark', { conversationId }).catch(() => undefined);
}

export interface Actions {
  readonly open: (id: ConversationId) => Promise<void>;
  readonly loadOlder: (id: ConversationId) => Promise<void>;
  readonly adopt: (c: ConversationSummary) => Promise<void>;
}

export function useActions(): Actions {
  const api = useApi();
  const store = useChatStore();
  return useMemo(
    () => ({
      open: (id) => openConversation(api, store, id),
      loadOlder: (id) => loadHistory(api, store, id),
      adopt: async (c) => {
        upsertConversation(store, c);
        store.getState().setView({ sidebarTab: 'inbox', accountFilter: null });
        await openConversation(api, store, c.id);
      },
    }),
    [api, store],
  );
}
