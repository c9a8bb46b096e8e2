// Presence set once for all accounts, an account's own override, automatic away while idle, and
// do-not-disturb silencing call notifications.
import { afterEach, describe, expect, it } from 'vitest';
import { conversationIdFor } from '../../../main/core/ids';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';
import { ALICE, cleanupDirs, openCore, PASSWORD, tempDir, waitFor } from './harness';

afterEach(cleanupDirs);
const BOB = 'bob@example.test';

async function twoAccounts() {
  const xmpp = new FakeServer({ capabilities: { meetingDomain: 'meet.agency.se' } }).addUser(ALICE, PASSWORD);
  const mm = new FakeServer().addUser('anna@chat.agency.se', 'pw2');
  xmpp.addConversation({ id: BOB, kind: 'direct', title: 'Bob', isPrivate: false });
  const h = openCore(tempDir(), { xmpp: fakeAdapterFactory(xmpp), mattermost: fakeAdapterFactory(mm, 'mattermost') });
  const a = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD });
  const b = await h.call('accounts:add', { protocol: 'mattermost', address: 'anna@chat.agency.se', password: 'pw2' });
  return { h, xmpp, mm, a, b };
}

const lastSet = (s: FakeServer) => s.callsTo('presence.set').at(-1);
const shown = async (h: Awaited<ReturnType<typeof twoAccounts>>['h'], id: string) => (await h.call('app:snapshot', {})).accounts.find((x) => x.id === id)!;

describe('presence across accounts', () => {
  it('is set once for all accounts; an account with its own presence keeps it until the override is removed', async () => {
    const { h, xmpp, mm, a, b } = await twoAccounts();
    await h.call('presence:set', { state: 'dnd', statusText: 'I möte' });
    expect(lastSet(xmpp)).toEqual(['dnd', 'I möte']);
    expect(lastSet(mm)).toEqual(['dnd', 'I möte']);

    await h.call('presence:setForAccount', { accountId: b.id, state: 'available', statusText: 'Jour' });
    expect(lastSet(mm)).toEqual(['available', 'Jour']);
    expect(await shown(h, b.id)).toMatchObject({ ownPresence: 'available', presenceOverride: 'available' });
    await h.call('presence:set', { state: 'away' });
    expect(lastSet(xmpp)).toEqual(['away', '']);
    expect(lastSet(mm)).toEqual(['available', 'Jour']);
    expect(await shown(h, a.id)).toMatchObject({ ownPresence: 'away', presenceOverride: null });

    await h.call('presence:setForAccount', { accountId: b.id, state: null });
    expect(lastSet(mm)).toEqual(['away', '']);
    await h.core.close();
  });

  it('shows available accounts as away while the user is idle and brings them back on activity', async () => {
    const { h, xmpp, mm, b } = await twoAccounts();
    await h.call('presence:setForAccount', { accountId: b.id, state: 'dnd' });
    await h.call('presence:idle', { idle: true });
    expect(lastSet(xmpp)).toEqual(['away', '']);
    expect(lastSet(mm)).toEqual(['dnd', '']); // busy stays busy
    const before = xmpp.callsTo('presence.set').length;
    await h.call('presence:idle', { idle: true });
    expect(xmpp.callsTo('presence.set').length).toBe(before);
    await h.call('presence:idle', { idle: false });
    expect(lastSet(xmpp)).toEqual(['available', '']);
    await h.core.close();
  });

  it('a live call invitation raises a Join notification, except during do-not-disturb', async () => {
    const { h, xmpp, a } = await twoAccounts();
    const conv = conversationIdFor(a.id, BOB);
    xmpp.inject(BOB, { text: 'Kom: https://meet.agency.se/Styrgrupp2026', senderName: 'Bob' });
    await waitFor(() => h.allPatches().some((p) => p.type === 'notice' && p.code === 'meeting-invite'));
    const notice = h.allPatches().find((p) => p.type === 'notice' && p.code === 'meeting-invite');
    expect(notice).toMatchObject({ params: { accountId: a.id, conversationId: conv, system: 'Jitsi', from: 'Bob' } });

    await h.call('presence:set', { state: 'dnd' });
    const count = (): number => h.allPatches().filter((p) => p.type === 'notice' && p.code === 'meeting-invite').length;
    xmpp.inject(BOB, { text: 'Igen: https://meet.agency.se/Styrgrupp2027', senderName: 'Bob' });
    await waitFor(async () => (await h.call('history:load', { conversationId: conv })).messages.length === 2);
    expect(count()).toBe(1);
    // The card is still there in the conversation: only the interruption is silenced.
    expect((await h.call('history:load', { conversationId: conv })).messages[1]!.meeting?.system).toBe('Jitsi');
    // Other interruptions too: a contact request waits in the list without a notification.
    xmpp.emit({ type: 'subscription.request', address: 'carl@example.test' });
    await waitFor(async () => (await h.call('contacts:list', {})).some((c) => c.address === 'carl@example.test'));
    expect(h.allPatches().some((p) => p.type === 'notice' && p.code === 'subscription-request')).toBe(false);
    await h.core.close();
  });
});
