// people:search — ask the directory of every connected account at once (Matrix user directory,
// Mattermost and Rocket.Chat user search, XMPP roster) and describe each hit on the account that
// found it, so the user starts a chat with one explicit account and address. One slow or broken
// server must not hide the others' answers: each account gets its own timeout, and failures are
// reported next to the hits instead of failing the search.
import { AppError, toErrorDto } from '../../../common/errors';
import { PROTOCOLS } from '../../../common/ids';
import type { ProtocolId } from '../../../common/ids';
import type { DirectoryFailure, DirectoryHit, DirectorySearchResult } from '../../../common/model';
import type { DirectoryEntry, DirectoryFeature } from '../../../protocols/contract';
import { isConnected } from '../accounts/account-runtime';
import type { AccountRuntime } from '../accounts/account-runtime';
import type { Scheduler } from '../clock';
import type { Store } from '../store/store';
import { isInternalDomain, parseAddress } from './addresses';
import { isLive, personIdOf } from './person-view';
import type { ViewContext } from './person-view';
import { ownDomainContext } from './people';

export const DEFAULT_SEARCH_LIMIT = 20;
/** Long enough for a busy server, short enough that the user is not left waiting for one. */
export const ACCOUNT_SEARCH_TIMEOUT_MS = 8_000;

export interface DirectorySearchDeps {
  readonly store: Store;
  readonly scheduler: Scheduler;
  /** Where e-mails the directories show go (People.setEmails), for merge suggestions. */
  readonly setEmails?: (accountId: string, address: string, emails: readonly string[]) => void;
  /** IT's policy: the organisation's own domains, internal like the accounts' own (as in People). */
  readonly internalDomains?: readonly string[];
  readonly timeoutMs?: number;
}

interface Source {
  readonly accountId: string;
  readonly protocol: ProtocolId;
  readonly directory: DirectoryFeature;
}

/** Accounts that can be searched now: connected, with a directory, not being removed. */
function sourcesOf(runtimes: Iterable<AccountRuntime>): Source[] {
  const out: Source[] = [];
  for (const rt of runtimes) {
    const directory = rt.adapter?.directory;
    if (!rt.closed && directory && isConnected(rt)) out.push({ accountId: rt.row.id, protocol: rt.row.protocol, directory });
  }
  return out;
}

export async function searchDirectories(deps: DirectorySearchDeps, runtimes: Iterable<AccountRuntime>, term: string, limit = DEFAULT_SEARCH_LIMIT): Promise<DirectorySearchResult> {
  const t = term.trim();
  if (t.length === 0 || t.length > 100) throw new AppError('invalid_input', 'A search needs 1 to 100 characters');
  const n = Math.max(1, Math.min(50, Math.floor(limit)));
  const sources = sourcesOf(runtimes);
  const answers = await Promise.allSettled(sources.map((s) => withTimeout(deps, s.directory.search(t, n))));
  const ctx = ownDomainContext(deps.store, deps.internalDomains ?? []);
  const hits: DirectoryHit[] = [];
  const failed: DirectoryFailure[] = [];
  const seen = new Set<string>();
  answers.forEach((a, i) => {
    const s = sources[i]!;
    if (a.status === 'rejected') {
      failed.push({ accountId: s.accountId, error: toErrorDto(a.reason) });
      return;
    }
    for (const e of a.value.slice(0, n)) {
      const key = `${s.accountId}\n${e.address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      hits.push(describe(deps, ctx, s, e));
    }
  });
  hits.sort(compareHits);
  return { hits, failed };
}

function withTimeout<T>(deps: DirectorySearchDeps, p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = deps.scheduler.setTimeout(() => reject(new AppError('timeout', 'The server did not answer the search in time')), deps.timeoutMs ?? ACCOUNT_SEARCH_TIMEOUT_MS);
    p.then(
      (v) => { deps.scheduler.clearTimeout(timer); resolve(v); },
      (e: unknown) => { deps.scheduler.clearTimeout(timer); reject(e); },
    );
  });
}

function describe(deps: DirectorySearchDeps, ctx: ViewContext, s: Source, e: DirectoryEntry): DirectoryHit {
  const agency = parseAddress(s.protocol, e.address)?.domain ?? ctx.accountDomain.get(s.accountId) ?? '';
  const personNo = deps.store.personIdOf(s.accountId, e.address);
  // A person row may outlive its contact or chat; only people the UI lists are worth linking to.
  const visible = personNo !== undefined && deps.store.personAddresses(personNo).some(isLive);
  if (personNo !== undefined && e.email && deps.setEmails) deps.setEmails(s.accountId, e.address, [e.email]);
  return {
    accountId: s.accountId,
    protocol: s.protocol,
    address: e.address,
    name: e.name.trim() || e.address,
    agency,
    internal: isInternalDomain(agency, ctx.ownDomains),
    personId: visible ? personIdOf(personNo) : null,
    conversationId: deps.store.directConversationIds(s.accountId, e.address)[0] ?? null,
  };
}

/** By name, so that one person's hits on several accounts stand together; then a stable order. */
function compareHits(a: DirectoryHit, b: DirectoryHit): number {
  return a.name.localeCompare(b.name, 'sv')
    || PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol)
    || (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0)
    || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
}
