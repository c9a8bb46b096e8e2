// Steps through the real UI that several end-to-end specs share.
import { expect, type Locator, type Page } from '@playwright/test';

/** A new profile starts in Swedish; the specs read English labels (which also proves the switch). */
export async function openInEnglish(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel(/Language|Språk/).selectOption('en');
  await expect(page.getByRole('button', { name: 'Add account' }).first()).toBeVisible();
}

export interface AccountForm {
  readonly protocol?: 'xmpp' | 'matrix' | 'mattermost' | 'rocketchat';
  readonly address: string;
  /** Left empty for SSO. */
  readonly password?: string;
  /** A loopback test server: the form's "allow unencrypted connection" is ticked too. */
  readonly serviceUrl: string;
}

/** Open "Add account" and fill it in; the caller chooses how to submit. Returns the dialog. */
export async function fillAccountForm(page: Page, form: AccountForm): Promise<Locator> {
  await page.getByRole('button', { name: 'Add account' }).first().click();
  const dialog = page.getByRole('dialog');
  if (form.protocol) await dialog.getByRole('combobox', { name: /Chat system/ }).selectOption(form.protocol);
  await dialog.getByRole('textbox', { name: /^Address/ }).fill(form.address);
  if (form.password !== undefined) await dialog.getByLabel('Password', { exact: true }).fill(form.password);
  await dialog.getByText('Advanced settings').click();
  await dialog.getByLabel(/^Server address/).fill(form.serviceUrl);
  await dialog.getByLabel(/Allow unencrypted connection/).check();
  return dialog;
}

/** Add an account with a password and wait until the account list says it is connected. */
export async function addAccount(page: Page, form: AccountForm & { readonly password: string }): Promise<void> {
  const dialog = await fillAccountForm(page, form);
  await dialog.getByRole('button', { name: 'Connect' }).click();
  const name = new RegExp(form.address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  await expect(page.getByRole('listitem', { name })).toContainText('Connected');
}

/** Open a conversation in the inbox, wait for `incoming` in it, send `reply` and wait until it is marked sent. */
export async function answer(page: Page, conversation: RegExp, incoming: string, reply: string): Promise<void> {
  await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: conversation }).click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText(incoming)).toBeVisible();
  const composer = page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill(reply);
  await composer.press('Enter');
  await expect(messages.getByRole('article').filter({ hasText: reply })).toContainText('Sent');
}
