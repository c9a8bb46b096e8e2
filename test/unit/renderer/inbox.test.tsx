// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { account, conversation, fakeApi, flush, message, renderApp } from './fixtures';

afterEach(cleanup);

function data() {
  return {
    accounts: [account({ id: 'a1', label: 'anna@agency.se' }), account({ id: 'a2', label: 'anna@kommun.se' })],
    conversations: [
      conversation({ id: 'c-old', accountId: 'a1', title: 'Äldre', lastActivityAt: 1000 }),
      conversation({ id: 'c-new', accountId: 'a2', title: 'Nyast', lastActivityAt: 3000, unread: 4, mentions: 1 }),
      conversation({ id: 'c-mid', accountId: 'a1', title: 'Mitten', lastActivityAt: 2000, kind: 'group', presence: null }),
    ],
    messages: { 'c-new': [message({ id: 'n1', conversationId: 'c-new', text: 'Hej från kommunen' })] },
  };
}

const titles = () => screen.getAllByRole('option').filter((o) => o.closest('[role="listbox"]')).map((o) => o.querySelector('.inbox-title')!.textContent);

describe('Unified inbox', () => {
  it('lists every account’s conversations, newest activity first, with unread and mention badges', async () => {
    await renderApp(fakeApi(data()));
    const list = screen.getByRole('listbox', { name: 'Conversations' });
    expect(titles()).toEqual(['Nyast', 'Mitten', 'Äldre']);
    const newest = within(list).getByRole('option', { name: /Nyast/ });
    expect(newest.textContent).toContain('4 unread');
    expect(newest.textContent).toContain('1 mentions of you');
    expect(newest.textContent).toContain('anna@kommun.se');
    expect(within(list).getByRole('option', { name: /Äldre/ }).textContent).toContain('Available');
  });

  it('moves a conversation to the top when a patch updates its activity', async () => {
    const api = fakeApi(data());
    await renderApp(api);
    await act(async () => { api.push([{ type: 'conversation', conversation: conversation({ id: 'c-old', accountId: 'a1', title: 'Äldre', lastActivityAt: 9000 }) }]); });
    expect(titles()).toEqual(['Äldre', 'Nyast', 'Mitten']);
  });

  it('filters by account', async () => {
    await renderApp(fakeApi(data()));
    fireEvent.change(screen.getByLabelText('Show conversations from'), { target: { value: 'a1' } });
    expect(titles()).toEqual(['Mitten', 'Äldre']);
    fireEvent.change(screen.getByLabelText('Show conversations from'), { target: { value: '' } });
    expect(titles()).toHaveLength(3);
  });

  it('supports arrow keys and Enter, and opening shows the conversation', async () => {
    const api = fakeApi(data());
    await renderApp(api);
    const list = screen.getByRole('listbox', { name: 'Conversations' });
    list.focus();
    fireEvent.keyDown(list, { key: 'ArrowDown' });
    fireEvent.keyDown(list, { key: 'ArrowUp' });
    await act(async () => { fireEvent.keyDown(list, { key: 'Enter' }); });
    await flush();
    expect(api.callsOf('conversation:open')).toEqual([{ conversationId: 'c-new' }]);
    expect(api.callsOf('read:mark')).toEqual([{ conversationId: 'c-new' }]);
    expect(screen.getByRole('main', { name: 'Conversation with Nyast' })).toBeTruthy();
    expect(screen.getByText('Hej från kommunen')).toBeTruthy();
    expect(within(list).getByRole('option', { name: /Nyast/ }).getAttribute('aria-selected')).toBe('true');
  });

  it('renders only a window of 10 000 conversations', async () => {
    const conversations = Array.from({ length: 10_000 }, (_, i) => conversation({ id: `c${i}`, title: `Samtal ${i}`, lastActivityAt: i }));
    await renderApp(fakeApi({ accounts: [account()], conversations }));
    const rendered = screen.getAllByRole('option').filter((o) => o.closest('[role="listbox"]'));
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(60);
    expect(rendered[0]!.getAttribute('aria-setsize')).toBe('10000');
    expect(rendered[0]!.textContent).toContain('Samtal 9999');
  });
});
