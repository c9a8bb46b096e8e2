// Test helpers for renderer tests: a fake ChatApi (no socket) and data builders.
import { act, render } from '@testing-library/react';
import type { RenderResult } from '@testing-library/react';
import type { AppSnapshot, CommandInput, CommandName, CommandOutputs, Locale, Patch } from '../../../common/api';
import type { AccountSummary, Capabilities, ContactView, ConversationSummary, MessageView, PersonAddressView, PersonSuggestion, PersonView } from '../../../common/model';
import { ApiError } from '../../../renderer/bridge/errors';
import type { RendererApi } from '../../../renderer/bridge/types';
import { App } from '../../../renderer/features/app/App';
import { createChatStore } from '../../../renderer/state/store';
import type { ChatStore } from '../../../renderer/state/store';
import type { AppErrorDto } from '../../../common/errors';
import type { ProtocolId } from '../../../common/ids';

export const FULL_CAPS: Capabilities = {
  edit: true, delete: true, reactions: true, replies: true, typing: true, receipts: true, upload: true,
  maxUploadBytes: 10_000_000, history: true, createRoom: true, presence: true, contacts: true, carbons: true, streamManagement: true,
  meetingDomain: null,
};

export function account(over: Partial<AccountSummary> = {}): AccountSummary {
  return {
    id: 'acc1', protocol: 'xmpp', label: 'anna@agency.se', server: 'agency.se', state: 'connected', error: null,
    attempt: 0, nextRetryAt: null, capabilities: FULL_CAPS, ownPresence: 'available', presenceOverride: null, ...over,
  };
}

export function conversation(over: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id: 'c1', accountId: 'acc1', protocol: 'xmpp', kind: 'direct', title: 'Bo Berg', address: 'bo@agency.se',
    lastActivityAt: 1_700_000_000_000, lastMessagePreview: 'Hej!', unread: 0, mentions: 0, presence: 'available',
    isPrivate: false, encrypted: false, avatar: null, typing: [], ...over,
  };
}

export function message(over: Partial<MessageView> = {}): MessageView {
  return {
    id: 'm1', conversationId: 'c1', senderId: 'bo@agency.se', senderName: 'Bo Berg', own: false, ts: 1_700_000_000_000, seq: 1,
    text: 'Hej!', rich: null, meeting: null, undecryptable: false, editedAt: null, deleted: false, replyTo: null, reactions: [], attachments: [], status: 'received',
    mentionsMe: false, error: null, ...over,
  };
}

export function contact(over: Partial<ContactView> = {}): ContactView {
  return {
    id: 'acc1:bo@agency.se', accountId: 'acc1', protocol: 'xmpp', address: 'bo@agency.se', name: 'Bo Berg',
    presence: 'available', statusText: '', subscription: 'both', ...over,
  };
}

export function personAddress(over: Partial<PersonAddressView> = {}): PersonAddressView {
  return {
    accountId: 'acc1', protocol: 'xmpp', address: 'bo@agency.se', name: 'Bo Berg', agency: 'agency.se', internal: true,
    presence: 'available', statusText: '', conversationId: null, ...over,
  };
}

export function person(over: Partial<PersonView> = {}): PersonView {
  const addresses = over.addresses ?? [personAddress()];
  return {
    id: 'p1', name: addresses[0]?.name ?? 'Bo Berg', presence: addresses[0]?.presence ?? 'unknown',
    presenceFrom: addresses[0] ? { accountId: addresses[0].accountId, address: addresses[0].address } : null,
    statusText: addresses[0]?.statusText ?? '', lastActiveAt: null, internal: addresses.some((a) => a.internal), addresses, ...over,
  };
}

/** What the core's people layer makes of plain contacts: one person per contact (not requests). */
export function peopleOfContacts(contacts: readonly ContactView[]): PersonView[] {
  return contacts.filter((c) => c.subscription !== 'pending-in').map((c, i) => person({
    id: `pc${i}`,
    addresses: [personAddress({ accountId: c.accountId, protocol: c.protocol, address: c.address, name: c.name || c.address, presence: c.presence, statusText: c.statusText })],
  }));
}

export interface FakeData {
  accounts: AccountSummary[];
  conversations: ConversationSummary[];
  messages: Record<string, MessageView[]>;
  contacts: ContactView[];
  /** People for `people:list`; when absent, one per contact (peopleOfContacts). */
  people?: PersonView[];
  suggestions: PersonSuggestion[];
  locale: Locale;
  protocols: ProtocolId[];
}

type Handler = (input: unknown) => unknown;

export interface FakeApi extends RendererApi {
  readonly calls: { cmd: CommandName; input: unknown }[];
  readonly data: FakeData;
  on<C extends CommandName>(cmd: C, fn: (input: CommandInput<C>) => CommandOutputs[C] | Promise<CommandOutputs[C]>): void;
  fail(cmd: CommandName, error: AppErrorDto): void;
  push(patches: readonly Patch[]): void;
  callsOf(cmd: CommandName): unknown[];
}

export function fakeApi(init: Partial<FakeData> = {}): FakeApi {
  const data: FakeData = { accounts: [], conversations: [], messages: {}, contacts: [], suggestions: [], locale: 'en', protocols: ['xmpp', 'matrix'], ...init };
  const listeners = new Set<(p: readonly Patch[]) => void>();
  const calls: { cmd: CommandName; input: unknown }[] = [];
  const handlers = new Map<CommandName, Handler>();
  const snapshot = (): AppSnapshot => ({
    version: 'test', locale: data.locale, accounts: data.accounts, ownPresence: 'available', ownStatusText: '', secretStorage: 'keystore', protocols: data.protocols,
  });
  const defaults: Partial<Record<CommandName, Handler>> = {
    'app:snapshot': () => snapshot(),
    'inbox:list': () => data.conversations,
    'contacts:list': () => data.contacts,
    'people:list': () => data.people ?? peopleOfContacts(data.contacts),
    'people:suggestions': () => data.suggestions,
    'history:load': (i) => ({ messages: data.messages[(i as { conversationId: string }).conversationId] ?? [], hasMore: false }),
    'conversation:open': (i) => data.conversations.find((c) => c.id === (i as { conversationId: string }).conversationId),
  };
  const api: FakeApi = {
    calls,
    data,
    async invoke<C extends CommandName>(cmd: C, input: CommandInput<C>): Promise<CommandOutputs[C]> {
      calls.push({ cmd, input });
      const h = handlers.get(cmd) ?? defaults[cmd];
      const out = h ? await h(input) : null;
      return out as CommandOutputs[C];
    },
    onPatches(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    on(cmd, fn) {
      handlers.set(cmd, fn as Handler);
    },
    fail(cmd, error) {
      handlers.set(cmd, () => Promise.reject(new ApiError(error)));
    },
    push(patches) {
      for (const l of listeners) l(patches);
    },
    callsOf(cmd) {
      return calls.filter((c) => c.cmd === cmd).map((c) => c.input);
    },
  };
  return api;
}

/** Renders the whole app against the fake API and waits for the snapshot to load. */
export async function renderApp(api: FakeApi, store: ChatStore = createChatStore()): Promise<RenderResult & { store: ChatStore }> {
  let r: RenderResult | undefined;
  await act(async () => {
    r = render(<App api={api} store={store} />);
  });
  await act(async () => {
    await new Promise((res) => setTimeout(res, 0));
  });
  return Object.assign(r!, { store });
}

export async function flush(): Promise<void> {
  await act(async () => {
    await new Promise((res) => setTimeout(res, 0));
  });
}
