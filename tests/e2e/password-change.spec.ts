import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { openDatabase } from '../../db/client';
import { insertUserInFile, TEST_PASSWORD } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { SCREENS, signOut } from './helpers';

const run = randomBytes(3).toString('hex');
const NEW_PASSWORD = 'my own long passphrase';

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an invited user signs in with the temporary password, must choose their own, then lands on their home', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const admin = insertUserInFile(E2E_DB, { role: 'admin', name: 'Petra Admin', email: `petra-${run}@example.test` });
  const email = `mo-${run}@example.test`;

  // The admin invites a manager and reads the temporary password off the screen.
  await signIn(page, admin.email, TEST_PASSWORD);
  await expect(page).toHaveURL(/^[^?]*\/admin$/);
  await page.goto('/admin/users');
  await page.locator('#invite summary').click();
  const invite = page.locator('#invite');
  await invite.getByLabel('Name', { exact: true }).fill('Mo Manager');
  await invite.getByLabel('Email').fill(email);
  await invite.getByLabel('Role').selectOption('manager');
  await invite.getByRole('button', { name: 'Invite' }).click();
  const shown = invite.getByRole('region', { name: 'Temporary password' }).getByTestId('shown-once-value');
  await expect(shown).toHaveText(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
  const temporaryPassword = (await shown.textContent())!;
  await signOut(page);

  // The invitee is sent to the account page, and every other page sends them back there.
  await signIn(page, email, temporaryPassword);
  await expect(page).toHaveURL(/^[^?]*\/account$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(
    'You signed in with a temporary password from an administrator. Choose your own password to continue.',
  );
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/^[^?]*\/account$/);
  await page.evaluate(() => window.scrollTo(0, 0));
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/account-forced.png', fullPage: true });

  // A weak password is refused with the field named.
  await page.getByLabel('Current password').fill(temporaryPassword);
  await page.getByLabel('New password', { exact: true }).fill('too short');
  await page.getByLabel('New password again').fill('too short');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toHaveText('Please correct the fields marked below.');
  await expect(page.getByLabel('New password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Use at least 12 characters')).toBeVisible();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/account-error.png', fullPage: true });

  await page.getByLabel('Current password').fill(temporaryPassword);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('New password again').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page).toHaveURL(/^[^?]*\/dashboard$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Dashboard');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();

  // The account page stays reachable from the header by keyboard, and the new password signs in.
  const account = page.getByRole('banner').getByRole('link', { name: 'Account' });
  await account.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/^[^?]*\/account$/);
  await expect(page.getByRole('status')).toHaveCount(0);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/account.png', fullPage: true });
  await signOut(page);
  await signIn(page, email, NEW_PASSWORD);
  await expect(page).toHaveURL(/^[^?]*\/dashboard$/);
});

/** Puts a person on a temporary password (the fixture's TEST_PASSWORD) that expires at `expiresAt`. */
function onTemporaryPassword(userId: string, expiresAt: number) {
  const db = openDatabase(E2E_DB);
  try {
    db.$client
      .prepare('UPDATE users SET must_change_password = 1, temporary_password_expires_at = ? WHERE id = ?')
      .run(expiresAt, userId);
  } finally {
    db.$client.close();
  }
}

test('an expired temporary password is refused with a message; the admin sees it in the list and issues a new one', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const admin = insertUserInFile(E2E_DB, { role: 'admin', name: 'Petra Admin', email: `petra2-${run}@example.test` });
  const late = insertUserInFile(E2E_DB, {
    role: 'supervisor',
    name: 'Lerato Late',
    email: `lerato-${run}@example.test`,
    teamIds: ['tm_retail'],
  });
  const pending = insertUserInFile(E2E_DB, {
    role: 'manager',
    name: 'Pat Pending',
    email: `pat-${run}@example.test`,
  });
  onTemporaryPassword(late.id, Date.now() - 60_000);
  onTemporaryPassword(pending.id, Date.now() + 50 * 60 * 60 * 1000);

  // More than 72 hours after the admin issued it: the sign-in page says so, and nothing opens.
  await signIn(page, late.email, TEST_PASSWORD);
  await expect(page.getByRole('alert')).toHaveText(
    'Your temporary password has expired. Ask an administrator for a new one.',
  );
  await expect(page).toHaveURL(/^[^?]*\/login$/);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/login-temporary-expired.png', fullPage: true });

  // The admin's list shows who still has a temporary password, and which one has expired.
  await signIn(page, admin.email, TEST_PASSWORD);
  await expect(page).toHaveURL(/^[^?]*\/admin$/);
  await page.goto('/admin/users');
  const lateRow = page.getByRole('row').filter({ hasText: late.email });
  const pendingRow = page.getByRole('row').filter({ hasText: pending.email });
  // In the browser's locale: Playwright's default, en-US ('Dec 2, 01:26 PM').
  const dayTime = /^[A-Z][a-z]{2} \d{1,2}, \d\d:\d\d [AP]M$/;
  await expect(lateRow.getByText('Temporary password', { exact: true })).toHaveClass(/badge-bad/);
  await expect(lateRow.getByText(/^Expired /).locator('time')).toHaveText(dayTime);
  await expect(pendingRow.getByText('Temporary password', { exact: true })).toHaveClass(/badge-warn/);
  await expect(pendingRow.getByText(/^Expires /).locator('time')).toHaveText(dayTime);
  await expect(page.getByRole('row').filter({ hasText: admin.email }).getByText('Temporary password')).toHaveCount(0);
  await page.evaluate(() => window.scrollTo(0, 0));
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/admin-users-temporary.png', fullPage: true });

  // A new one from the list: shown once, for a fresh 72 hours.
  await lateRow.getByRole('button', { name: 'Issue new password for Lerato Late' }).click();
  const shown = page.getByRole('region', { name: 'New temporary password for Lerato Late' });
  await expect(shown).toContainText('It works for 72 hours, until');
  const value = shown.getByTestId('shown-once-value');
  await expect(value).toHaveText(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
  const temporaryPassword = (await value.textContent())!;
  await expect(lateRow.getByText('Temporary password', { exact: true })).toHaveClass(/badge-warn/);
  await expect(lateRow.getByText(/^Expires /)).toBeVisible();
  await shown.scrollIntoViewIfNeeded();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/admin-users-reissued.png' });
  await signOut(page);

  await signIn(page, late.email, temporaryPassword);
  await expect(page).toHaveURL(/^[^?]*\/account$/);
});
