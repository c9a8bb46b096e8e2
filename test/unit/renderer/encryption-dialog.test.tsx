// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import type { EncryptionStatusView } from '../../../common/model';
import { createChatStore } from '../../../renderer/state/store';
import { account, fakeApi, flush, renderApp } from './fixtures';

afterEach(cleanup);

const status = (over: Partial<EncryptionStatusView> = {}): EncryptionStatusView => ({
  enabled: true, persistent: true, deviceId: 'ABCDEFGH', deviceVerified: false, recoverySetUp: false, keyBackup: false, ...over,
});

async function openDialog(st: EncryptionStatusView) {
  const api = fakeApi({ accounts: [account({ id: 'mx1', protocol: 'matrix', label: '@anna:agency.se' })] });
  let current = st;
  api.on('encryption:status', () => current);
  api.on('encryption:setupRecovery', () => {
    current = status({ deviceVerified: true, recoverySetUp: true, keyBackup: true });
    return { recoveryKey: 'EsTc 1234 abcd 5678' };
  });
  api.on('encryption:restore', () => {
    current = status({ deviceVerified: true, recoverySetUp: true, keyBackup: true });
    return null;
  });
  await renderApp(api, createChatStore({ view: { locale: 'en' } }));
  fireEvent.click(screen.getByRole('button', { name: 'Encryption for @anna:agency.se' }));
  await flush();
  return { api, dialog: screen.getByRole('dialog') };
}

describe('Encryption dialog (Matrix accounts)', () => {
  it('shows the device state and sets up a recovery key that is shown once', async () => {
    const { api, dialog } = await openDialog(status());
    expect(within(dialog).getByText('ABCDEFGH')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Set up recovery key' }));
    fireEvent.change(within(dialog).getByLabelText(/Password/), { target: { value: 'pw' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create recovery key' }));
    await flush();
    expect(within(dialog).getByText('EsTc 1234 abcd 5678')).toBeTruthy();
    expect(api.calls.find((c) => c.cmd === 'encryption:setupRecovery')?.input).toEqual({ accountId: 'mx1', password: 'pw' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'I have saved it' }));
    await flush();
    expect(within(dialog).queryByText('EsTc 1234 abcd 5678')).toBeNull();
    expect(within(dialog).getByRole('button', { name: 'New recovery key' })).toBeTruthy();
  });

  it('unlocks a new device with the recovery key', async () => {
    const { api, dialog } = await openDialog(status({ recoverySetUp: true }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Use recovery key' }));
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'Recovery key' }), { target: { value: ' EsTc 1234 abcd 5678 ' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Unlock' }));
    await flush();
    expect(api.calls.find((c) => c.cmd === 'encryption:restore')?.input).toEqual({ accountId: 'mx1', recoveryKey: ' EsTc 1234 abcd 5678 ' });
    expect(within(dialog).getByText('Device verified').nextElementSibling?.textContent).toBe('Yes');
  });

  it('warns when keys are kept in memory only', async () => {
    const { dialog } = await openDialog(status({ persistent: false }));
    expect(within(dialog).getByText(/Keys are kept in memory only/)).toBeTruthy();
  });
});
