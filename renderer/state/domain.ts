// Domain data mirrored from the core. `applyPatches` is the ONLY writer: snapshots, inbox lists,
// history pages and pushed patches all go through it. Pure: returns a new state, never mutates.
import type { NoticeCode, Patch } from '../../common/api';
import type { AccountId, ConversationId, MessageId } from '../../common/ids';
import type { AccountSummary, ContactView, ConversationSummary, MessageView, OwnPresenceState, PersonView } from '../../common/model';

export interface ConversationMessages {
  readonly byId: Readonly<Record<MessageId, MessageView>>;
  /** Sorted by ts ascending (ties by id). */
  readonly ids: readonly MessageId[];
}

export interface Notice {
  readonly id: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly code: NoticeCode;
  readonly params: Readonly<Record<string, string>>;
}

export interface DomainState {
  readonly accounts: Readonly<Record<AccountId, AccountSummary>>;
  /** Accounts in the order they first appeared. */
  readonly accountOrder: readonly AccountId[];
  readonly conversations: Readonly<Record<ConversationId, ConversationSummary>>;
  /** Conversation ids sorted by lastActivityAt descending (ties by id). */
  readonly order: readonly ConversationId[];
  readonly messages: Readonly<Record<ConversationId, ConversationMessages>>;
  readonly contacts: Readonly<Record<string, ContactView>>;
  /** People across accounts (the Contacts tab), by person id. */
  readonly people: Readonly<Record<string, PersonView>>;
  readonly ownPresence: OwnPresenceState;
  readonly ownStatusText: string;
  readonly notices: readonly Notice[];
  readonly noticeSeq: number;
}

export const MAX_NOTICES = 5;

export const emptyDomain: DomainState = {
  accounts: {},
  accountOrder: [],
  conversations: {},
  order: [],
  messages: {},
  contacts: {},
  people: {},
  ownPresence: 'available',
  ownStatusText: '',
  notices: [],
  noticeSeq: 0,
};

const EMPTY_MESSAGES: ConversationMessages = { byId: {}, ids: [] };

export function compareConversations(a: ConversationSummary, b: ConversationSummary): number {
  if (a.lastActivityAt !== b.lastActivityAt) return b.lastActivityAt - a.lastActivityAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function compareMessages(a: MessageView, b: MessageView): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Index where `item` belongs in `sorted` (binary search). */
function insertionIndex<T>(sorted: readonly T[], item: T, cmp: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(sorted[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mergeMessages(prev: ConversationMessages, incoming: readonly MessageView[]): ConversationMessages {
  if (incoming.length === 0) return prev;
  const byId: Record<MessageId, MessageView> = { ...prev.byId };
  const ids = [...prev.ids];
  const cmp = (a: MessageId, b: MessageId): number => compareMessages(byId[a]!, byId[b]!);
  let needsSort = false;
  for (const m of incoming) {
    const old = byId[m.id];
    byId[m.id] = m;
    if (old) {
      if (old.ts !== m.ts) needsSort = true;
      continue;
    }
    if (needsSort) {
      ids.push(m.id);
      continue;
    }
    const last = ids[ids.length - 1];
    if (last === undefined || cmp(last, m.id) <= 0) ids.push(m.id);
    else ids.splice(insertionIndex(ids, m.id, cmp), 0, m.id);
  }
  if (needsSort) ids.sort(cmp);
  return { byId, ids };
}

function removeMessages(prev: ConversationMessages, gone: readonly MessageId[]): ConversationMessages {
  const drop = new Set(gone.filter((id) => id in prev.byId));
  if (drop.size === 0) return prev;
  const byId: Record<MessageId, MessageView> = {};
  for (const [id, m] of Object.entries(prev.byId)) if (!drop.has(id)) byId[id] = m;
  return { byId, ids: prev.ids.filter((id) => !drop.has(id)) };
}

/** Above this many conversation changes in one batch, re-sort instead of moving one by one. */
const RESORT_THRESHOLD = 32;

export function applyPatches(state: DomainState, patches: readonly Patch[]): DomainState {
  if (patches.length === 0) return state;
  let accounts = state.accounts;
  let accountOrder = state.accountOrder;
  let conversations = state.conversations;
  let messages = state.messages;
  let contacts = state.contacts;
  let people = state.people;
  let ownPresence = state.ownPresence;
  let ownStatusText = state.ownStatusText;
  let notices = state.notices;
  let noticeSeq = state.noticeSeq;
  // Copy-on-write: each collection is copied at most once per batch.
  let accW = false;
  let convW = false;
  let msgW = false;
  let conW = false;
  let pplW = false;
  const convChanged = new Set<ConversationId>();
  const convRemoved = new Set<ConversationId>();
  const wAcc = (): Record<AccountId, AccountSummary> => {
    if (!accW) { accounts = { ...accounts }; accW = true; }
    return accounts as Record<AccountId, AccountSummary>;
  };
  const wConv = (): Record<ConversationId, ConversationSummary> => {
    if (!convW) { conversations = { ...conversations }; convW = true; }
    return conversations as Record<ConversationId, ConversationSummary>;
  };
  const wMsg = (): Record<ConversationId, ConversationMessages> => {
    if (!msgW) { messages = { ...messages }; msgW = true; }
    return messages as Record<ConversationId, ConversationMessages>;
  };
  const wCon = (): Record<string, ContactView> => {
    if (!conW) { contacts = { ...contacts }; conW = true; }
    return contacts as Record<string, ContactView>;
  };
  const wPpl = (): Record<string, PersonView> => {
    if (!pplW) { people = { ...people }; pplW = true; }
    return people as Record<string, PersonView>;
  };
  const dropConversation = (id: ConversationId): void => {
    if (id in conversations) { Reflect.deleteProperty(wConv(), id); convRemoved.add(id); convChanged.delete(id); }
    if (id in messages) Reflect.deleteProperty(wMsg(), id);
  };

  for (const p of patches) {
    switch (p.type) {
      case 'account':
        if (!(p.account.id in accounts)) accountOrder = [...accountOrder, p.account.id];
        wAcc()[p.account.id] = p.account;
        break;
      case 'account.removed': {
        if (p.accountId in accounts) Reflect.deleteProperty(wAcc(), p.accountId);
        accountOrder = accountOrder.filter((id) => id !== p.accountId);
        for (const c of Object.values(conversations)) if (c.accountId === p.accountId) dropConversation(c.id);
        for (const c of Object.values(contacts)) if (c.accountId === p.accountId) Reflect.deleteProperty(wCon(), c.id);
        break;
      }
      case 'conversation':
        wConv()[p.conversation.id] = p.conversation;
        convChanged.add(p.conversation.id);
        convRemoved.delete(p.conversation.id);
        break;
      case 'conversation.removed':
        dropConversation(p.conversationId);
        break;
      case 'messages':
        wMsg()[p.conversationId] = mergeMessages(messages[p.conversationId] ?? EMPTY_MESSAGES, p.messages);
        break;
      case 'messages.removed': {
        const prev = messages[p.conversationId];
        if (prev) {
          const next = removeMessages(prev, p.ids);
          if (next !== prev) wMsg()[p.conversationId] = next;
        }
        break;
      }
      case 'contact':
        wCon()[p.contact.id] = p.contact;
        break;
      case 'contact.removed':
        if (p.contactId in contacts) Reflect.deleteProperty(wCon(), p.contactId);
        break;
      case 'person':
        wPpl()[p.person.id] = p.person;
        break;
      case 'person.removed':
        if (p.personId in people) Reflect.deleteProperty(wPpl(), p.personId);
        break;
      case 'presence.own':
        ownPresence = p.state;
        ownStatusText = p.statusText;
        break;
      case 'notice':
        noticeSeq += 1;
        notices = [...notices, { id: noticeSeq, level: p.level, code: p.code, params: p.params }].slice(-MAX_NOTICES);
        break;
    }
  }

  let order = state.order;
  if (convChanged.size > 0 || convRemoved.size > 0) {
    if (convChanged.size > RESORT_THRESHOLD) {
      order = Object.values(conversations).sort(compareConversations).map((c) => c.id);
    } else {
      const moving = new Set([...convChanged, ...convRemoved]);
      const next = order.filter((id) => !moving.has(id));
      const cmp = (a: ConversationId, b: ConversationId): number => compareConversations(conversations[a]!, conversations[b]!);
      for (const id of convChanged) next.splice(insertionIndex(next, id, cmp), 0, id);
      order = next;
    }
  }

  return { accounts, accountOrder, conversations, order, messages, contacts, people, ownPresence, ownStatusText, notices, noticeSeq };
}

/** Removes a shown notice (the user dismissed it or it timed out). */
export function dismissNotice(state: DomainState, id: number): DomainState {
  if (!state.notices.some((n) => n.id === id)) return state;
  return { ...state, notices: state.notices.filter((n) => n.id !== id) };
}

/** Patches that make the domain match a full list from the core (snapshot or `inbox:list`). */
export function replaceAccountsPatches(state: DomainState, accounts: readonly AccountSummary[]): Patch[] {
  const keep = new Set(accounts.map((a) => a.id));
  return [
    ...state.accountOrder.filter((id) => !keep.has(id)).map((accountId): Patch => ({ type: 'account.removed', accountId })),
    ...accounts.map((account): Patch => ({ type: 'account', account })),
  ];
}

export function replaceConversationsPatches(state: DomainState, list: readonly ConversationSummary[]): Patch[] {
  const keep = new Set(list.map((c) => c.id));
  return [
    ...state.order.filter((id) => !keep.has(id)).map((conversationId): Patch => ({ type: 'conversation.removed', conversationId })),
    ...list.map((conversation): Patch => ({ type: 'conversation', conversation })),
  ];
}

export function replaceContactsPatches(state: DomainState, list: readonly ContactView[]): Patch[] {
  const keep = new Set(list.map((c) => c.id));
  return [
    ...Object.keys(state.contacts).filter((id) => !keep.has(id)).map((contactId): Patch => ({ type: 'contact.removed', contactId })),
    ...list.map((contact): Patch => ({ type: 'contact', contact })),
  ];
}

export function replacePeoplePatches(state: DomainState, list: readonly PersonView[]): Patch[] {
  const keep = new Set(list.map((p) => p.id));
  return [
    ...Object.keys(state.people).filter((id) => !keep.has(id)).map((personId): Patch => ({ type: 'person.removed', personId })),
    ...list.map((person): Patch => ({ type: 'person', person })),
  ];
}
