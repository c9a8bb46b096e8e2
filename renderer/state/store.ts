// The renderer's store: domain data (written only by applyPatches) and view state (ours).
import { createContext, useContext } from 'react';
import { createStore, useStore } from 'zustand';
import type { StoreApi } from 'zustand';
import type { Locale, Patch } from '../../common/api';
import type { AccountId, ConversationId, MessageId, ProtocolId } from '../../common/ids';
import type { ConnectionState } from '../bridge/types';
import { applyPatches, dismissNotice, emptyDomain } from './domain';
import type { DomainState } from './domain';

export type Modal =
  | { readonly kind: 'addAccount' }
  | { readonly kind: 'updatePassword'; readonly accountId: AccountId }
  | { readonly kind: 'removeAccount'; readonly accountId: AccountId }
  | { readonly kind: 'encryption'; readonly accountId: AccountId }
  | { readonly kind: 'newGroup' }
  | { readonly kind: 'joinRoom' }
  | { readonly kind: 'addContact' }
  | { readonly kind: 'members'; readonly conversationId: ConversationId };

export interface HistoryMeta {
  readonly hasMore: boolean;
  readonly loading: boolean;
}

export interface MessageTarget {
  readonly conversationId: ConversationId;
  readonly messageId: MessageId;
}

export type SidebarTab = 'inbox' | 'contacts';

export interface ViewState {
  readonly locale: Locale;
  readonly connection: ConnectionState;
  readonly ready: boolean;
  readonly secretStorage: 'keystore' | 'keyfile' | null;
  /** Protocols the core can add accounts for (from the snapshot). */
  readonly protocols: readonly ProtocolId[];
  readonly selectedId: ConversationId | null;
  readonly accountFilter: AccountId | null;
  readonly drafts: Readonly<Record<ConversationId, string>>;
  readonly replyTo: MessageTarget | null;
  readonly editing: MessageTarget | null;
  readonly modal: Modal | null;
  readonly sidebarTab: SidebarTab;
  readonly history: Readonly<Record<ConversationId, HistoryMeta>>;
}

export interface ChatState {
  readonly domain: DomainState;
  readonly view: ViewState;
  apply(patches: readonly Patch[]): void;
  setView(partial: Partial<ViewState>): void;
  setDraft(conversationId: ConversationId, text: string): void;
  setHistory(conversationId: ConversationId, meta: Partial<HistoryMeta>): void;
  dismissNotice(id: number): void;
}

export function defaultLocale(lang: string | undefined = typeof navigator === 'undefined' ? undefined : navigator.language): Locale {
  return lang?.toLowerCase().startsWith('sv') ? 'sv' : 'en';
}

export function initialView(locale: Locale = defaultLocale()): ViewState {
  return {
    locale,
    connection: 'connecting',
    ready: false,
    secretStorage: null,
    protocols: ['xmpp'],
    selectedId: null,
    accountFilter: null,
    drafts: {},
    replyTo: null,
    editing: null,
    modal: null,
    sidebarTab: 'inbox',
    history: {},
  };
}

export type ChatStore = StoreApi<ChatState>;

export function createChatStore(init: { domain?: DomainState; view?: Partial<ViewState> } = {}): ChatStore {
  return createStore<ChatState>()((set) => ({
    domain: init.domain ?? emptyDomain,
    view: { ...initialView(), ...init.view },
    apply: (patches) => set((s) => {
      const domain = applyPatches(s.domain, patches);
      if (domain === s.domain) return s;
      // Forget view state that points at things that are gone.
      let view = s.view;
      if (view.selectedId !== null && !(view.selectedId in domain.conversations) && view.selectedId in s.domain.conversations) {
        view = { ...view, selectedId: null, replyTo: null, editing: null };
      }
      if (view.accountFilter !== null && !(view.accountFilter in domain.accounts) && view.accountFilter in s.domain.accounts) {
        view = { ...view, accountFilter: null };
      }
      return { domain, view };
    }),
    setView: (partial) => set((s) => ({ view: { ...s.view, ...partial } })),
    setDraft: (conversationId, text) => set((s) => ({ view: { ...s.view, drafts: { ...s.view.drafts, [conversationId]: text } } })),
    setHistory: (conversationId, meta) => set((s) => {
      const prev = s.view.history[conversationId] ?? { hasMore: true, loading: false };
      return { view: { ...s.view, history: { ...s.view.history, [conversationId]: { ...prev, ...meta } } } };
    }),
    dismissNotice: (id) => set((s) => ({ domain: dismissNotice(s.domain, id) })),
  }));
}

export const StoreContext = createContext<ChatStore | null>(null);

export function useChatStore(): ChatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useChatStore outside StoreContext');
  return store;
}

export function useChat<T>(selector: (s: ChatState) => T): T {
  return useStore(useChatStore(), selector);
}
