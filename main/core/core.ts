// The core: the UI API (common/api.ts) on top of the store, the account supervisors, the
// ingestor and the outbox. Hosts (Electron, web mode, tests) see only CoreApi (host-api.ts).
//
// Start-up never waits for the network: the constructor opens the profile and starts every
// account's supervisor in the background, so `inbox:list` answers from SQLite at once.
// Isolation: every adapter callback is wrapped, every adapter event is shape-checked, and each
// account has its own supervisor and outbox worker, so one broken account cannot stall others.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { z } from 'zod';
import { isCommandName, MAX_UPLOAD_BYTES, parseCommand } from '../../common/api';
import type { AppSnapshot, CommandName, CommandOutputs, commands, IpcResult, Locale, Patch } from '../../common/api';
import { AppError, toErrorDto } from '../../common/errors';
import type { AppErrorDto } from '../../common/errors';
import { PROTOCOLS } from '../../common/ids';
import type { ProtocolId } from '../../common/ids';
import { NO_CAPABILITIES, OWN_PRESENCE_STATES } from '../../common/model';
import type { Capabilities, ContactView, ConversationSummary, MemberView, MessageView, OwnPresenceState, SearchHit } from '../../common/model';
import type { AdapterEvent, AdapterFactory, ConnectResult, ConversationInfo, Credentials, ProtocolAdapter } from '../../protocols/contract';
import type { OutboxPayload } from './outbox/outbox';
import { accountSummary, isConnected, plaintextAllowedFor, serverOf } from './accounts/account-runtime';
import { accountStorage, moveAccountStorage, removeAccountStorage } from './accounts/account-storage';
import type { AccountRuntime } from './accounts/account-runtime';
import { AccountSupervisor } from './accounts/supervisor';
import { silentLogger, systemScheduler } from './clock';
import type { CoreLogger, Scheduler } from './clock';
import type { CoreApi, SecretStore } from './host-api';
import { accountIdFor, contactIdFor, conversationIdFor } from './ids';
import { Ingestor } from './ingest/ingestor';
import { TypingTracker } from './ingest/typing-tracker';
import { Outbox } from './outbox/outbox';
import type { PatchBatcher } from './patches/patch-batcher';
import { People } from './people/people';
import { PersonPatchBatcher } from './people/person-patches';
import { searchDirectories } from './people/directory-search';
import { makeSnippet, queryTerms, toFtsQuery } from './search/fts-query';
import { credentialsKey } from './secrets/file-secret-store';
import type { AccountRow, ConversationRow, MessageRow } from './store/rows';
import { Store } from './store/store';
import { SsoLogins } from './sso/sso-logins';
import { AvatarCache } from './avatars';
import { detectMeeting } from '../../common/meeting-links';
import { meetingJson } from './ingest/ingestor';
import { CallPlanner, isMeetingDomain, issuerUrl } from './meetings/call-planner';
import type { MeetingServer } from './meetings/call-planner';
import { safeMeetingUrl } from '../../common/meetings';
import { attachmentsOf, contactView, conversationView, messageViews, parseJson, previewOf, previewOfRow, refsOf } from './views';

export const DB_FILE_NAME = 'samverka.db';
/** How long one connect attempt may take before it counts as a timeout. */
export const CONNECT_TIMEOUT_MS = 60_000;

export interface CoreOptions {
  readonly profileDir: string;
  readonly secrets: SecretStore;
  readonly adapters: Partial<Record<ProtocolId, AdapterFactory | undefined>>;
  readonly now?: () => number;
  readonly log?: CoreLogger;
  /** Timers; defaults to the system's (tests may inject their own). */
  readonly scheduler?: Scheduler;
  /** Source of randomness for backoff jitter. */
  readonly random?: () => number;
  readonly version?: string;
  /** How long a browser sign-in (accounts:startSso) waits for the redirect; default 5 min. */
  readonly ssoTimeoutMs?: number;
  /** Central configuration by IT: the organisation's meeting server wins over every account's. */
  readonly policy?: { readonly meetingServer?: MeetingServer; readonly internalDomains?: readonly string[] };
}

/** A validated new account before it connected (accounts:add, accounts:startSso). */
interface NewAccount {
  readonly protocol: ProtocolId;
  readonly factory: AdapterFactory;
  readonly address: string;
  readonly serviceUrl: string | undefined;
  readonly allowPlaintext: boolean;
}

type Input<C extends CommandName> = z.output<(typeof commands)[C]>;
type Handlers = { [C in CommandName]: (input: Input<C>) => Promise<CommandOutputs[C]> };

const SETTING_LOCALE = 'locale';
const SETTING_PRESENCE = 'ownPresence';
const SETTING_STATUS = 'ownStatusText';

interface AccountSettings {
  capabilities?: Capabilities;
  /** The user's own Jitsi server for calls from this account (accounts:setMeetingServer). */
  meetingServer?: MeetingServer;
  /** This account's own presence instead of the one for all accounts (presence:setForAccount). */
  presence?: { state: OwnPresenceState; statusText: string };
}

export function createCore(opts: CoreOptions): Core {
  return new Core(opts);
}

export class Core implements CoreApi {
  readonly store: Store;
  private readonly scheduler: Scheduler;
  private readonly log: CoreLogger;
  private readonly random: () => number;
  private readonly patches: PatchBatcher;
  private readonly people: People;
  private readonly typing: TypingTracker;
  private readonly ingestor: Ingestor;
  private readonly avatars = new AvatarCache();
  private readonly meetings: CallPlanner;
  /** The user has been idle (presence:idle): "available" accounts show as away meanwhile. */
  private idle = false;
  private readonly outbox: Outbox;
  private readonly accounts = new Map<string, AccountRuntime>();
  private readonly sso: SsoLogins;
  private closed = false;

  constructor(private readonly opts: CoreOptions) {
    this.log = opts.log ?? silentLogger;
    this.scheduler = opts.scheduler ?? systemScheduler(opts.now);
    this.random = opts.random ?? Math.random;
    this.store = new Store(join(opts.profileDir, DB_FILE_NAME));
    // People follow the contact and conversation patches (main/core/people/person-patches.ts).
    this.people = new People(this.store, () => this.ingestor.flush(), opts.policy?.internalDomains ?? []);
    this.patches = new PersonPatchBatcher(this.scheduler, this.log, this.people);
    this.sso = new SsoLogins(opts.ssoTimeoutMs);
    this.meetings = new CallPlanner({
      policy: opts.policy?.meetingServer,
      accountSetting: (a) => this.accountSettings(a)?.meetingServer ?? null,
      advertised: (a) => this.accounts.get(a)?.capabilities.meetingDomain ?? null,
      allKnown: () => [...this.accounts.values()].flatMap((rt) => [rt.capabilities.meetingDomain, parseJson<AccountSettings>(rt.row.settings, {}).meetingServer?.domain]).filter((d): d is string => typeof d === 'string' && d !== ''),
    });
    this.typing = new TypingTracker(this.scheduler, (c) => this.emitConversation(c));
    const emitters = {
      emitMessages: (c: string, ids: readonly string[]) => this.emitMessages(c, ids),
      emitConversation: (c: string) => this.emitConversation(c),
      emit: (p: Patch) => this.patches.push(p),
    };
    this.ingestor = new Ingestor({
      store: this.store,
      scheduler: this.scheduler,
      log: this.log,
      typing: this.typing,
      selfId: (a) => this.accounts.get(a)?.row.self_id ?? null,
      jitsiHosts: () => this.meetings.knownJitsiHosts(),
      silenced: (a) => {
        const rt = this.accounts.get(a);
        return rt !== undefined && this.effectivePresence(rt).state === 'dnd';
      },
      emitContact: (a, address) => this.emitContact(a, address),
      ...emitters,
    });
    this.outbox = new Outbox({
      meetingOf: (text) => meetingJson(detectMeeting(text, () => this.meetings.knownJitsiHosts()) ?? undefined),
      store: this.store,
      scheduler: this.scheduler,
      log: this.log,
      random: this.random,
      connectedAdapter: (a) => {
        const rt = this.accounts.get(a);
        return rt && !rt.closed && isConnected(rt) ? rt.adapter : null;
      },
      ...emitters,
    });
    for (const row of this.store.listAccounts()) {
      const rt = this.createRuntime(row);
      this.accounts.set(row.id, rt);
      rt.buffer = null;
      rt.supervisor?.start();
    }
  }

  // ── CoreApi ──────────────────────────────────────────────────────────────────────────────────
  async handle(cmd: string, input: unknown): Promise<IpcResult<unknown>> {
    if (typeof cmd !== 'string' || !isCommandName(cmd)) {
      return { ok: false, error: { kind: 'ipc_invalid', message: `Unknown command: ${String(cmd).slice(0, 64)}`, fatal: false } };
    }
    if (this.closed) return { ok: false, error: { kind: 'unknown', message: 'The core is shut down', fatal: false } };
    const parsed = parseCommand(cmd, input);
    if (!parsed.ok) return parsed;
    try {
      const handler = this.handlers[cmd] as (i: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.value) };
    } catch (e) {
      if (!(e instanceof AppError)) this.log.error('command failed', { cmd, error: String(e) });
      return { ok: false, error: toErrorDto(e) };
    }
  }

  onPatches(listener: (patches: readonly Patch[]) => void): () => void {
    return this.patches.subscribe(listener);
  }

  wake(): void {
    for (const rt of this.accounts.values()) rt.supervisor?.wake();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sso.closeAll();
    const runtimes = [...this.accounts.values()];
    for (const rt of runtimes) this.retire(rt);
    await Promise.allSettled(runtimes.map((rt) => rt.adapter?.disconnect()));
    this.ingestor.flush();
    this.outbox.dispose();
    this.typing.dispose();
    this.patches.flush();
    this.store.close();
  }

  // ── commands ─────────────────────────────────────────────────────────────────────────────────
  private readonly handlers: Handlers = {
    'app:snapshot': async () => this.snapshot(),
    'settings:setLocale': async ({ locale }) => {
      this.store.setSetting(SETTING_LOCALE, locale);
      return null;
    },
    'accounts:add': (i) => this.addAccount(i),
    'accounts:startSso': (i) => this.startSso(i),
    'accounts:ssoStatus': async ({ ssoId }) => this.sso.status(ssoId),
    'accounts:ssoRedirect': async ({ ssoId, url }) => {
      this.sso.redirect(ssoId, url);
      return null;
    },
    'accounts:cancelSso': async ({ ssoId }) => {
      this.sso.cancel(ssoId);
      return null;
    },
    'accounts:remove': (i) => this.removeAccount(i.accountId),
    'accounts:reconnect': async ({ accountId }) => {
      const rt = this.runtime(accountId);
      if (!rt.supervisor) throw new AppError('unsupported', `No adapter for ${rt.row.protocol} in this build`);
      rt.supervisor.reconnectNow();
      return null;
    },
    'accounts:updatePassword': async ({ accountId, password }) => {
      const rt = this.runtime(accountId);
      await this.opts.secrets.set(credentialsKey(accountId), JSON.stringify({ kind: 'password', password } satisfies Credentials));
      rt.supervisor?.reconnectNow();
      return null;
    },
    'inbox:list': async ({ accountId }) => {
      this.ingestor.flush();
      return this.store.listConversations(accountId).map((r) => conversationView(r, this.typing.get(r.id)));
    },
    'conversation:open': async ({ conversationId }) => {
      await this.markRead(this.conversation(conversationId));
      return this.summary(conversationId);
    },
    'conversation:start': async ({ accountId, address }) => {
      const rt = this.runtime(accountId);
      const adapter = this.connectedAdapter(rt);
      if (!adapter.direct) throw new AppError('unsupported', `${rt.row.protocol} accounts cannot open direct conversations here`);
      return this.adoptConversation(rt, await adapter.direct.open(address));
    },
    'conversation:members': (i) => this.members(i.conversationId),
    'history:load': (i) => this.loadHistory(i.conversationId, i.before, i.limit ?? 50),
    'message:send': async ({ conversationId, text, replyTo }) => {
      const conv = this.conversation(conversationId);
      if (replyTo !== undefined) this.message(conv, replyTo);
      return this.sendOwn(conv, { text, ...(replyTo !== undefined ? { replyTo } : {}) });
    },
    'message:retry': async ({ conversationId, messageId }) => {
      this.outbox.retry(this.message(this.conversation(conversationId), messageId));
      return null;
    },
    'message:edit': (i) => this.editMessage(i.conversationId, i.messageId, i.text),
    'message:delete': (i) => this.deleteMessage(i.conversationId, i.messageId),
    'message:react': (i) => this.react(i.conversationId, i.messageId, i.key, i.on),
    'read:mark': async ({ conversationId }) => {
      await this.markRead(this.conversation(conversationId));
      return null;
    },
    'encryption:status': async ({ accountId }) => {
      const s = await this.encryptionFeature(accountId).status();
      return {
        enabled: s.enabled, persistent: s.persistent, deviceId: s.deviceId, deviceVerified: s.deviceVerified,
        recoverySetUp: s.secretStorageReady, keyBackup: s.keyBackupVersion !== null,
      };
    },
    'encryption:setupRecovery': ({ accountId, password }) =>
      this.encryptionFeature(accountId).setupRecovery(password === undefined ? {} : { password }),
    'encryption:restore': async ({ accountId, recoveryKey }) => {
      await this.encryptionFeature(accountId).restoreWithRecoveryKey(recoveryKey.trim());
      return null;
    },
    'typing:set': async ({ conversationId, typing }) => {
      const conv = this.conversation(conversationId);
      const rt = this.runtime(conv.account_id);
      const adapter = this.connectedAdapter(rt);
      if (!adapter.typing) throw new AppError('unsupported', `${rt.row.protocol} accounts do not send typing notifications`);
      await adapter.typing.set(conv.native_id, typing);
      return null;
    },
    'presence:set': (i) => this.setPresence(i.state, i.statusText ?? ''),
    'presence:setForAccount': async ({ accountId, state, statusText }) => {
      const rt = this.runtime(accountId);
      const settings: AccountSettings = { ...parseJson<AccountSettings>(rt.row.settings, {}) };
      if (state === null) delete settings.presence;
      else settings.presence = { state, statusText: statusText ?? '' };
      rt.row = { ...rt.row, settings: JSON.stringify(settings) };
      this.store.updateAccountSettings(rt.row.id, rt.row.settings);
      await this.applyPresence([rt]);
      return null;
    },
    'presence:idle': async ({ idle }) => {
      if (idle === this.idle) return null;
      this.idle = idle;
      await this.applyPresence([...this.accounts.values()]);
      return null;
    },
    'contacts:list': async () => {
      this.ingestor.flush();
      return this.store.listContacts().map(contactView);
    },
    'contacts:add': async ({ accountId, address, name }) => {
      const contacts = this.contactsFeature(accountId);
      await contacts.add(address, name);
      if (!this.store.getContact(accountId, address)) {
        this.store.upsertContact(accountId, address, name ?? '', 'pending-out', '[]');
      }
      this.emitContact(accountId, address);
      return null;
    },
    'contacts:respond': async ({ accountId, address, accept }) => {
      const contacts = this.contactsFeature(accountId);
      await contacts.respond(address, accept);
      const c = this.store.getContact(accountId, address);
      if (c?.subscription === 'pending-in') {
        if (accept) {
          this.store.upsertContact(accountId, address, c.name, 'from', c.groups);
          this.emitContact(accountId, address);
        } else {
          this.store.deleteContact(accountId, address);
          this.patches.push({ type: 'contact.removed', contactId: contactIdFor(accountId, address) });
        }
      }
      return null;
    },
    'people:list': async () => this.people.list(),
    'people:suggestions': async () => this.people.suggestions(),
    'people:merge': async ({ personIds }) => this.people.merge(personIds),
    'people:split': async ({ personId, accountId, address }) => this.people.split(personId, accountId, address),
    'people:rename': async ({ personId, name }) => this.people.rename(personId, name),
    'people:dismissSuggestion': async ({ suggestionId }) => this.people.dismissSuggestion(suggestionId),
    'people:search': ({ term, limit }) => searchDirectories({ store: this.store, scheduler: this.scheduler, internalDomains: this.opts.policy?.internalDomains ?? [], setEmails: (a, ad, e) => this.people.setEmails(a, ad, e) }, this.accounts.values(), term, limit),
    'contacts:remove': async ({ accountId, address }) => {
      await this.contactsFeature(accountId).remove(address);
      if (this.store.deleteContact(accountId, address)) this.patches.push({ type: 'contact.removed', contactId: contactIdFor(accountId, address) });
      return null;
    },
    'room:create': async ({ accountId, name, members }) => {
      const rt = this.runtime(accountId);
      return this.adoptConversation(rt, await this.roomsFeature(rt).create({ name, members }));
    },
    'room:join': async ({ accountId, address }) => {
      const rt = this.runtime(accountId);
      return this.adoptConversation(rt, await this.roomsFeature(rt).join(address));
    },
    'room:leave': async ({ conversationId }) => {
      const conv = this.conversation(conversationId);
      const rt = this.runtime(conv.account_id);
      if (conv.kind !== 'group') throw new AppError('invalid_input', 'Only group conversations can be left');
      await this.roomsFeature(rt).leave(conv.native_id);
      this.ingestor.flush();
      this.store.deleteConversation(conv.id);
      this.typing.forget(conv.id);
      this.patches.push({ type: 'conversation.removed', conversationId: conv.id });
      return null;
    },
    'search:messages': async ({ query, accountId, limit }) => this.search(query, accountId, limit ?? 50),
    'file:upload': (i) => this.upload(i.conversationId, i.name, i.mime, i.dataBase64),
    'file:download': (i) => this.download(i.conversationId, i.messageId, i.attachmentId),
    'meeting:join': (i) => this.meetingUrl(i.conversationId, i.messageId),
    'call:start': (i) => this.startCall(i.conversationId, i.video ?? true),
    'accounts:setMeetingServer': async ({ accountId, domain, requiresToken, tokenIssuer }) => {
      const rt = this.runtime(accountId);
      if (domain !== null && !isMeetingDomain(domain)) throw new AppError('invalid_input', 'Enter the meeting server as a host name, for example meet.agency.se');
      const settings: AccountSettings = { ...parseJson<AccountSettings>(rt.row.settings, {}) };
      if (domain === null) delete settings.meetingServer;
      else if (tokenIssuer !== undefined && issuerUrl(tokenIssuer, 'x', domain) === null) throw new AppError('invalid_input', 'The token service must be an https address containing {room}');
      else settings.meetingServer = { domain, requiresToken: requiresToken === true, ...(tokenIssuer !== undefined ? { tokenIssuer } : {}) };
      rt.row = { ...rt.row, settings: JSON.stringify(settings) };
      this.store.updateAccountSettings(rt.row.id, rt.row.settings);
      return null;
    },
    'avatar:get': ({ accountId, avatar, size }) => {
      const rt = this.runtime(accountId);
      return this.avatars.get(accountId, this.connectedAdapter(rt), avatar, size ?? 64);
    },
  };

  private snapshot(): AppSnapshot {
    return {
      version: this.opts.version ?? '0.1.0',
      locale: (this.store.getSetting(SETTING_LOCALE) as Locale | null) ?? 'sv',
      accounts: [...this.accounts.values()].map((rt) => this.accountView(rt)),
      ownPresence: this.ownPresence(),
      ownStatusText: this.store.getSetting(SETTING_STATUS) ?? '',
      secretStorage: this.opts.secrets.kind,
      protocols: PROTOCOLS.filter((p) => this.opts.adapters[p] !== undefined),
    };
  }

  // ── accounts ─────────────────────────────────────────────────────────────────────────────────
  private async addAccount(i: Input<'accounts:add'>): Promise<ReturnType<typeof accountSummary>> {
    const credentials: Credentials = i.token !== undefined
      ? { kind: 'token', token: i.token }
      : { kind: 'password', password: i.password ?? '', ...(i.otp !== undefined ? { otp: i.otp } : {}) };
    return this.addNewAccount(this.newAccount(i), credentials);
  }

  /** accounts:add's checks: an adapter for the protocol, a valid URL, plaintext only on loopback. */
  private newAccount(i: { protocol: ProtocolId; address: string; serviceUrl?: string | undefined; allowPlaintext?: boolean | undefined }): NewAccount {
    const factory = this.opts.adapters[i.protocol];
    if (!factory) throw new AppError('unsupported', `${i.protocol} is not available in this build`);
    if (i.serviceUrl !== undefined && i.serviceUrl !== '') {
      try {
        new URL(i.serviceUrl);
      } catch {
        throw new AppError('invalid_input', 'The server address is not a valid URL');
      }
    }
    const serviceUrl = i.serviceUrl === '' ? undefined : i.serviceUrl;
    if (i.allowPlaintext && !plaintextAllowedFor(i.address, serviceUrl)) {
      throw new AppError('insecure', 'Unencrypted sign-in is only allowed for servers on this computer (127.0.0.1, ::1, localhost)');
    }
    return { protocol: i.protocol, factory, address: i.address, serviceUrl, allowPlaintext: i.allowPlaintext === true };
  }

  /** Browser sign-in (main/core/sso): the address may be only the server name, or absent with a serviceUrl. */
  private startSso(i: Input<'accounts:startSso'>): Promise<CommandOutputs['accounts:startSso']> {
    const serviceUrl = i.serviceUrl === '' ? undefined : i.serviceUrl;
    const address = (i.address ?? '').trim() || (serviceUrl !== undefined ? serverOf('', serviceUrl) : '');
    if (address === '') throw new AppError('invalid_input', 'Enter the server name or the server address');
    const n = this.newAccount({ protocol: i.protocol, address, serviceUrl, allowPlaintext: i.allowPlaintext });
    return this.sso.start(
      {
        prepare: () => ({
          adapter: n.factory({ address: n.address, ...(n.serviceUrl !== undefined ? { serviceUrl: n.serviceUrl } : {}), allowPlaintext: n.allowPlaintext }, {
            log: this.log,
            now: () => this.scheduler.now(),
          }),
          complete: (credentials) => this.addNewAccount(n, credentials),
        }),
        emit: (p) => this.patches.push(p),
        now: () => this.scheduler.now(),
        log: this.log,
      },
      i.providerId,
    );
  }

  /**
   * Connect a new account, then store its secret and row. With an SSO token the address is only a
   * hint (maybe just the server name): the account is named by the user id the server signed in.
   */
  private async addNewAccount(n: NewAccount, credentials: Credentials): Promise<ReturnType<typeof accountSummary>> {
    const named = credentials.kind !== 'sso-token';
    let id = accountIdFor(n.protocol, n.address, n.serviceUrl);
    if (named && this.accounts.has(id)) throw new AppError('conflict', 'This account is already added');

    let row = {
      id, protocol: n.protocol, address: n.address, server: serverOf(n.address, n.serviceUrl), service_url: n.serviceUrl ?? null,
      allow_plaintext: n.allowPlaintext ? 1 : 0, created_at: this.scheduler.now(), settings: '{}', self_id: null, self_name: null,
    };
    // An SSO account is named by whoever signed in, so its storage starts under a provisional id.
    const storageId = named ? id : `pending-${randomUUID().replace(/-/g, '')}`;
    let rt = this.createRuntime(row, n.factory, storageId);
    const connectOnce = async (r: AccountRuntime, creds: Credentials): Promise<ConnectResult> => {
      try {
        return await this.withTimeout(r.adapter!.connect({ credentials: creds, syncState: {} }), CONNECT_TIMEOUT_MS);
      } catch (e) {
        this.retire(r);
        await r.adapter?.disconnect().catch(() => undefined);
        await removeAccountStorage(this.opts.profileDir, storageId, this.opts.secrets).catch(() => undefined);
        throw e instanceof AppError ? e : new AppError(toErrorDto(e).kind, toErrorDto(e).message);
      }
    };
    let result = await connectOnce(rt, credentials);
    if (!named) {
      const address = result.address ?? result.selfId;
      id = accountIdFor(n.protocol, address, n.serviceUrl);
      row = { ...row, id, address, server: serverOf(address, n.serviceUrl) };
      if (!this.accounts.has(id) && result.renewedCredentials && result.renewedCredentials.kind !== 'sso-token') {
        // Hand the storage (e.g. the new device's encryption keys) to the final id, then resume
        // the same session from it: same device, same keys.
        this.retire(rt);
        await rt.adapter?.disconnect().catch(() => undefined);
        await moveAccountStorage(this.opts.profileDir, storageId, id, this.opts.secrets);
        const session = result.renewedCredentials;
        rt = this.createRuntime(row, n.factory);
        result = { ...(await connectOnce(rt, session)), renewedCredentials: session };
      } else {
        rt.row = row;
      }
    }
    if (this.closed || this.accounts.has(id)) {
      this.retire(rt);
      await rt.adapter?.disconnect().catch(() => undefined);
      if (!named) await removeAccountStorage(this.opts.profileDir, storageId, this.opts.secrets).catch(() => undefined);
      throw new AppError('conflict', 'This account is already added');
    }
    // The secret first: an account row without its secret would only ever need attention.
    // A one-time SSO token is never kept: the adapter returns the session it was traded for.
    // A one-time code is spent once it was used: never stored with the password.
    const secret = result.renewedCredentials ?? (credentials.kind === 'password' ? { kind: 'password' as const, password: credentials.password } : credentials);
    if (secret.kind === 'sso-token') {
      this.retire(rt);
      await rt.adapter?.disconnect().catch(() => undefined);
      throw new AppError('server', 'The sign-in gave no lasting session');
    }
    await this.opts.secrets.set(credentialsKey(id), JSON.stringify(secret));
    try {
      rt.capabilities = rt.adapter!.capabilities();
      this.store.insertAccount({ ...row, self_id: result.selfId, self_name: result.selfName, settings: JSON.stringify({ capabilities: rt.capabilities }) });
    } catch (e) {
      this.retire(rt);
      await this.opts.secrets.delete(credentialsKey(id)).catch(() => undefined);
      await rt.adapter?.disconnect().catch(() => undefined);
      throw e;
    }
    rt.row = this.store.getAccount(id)!;
    this.accounts.set(id, rt);
    const buffered = rt.buffer ?? [];
    rt.buffer = null;
    rt.supervisor!.adoptConnected();
    for (const ev of buffered) this.onAdapterEvent(rt, ev);
    this.afterConnect(rt);
    return this.accountView(rt);
  }

  private async removeAccount(accountId: string): Promise<null> {
    const rt = this.runtime(accountId);
    this.accounts.delete(accountId);
    this.retire(rt);
    await rt.adapter?.disconnect().catch((e: unknown) => this.log.warn('disconnect failed', { accountId, error: String(e) }));
    this.ingestor.flush();
    const { conversationIds, contactAddresses } = this.store.deleteAccount(accountId);
    this.avatars.forget(accountId);
    await this.opts.secrets.delete(credentialsKey(accountId));
    await removeAccountStorage(this.opts.profileDir, accountId, this.opts.secrets).catch((e: unknown) =>
      this.log.warn('removing account storage failed', { accountId, error: String(e) }),
    );
    for (const c of conversationIds) {
      this.typing.forget(c);
      this.patches.push({ type: 'conversation.removed', conversationId: c });
    }
    for (const a of contactAddresses) this.patches.push({ type: 'contact.removed', contactId: contactIdFor(accountId, a) });
    this.patches.push({ type: 'account.removed', accountId });
    return null;
  }

  private createRuntime(row: AccountRow, factory = this.opts.adapters[row.protocol], storageId = row.id): AccountRuntime {
    const settings = parseJson<AccountSettings>(row.settings, {});
    let adapter: ProtocolAdapter | null = null;
    const rt: AccountRuntime = {
      row, adapter: null, supervisor: null, unsubscribe: () => undefined,
      capabilities: settings.capabilities ?? NO_CAPABILITIES, buffer: [], closed: false,
    };
    if (!factory) return rt;
    const accountLog = this.log;
    try {
      adapter = factory(
        { address: row.address, ...(row.service_url !== null ? { serviceUrl: row.service_url } : {}), allowPlaintext: row.allow_plaintext === 1 },
        {
          log: {
            debug: (m, d) => accountLog.debug(m, { accountId: row.id, ...d }),
            info: (m, d) => accountLog.info(m, { accountId: row.id, ...d }),
            warn: (m, d) => accountLog.warn(m, { accountId: row.id, ...d }),
            error: (m, d) => accountLog.error(m, { accountId: row.id, ...d }),
          },
          now: () => this.scheduler.now(),
          // Private per-account storage (e.g. Matrix encryption keys), sealed with a key from the
          // SecretStore.
          storage: accountStorage(this.opts.profileDir, storageId, this.opts.secrets),
        },
      );
    } catch (e) {
      this.log.error('adapter factory threw', { accountId: row.id, error: String(e) });
      return rt;
    }
    const withAdapter: AccountRuntime = { ...rt, adapter };
    withAdapter.unsubscribe = adapter.onEvent((ev) => {
      try {
        this.onAdapterEvent(withAdapter, ev);
      } catch (e) {
        this.log.error('adapter event handling failed', { accountId: row.id, error: String(e) });
      }
    });
    withAdapter.supervisor = new AccountSupervisor({
      connect: (signal) => this.connectAccount(withAdapter, signal),
      abandon: () => adapter.disconnect(),
      scheduler: this.scheduler,
      random: this.random,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      onChange: (s) => {
        if (withAdapter.closed) return;
        this.patches.push({ type: 'account', account: this.accountView(withAdapter) });
        if (s.state === 'connected') this.outbox.kick(withAdapter.row.id);
        else if (s.state !== 'connecting') this.forgetPresence(withAdapter);
      },
    });
    return withAdapter;
  }

  /** Stop everything that could still call back into the core for this account. */
  private retire(rt: AccountRuntime): void {
    rt.closed = true;
    try {
      rt.unsubscribe();
    } catch {
      // the adapter's problem, not ours
    }
    rt.supervisor?.stop();
  }

  private async connectAccount(rt: AccountRuntime, signal: AbortSignal): Promise<void> {
    const adapter = rt.adapter!;
    // A fresh session every time: whatever the last one left behind is closed first.
    await adapter.disconnect().catch(() => undefined);
    const secret = await this.opts.secrets.get(credentialsKey(rt.row.id));
    const credentials = secret === null ? null : parseJson<Credentials | null>(secret, null);
    if (!credentials) throw new AppError('auth', 'No stored credentials for this account; enter the password again');
    const result = await adapter.connect({ credentials, syncState: this.store.getSyncState(rt.row.id), signal });
    if (rt.closed) return;
    if (result.selfId !== rt.row.self_id || result.selfName !== rt.row.self_name) {
      this.store.updateAccountSelf(rt.row.id, result.selfId, result.selfName);
      rt.row = { ...rt.row, self_id: result.selfId, self_name: result.selfName };
    }
    if (result.renewedCredentials) await this.opts.secrets.set(credentialsKey(rt.row.id), JSON.stringify(result.renewedCredentials));
    this.refreshCapabilities(rt, adapter.capabilities());
    this.afterConnect(rt);
  }

  /** Best-effort catch-up after a (re)connect; failures are logged, never fail the session. */
  private afterConnect(rt: AccountRuntime): void {
    const adapter = rt.adapter!;
    const id = rt.row.id;
    const guard = (what: string) => (e: unknown) => this.log.warn(`${what} failed`, { accountId: id, error: String(e) });
    adapter.listConversations().then((list) => {
      if (rt.closed) return;
      for (const conversation of list) this.ingestor.enqueue(id, { type: 'conversation', conversation });
    }, guard('listing conversations'));
    adapter.contacts?.list().then((list) => {
      if (rt.closed) return;
      for (const contact of list) this.ingestor.enqueue(id, { type: 'contact', contact });
    }, guard('listing contacts'));
    const own = this.effectivePresence(rt);
    if ((own.state !== 'available' || own.statusText !== '') && adapter.presence) adapter.presence.set(own.state, own.statusText).catch(guard('setting presence'));
  }

  private onAdapterEvent(rt: AccountRuntime, ev: AdapterEvent): void {
    if (rt.closed) return;
    if (rt.buffer !== null) {
      if (rt.buffer.length < 10_000) rt.buffer.push(ev);
      return;
    }
    if (typeof ev === 'object' && ev !== null && ev.type === 'connection') {
      const s = rt.supervisor;
      if (ev.state === 'connected') s?.reportConnected();
      else if (ev.state === 'reconnecting') s?.reportReconnecting();
      else if (ev.state === 'disconnected') s?.reportDisconnected(ev.error);
      return;
    }
    if (typeof ev === 'object' && ev !== null && ev.type === 'capabilities' && typeof ev.capabilities === 'object' && ev.capabilities !== null) {
      this.refreshCapabilities(rt, ev.capabilities);
      return;
    }
    this.ingestor.enqueue(rt.row.id, ev);
  }

  private refreshCapabilities(rt: AccountRuntime, caps: Capabilities): void {
    rt.capabilities = { ...NO_CAPABILITIES, ...caps };
    const settings = { ...parseJson<AccountSettings>(rt.row.settings, {}), capabilities: rt.capabilities };
    rt.row = { ...rt.row, settings: JSON.stringify(settings) };
    this.store.updateAccountSettings(rt.row.id, rt.row.settings);
    this.patches.push({ type: 'account', account: this.accountView(rt) });
  }

  /** Presence learned in a session means nothing once it ends: show contacts as unknown. */
  private forgetPresence(rt: AccountRuntime): void {
    const contacts = this.store.listContacts().filter((c) => c.account_id === rt.row.id && c.presence_state !== null);
    const convs = this.store.listConversations(rt.row.id).filter((c) => c.presence_state !== null);
    if (contacts.length === 0 && convs.length === 0) return;
    this.store.clearPresence(rt.row.id);
    for (const c of contacts) this.emitContact(c.account_id, c.address);
    for (const c of convs) this.emitConversation(c.id);
  }

  // ── conversations and messages ───────────────────────────────────────────────────────────────
  private adoptConversation(rt: AccountRuntime, info: ConversationInfo): ConversationSummary {
    this.ingestor.flush();
    const id = conversationIdFor(rt.row.id, info.id);
    const isNew = this.store.getConversation(id) === undefined;
    this.store.upsertConversation({
      id, account_id: rt.row.id, native_id: info.id, kind: info.kind, title: info.title, is_private: info.isPrivate ? 1 : 0,
      // A conversation the user just started belongs at the top of the inbox.
      last_activity_at: isNew ? Math.max(info.lastActivityAt ?? 0, this.scheduler.now()) : (info.lastActivityAt ?? 0),
    });
    this.emitConversation(id);
    return this.summary(id);
  }

  private async members(conversationId: string): Promise<readonly MemberView[]> {
    const conv = this.conversation(conversationId);
    const rt = this.runtime(conv.account_id);
    if (conv.kind === 'direct') {
      // A direct chat has two members; no server round trip needed.
      const peerAddress = conv.peer ?? conv.native_id;
      const peer = this.store.getContact(conv.account_id, peerAddress);
      const summary = this.summary(conv.id);
      return [
        { id: rt.row.self_id ?? rt.row.address, name: rt.row.self_name ?? rt.row.address, role: 'member', presence: isConnected(rt) ? this.ownPresence() : 'offline', avatar: null },
        { id: peerAddress, name: peer?.name || conv.title, role: 'member', presence: summary.presence ?? 'unknown', avatar: conv.avatar },
      ];
    }
    const members = await this.roomsFeature(rt).members(conv.native_id);
    return members.map((m) => ({ id: m.id, name: m.name, role: m.role, presence: m.presence, avatar: m.avatar ?? null }));
  }

  private async loadHistory(conversationId: string, before: string | undefined, limit: number): Promise<{ messages: MessageView[]; hasMore: boolean }> {
    this.ingestor.flush();
    let conv = this.conversation(conversationId);
    const anchorRow = before !== undefined ? this.message(conv, before) : null;
    const anchor = anchorRow ? { ts: anchorRow.ts, seq: anchorRow.seq } : null;
    let rows = this.store.messagesBefore(conv.id, anchor, limit + 1);
    const rt = this.runtime(conv.account_id);
    const canFetch = (): boolean => isConnected(rt) && rt.capabilities.history && conv.history_complete === 0;
    if (rows.length <= limit && canFetch()) {
      try {
        const cursor = conv.history_cursor ?? this.store.oldestMessage(conv.id)?.cursor ?? undefined;
        const page = await rt.adapter!.getHistory(conv.native_id, { ...(cursor ? { before: cursor } : {}), limit });
        if (!rt.closed && this.store.getConversation(conv.id)) {
          this.ingestor.ingestHistory(conv.account_id, page.messages.filter((m) => m.conversationId === conv.native_id));
          this.store.setHistoryState(conv.id, page.olderCursor, page.olderCursor === null);
          conv = this.conversation(conversationId);
          rows = this.store.messagesBefore(conv.id, anchor, limit + 1);
        }
      } catch (e) {
        this.log.warn('history fetch failed', { conversationId, error: String(e) });
      }
    }
    const hasMore = rows.length > limit || (rt.capabilities.history && conv.history_complete === 0 && rt.adapter !== null);
    const page = rows.slice(0, limit).reverse();
    return { messages: messageViews(this.store, page, rt.row.self_id), hasMore };
  }

  private sendOwn(conv: ConversationRow, payload: OutboxPayload): MessageView {
    const rt = this.runtime(conv.account_id);
    const sender = { id: rt.row.self_id ?? rt.row.address, name: rt.row.self_name ?? rt.row.address };
    const row = this.outbox.enqueue(conv, sender, payload);
    const [view] = messageViews(this.store, [row], rt.row.self_id);
    this.patches.push({ type: 'messages', conversationId: conv.id, messages: [view!] });
    this.emitConversation(conv.id);
    this.outbox.kick(conv.account_id);
    return view!;
  }

  private async editMessage(conversationId: string, messageId: string, text: string): Promise<null> {
    const conv = this.conversation(conversationId);
    const msg = this.message(conv, messageId);
    const rt = this.runtime(conv.account_id);
    if (msg.own !== 1) throw new AppError('forbidden', 'Only your own messages can be edited');
    if (msg.deleted === 1) throw new AppError('conflict', 'The message was deleted');
    if (msg.native_id === null) throw new AppError('conflict', 'The message has not been sent yet');
    const adapter = this.connectedAdapter(rt);
    if (!adapter.edits) throw new AppError('unsupported', `${rt.row.protocol} accounts cannot edit messages`);
    await adapter.edits.edit(conv.native_id, { id: msg.native_id, refs: refsOf(msg) }, text, randomUUID());
    this.store.tx(() => {
      // Formatting comes back with the server's copy of the edit (message.edited); until then, plain.
      this.store.editMessage(msg.id, text, null, this.scheduler.now());
      const newest = this.store.newestVisibleMessage(conv.id);
      if (newest?.id === msg.id) this.store.setConversationPreview(conv.id, previewOf(text, attachmentsOf(msg)));
    });
    this.emitMessages(conv.id, [msg.id]);
    this.emitConversation(conv.id);
    return null;
  }

  private async deleteMessage(conversationId: string, messageId: string): Promise<null> {
    const conv = this.conversation(conversationId);
    const msg = this.message(conv, messageId);
    if (msg.deleted === 1) return null;
    if (msg.own === 1 && msg.native_id === null) {
      // Never reached the server: just take it out of the outbox.
      this.outbox.discard(msg);
    } else {
      const rt = this.runtime(conv.account_id);
      const adapter = this.connectedAdapter(rt);
      if (!adapter.deletes) throw new AppError('unsupported', `${rt.row.protocol} accounts cannot delete messages`);
      await adapter.deletes.delete(conv.native_id, { id: msg.native_id!, refs: refsOf(msg) });
      this.store.tx(() => this.store.markMessageDeleted(msg.id));
      this.emitMessages(conv.id, [msg.id]);
    }
    const newest = this.store.newestVisibleMessage(conv.id);
    this.store.setConversationPreview(conv.id, newest ? previewOfRow(newest) : '');
    this.emitConversation(conv.id);
    return null;
  }

  private async react(conversationId: string, messageId: string, key: string, on: boolean): Promise<null> {
    const conv = this.conversation(conversationId);
    const msg = this.message(conv, messageId);
    const rt = this.runtime(conv.account_id);
    if (msg.native_id === null) throw new AppError('conflict', 'The message has not been sent yet');
    const adapter = this.connectedAdapter(rt);
    if (!adapter.reactions) throw new AppError('unsupported', `${rt.row.protocol} accounts cannot react to messages`);
    const self = rt.row.self_id ?? rt.row.address;
    const current = new Set(this.store.senderReactionKeys(msg.id, self));
    if (on) current.add(key);
    else current.delete(key);
    const keys = [...current];
    await adapter.reactions.set(conv.native_id, { id: msg.native_id, refs: refsOf(msg) }, keys);
    this.store.tx(() => this.store.setReactions(msg.id, self, keys));
    this.emitMessages(conv.id, [msg.id]);
    return null;
  }

  /** Clear the badge and tell the server (chat markers / read receipts) where we read to. */
  private async markRead(conv: ConversationRow): Promise<void> {
    this.ingestor.flush();
    const newest = this.store.newestVisibleMessage(conv.id);
    this.store.markConversationRead(conv.id, Math.max(newest?.ts ?? 0, conv.last_activity_at));
    this.emitConversation(conv.id);
    const rt = this.accounts.get(conv.account_id);
    const incoming = this.store.newestIncomingMessage(conv.id);
    if (!rt || !isConnected(rt) || !rt.adapter?.receipts || !incoming || incoming.ts <= conv.last_read_at) return;
    try {
      await rt.adapter.receipts.markDisplayed(conv.native_id, { id: incoming.native_id!, refs: refsOf(incoming), senderId: incoming.sender_id });
    } catch (e) {
      this.log.warn('sending read marker failed', { conversationId: conv.id, error: String(e) });
    }
  }

  private async setPresence(state: OwnPresenceState, statusText: string): Promise<null> {
    if (!(OWN_PRESENCE_STATES as readonly string[]).includes(state)) throw new AppError('invalid_input', 'Unknown presence state');
    this.store.setSetting(SETTING_PRESENCE, state);
    this.store.setSetting(SETTING_STATUS, statusText);
    this.patches.push({ type: 'presence.own', state, statusText });
    // Accounts with a presence of their own keep it; the others take the new one.
    await this.applyPresence([...this.accounts.values()].filter((rt) => !this.accountSettings(rt.row.id)?.presence));
    return null;
  }

  /**
   * What an account shows others: its own override, else the state set for all accounts; while
   * the user is idle, "available" shows as away (and comes back on activity). Mapped per protocol
   * by each adapter (protocols.md C.4).
   */
  private effectivePresence(rt: AccountRuntime): { state: OwnPresenceState; statusText: string } {
    const base = this.accountSettings(rt.row.id)?.presence ?? { state: this.ownPresence(), statusText: this.store.getSetting(SETTING_STATUS) ?? '' };
    return this.idle && base.state === 'available' ? { ...base, state: 'away' } : base;
  }

  private async applyPresence(accounts: readonly AccountRuntime[]): Promise<void> {
    const targets = accounts.filter((rt) => !rt.closed && isConnected(rt) && rt.adapter?.presence);
    const results = await Promise.allSettled(targets.map((rt) => {
      const p = this.effectivePresence(rt);
      return rt.adapter!.presence!.set(p.state, p.statusText);
    }));
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.log.warn('setting presence failed', { accountId: targets[i]!.row.id, error: String(r.reason) });
    });
    for (const rt of accounts) if (!rt.closed) this.patches.push({ type: 'account', account: this.accountView(rt) });
  }

  private search(query: string, accountId: string | undefined, limit: number): SearchHit[] {
    this.ingestor.flush();
    const fts = toFtsQuery(query);
    if (fts === null) return [];
    const terms = queryTerms(query);
    return this.store.searchMessages(fts, accountId, limit).map((r) => {
      const { snippet, matches } = makeSnippet(r.text, terms);
      return {
        messageId: r.id, conversationId: r.conversation_id, accountId: r.account_id, conversationTitle: r.conversation_title,
        senderName: r.sender_name, ts: r.ts, snippet, matches,
      };
    });
  }

  private async upload(conversationId: string, name: string, mime: string, dataBase64: string): Promise<MessageView> {
    const conv = this.conversation(conversationId);
    const rt = this.runtime(conv.account_id);
    const adapter = this.connectedAdapter(rt);
    if (!adapter.files || !rt.capabilities.upload) throw new AppError('unsupported', `This ${rt.row.protocol} server does not accept file uploads`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(dataBase64)) throw new AppError('invalid_input', 'The file data is not valid base64');
    const data = Buffer.from(dataBase64, 'base64');
    const limit = Math.min(MAX_UPLOAD_BYTES, rt.capabilities.maxUploadBytes ?? MAX_UPLOAD_BYTES);
    if (data.byteLength > limit) throw new AppError('invalid_input', `The file is larger than the limit of ${limit} bytes`);
    const attachment = await adapter.files.upload(conv.native_id, { name, mime: mime || 'application/octet-stream', data: new Uint8Array(data) });
    return this.sendOwn(this.conversation(conversationId), { text: '', attachment });
  }

  private async download(conversationId: string, messageId: string, attachmentId: string): Promise<{ name: string; mime: string; dataBase64: string }> {
    const conv = this.conversation(conversationId);
    const msg = this.message(conv, messageId);
    const attachment = attachmentsOf(msg).find((a) => a.id === attachmentId);
    if (!attachment) throw new AppError('not_found', 'No such attachment');
    const rt = this.runtime(conv.account_id);
    const adapter = this.connectedAdapter(rt);
    if (!adapter.files) throw new AppError('unsupported', `${rt.row.protocol} accounts cannot download files`);
    const file = await adapter.files.download(attachment);
    return { name: file.name, mime: file.mime, dataBase64: Buffer.from(file.data).toString('base64') };
  }

  private accountSettings(accountId: string): AccountSettings | null {
    const rt = this.accounts.get(accountId);
    return rt ? parseJson<AccountSettings>(rt.row.settings, {}) : null;
  }

  /**
   * Start a Jitsi call in a conversation: an unguessable room on the right server, and an
   * invitation in the protocol's native form (MeetingFeature.invite) or, where the adapter has
   * none, an ordinary message with the link. Returns the address the caller joins.
   */
  private async startCall(conversationId: string, video: boolean): Promise<CommandOutputs['call:start']> {
    const conv = this.conversation(conversationId);
    const rt = this.runtime(conv.account_id);
    const adapter = this.connectedAdapter(rt);
    const planned = this.meetings.newCall(rt.row.id, { title: conv.title, video });
    const call = planned.invite;
    const invite = adapter.meetings?.invite?.bind(adapter.meetings);
    let joinUrl = planned.joinUrl;
    let openIn = planned.openIn;
    if (invite) {
      const answer = (await invite(conv.native_id, call)).joinUrl;
      // A server-hosted conference (Rocket.Chat) is joined where that server says.
      if (answer !== call.url) {
        joinUrl = answer;
        openIn = 'window';
      }
    } else {
      // Both languages: the other side's language is not known.
      await this.sendOwn(conv, { text: `📹 Videomöte / Video meeting: ${call.url}` });
    }
    const safe = safeMeetingUrl(joinUrl);
    if (safe === null) throw new AppError('server', 'The server gave no safe address for the call');
    this.log.info('call started', { conversationId, domain: call.domain });
    return { url: safe, openIn };
  }

  private async meetingUrl(conversationId: string, messageId: string): Promise<{ url: string }> {
    const conv = this.conversation(conversationId);
    const msg = this.message(conv, messageId);
    const meeting = parseJson<{ url?: unknown } | null>(msg.meeting ?? 'null', null);
    if (!meeting || msg.deleted === 1) throw new AppError('not_found', 'The message has no call to join');
    let url = typeof meeting.url === 'string' ? meeting.url : null;
    if (url === null) {
      const rt = this.runtime(conv.account_id);
      const adapter = this.connectedAdapter(rt);
      const joinUrl = adapter.meetings?.joinUrl?.bind(adapter.meetings);
      if (!joinUrl || msg.native_id === null) throw new AppError('unsupported', `${rt.row.protocol} accounts cannot join this call here`);
      url = await joinUrl(conv.native_id, { id: msg.native_id, refs: refsOf(msg) });
    }
    const safe = safeMeetingUrl(url);
    if (safe === null) throw new AppError('forbidden', 'The call link is not a safe https address');
    return { url: safe };
  }

  // ── lookups that throw the right AppError ───────────────────────────────────────────────────
  private runtime(accountId: string): AccountRuntime {
    const rt = this.accounts.get(accountId);
    if (!rt || rt.closed) throw new AppError('not_found', 'No such account');
    return rt;
  }
  private connectedAdapter(rt: AccountRuntime): ProtocolAdapter {
    if (!rt.adapter) throw new AppError('unsupported', `${rt.row.protocol} is not available in this build`);
    if (!isConnected(rt)) throw new AppError('network', 'The account is not connected right now');
    return rt.adapter;
  }
  private encryptionFeature(accountId: string): NonNullable<ProtocolAdapter['encryption']> {
    const rt = this.runtime(accountId);
    const adapter = this.connectedAdapter(rt);
    if (!adapter.encryption) throw new AppError('unsupported', `${rt.row.protocol} accounts have no end-to-end encryption here`);
    return adapter.encryption;
  }
  private contactsFeature(accountId: string): NonNullable<ProtocolAdapter['contacts']> {
    const rt = this.runtime(accountId);
    const adapter = this.connectedAdapter(rt);
    if (!adapter.contacts) throw new AppError('unsupported', `${rt.row.protocol} accounts have no contact list`);
    return adapter.contacts;
  }
  private roomsFeature(rt: AccountRuntime): NonNullable<ProtocolAdapter['rooms']> {
    const adapter = this.connectedAdapter(rt);
    if (!adapter.rooms) throw new AppError('unsupported', `${rt.row.protocol} accounts cannot manage rooms here`);
    return adapter.rooms;
  }
  private conversation(id: string): ConversationRow {
    this.ingestor.flush();
    const c = this.store.getConversation(id);
    if (!c || !this.accounts.has(c.account_id)) throw new AppError('not_found', 'No such conversation');
    return c;
  }
  private message(conv: ConversationRow, id: string): MessageRow {
    const m = this.store.getMessage(id);
    if (!m || m.conversation_id !== conv.id) throw new AppError('not_found', 'No such message in this conversation');
    return m;
  }

  private ownPresence(): OwnPresenceState {
    const s = this.store.getSetting(SETTING_PRESENCE);
    return s !== null && (OWN_PRESENCE_STATES as readonly string[]).includes(s) ? (s as OwnPresenceState) : 'available';
  }

  private withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.scheduler.setTimeout(() => reject(new AppError('timeout', `No answer from the server within ${Math.round(ms / 1000)} s`)), ms);
      p.then(
        (v) => {
          this.scheduler.clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          this.scheduler.clearTimeout(t);
          reject(e instanceof Error || isDto(e) ? (isDto(e) ? new AppError(e.kind, e.message) : e) : new Error(String(e)));
        },
      );
    });
  }

  // ── views and patches ────────────────────────────────────────────────────────────────────────
  private accountView(rt: AccountRuntime): ReturnType<typeof accountSummary> {
    return accountSummary(rt, this.effectivePresence(rt).state, this.accountSettings(rt.row.id)?.presence?.state ?? null);
  }
  private summary(conversationId: string): ConversationSummary {
    const row = this.store.getConversationListRow(conversationId);
    if (!row) throw new AppError('not_found', 'No such conversation');
    return conversationView(row, this.typing.get(conversationId));
  }
  private emitConversation(conversationId: string): void {
    const row = this.store.getConversationListRow(conversationId);
    if (row) this.patches.push({ type: 'conversation', conversation: conversationView(row, this.typing.get(conversationId)) });
  }
  private emitMessages(conversationId: string, ids: readonly string[]): void {
    const conv = this.store.getConversation(conversationId);
    if (!conv) return;
    const rows = ids.map((id) => this.store.getMessage(id)).filter((r): r is MessageRow => r !== undefined);
    if (rows.length === 0) return;
    const self = this.accounts.get(conv.account_id)?.row.self_id ?? null;
    this.patches.push({ type: 'messages', conversationId, messages: messageViews(this.store, rows, self) });
  }
  private emitContact(accountId: string, address: string): void {
    const row = this.store.getContact(accountId, address);
    if (row) this.patches.push({ type: 'contact', contact: contactView(row) as ContactView });
  }
}

function isDto(e: unknown): e is AppErrorDto {
  return typeof e === 'object' && e !== null && !(e instanceof Error) && typeof (e as { kind?: unknown }).kind === 'string';
}
