// people:search with real cores on temp profiles and fake servers: hits from every connected
// account's directory, each described on the account that found it (agency, internal, existing
// chat, person), a broken or silent server reported without hiding the others, and a chat started
// from a hit going out on exactly that account.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtocolId } from '../../../common/ids';
import { systemScheduler } from '../../../main/core/clock';
import type { Scheduler } from '../../../main/core/clock';
import { AppError } from '../../../common/errors';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';
import { cleanupDirs, openCore, tempDir, waitFor } from './harness';
import type { Harness } from './harness';

afterEach(cleanupDirs);

const PW = 'secret password 42';

/** The system scheduler, except that the search timeouts (8 s) fire when the test says so. */
function searchClock(): { scheduler: Scheduler; expireSearches: () => void } {
  const real = systemScheduler();
  const pending = new Set<() => void>();
  return {
    scheduler: {
      now: real.now,
      setTimeout: (fn, ms) => {
        if (ms !== 8_000) return real.setTimeout(fn, ms);
        pending.add(fn);
        return fn;
      },
      clearTimeout: (h) => {
        if (typeof h === 'function') pending.delete(h as () => void);
        else real.clearTimeout(h);
      },
    },
    expireSearches: () => {
      for (const fn of [...pending]) fn();
      pending.clear();
    },
  };
}

interface World {
  h: Harness;
  xmpp: FakeServer;
  matrix: FakeServer;
  mm: FakeServer;
  ids: Record<'xmpp' | 'matrix' | 'mm', string>;
  expireSearches: () => void;
}

/** Me on agency.se over XMPP, Matrix and Mattermost (chat.agency.se). */
async function world(): Promise<World> {
  const xmpp = new FakeServer().addUser('me@agency.se', PW, [
    { address: 'anna@agency.se', name: 'Anna Berg', subscription: 'both', groups: [] },
  ]);
  xmpp.directory.push({ address: 'anna@agency.se', name: 'Anna Berg' });
  const matrix = new FakeServer().addUser('@me:agency.se', PW);
  matrix.directory.push({ address: '@anna:agency.se', name: 'Anna Berg' }, { address: '@annika:agency-c.se', name: 'Annika Holm' });
  const mm = new FakeServer().addUser('me@chat.agency.se', PW);
  mm.directory.push({ address: 'anna@chat.agency.se', name: 'Anna Berg', email: 'anna.berg@agency.se' }, { address: 'bo@chat.agency.se', name: 'Bo Ek' });
  const clock = searchClock();
  const adapters: Partial<Record<ProtocolId, ReturnType<typeof fakeAdapterFactory>>> = {
    xmpp: fakeAdapterFactory(xmpp, 'xmpp'), matrix: fakeAdapterFactory(matrix, 'matrix'), mattermost: fakeAdapterFactory(mm, 'mattermost'),
  };
  const h = openCore(tempDir(), adapters, { scheduler: clock.scheduler });
  const ids = {
    xmpp: (await h.call('accounts:add', { protocol: 'xmpp', address: 'me@agency.se', password: PW })).id,
    matrix: (await h.call('accounts:add', { protocol: 'matrix', address: '@me:agency.se', password: PW })).id,
    mm: (await h.call('accounts:add', { protocol: 'mattermost', address: 'me@chat.agency.se', password: PW })).id,
  };
  await waitFor(async () => (await h.call('people:list', {})).length === 1, 'the roster person');
  return { h, xmpp, matrix, mm, ids, expireSearches: clock.expireSearches };
}

describe('people:search', () => {
  it('finds the same name on every account that can reach it, each with its account, agency and internal/external', async () => {
    const { h, ids } = await world();
    const { hits, failed } = await h.call('people:search', { term: '  ann ' });
    expect(failed).toEqual([]);
    expect(hits.map((x) => `${x.name}|${x.protocol}|${x.accountId}|${x.address}|${x.agency}|${x.internal}`)).toEqual([
      `Anna Berg|xmpp|${ids.xmpp}|anna@agency.se|agency.se|true`,
      `Anna Berg|matrix|${ids.matrix}|@anna:agency.se|agency.se|true`,
      `Anna Berg|mattermost|${ids.mm}|anna@chat.agency.se|chat.agency.se|true`,
      `Annika Holm|matrix|${ids.matrix}|@annika:agency-c.se|agency-c.se|false`,
    ]);
    // The roster contact is already a person; the others are not yet.
    const people = await h.call('people:list', {});
    expect(hits[0]!.personId).toBe(people[0]!.id);
    expect(hits.slice(1).map((x) => x.personId)).toEqual([null, null, null]);
    expect(hits.map((x) => x.conversationId)).toEqual([null, null, null, null]);
  });

  it('passes the trimmed term and the limit to each directory, and rejects an empty search', async () => {
    const { h, matrix } = await world();
    await h.call('people:search', { term: ' bo ', limit: 5 });
    expect(matrix.calls.filter((c) => c.method === 'directory.search').map((c) => c.args)).toEqual([['bo', 5]]);
    expect((await h.fail('people:search', { term: '   ' })).kind).toBe('ipc_invalid');
    expect((await h.fail('people:search', { term: 'x'.repeat(101) })).kind).toBe('ipc_invalid');
    expect((await h.fail('people:search', { term: 'bo', limit: 51 })).kind).toBe('ipc_invalid');
  });

  it('reports a failing account and still returns the others\' hits', async () => {
    const { h, matrix, ids } = await world();
    matrix.directoryError = new AppError('forbidden', 'user directory disabled');
    const { hits, failed } = await h.call('people:search', { term: 'anna' });
    expect(failed).toEqual([{ accountId: ids.matrix, error: expect.objectContaining({ kind: 'forbidden' }) }]);
    expect(hits.map((x) => x.accountId)).toEqual([ids.xmpp, ids.mm]);
  });

  it('gives up on a server that does not answer, without holding back the others', async () => {
    const { h, mm, ids, expireSearches } = await world();
    mm.hangDirectory = true;
    const search = h.call('people:search', { term: 'anna' });
    await waitFor(() => mm.calls.some((c) => c.method === 'directory.search'), 'the search reached Mattermost');
    expireSearches();
    const { hits, failed } = await search;
    expect(failed).toEqual([{ accountId: ids.mm, error: expect.objectContaining({ kind: 'timeout' }) }]);
    expect(hits.map((x) => x.protocol)).toEqual(['xmpp', 'matrix']);
  });

  it('leaves out accounts that are not connected', async () => {
    const { h, xmpp, ids } = await world();
    xmpp.failNextConnect(new AppError('auth', 'wrong password'), 10);
    xmpp.dropConnection(new AppError('auth', 'session revoked'));
    await waitFor(async () => (await h.call('app:snapshot', {})).accounts.find((a) => a.id === ids.xmpp)?.state !== 'connected', 'XMPP down');
    const { hits, failed } = await h.call('people:search', { term: 'anna' });
    expect(failed).toEqual([]);
    expect(hits.some((x) => x.accountId === ids.xmpp)).toBe(false);
    expect(hits.map((x) => x.protocol)).toEqual(['matrix', 'mattermost']);
  });

  it('feeds e-mails the directories show for known people into merge suggestions', async () => {
    const { h, xmpp, mm, ids } = await world();
    xmpp.directory[0] = { address: 'anna@agency.se', name: 'Anna Berg', email: 'Anna.Berg@agency.se' };
    mm.directory.push({ address: 'aberg@chat.agency.se', name: 'A. Berg', email: 'anna.berg@agency.se' });
    await h.call('conversation:start', { accountId: ids.mm, address: 'aberg@chat.agency.se' });
    await waitFor(async () => (await h.call('people:list', {})).length === 2, 'the chat partner is a person');
    expect(await h.call('people:suggestions', {})).toEqual([]);
    await h.call('people:search', { term: 'berg' });
    const people = await h.call('people:list', {});
    const [suggestion] = await h.call('people:suggestions', {});
    expect(suggestion).toMatchObject({ reason: 'same-email' });
    expect([...suggestion!.personIds].sort()).toEqual(people.map((p) => p.id).sort());
  });

  it('a chat started from a hit goes out on that account only, and the next search links to it', async () => {
    const { h, matrix, mm, xmpp, ids } = await world();
    const { hits } = await h.call('people:search', { term: 'anna' });
    const onMm = hits.find((x) => x.accountId === ids.mm)!;
    const conv = await h.call('conversation:start', { accountId: onMm.accountId, address: onMm.address });
    await h.call('message:send', { conversationId: conv.id, text: 'Hej Anna' });
    await waitFor(() => mm.sent.length === 1, 'sent over Mattermost');
    expect(matrix.sent).toEqual([]);
    expect(xmpp.sent).toEqual([]);
    // The chat partner becomes a person of the people list; the next search links to both.
    await waitFor(async () => (await h.call('people:list', {})).length === 2, 'the chat partner is a person');
    const person = (await h.call('people:list', {})).find((p) => p.addresses.some((a) => a.address === onMm.address))!;
    const again = await h.call('people:search', { term: 'anna' });
    const hit = again.hits.find((x) => x.accountId === ids.mm)!;
    expect(hit).toMatchObject({ conversationId: conv.id, personId: person.id });
    expect(again.hits.find((x) => x.accountId === ids.matrix)!.conversationId).toBeNull();
  });
});
