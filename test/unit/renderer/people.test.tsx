// @vitest-environment happy-dom
// The Contacts tab as a list of people across accounts: merged presence and where it comes
// from, agencies and internal/external in words, suggestions, merge, split, rename and chats
// that always start on the chosen address's account.
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import type { PersonView } from '../../../common/model';
import { account, conversation, fakeApi, flush, person, personAddress, renderApp } from './fixtures';
import type { FakeApi } from './fixtures';

afterEach(cleanup);

const XMPP = account({ id: 'x1', protocol: 'xmpp', label: 'me@agency.se' });
const MATRIX = account({ id: 'm1', protocol: 'matrix', label: '@me:agency.se', server: 'agency.se' });

const annaX = personAddress({ accountId: 'x1', protocol: 'xmpp', address: 'anna@agency.se', name: 'Anna Berg', presence: 'dnd', statusText: 'I möte' });
const annaM = personAddress({ accountId: 'm1', protocol: 'matrix', address: '@anna:agency.se', name: 'Anna Berg', presence: 'available', conversationId: 'cm' });
const bo = personAddress({ accountId: 'x1', protocol: 'xmpp', address: 'bo@agency-b.se', name: 'Bo Ek', agency: 'agency-b.se', internal: false, presence: 'away', statusText: 'Lunch' });

/** Anna on XMPP and Anna on Matrix as two people, suggested to be one; Bo at another agency. */
function separate(): PersonView[] {
  return [
    person({ id: 'p1', addresses: [annaX] }),
    person({ id: 'p2', addresses: [annaM] }),
    person({ id: 'p3', addresses: [bo] }),
  ];
}
const ANNA = person({ id: 'p1', addresses: [annaX, annaM], presence: 'available', presenceFrom: { accountId: 'm1', address: '@anna:agency.se' }, statusText: '' });

/** A fake core whose people:merge/split/rename change what people:list answers next. */
function api(people: PersonView[], locale: 'en' | 'sv' = 'en'): FakeApi {
  const a = fakeApi({ accounts: [XMPP, MATRIX], people, locale, suggestions: [{ id: 's1', personIds: ['p1', 'p2'], reason: 'same-user-same-domain' }] });
  a.on('people:merge', () => {
    a.data.people = [ANNA, a.data.people!.find((p) => p.id === 'p3')!];
    a.data.suggestions = [];
    return ANNA;
  });
  a.on('people:dismissSuggestion', () => {
    a.data.suggestions = [];
    return null;
  });
  return a;
}

async function openContacts(a: FakeApi): Promise<HTMLElement> {
  await renderApp(a);
  await act(async () => { fireEvent.click(screen.getByRole('tab', { name: a.data.locale === 'sv' ? 'Kontakter' : 'Contacts' })); });
  await flush();
  return screen.getByRole('region', { name: a.data.locale === 'sv' ? 'Kontakter' : 'Contacts' });
}

describe('Contacts tab: people', () => {
  it('lists people with merged presence and its source, status, agency, internal/external and addresses', async () => {
    const a = api([ANNA, person({ id: 'p3', addresses: [bo] })]);
    const panel = await openContacts(a);
    const anna = within(panel).getByRole('listitem', { name: 'Anna Berg' });
    // The person's own state (shape + text) is the best of its addresses.
    expect(anna.querySelector(':scope > .presence .presence-text')?.textContent).toBe('Available');
    expect(within(anna).getByText('via @me:agency.se')).toBeTruthy();
    expect(within(anna).getByText('Internal')).toBeTruthy();
    expect(within(anna).getByText('agency.se')).toBeTruthy();
    // Each address with its protocol, account and own state.
    const addresses = within(anna).getByRole('group', { name: 'Addresses of Anna Berg' });
    expect(within(addresses).getByText('XMPP')).toBeTruthy();
    expect(within(addresses).getByText('Matrix')).toBeTruthy();
    expect(within(addresses).getByText('anna@agency.se')).toBeTruthy();
    expect(within(addresses).getByText('@anna:agency.se')).toBeTruthy();
    expect(within(addresses).getByText('I möte')).toBeTruthy();
    expect(within(addresses).getByText('Do not disturb')).toBeTruthy();

    const boItem = within(panel).getByRole('listitem', { name: 'Bo Ek' });
    expect(within(boItem).getByText('External')).toBeTruthy();
    expect(within(boItem).getByText('agency-b.se')).toBeTruthy();
    expect(within(boItem).getByText('Away')).toBeTruthy();
    expect(within(boItem).getByText('Lunch')).toBeTruthy();
    // Reachable people first.
    expect(within(panel).getAllByRole('listitem').filter((li) => li.classList.contains('person')).map((li) => li.getAttribute('aria-label'))).toEqual(['Anna Berg', 'Bo Ek']);
  });

  it('follows person patches: presence, new people and removed ones', async () => {
    const a = api([person({ id: 'p3', addresses: [bo] })]);
    const panel = await openContacts(a);
    await act(async () => {
      a.push([
        { type: 'person', person: person({ id: 'p3', addresses: [{ ...bo, presence: 'offline', statusText: '' }], presence: 'offline', statusText: '', lastActiveAt: 1_700_000_000_000 }) },
        { type: 'person', person: ANNA },
      ]);
    });
    expect(within(within(panel).getByRole('listitem', { name: 'Bo Ek' })).getByText('Offline')).toBeTruthy();
    expect(within(panel).getByRole('listitem', { name: 'Bo Ek' }).textContent).toMatch(/Last seen \d/u);
    expect(within(panel).getByRole('listitem', { name: 'Anna Berg' })).toBeTruthy();
    await act(async () => { a.push([{ type: 'person.removed', personId: 'p3' }]); });
    expect(within(panel).queryByRole('listitem', { name: 'Bo Ek' })).toBeNull();
  });

  it('shows a suggestion and merges on "Merge"', async () => {
    const a = api(separate());
    const panel = await openContacts(a);
    const suggestions = within(panel).getByRole('region', { name: 'Suggestions' });
    expect(suggestions.textContent).toContain('Anna Berg on XMPP and Anna Berg on Matrix may be the same person.');
    await act(async () => { fireEvent.click(within(suggestions).getByRole('button', { name: 'Merge Anna Berg on XMPP and Anna Berg on Matrix' })); });
    await flush();
    expect(a.callsOf('people:merge')).toEqual([{ personIds: ['p1', 'p2'] }]);
    expect(within(panel).getAllByRole('listitem', { name: 'Anna Berg' })).toHaveLength(1);
    expect(within(panel).queryByRole('region', { name: 'Suggestions' })).toBeNull();
  });

  it('"Not the same" dismisses the suggestion and keeps both people', async () => {
    const a = api(separate());
    const panel = await openContacts(a);
    await act(async () => { fireEvent.click(within(panel).getByRole('button', { name: 'Not the same person: Anna Berg on XMPP and Anna Berg on Matrix' })); });
    await flush();
    expect(a.callsOf('people:dismissSuggestion')).toEqual([{ suggestionId: 's1' }]);
    expect(within(panel).queryByRole('region', { name: 'Suggestions' })).toBeNull();
    expect(within(panel).getAllByRole('listitem', { name: 'Anna Berg' })).toHaveLength(2);
    expect(a.callsOf('people:merge')).toEqual([]);
  });

  it('merges the people selected with the checkboxes', async () => {
    const a = api(separate());
    const panel = await openContacts(a);
    const mergeSelected = (): HTMLButtonElement => within(panel).getByRole('button', { name: /^Merge selected/ });
    expect(mergeSelected().disabled).toBe(true);
    const boxes = within(panel).getAllByRole('checkbox', { name: 'Select Anna Berg' });
    expect(boxes).toHaveLength(2);
    // Native checkboxes: Tab reaches them and Space toggles them (a click event).
    boxes[1]!.focus();
    expect(document.activeElement).toBe(boxes[1]);
    fireEvent.click(boxes[1]!);
    expect(mergeSelected().disabled).toBe(true); // one person is not enough
    fireEvent.click(boxes[0]!);
    expect(mergeSelected().textContent).toBe('Merge selected (2)');
    await act(async () => { fireEvent.click(mergeSelected()); });
    await flush();
    expect(a.callsOf('people:merge')).toHaveLength(1);
    expect([...(a.callsOf('people:merge')[0] as { personIds: string[] }).personIds].sort()).toEqual(['p1', 'p2']);
    expect(within(panel).getAllByRole('listitem', { name: 'Anna Berg' })).toHaveLength(1);
    expect(mergeSelected().textContent).toBe('Merge selected (0)');
  });

  it('splits an address off a person', async () => {
    const a = api([ANNA]);
    a.on('people:split', () => {
      a.data.people = [person({ id: 'p1', addresses: [annaX] }), person({ id: 'p9', addresses: [annaM] })];
      return a.data.people[1]!;
    });
    const panel = await openContacts(a);
    // Only a person with several addresses can be split.
    await act(async () => { fireEvent.click(within(panel).getByRole('button', { name: 'Split off @anna:agency.se from Anna Berg' })); });
    await flush();
    expect(a.callsOf('people:split')).toEqual([{ personId: 'p1', accountId: 'm1', address: '@anna:agency.se' }]);
    expect(within(panel).getAllByRole('listitem', { name: 'Anna Berg' })).toHaveLength(2);
    expect(within(panel).queryByRole('button', { name: /^Split off/ })).toBeNull();
  });

  it('renames inline: Enter saves, Escape cancels and focus returns to "Rename"', async () => {
    const a = api([person({ id: 'p3', addresses: [bo] })]);
    a.on('people:rename', ({ name }) => {
      a.data.people = [person({ id: 'p3', addresses: [bo], name })];
      return a.data.people[0]!;
    });
    const panel = await openContacts(a);
    fireEvent.click(within(panel).getByRole('button', { name: 'Rename Bo Ek' }));
    let field = within(panel).getByRole('textbox', { name: 'New name for Bo Ek' }) as HTMLInputElement;
    expect(document.activeElement).toBe(field);
    fireEvent.keyDown(field, { key: 'Escape' });
    expect(within(panel).queryByRole('textbox', { name: 'New name for Bo Ek' })).toBeNull();
    expect(document.activeElement).toBe(within(panel).getByRole('button', { name: 'Rename Bo Ek' }));
    expect(a.callsOf('people:rename')).toEqual([]);

    fireEvent.click(within(panel).getByRole('button', { name: 'Rename Bo Ek' }));
    field = within(panel).getByRole('textbox', { name: 'New name for Bo Ek' }) as HTMLInputElement;
    fireEvent.change(field, { target: { value: '  Bo Ek (Region B)  ' } });
    await act(async () => { fireEvent.submit(field.form!); });
    await flush();
    expect(a.callsOf('people:rename')).toEqual([{ personId: 'p3', name: 'Bo Ek (Region B)' }]);
    expect(within(panel).getByRole('listitem', { name: 'Bo Ek (Region B)' })).toBeTruthy();
    expect(within(panel).queryByRole('textbox')).toBeNull();
  });

  it('starts a chat on the chosen address only, and opens an existing one', async () => {
    const a = api([ANNA]);
    a.data.conversations = [conversation({ id: 'cm', accountId: 'm1', protocol: 'matrix', title: 'Anna Berg (Matrix)', address: '@anna:agency.se' })];
    a.on('conversation:start', () => conversation({ id: 'cx', accountId: 'x1', title: 'Anna Berg', address: 'anna@agency.se' }));
    const panel = await openContacts(a);
    await act(async () => { fireEvent.click(within(panel).getByRole('button', { name: 'Chat with Anna Berg on XMPP (anna@agency.se)' })); });
    await flush();
    expect(a.callsOf('conversation:start')).toEqual([{ accountId: 'x1', address: 'anna@agency.se' }]);
    expect(screen.getByRole('main', { name: 'Conversation with Anna Berg' })).toBeTruthy();

    await act(async () => { fireEvent.click(screen.getByRole('tab', { name: 'Contacts' })); });
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Chat with Anna Berg on Matrix (@anna:agency.se)' })); });
    await flush();
    expect(a.callsOf('conversation:start')).toHaveLength(1);
    expect(screen.getByRole('main', { name: 'Conversation with Anna Berg (Matrix)' })).toBeTruthy();
  });

  it('speaks Swedish', async () => {
    const a = api([...separate(), person({ id: 'p4', addresses: [annaX, { ...bo, accountId: 'm1', protocol: 'matrix', address: '@bo:agency-b.se' }], name: 'Blandad' })], 'sv');
    const panel = await openContacts(a);
    const suggestions = within(panel).getByRole('region', { name: 'Förslag' });
    expect(suggestions.textContent).toContain('Anna Berg på XMPP och Anna Berg på Matrix kan vara samma person.');
    expect(within(suggestions).getByRole('button', { name: 'Slå ihop Anna Berg på XMPP och Anna Berg på Matrix' }).textContent).toBe('Slå ihop');
    expect(within(suggestions).getByRole('button', { name: 'Inte samma person: Anna Berg på XMPP och Anna Berg på Matrix' })).toBeTruthy();
    expect(within(panel).getByRole('button', { name: 'Slå ihop markerade (0)' })).toBeTruthy();
    expect(within(within(panel).getByRole('listitem', { name: 'Bo Ek' })).getByText('Extern')).toBeTruthy();
    expect(within(panel).getAllByRole('checkbox', { name: 'Markera Anna Berg' })).toHaveLength(2);
    expect(within(panel).getAllByRole('button', { name: 'Byt namn på Anna Berg' })).toHaveLength(2);
    const mixed = within(panel).getByRole('listitem', { name: 'Blandad' });
    expect(within(mixed).getByText('Intern')).toBeTruthy();
    expect(within(mixed).getByRole('group', { name: 'Adresser för Blandad' })).toBeTruthy();
    expect(within(mixed).getByRole('button', { name: 'Bryt ut @bo:agency-b.se från Blandad' }).textContent).toBe('Bryt ut');
    expect(within(mixed).getByRole('button', { name: 'Chatta med Blandad på Matrix (@bo:agency-b.se)' }).textContent).toBe('Chatta');
    expect(within(mixed).getByText('via me@agency.se')).toBeTruthy();
  });
});
