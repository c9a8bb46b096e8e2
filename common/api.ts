// The typed API between the UI and the core: commands in (validated with zod on the core side),
// batched patches out. Both transports (Electron IPC and the web-mode WebSocket) carry exactly
// these shapes, so the renderer code is the same in both.
import { z } from 'zod';
import { PROTOCOLS } from './ids';
import { OWN_PRESENCE_STATES } from './model';
import type {
  AccountSummary,
  ContactView,
  ConversationSummary,
  DirectorySearchResult,
  EncryptionStatusView,
  FileData,
  HistoryResult,
  MemberView,
  MessageView,
  SearchHit,
  OwnPresenceState,
  PersonSuggestion,
  PersonView,
} from './model';
import type { AccountId, ConversationId, MessageId, ProtocolId } from './ids';
import type { AppErrorDto, ErrorKind } from './errors';

const id = z.string().min(1).max(512);
const text = z.string().max(100_000);

/** Upper bound for a file sent through the API (base64 inflates by a third). */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

export const LOCALES = ['sv', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const commands = {
  'app:snapshot': z.object({}),
  'settings:setLocale': z.object({ locale: z.enum(LOCALES) }),
  'accounts:add': z.object({
    protocol: z.enum(PROTOCOLS),
    /** The user's address: user@domain for XMPP, @user:server for Matrix, user@server otherwise. */
    address: z.string().min(3).max(320),
    /** Exactly one of password and token. */
    password: z.string().min(1).max(1024).optional(),
    /** A personal access token instead of a password (Mattermost, Rocket.Chat). */
    token: z.string().min(1).max(4096).optional(),
    /** The one-time code the server asked for (error kind `second_factor`): TOTP or e-mail code. */
    otp: z.string().regex(/^[A-Za-z0-9]{4,16}$/u).optional(),
    /** Optional explicit endpoint, e.g. xmpp://127.0.0.1:15222. */
    serviceUrl: z.string().max(512).optional(),
    /** Only honoured for loopback servers: allow authentication without TLS. */
    allowPlaintext: z.boolean().optional(),
  }).refine((v) => (v.password === undefined) !== (v.token === undefined), { message: 'give either a password or a token' }),
  /**
   * Sign in through the system browser (SSO, RFC 8252 loopback redirect). The core starts a
   * one-shot listener on 127.0.0.1 and returns the URL for the host to open; the outcome arrives
   * as an `sso` patch (and from accounts:ssoStatus). No password passes through the app.
   */
  'accounts:startSso': z.object({
    protocol: z.enum(PROTOCOLS),
    /** The server name (agency.se) or the user's id (@anna:agency.se); optional with serviceUrl. */
    address: z.string().max(320).optional(),
    serviceUrl: z.string().max(512).optional(),
    allowPlaintext: z.boolean().optional(),
    /** A specific identity provider; without it the server lets the user choose. */
    providerId: z.string().min(1).max(255).optional(),
  }),
  'accounts:ssoStatus': z.object({ ssoId: id }),
  /**
   * The address the browser sign-in ended on, for servers that do not redirect back to the app
   * (SsoStart.returnVia 'final-page'): pasted by the user, or caught by the desktop shell.
   */
  'accounts:ssoRedirect': z.object({ ssoId: id, url: z.string().min(8).max(8192) }),
  'accounts:cancelSso': z.object({ ssoId: id }),
  'accounts:remove': z.object({ accountId: id }),
  'accounts:reconnect': z.object({ accountId: id }),
  'accounts:updatePassword': z.object({ accountId: id, password: z.string().min(1).max(1024) }),
  'inbox:list': z.object({ accountId: id.optional() }),
  'conversation:open': z.object({ conversationId: id }),
  'conversation:start': z.object({ accountId: id, address: z.string().min(3).max(320) }),
  'conversation:members': z.object({ conversationId: id }),
  'history:load': z.object({ conversationId: id, before: id.optional(), limit: z.number().int().min(1).max(200).optional() }),
  'message:send': z.object({ conversationId: id, text: text.min(1), replyTo: id.optional() }),
  'message:retry': z.object({ conversationId: id, messageId: id }),
  'message:edit': z.object({ conversationId: id, messageId: id, text: text.min(1) }),
  'message:delete': z.object({ conversationId: id, messageId: id }),
  'message:react': z.object({ conversationId: id, messageId: id, key: z.string().min(1).max(64), on: z.boolean() }),
  'read:mark': z.object({ conversationId: id }),
  'typing:set': z.object({ conversationId: id, typing: z.boolean() }),
  'presence:set': z.object({ state: z.enum(OWN_PRESENCE_STATES), statusText: z.string().max(200).optional() }),
  /** One account's own presence instead of the one for all accounts; state null removes it. */
  'presence:setForAccount': z.object({ accountId: id, state: z.enum(OWN_PRESENCE_STATES).nullable(), statusText: z.string().max(200).optional() }),
  /** The user went idle (no input for a while) or came back: "available" shows as away meanwhile. */
  'presence:idle': z.object({ idle: z.boolean() }),
  'contacts:list': z.object({}),
  'contacts:add': z.object({ accountId: id, address: z.string().min(3).max(320), name: z.string().max(200).optional() }),
  'contacts:respond': z.object({ accountId: id, address: z.string().min(3).max(320), accept: z.boolean() }),
  'contacts:remove': z.object({ accountId: id, address: z.string().min(3).max(320) }),
  /** People: one entry per person across accounts (main/core/people). */
  'people:list': z.object({}),
  'people:suggestions': z.object({}),
  'people:merge': z.object({ personIds: z.array(id).min(2).max(20) }),
  /** Take one address out of a person into a person of its own. */
  'people:split': z.object({ personId: id, accountId: id, address: z.string().min(1).max(320) }),
  'people:rename': z.object({ personId: id, name: z.string().trim().min(1).max(200) }),
  /** "Not the same person": the suggestion is not made again. */
  'people:dismissSuggestion': z.object({ suggestionId: id }),
  /** Search the directories of all connected accounts (Matrix user directory, Mattermost and Rocket.Chat user search, XMPP roster). */
  'people:search': z.object({ term: z.string().trim().min(1).max(100), limit: z.number().int().min(1).max(50).optional() }),
  'room:create': z.object({
    accountId: id,
    name: z.string().min(1).max(200),
    members: z.array(z.string().min(3).max(320)).max(100),
  }),
  'room:join': z.object({ accountId: id, address: z.string().min(3).max(320) }),
  'room:leave': z.object({ conversationId: id }),
  'search:messages': z.object({ query: z.string().min(1).max(200), accountId: id.optional(), limit: z.number().int().min(1).max(200).optional() }),
  'file:upload': z.object({
    conversationId: id,
    name: z.string().min(1).max(255),
    mime: z.string().max(255),
    dataBase64: z.string().max(Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4),
  }),
  'file:download': z.object({ conversationId: id, messageId: id, attachmentId: id }),
  /** Start a call in a conversation (Jitsi on the organisation's server); returns where to join. */
  'call:start': z.object({ conversationId: id, video: z.boolean().optional() }),
  /** The user's own meeting server for an account; null removes it (policy still wins). */
  'accounts:setMeetingServer': z.object({
    accountId: id,
    domain: z.string().min(1).max(260).nullable(),
    requiresToken: z.boolean().optional(),
    /** The organisation's token service for a token-only server: https URL with {room}. */
    tokenIssuer: z.string().min(8).max(2048).optional(),
  }),
  /** The link to join the call a message announced (checked: https, no look-alike host). */
  'meeting:join': z.object({ conversationId: id, messageId: id }),
  /** A conversation's or member's picture (`avatar` from ConversationSummary / MemberView). */
  'avatar:get': z.object({ accountId: id, avatar: z.string().min(1).max(2048), size: z.number().int().min(16).max(512).optional() }),
  'encryption:status': z.object({ accountId: id }),
  /** The password only if the server asks again before accepting new cross-signing keys. */
  'encryption:setupRecovery': z.object({ accountId: id, password: z.string().max(1024).optional() }),
  'encryption:restore': z.object({ accountId: id, recoveryKey: z.string().min(8).max(256) }),
} as const;

export type CommandName = keyof typeof commands;
export type CommandInput<C extends CommandName> = z.input<(typeof commands)[C]>;

export interface AppSnapshot {
  readonly version: string;
  readonly locale: Locale;
  readonly accounts: readonly AccountSummary[];
  readonly ownPresence: OwnPresenceState;
  readonly ownStatusText: string;
  /** 'keystore' in the desktop app; 'keyfile' (weaker, 0600 file) in web mode. */
  readonly secretStorage: 'keystore' | 'keyfile';
  /** Protocols this build can add accounts for. */
  readonly protocols: readonly ProtocolId[];
}

/** Where a browser sign-in (accounts:startSso) is. */
export type SsoState = 'waiting' | 'completing' | 'done' | 'failed';
/**
 * Why a browser sign-in failed, for a precise message: no redirect in time, cancelled in the app,
 * the identity provider or server said no (redirect without a token), the server refused the
 * token, or anything else (then `error.kind` says more, e.g. network or conflict).
 */
export type SsoFailure = 'timeout' | 'cancelled' | 'denied' | 'refused' | 'error';
export interface SsoStatus {
  readonly ssoId: string;
  readonly state: SsoState;
  /** The new account, when done. */
  readonly account?: AccountSummary;
  readonly failure?: SsoFailure;
  readonly error?: AppErrorDto;
}
export interface SsoStart {
  readonly ssoId: string;
  /** Open this in the system browser (http/https only). */
  readonly url: string;
  /** When the core stops waiting for the browser (epoch ms). */
  readonly expiresAt: number;
  /** 'loopback': the browser comes back by itself; 'final-page': ask for the final page's address. */
  readonly returnVia: 'loopback' | 'final-page';
}

export interface CommandOutputs {
  'app:snapshot': AppSnapshot;
  'settings:setLocale': null;
  'accounts:add': AccountSummary;
  'accounts:startSso': SsoStart;
  'accounts:ssoStatus': SsoStatus;
  'accounts:ssoRedirect': null;
  'accounts:cancelSso': null;
  'accounts:remove': null;
  'accounts:reconnect': null;
  'accounts:updatePassword': null;
  'inbox:list': readonly ConversationSummary[];
  'conversation:open': ConversationSummary;
  'conversation:start': ConversationSummary;
  'conversation:members': readonly MemberView[];
  'history:load': HistoryResult;
  'message:send': MessageView;
  'message:retry': null;
  'message:edit': null;
  'message:delete': null;
  'message:react': null;
  'read:mark': null;
  'typing:set': null;
  'presence:set': null;
  'presence:setForAccount': null;
  'presence:idle': null;
  'contacts:list': readonly ContactView[];
  'contacts:add': null;
  'contacts:respond': null;
  'contacts:remove': null;
  'people:list': readonly PersonView[];
  'people:suggestions': readonly PersonSuggestion[];
  'people:merge': PersonView;
  'people:split': PersonView;
  'people:rename': PersonView;
  'people:dismissSuggestion': null;
  'people:search': DirectorySearchResult;
  'room:create': ConversationSummary;
  'room:join': ConversationSummary;
  'room:leave': null;
  'search:messages': readonly SearchHit[];
  'file:upload': MessageView;
  'file:download': FileData;
  'avatar:get': { readonly mime: string; readonly dataBase64: string };
  'meeting:join': { readonly url: string };
  /** `openIn` 'browser': the caller signs in at the organisation's token service first. */
  'call:start': { readonly url: string; readonly openIn: 'window' | 'browser' };
  'accounts:setMeetingServer': null;
  'encryption:status': EncryptionStatusView;
  /** Shown once for the user to write down; the app keeps no copy. */
  'encryption:setupRecovery': { readonly recoveryKey: string };
  'encryption:restore': null;
}

/** Patches the core pushes to the UI, batched (one array per flush). */
export type Patch =
  | { readonly type: 'account'; readonly account: AccountSummary }
  | { readonly type: 'account.removed'; readonly accountId: AccountId }
  | { readonly type: 'conversation'; readonly conversation: ConversationSummary }
  | { readonly type: 'conversation.removed'; readonly conversationId: ConversationId }
  | { readonly type: 'messages'; readonly conversationId: ConversationId; readonly messages: readonly MessageView[] }
  | { readonly type: 'messages.removed'; readonly conversationId: ConversationId; readonly ids: readonly MessageId[] }
  | { readonly type: 'contact'; readonly contact: ContactView }
  | { readonly type: 'contact.removed'; readonly contactId: string }
  | { readonly type: 'person'; readonly person: PersonView }
  | { readonly type: 'person.removed'; readonly personId: string }
  | { readonly type: 'presence.own'; readonly state: OwnPresenceState; readonly statusText: string }
  /** A browser sign-in changed state (accounts:startSso). */
  | { readonly type: 'sso'; readonly status: SsoStatus }
  | { readonly type: 'notice'; readonly level: 'info' | 'warn' | 'error'; readonly code: NoticeCode; readonly params: Readonly<Record<string, string>> };

/** Notices are translated by the renderer from their code. */
export type NoticeCode =
  | 'subscription-request'
  | 'room-invite'
  | 'message-failed'
  | 'malformed-input'
  | 'account-error'
  /** Someone invited the user to a call (params: accountId, conversationId, messageId, system, from). */
  | 'meeting-invite';

export type IpcResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AppErrorDto };

/** Wire frames of the web-mode WebSocket (JSON). */
export type ClientFrame = { readonly id: number; readonly cmd: string; readonly input: unknown };
export type ServerFrame =
  | { readonly id: number; readonly result: IpcResult<unknown> }
  | { readonly event: 'patches'; readonly patches: readonly Patch[] };

export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(commands, name);
}

/** Validate a command input. Returns the parsed value or an `ipc_invalid` error. */
export function parseCommand<C extends CommandName>(
  name: C,
  input: unknown,
): { ok: true; value: z.output<(typeof commands)[C]> } | { ok: false; error: AppErrorDto } {
  const r = commands[name].safeParse(input);
  if (r.success) return { ok: true, value: r.data as z.output<(typeof commands)[C]> };
  const kind: ErrorKind = 'ipc_invalid';
  return { ok: false, error: { kind, message: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), fatal: false } };
}

/** What both transports give the renderer. */
export interface ChatApi {
  invoke<C extends CommandName>(cmd: C, input: CommandInput<C>): Promise<CommandOutputs[C]>;
  onPatches(listener: (patches: readonly Patch[]) => void): () => void;
}
