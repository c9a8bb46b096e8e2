// The people layer with real cores on temp profiles: three accounts on three protocols (fake
// servers), suggestions from reliable signals only, merge/split/rename/dismiss persisting across
// restarts, merged presence that says where it comes from, and internal vs external.
import { afterEach, describe, expect, it } from 'vitest';
import type { Patch } from '../../../common/api';
import type { PersonView } from '../../../common/model';
import type { ProtocolId } from '../../../common/ids';
import type { AdapterFactory } from '../../../protocols/contract';
import { suggestMerges } from '../../../main/core/people/suggestions';
import { registrableDomain, sameOrganisation } from '../../../main/core/people/addresses';
import { People } from '../../../main/core/people/people';
import { Store } from '../../../main/core/store/store';
import { join } from 'node:path';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';
import { cleanupDirs, openCore, tempDir, waitFor } from './harness';
import type { Harness } from './harness';
import type { CoreOptions } from '../../../main/core/core';

afterEach(cleanupDirs);

const PW = 'secret password 42';

interface World {
  h: Harness;
  xmpp: FakeServer;
  matrix: FakeServer;
  mm: FakeServer;
  adapters: Partial<Record<ProtocolId, AdapterFactory>>;
  ids: { xmpp: string; matrix: string; mm: string };
}

/**
 * Me on agency.se over XMPP, Matrix and Mattermost (chat.agency.se). Anna Berg is on all three;
 * Bo is on agency-b.se (XMPP) and Bo on agency-c.se (Matrix): same user name, different agencies.
 */
async function world(policy: CoreOptions['policy'] = undefined): Promise<World> {
  const xmpp = new FakeServer().addUser('me@agency.se', PW, [
    { address: 'anna@agency.se', name: 'Anna Berg', subscription: 'both', groups: [] },
    { address: 'bo@agency-b.se', name: 'Bo Ek', subscription: 'both', groups: [] },
  ]);
  const matrix = new FakeServer().addUser('@me:agency.se', PW, [
    { address: '@anna:agency.se', name: 'Anna Berg', subscription: 'both', groups: [] },
    { address: '@bo:agency-c.se', name: 'Bo Ek', subscription: 'both', groups: [] },
  ]);
  const mm = new FakeServer().addUser('me@chat.agency.se', PW, [
    { address: 'anna@chat.agency.se', name: 'anna', subscription: 'both', groups: [] },
  ]);
  const adapters = { xmpp: fakeAdapterFactory(xmpp, 'xmpp'), matrix: fakeAdapterFactory(matrix, 'matrix'), mattermost: fakeAdapterFactory(mm, 'mattermost') };
  const h = openCore(tempDir(), adapters, policy ? { policy } : {});
  const ids = {
    xmpp: (await h.call('accounts:add', { protocol: 'xmpp', address: 'me@agency.se', password: PW })).id,
    matrix: (await h.call('accounts:add', { protocol: 'matrix', address: '@me:agency.se', password: PW })).id,
    mm: (await h.call('accounts:add', { protocol: 'mattermost', address: 'me@chat.agency.se', password: PW })).id,
  };
  await waitFor(async () => (await h.call('people:list', {})).length === 5, 'five people');
  return { h, xmpp, matrix, mm, adapters, ids };
}

const byAddress = (people: readonly PersonView[], address: string): PersonView => {
  const p = people.find((x) => x.addresses.some((a) => a.address === address));
  if (!p) throw new Error(`no person with ${address}`);
  return p;
};

const lastPerson = (patches: readonly Patch[], id: string): PersonView | undefined =>
  patches.flatMap((p) => (p.type === 'person' && p.person.id === id ? [p.person] : [])).at(-1);

describe('people', () => {
  it('suggests the same user on the same organisation domain across protocols, never across agencies', async () => {
    const { h } = await world();
    const people = await h.call('people:list', {});
    // One person per address until the user merges.
    expect(people.map((p) => p.addresses.length)).toEqual([1, 1, 1, 1, 1]);
    const anna = ['anna@agency.se', '@anna:agency.se', 'anna@chat.agency.se'].map((a) => byAddress(people, a).id);
    const suggestions = await h.call('people:suggestions', {});
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]!.reason).toBe('same-user-same-domain');
    expect([...suggestions[0]!.personIds].sort()).toEqual([...anna].sort());
    // Bo on agency-b.se and Bo on agency-c.se share a name and a user part, but not an agency.
    const bo = [byAddress(people, 'bo@agency-b.se').id, byAddress(people, '@bo:agency-c.se').id];
    expect(suggestions.flatMap((s) => s.personIds).some((id) => bo.includes(id))).toBe(false);
  });

  it('labels agencies and tells internal from external people', async () => {
    const { h } = await world();
    const people = await h.call('people:list', {});
    const anna = byAddress(people, 'anna@chat.agency.se');
    expect(anna.addresses[0]).toMatchObject({ agency: 'chat.agency.se', internal: true, protocol: 'mattermost' });
    expect(byAddress(people, '@anna:agency.se')).toMatchObject({ internal: true });
    const bo = byAddress(people, 'bo@agency-b.se');
    expect(bo.internal).toBe(false);
    expect(bo.addresses[0]).toMatchObject({ agency: 'agency-b.se', internal: false });
    expect(byAddress(people, '@bo:agency-c.se').addresses[0]!.agency).toBe('agency-c.se');
  });

  it('counts the domains IT lists in the policy as internal too', async () => {
    const { h } = await world({ internalDomains: ['agency-b.se'] });
    const people = await h.call('people:list', {});
    expect(byAddress(people, 'bo@agency-b.se')).toMatchObject({ internal: true });
    expect(byAddress(people, '@bo:agency-c.se')).toMatchObject({ internal: false });
    await h.core.close();
  });

  it('merges people: one entry whose presence is the best of its addresses and says where it comes from', async () => {
    const { h, xmpp, matrix, ids } = await world();
    const [suggestion] = await h.call('people:suggestions', {});
    const merged = await h.call('people:merge', { personIds: [...suggestion!.personIds] });
    expect(merged.name).toBe('Anna Berg');
    expect(merged.addresses.map((a) => `${a.protocol}:${a.address}`)).toEqual(['xmpp:anna@agency.se', 'matrix:@anna:agency.se', 'mattermost:anna@chat.agency.se']);
    expect(await h.call('people:list', {})).toHaveLength(3);
    expect(await h.call('people:suggestions', {})).toEqual([]);
    // The merged-away people are removed from the UI.
    await waitFor(() => h.allPatches().filter((p) => p.type === 'person.removed').length === 2, 'two removals');

    xmpp.emit({ type: 'presence', userId: 'anna@agency.se', state: 'dnd', statusText: 'I möte' });
    await waitFor(() => lastPerson(h.allPatches(), merged.id)?.presence === 'dnd', 'dnd via XMPP');
    expect(lastPerson(h.allPatches(), merged.id)).toMatchObject({ presenceFrom: { accountId: ids.xmpp, address: 'anna@agency.se' }, statusText: 'I möte' });

    matrix.emit({ type: 'presence', userId: '@anna:agency.se', state: 'available', statusText: '' });
    await waitFor(() => lastPerson(h.allPatches(), merged.id)?.presence === 'available', 'available via Matrix');
    const now = lastPerson(h.allPatches(), merged.id)!;
    expect(now.presenceFrom).toEqual({ accountId: ids.matrix, address: '@anna:agency.se' });
    expect(now.lastActiveAt).not.toBeNull();
    // Each address keeps its own state.
    expect(now.addresses.find((a) => a.protocol === 'xmpp')).toMatchObject({ presence: 'dnd', statusText: 'I möte' });

    matrix.emit({ type: 'presence', userId: '@anna:agency.se', state: 'offline', statusText: '' });
    await waitFor(() => lastPerson(h.allPatches(), merged.id)?.presence === 'dnd', 'back to dnd via XMPP');
    expect(lastPerson(h.allPatches(), merged.id)!.presenceFrom).toEqual({ accountId: ids.xmpp, address: 'anna@agency.se' });
  });

  it('starting a chat with a merged person goes to the account of the chosen address only', async () => {
    const { h, xmpp, matrix, ids } = await world();
    const [suggestion] = await h.call('people:suggestions', {});
    const merged = await h.call('people:merge', { personIds: [...suggestion!.personIds] });
    const conv = await h.call('conversation:start', { accountId: ids.matrix, address: '@anna:agency.se' });
    await h.call('message:send', { conversationId: conv.id, text: 'Hej Anna' });
    await waitFor(() => matrix.sent.length === 1, 'sent over Matrix');
    expect(xmpp.sent).toEqual([]);
    expect(matrix.sent[0]!.conversationId).toBe('@anna:agency.se');
    // The address now shows its direct conversation.
    const person = (await h.call('people:list', {})).find((p) => p.id === merged.id)!;
    expect(person.addresses.find((a) => a.protocol === 'matrix')!.conversationId).toBe(conv.id);
    expect(person.addresses.find((a) => a.protocol === 'xmpp')!.conversationId).toBeNull();
  });

  it('keeps merges, splits, renames and dismissals across restarts', async () => {
    const w = await world();
    let h = w.h;
    const [suggestion] = await h.call('people:suggestions', {});
    const merged = await h.call('people:merge', { personIds: [...suggestion!.personIds] });
    const renamed = await h.call('people:rename', { personId: merged.id, name: '  Anna Berg (Skatteverket)  ' });
    expect(renamed.name).toBe('Anna Berg (Skatteverket)');
    await waitFor(() => lastPerson(h.allPatches(), merged.id)?.name === 'Anna Berg (Skatteverket)', 'rename patch');

    h = await h.restart(w.adapters);
    let people = await h.call('people:list', {});
    expect(people).toHaveLength(3);
    expect(byAddress(people, '@anna:agency.se')).toMatchObject({ id: merged.id, name: 'Anna Berg (Skatteverket)' });
    expect(byAddress(people, '@anna:agency.se').addresses).toHaveLength(3);

    // Split the Mattermost address off: it becomes its own person and is not suggested back.
    const split = await h.call('people:split', { personId: merged.id, accountId: w.ids.mm, address: 'anna@chat.agency.se' });
    expect(split.id).not.toBe(merged.id);
    expect(split.addresses.map((a) => a.address)).toEqual(['anna@chat.agency.se']);
    expect(split.name).toBe('anna');
    expect(await h.call('people:suggestions', {})).toEqual([]);
    await waitFor(() => lastPerson(h.allPatches(), merged.id)?.addresses.length === 2, 'the rest of Anna');

    h = await h.restart(w.adapters);
    people = await h.call('people:list', {});
    expect(people).toHaveLength(4);
    expect(byAddress(people, 'anna@agency.se').addresses.map((a) => a.address)).toEqual(['anna@agency.se', '@anna:agency.se']);
    expect(byAddress(people, 'anna@chat.agency.se').id).toBe(split.id);
    expect(await h.call('people:suggestions', {})).toEqual([]);
    await h.core.close();
  });

  it('"not the same person" is remembered across a restart', async () => {
    const w = await world();
    const [suggestion] = await w.h.call('people:suggestions', {});
    await w.h.call('people:dismissSuggestion', { suggestionId: suggestion!.id });
    expect(await w.h.call('people:suggestions', {})).toEqual([]);
    expect((await w.h.fail('people:dismissSuggestion', { suggestionId: suggestion!.id })).kind).toBe('not_found');
    const h = await w.h.restart(w.adapters);
    expect(await h.call('people:suggestions', {})).toEqual([]);
    expect(await h.call('people:list', {})).toHaveLength(5);
    await h.core.close();
  });

  it('refuses what makes no sense: merging one person, splitting a single address, an unknown person', async () => {
    const { h, ids } = await world();
    const [p] = await h.call('people:list', {});
    expect((await h.fail('people:merge', { personIds: [p!.id] })).kind).toBe('ipc_invalid');
    expect((await h.fail('people:merge', { personIds: [p!.id, p!.id] })).kind).toBe('invalid_input');
    const a = p!.addresses[0]!;
    expect((await h.fail('people:split', { personId: p!.id, accountId: a.accountId, address: a.address })).kind).toBe('invalid_input');
    expect((await h.fail('people:rename', { personId: 'p999', name: 'X' })).kind).toBe('not_found');
    expect((await h.fail('people:rename', { personId: p!.id, name: '   ' })).kind).toBe('ipc_invalid');
    expect((await h.fail('people:split', { personId: p!.id, accountId: ids.matrix, address: 'nobody@x.se' })).kind).toBe('not_found');
  });

  it('a direct chat peer is a person; a chat with oneself is not', async () => {
    const { h, ids } = await world();
    await h.call('conversation:start', { accountId: ids.xmpp, address: 'erik@agency-e.se' });
    await h.call('conversation:start', { accountId: ids.xmpp, address: 'me@agency.se' });
    await waitFor(() => h.allPatches().some((p) => p.type === 'person' && p.person.addresses.some((a) => a.address === 'erik@agency-e.se')), 'Erik appears');
    const people = await h.call('people:list', {});
    expect(byAddress(people, 'erik@agency-e.se')).toMatchObject({ name: 'erik@agency-e.se', internal: false });
    expect(people.some((p) => p.addresses.some((a) => a.address === 'me@agency.se'))).toBe(false);
  });

  it('a new contact becomes a person; a removed one disappears; a request is not a person yet', async () => {
    const { h, xmpp, ids } = await world();
    xmpp.emit({ type: 'subscription.request', address: 'cecilia@agency.se' });
    xmpp.emit({ type: 'contact', contact: { address: 'dan@agency-d.se', name: 'Dan', subscription: 'both', groups: [] } });
    await waitFor(() => h.allPatches().some((p) => p.type === 'person' && p.person.name === 'Dan'), 'Dan appears');
    let people = await h.call('people:list', {});
    expect(people.some((p) => p.addresses.some((a) => a.address === 'cecilia@agency.se'))).toBe(false);
    const dan = byAddress(people, 'dan@agency-d.se');
    await h.call('contacts:remove', { accountId: ids.xmpp, address: 'dan@agency-d.se' });
    await waitFor(() => h.allPatches().some((p) => p.type === 'person.removed' && p.personId === dan.id), 'Dan removed');
    people = await h.call('people:list', {});
    expect(people.some((p) => p.id === dan.id)).toBe(false);
    // Accepting the request makes her a contact, and so a person.
    await h.call('contacts:respond', { accountId: ids.xmpp, address: 'cecilia@agency.se', accept: true });
    await waitFor(async () => (await h.call('people:list', {})).some((p) => p.addresses.some((a) => a.address === 'cecilia@agency.se')), 'Cecilia');
  });

  it('removing an account removes its addresses from people and people left with none', async () => {
    const { h, ids } = await world();
    const [suggestion] = await h.call('people:suggestions', {});
    const merged = await h.call('people:merge', { personIds: [...suggestion!.personIds] });
    const boC = byAddress(await h.call('people:list', {}), '@bo:agency-c.se');
    await h.call('accounts:remove', { accountId: ids.matrix });
    await waitFor(() => h.allPatches().some((p) => p.type === 'person.removed' && p.personId === boC.id), 'Matrix-only Bo removed');
    const anna = (await h.call('people:list', {})).find((p) => p.id === merged.id)!;
    expect(anna.addresses.map((a) => a.protocol)).toEqual(['xmpp', 'mattermost']);
  });
});

describe('people: e-mail addresses from adapters', () => {
  it('suggests people whose addresses share an e-mail address, and keeps it in the profile', () => {
    const file = join(tempDir(), 'p.db');
    const store = new Store(file);
    const account = (id: string, protocol: ProtocolId, address: string): void => {
      store.insertAccount({ id, protocol, address, server: 'x', service_url: null, allow_plaintext: 0, created_at: 1, settings: '{}', self_id: null, self_name: null });
    };
    account('r1', 'rocketchat', 'me@chat.region.se');
    account('x1', 'xmpp', 'me@agency.se');
    store.upsertContact('r1', 'k.lund@chat.region.se', 'Karin Lund', 'both', '[]');
    store.upsertContact('x1', 'karin@agency.se', 'Karin', 'both', '[]');
    const people = new People(store);
    expect(people.suggestions()).toEqual([]); // different user names on different domains
    people.setEmails('r1', 'k.lund@chat.region.se', ['Karin.Lund@Agency.se']);
    people.setEmails('x1', 'karin@agency.se', ['karin.lund@agency.se']);
    store.close();

    const again = new Store(file);
    const [s] = new People(again).suggestions();
    expect(s?.reason).toBe('same-email');
    expect(s?.personIds).toHaveLength(2);
    again.close();
  });
});

describe('merge suggestions (pure)', () => {
  const person = (id: string, accountId: string, protocol: ProtocolId, address: string, emails?: string[]) => ({
    id, addresses: [{ accountId, protocol, address, ...(emails ? { emails } : {}) }],
  });

  it('matches the same e-mail address case-insensitively, whatever the user names', () => {
    const s = suggestMerges([
      person('p1', 'x', 'xmpp', 'a.berg@agency.se', ['Anna.Berg@Agency.se']),
      person('p2', 'm', 'rocketchat', 'aberg@chat.other.se', ['anna.berg@agency.se ']),
      person('p3', 'r', 'mattermost', 'zed@agency.se', ['zed@agency.se']),
    ], new Set());
    expect(s.map((x) => ({ personIds: x.personIds, reason: x.reason }))).toEqual([{ personIds: ['p1', 'p2'], reason: 'same-email' }]);
  });

  it('never suggests two addresses of the same account, nor across different domains', () => {
    expect(suggestMerges([person('p1', 'x', 'xmpp', 'anna@agency.se'), person('p2', 'x', 'xmpp', 'Anna@agency.se')], new Set())).toEqual([]);
    expect(suggestMerges([person('p1', 'x', 'xmpp', 'anna@agency-a.se'), person('p2', 'm', 'matrix', '@anna:agency-b.se')], new Set())).toEqual([]);
    // Two different subdomains of one agency may be different user directories.
    expect(suggestMerges([person('p1', 'x', 'mattermost', 'anna@chat.agency.se'), person('p2', 'm', 'rocketchat', 'anna@rc.agency.se')], new Set())).toEqual([]);
    const ok = suggestMerges([person('p1', 'x', 'xmpp', 'ANNA@Agency.SE'), person('p2', 'm', 'matrix', '@anna:agency.se:8448')], new Set());
    expect(ok.map((x) => x.personIds)).toEqual([['p1', 'p2']]);
  });

  it('knows registrable domains under Swedish second-level names', () => {
    expect(registrableDomain('chat.agency.se')).toBe('agency.se');
    expect(registrableDomain('chat.forening.org.se')).toBe('forening.org.se');
    expect(sameOrganisation('chat.forening.org.se', 'forening.org.se')).toBe(true);
    expect(sameOrganisation('chat.forening.org.se', 'org.se')).toBe(false);
  });
});
