// The people layer: one person per human across accounts. Every contact and direct-chat peer
// belongs to exactly one person (by default its own, created on demand); the user merges,
// splits and renames, and the store keeps that across restarts. Changes reach the UI as
// `person` / `person.removed` patches, built in PersonPatchBatcher from the contact and
// conversation patches the core already emits (see person-patches.ts).
import type { Patch } from '../../../common/api';
import { AppError } from '../../../common/errors';
import type { PersonSuggestion, PersonView } from '../../../common/model';
import type { PersonAddressRow, PersonRow, UnassignedPeerRow } from '../store/rows';
import type { Store } from '../store/store';
import { addressKey, hostOf, parseAddress } from './addresses';
import { isLive, personIdOf, personNumber, personView } from './person-view';
import type { ViewContext } from './person-view';
import { dismissalKey, suggestMerges } from './suggestions';
import type { Suggestion } from './suggestions';

/** Marks a person the UI was told is gone (a view's JSON is never empty). */
const REMOVED = '';

export class People {
  /** Addresses whose person may have changed since the last patches. */
  private readonly dirtyAddresses = new Map<string, { accountId: string; address: string }>();
  private readonly dirtyPeople = new Set<number>();
  private allDirty = false;
  private accountsChanged = false;
  private ownDomainsKey = '';
  /** Told when a command changed people (the patch batcher then sends them). */
  private changed: () => void = () => undefined;
  /** The last view the UI got per person (REMOVED once removed), so that nothing is sent twice. */
  private readonly sent = new Map<number, string>();

  /** `beforeRead` applies queued adapter events, so reads see everything received. */
  constructor(
    private readonly store: Store,
    private readonly beforeRead: () => void = () => undefined,
    /** The organisation's own domains from IT's policy: people there are internal too. */
    private readonly internalDomains: readonly string[] = [],
  ) {
    this.ownDomainsKey = this.domainsKey();
  }

  // ── commands ────────────────────────────────────────────────────────────────────────────────
  list(): PersonView[] {
    this.beforeRead();
    this.assignAll();
    const ctx = this.context();
    const rowsBy = this.rowsByPerson();
    const out: PersonView[] = [];
    for (const p of this.store.listPeople()) {
      const v = personView(p, rowsBy.get(p.id) ?? [], ctx);
      if (v) {
        out.push(v);
        this.sent.set(p.id, JSON.stringify(v));
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name, 'sv') || (a.id < b.id ? -1 : 1));
  }

  suggestions(): PersonSuggestion[] {
    return this.computeSuggestions().map(({ id, personIds, reason }) => ({ id, personIds, reason }));
  }

  /** All addresses go to the first person; a name the user chose survives (the first one). */
  merge(personIds: readonly string[]): PersonView {
    this.beforeRead();
    const ids = personIds.map((id) => this.visiblePerson(id).id);
    if (new Set(ids).size !== ids.length) throw new AppError('invalid_input', 'A person is listed twice');
    const [target, ...others] = ids as [number, ...number[]];
    const renamed = ids.map((id) => this.store.getPerson(id)!).find((p) => p.renamed === 1);
    this.store.tx(() => {
      for (const o of others) {
        this.store.movePersonAddresses(o, target);
        this.store.deletePerson(o);
      }
      if (renamed && renamed.id !== target) this.store.renamePerson(target, renamed.name);
    });
    for (const id of ids) this.dirtyPeople.add(id);
    this.changed();
    return this.view(target);
  }

  /**
   * The address leaves the person for a person of its own. The user said the two are different,
   * so the pairs are remembered like a dismissed suggestion: it is not suggested back.
   */
  split(personId: string, accountId: string, address: string): PersonView {
    this.beforeRead();
    const person = this.visiblePerson(personId);
    const rows = this.store.personAddresses(person.id).filter(isLive);
    if (!rows.some((r) => r.account_id === accountId && r.address === address)) throw new AppError('not_found', 'The address is not one of this person\'s');
    if (rows.length < 2) throw new AppError('invalid_input', 'A person with one address cannot be split');
    const key = addressKey(accountId, address);
    const created = this.store.tx(() => {
      const id = this.store.insertPerson('');
      this.store.assignPersonAddress(accountId, address, id);
      for (const r of this.store.personAddresses(person.id)) this.store.addPersonDismissal(key, addressKey(r.account_id, r.address));
      return id;
    });
    this.dirtyPeople.add(person.id);
    this.dirtyPeople.add(created);
    this.changed();
    return this.view(created);
  }

  rename(personId: string, name: string): PersonView {
    this.beforeRead();
    const person = this.visiblePerson(personId);
    this.store.renamePerson(person.id, name.trim());
    this.dirtyPeople.add(person.id);
    this.changed();
    return this.view(person.id);
  }

  dismissSuggestion(suggestionId: string): null {
    const s = this.computeSuggestions().find((x) => x.id === suggestionId);
    if (!s) throw new AppError('not_found', 'No such suggestion (it may have changed)');
    this.store.tx(() => {
      for (const [a, b] of s.pairs) this.store.addPersonDismissal(a, b);
    });
    return null;
  }

  /**
   * E-mail addresses an adapter learned for a user (for 'same-email' suggestions). No adapter
   * reports them yet; this is the entry point when one does.
   */
  setEmails(accountId: string, address: string, emails: readonly string[]): void {
    this.assign(accountId, address);
    this.store.setPersonAddressEmails(accountId, address, JSON.stringify(emails.map((e) => e.trim().toLowerCase()).filter((e) => e !== '')));
  }

  // ── change tracking (PersonPatchBatcher) ─────────────────────────────────────────────────────
  onChange(listener: () => void): void {
    this.changed = listener;
  }
  /** A contact, a direct chat or a presence of this address changed. */
  touch(accountId: string, address: string): void {
    this.dirtyAddresses.set(addressKey(accountId, address), { accountId, address });
  }
  /** An account came or went: internal/external and whole address sets may change. */
  touchAccounts(removed: boolean): void {
    if (removed) this.allDirty = true;
    else this.accountsChanged = true;
  }

  /** Patches for every person that changed since the last call. */
  takePatches(): Patch[] {
    if (!this.store.db.open) return []; // shutting down: nothing left to describe
    if (this.accountsChanged) {
      this.accountsChanged = false;
      const key = this.domainsKey();
      if (key !== this.ownDomainsKey) this.allDirty = true;
      this.ownDomainsKey = key;
    }
    const out: Patch[] = [];
    if (this.allDirty) {
      this.allDirty = false;
      // People already marked stay marked: one may have just been merged away.
      this.dirtyAddresses.clear();
      for (const id of this.store.deleteEmptyPeople()) this.dirtyPeople.add(id);
      this.assignAll();
      for (const p of this.store.listPeople()) this.dirtyPeople.add(p.id);
    }
    for (const { accountId, address } of this.dirtyAddresses.values()) {
      const id = this.assign(accountId, address);
      if (id !== undefined) this.dirtyPeople.add(id);
    }
    this.dirtyAddresses.clear();
    if (this.dirtyPeople.size === 0) return out;
    const ctx = this.context();
    for (const id of this.dirtyPeople) {
      const row = this.store.getPerson(id);
      const v = row ? personView(row, this.store.personAddresses(id), ctx) : null;
      if (v === null) {
        if (this.sent.get(id) !== REMOVED) out.push({ type: 'person.removed', personId: personIdOf(id) });
        this.sent.set(id, REMOVED);
        continue;
      }
      const json = JSON.stringify(v);
      if (this.sent.get(id) === json) continue;
      this.sent.set(id, json);
      out.push({ type: 'person', person: v });
    }
    this.dirtyPeople.clear();
    return out;
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────
  /** The address's person, creating one when the address is a peer without a person. */
  private assign(accountId: string, address: string): number | undefined {
    const existing = this.store.personIdOf(accountId, address);
    if (existing !== undefined) return existing;
    const peer = this.store.peerOf(accountId, address);
    if (!peer || !this.isPersonAddress(peer)) return undefined;
    return this.store.tx(() => {
      const id = this.store.insertPerson('');
      this.store.assignPersonAddress(accountId, address, id);
      return id;
    });
  }

  private assignAll(): void {
    const peers = this.store.unassignedPeers();
    if (peers.length === 0) return;
    this.store.tx(() => {
      for (const p of peers) {
        if (!this.isPersonAddress(p)) continue;
        this.store.assignPersonAddress(p.account_id, p.address, this.store.insertPerson(''));
      }
    });
  }

  /**
   * Contacts are people whatever their address looks like; a direct chat's native id only when
   * it is a user's address (XMPP), not a room or channel id (Matrix, Mattermost, Rocket.Chat).
   * The user's own address (a chat with oneself, notes to self) is nobody else.
   */
  private isPersonAddress(peer: UnassignedPeerRow): boolean {
    const own = this.store.getAccount(peer.account_id);
    const address = peer.address.toLowerCase();
    if (own && (own.address.toLowerCase() === address || own.self_id?.toLowerCase() === address)) return false;
    return peer.is_contact === 1 || parseAddress(peer.protocol, peer.address) !== null;
  }

  private visiblePerson(id: string): PersonRow {
    const n = personNumber(id);
    const row = n === null ? undefined : this.store.getPerson(n);
    if (!row || !this.store.personAddresses(row.id).some(isLive)) throw new AppError('not_found', 'No such person');
    return row;
  }

  private view(id: number): PersonView {
    const v = personView(this.store.getPerson(id)!, this.store.personAddresses(id), this.context());
    if (!v) throw new AppError('not_found', 'No such person');
    return v;
  }

  private rowsByPerson(): Map<number, PersonAddressRow[]> {
    const by = new Map<number, PersonAddressRow[]>();
    for (const r of this.store.allPersonAddresses()) {
      const list = by.get(r.person_id);
      if (list) list.push(r);
      else by.set(r.person_id, [r]);
    }
    return by;
  }

  private computeSuggestions(): Suggestion[] {
    this.beforeRead();
    this.assignAll();
    const rowsBy = this.rowsByPerson();
    const people = [...rowsBy].map(([id, rows]) => ({
      id: personIdOf(id),
      addresses: rows.filter(isLive).map((r) => ({ accountId: r.account_id, protocol: r.protocol, address: r.address, emails: emailsOf(r.emails) })),
    })).filter((p) => p.addresses.length > 0);
    const dismissed = new Set(this.store.listPersonDismissals().map((d) => dismissalKey(d.a, d.b)));
    return suggestMerges(people, dismissed);
  }

  private domainsKey(): string {
    return [...this.context().ownDomains].sort().join(' ');
  }

  private context(): ViewContext {
    return ownDomainContext(this.store, this.internalDomains);
  }
}

/**
 * The user's own domains: the policy's internal domains, each account's address domain and its
 * server's host. People (and directory hits) on them are internal.
 */
export function ownDomainContext(store: Store, internalDomains: readonly string[]): ViewContext {
  const ownDomains = new Set<string>(internalDomains.map((d) => d.toLowerCase()));
  const accountDomain = new Map<string, string>();
  for (const a of store.listAccounts()) {
    const own = parseAddress(a.protocol, a.address)?.domain ?? hostOf(a.address);
    if (own) {
      ownDomains.add(own);
      accountDomain.set(a.id, own);
    }
    const server = hostOf(a.server);
    if (server) ownDomains.add(server);
  }
  return { ownDomains, accountDomain };
}

function emailsOf(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}
