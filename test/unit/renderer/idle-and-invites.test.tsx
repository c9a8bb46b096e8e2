// @vitest-environment happy-dom
// Automatic away after inactivity, and the call-invitation notification with Join and Dismiss.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { watchIdle } from '../../../renderer/features/app/idle-presence';
import { createChatStore } from '../../../renderer/state/store';
import { account, fakeApi, flush, renderApp } from './fixtures';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('idle presence', () => {
  it('tells the core once when the user goes idle and once when they come back', () => {
    vi.useFakeTimers();
    const api = fakeApi();
    const target = new EventTarget() as unknown as Window;
    const stop = watchIdle(api, target, 1000);
    vi.advanceTimersByTime(999);
    expect(api.callsOf('presence:idle')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(api.callsOf('presence:idle')).toEqual([{ idle: true }]);
    (target as unknown as EventTarget).dispatchEvent(new Event('keydown'));
    (target as unknown as EventTarget).dispatchEvent(new Event('pointermove'));
    expect(api.callsOf('presence:idle')).toEqual([{ idle: true }, { idle: false }]);
    stop();
    vi.advanceTimersByTime(5000);
    expect(api.callsOf('presence:idle')).toHaveLength(2);
  });
});

describe('per-account presence', () => {
  it('each account can keep its own presence or follow the one for all accounts', async () => {
    const api = fakeApi({ accounts: [account(), account({ id: 'acc2', protocol: 'mattermost', label: 'anna@chat.agency.se', presenceOverride: 'dnd', ownPresence: 'dnd' })] });
    await renderApp(api);
    const second = screen.getByRole('combobox', { name: 'Presence of anna@chat.agency.se' }) as HTMLSelectElement;
    expect(second.value).toBe('dnd');
    const first = screen.getByRole('combobox', { name: 'Presence of anna@agency.se' }) as HTMLSelectElement;
    expect(first.value).toBe('');
    fireEvent.change(first, { target: { value: 'away' } });
    fireEvent.change(second, { target: { value: '' } });
    await flush();
    expect(api.callsOf('presence:setForAccount')).toEqual([{ accountId: 'acc1', state: 'away' }, { accountId: 'acc2', state: null }]);
  });
});

describe('call invitation notification', () => {
  it('offers Join (opening the link the core gives) and Dismiss, in Swedish too', async () => {
    const api = fakeApi({ locale: 'sv', accounts: [account()] });
    api.on('meeting:join', () => ({ url: 'https://meet.agency.se/Styrgrupp2026' }));
    const opened: unknown[][] = [];
    const original = window.open;
    window.open = ((...args: unknown[]) => { opened.push(args); return null; }) as typeof window.open;
    try {
      await renderApp(api, createChatStore({ view: { locale: 'sv' } }));
      const invite = { accountId: 'acc1', conversationId: 'c1', messageId: 'm9', system: 'Jitsi', from: 'Bo Berg' };
      await act(async () => api.push([{ type: 'notice', level: 'info', code: 'meeting-invite', params: invite }]));
      const region = screen.getByRole('region', { name: /Aviseringar|Notiser|Meddelanden/u });
      expect(within(region).getByText('Bo Berg bjuder in dig till ett samtal i Jitsi')).toBeTruthy();
      await act(async () => fireEvent.click(within(region).getByRole('button', { name: 'Anslut' })));
      await flush();
      expect(api.callsOf('meeting:join')).toEqual([{ conversationId: 'c1', messageId: 'm9' }]);
      expect(opened).toEqual([['https://meet.agency.se/Styrgrupp2026', 'samverka-meeting', 'noopener,noreferrer']]);
      expect(within(region).queryByText(/bjuder in dig/u)).toBeNull();

      await act(async () => api.push([{ type: 'notice', level: 'info', code: 'meeting-invite', params: { ...invite, messageId: 'm10' } }]));
      const dismiss = within(region).getAllByRole('button').find((b) => b.textContent === '×')!;
      fireEvent.click(dismiss);
      expect(within(region).queryByText(/bjuder in dig/u)).toBeNull();
    } finally {
      window.open = original;
    }
  });
});
