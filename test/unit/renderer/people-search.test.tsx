// @vitest-environment happy-dom
// "Find people" in the Contacts tab: one search over all accounts' directories, hits grouped by
// name with every account that reaches the person, the user choosing which one to chat from,
// accounts that failed said in words, and the chosen identity shown in the conversation.
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import type { DirectorySearchResult } from '../../../common/model';
import { account, conversation, fakeApi, flush, renderApp } from './fixtures';
import type { FakeApi } from './fixtures';

afterEach(cleanup);

const XMPP = account({ id: 'x1', protocol: 'xmpp', label: 'me@agency.se', server: 'agency.se' });
const MATRIX = account({ id: 'm1', protocol: 'matrix', label: '@me:agency.se', server: 'matrix.agency.se' });
const MM = account({ id: 'mm1', protocol: 'mattermost', label: 'me@chat.agency.se', server: 'chat.agency.se' });

const RESULT: DirectorySearchResult = {
  hits: [
    { accountId: 'x1', protocol: 'xmpp', address: 'anna@agency.se', name: 'Anna Berg', agency: 'agency.se', internal: true, personId: 'p1', conversationId: null },
    { accountId: 'm1', protocol: 'matrix', address: '@anna:agency.se', name: 'Anna Berg', agency: 'agency.se', internal: true, personId: null, conversationId: 'cm' },
    { accountId: 'm1', protocol: 'matrix', address: '@annika:agency-c.se', name: 'Annika Holm', agency: 'agency-c.se', internal: false, personId: null, conversationId: null },
  ],
  failed: [{ accountId: 'mm1', error: { kind: 'timeout', message: 'no answer', fatal: false } }],
};

function api(locale: 'en' | 'sv' = 'en'): FakeApi {
  const a = fakeApi({ accounts: [XMPP, MATRIX, MM], locale, protocols: ['xmpp', 'matrix', 'mattermost'] });
  a.data.conversations = [conversation({ id: 'cm', accountId: 'm1', protocol: 'matrix', title: 'Anna Berg', address: '@anna:agency.se' })];
  a.on('people:search', () => RESULT);
  a.on('conversation:start', (i) => conversation({ id: 'cx', accountId: i.accountId, protocol: 'xmpp', title: 'Anna Berg', address: i.address }));
  return a;
}

async function openContacts(a: FakeApi): Promise<HTMLElement> {
  await renderApp(a);
  await act(async () => { fireEvent.click(screen.getByRole('tab', { name: a.data.locale === 'sv' ? 'Kontakter' : 'Contacts' })); });
  await flush();
  return screen.getByRole('region', { name: a.data.locale === 'sv' ? 'Hitta personer' : 'Find people' });
}

async function search(panel: HTMLElement, label: string, term: string): Promise<void> {
  fireEvent.change(within(panel).getByRole('searchbox', { name: label }), { target: { value: term } });
  // Enter in the field submits the form (role search), as a keyboard user would.
  await act(async () => { fireEvent.submit(within(panel).getByRole('search')); });
  await flush();
}

describe('Contacts tab: find people', () => {
  it('lists every account that reaches a name, with protocol, address, account, organisation and internal/external', async () => {
    const a = api();
    const panel = await openContacts(a);
    await search(panel, 'Name, user name or address', '  anna ');
    expect(a.callsOf('people:search')).toEqual([{ term: 'anna' }]);
    expect(within(panel).getByRole('status').textContent).toBe('People found: 3');

    const anna = within(panel).getByRole('listitem', { name: 'Anna Berg' });
    expect(within(anna).getByText('Reachable from 2 of your accounts: choose which one to use.')).toBeTruthy();
    const ways = within(anna).getByRole('group', { name: 'Ways to reach Anna Berg' });
    expect(within(ways).getByText('XMPP')).toBeTruthy();
    expect(within(ways).getByText('Matrix')).toBeTruthy();
    expect(within(ways).getByText('anna@agency.se')).toBeTruthy();
    expect(within(ways).getByText('me@agency.se')).toBeTruthy();
    expect(within(ways).getByText('@me:agency.se')).toBeTruthy();
    expect(within(ways).getAllByText('Internal')).toHaveLength(2);

    const annika = within(panel).getByRole('listitem', { name: 'Annika Holm' });
    expect(within(annika).getByText('External')).toBeTruthy();
    expect(within(annika).getByText('agency-c.se')).toBeTruthy();
    expect(within(annika).queryByText(/Reachable from/)).toBeNull();
    // The account that could not be searched is named, with the reason in words.
    expect(within(panel).getByText('Could not search me@chat.agency.se: The server took too long to answer.')).toBeTruthy();
  });

  it('starts the chat on the account the user picked and shows that identity and its organisation', async () => {
    const a = api();
    const panel = await openContacts(a);
    await search(panel, 'Name, user name or address', 'anna');
    await act(async () => { fireEvent.click(within(panel).getByRole('button', { name: 'Chat with Anna Berg (anna@agency.se) as me@agency.se' })); });
    await flush();
    expect(a.callsOf('conversation:start')).toEqual([{ accountId: 'x1', address: 'anna@agency.se' }]);
    const main = screen.getByRole('main', { name: 'Conversation with Anna Berg' });
    expect(main.querySelector('.sending-as')?.textContent).toBe('XMPP Sending as me@agency.se (agency.se)');
  });

  it('opens the existing chat on the chosen account instead of starting another', async () => {
    const a = api();
    const panel = await openContacts(a);
    await search(panel, 'Name, user name or address', 'anna');
    await act(async () => { fireEvent.click(within(panel).getByRole('button', { name: 'Chat with Anna Berg (@anna:agency.se) as @me:agency.se' })); });
    await flush();
    expect(a.callsOf('conversation:start')).toEqual([]);
    const main = screen.getByRole('main', { name: 'Conversation with Anna Berg' });
    expect(main.querySelector('.sending-as')?.textContent).toBe('Matrix Sending as @me:agency.se (agency.se)');
  });

  it('calls from the chosen account: its direct chat gets the invitation and the meeting opens', async () => {
    const a = api();
    a.on('call:start', () => ({ url: 'https://meet.agency.se/SamverkaAbc', openIn: 'window' }));
    const opened: unknown[][] = [];
    const original = window.open;
    window.open = ((...args: unknown[]) => { opened.push(args); return null; }) as typeof window.open;
    try {
      const panel = await openContacts(a);
      await search(panel, 'Name, user name or address', 'anna');
      await act(async () => { fireEvent.click(within(panel).getByRole('button', { name: 'Call Anna Berg (@anna:agency.se) as @me:agency.se' })); });
      await flush();
      // The existing Matrix chat: nothing new is started, and no other account is used.
      expect(a.callsOf('conversation:start')).toEqual([]);
      expect(a.callsOf('call:start')).toEqual([{ conversationId: 'cm' }]);
      expect(opened.map((x) => x[0])).toEqual(['https://meet.agency.se/SamverkaAbc']);
    } finally {
      window.open = original;
    }
  });

  it('says it is searching, and shows a failed search as a translated error', async () => {
    const a = api();
    let answer: (r: DirectorySearchResult) => void = () => undefined;
    a.on('people:search', () => new Promise<DirectorySearchResult>((res) => { answer = res; }));
    const panel = await openContacts(a);
    await search(panel, 'Name, user name or address', 'bo');
    expect(within(panel).getByRole('status').textContent).toBe('Searching…');
    expect((within(panel).getByRole('button', { name: 'Search' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => { answer({ hits: [], failed: [] }); });
    await flush();
    expect(within(panel).getByRole('status').textContent).toBe('No one found.');

    a.fail('people:search', { kind: 'network', message: 'down', fatal: false });
    await search(panel, 'Name, user name or address', 'bo');
    expect(within(panel).getByRole('alert').textContent).toBe('The server cannot be reached.');
  });

  it('does not search for blanks', async () => {
    const a = api();
    const panel = await openContacts(a);
    fireEvent.change(within(panel).getByRole('searchbox', { name: 'Name, user name or address' }), { target: { value: '   ' } });
    expect((within(panel).getByRole('button', { name: 'Search' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => { fireEvent.submit(within(panel).getByRole('search')); });
    expect(a.callsOf('people:search')).toEqual([]);
  });

  it('speaks Swedish', async () => {
    const a = api('sv');
    const panel = await openContacts(a);
    await search(panel, 'Namn, användarnamn eller adress', 'anna');
    expect(within(panel).getByRole('status').textContent).toBe('Hittade personer: 3');
    const anna = within(panel).getByRole('listitem', { name: 'Anna Berg' });
    expect(within(anna).getByText('Nås från 2 av dina konton: välj vilket du vill använda.')).toBeTruthy();
    expect(within(anna).getByRole('button', { name: 'Chatta med Anna Berg (anna@agency.se) som me@agency.se' })).toBeTruthy();
    expect(within(panel).getByText('Extern')).toBeTruthy();
  });
});
