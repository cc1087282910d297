import { randomBytes } from 'node:crypto';
import { expect, type Page, test } from '@playwright/test';
import { E2E_DB } from '../../playwright.config';
import { insertUserInFile, TEST_PASSWORD } from '../support/users';

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
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto('/admin/users');
  await page.locator('#invite summary').click();
  const invite = page.locator('#invite');
  await invite.getByLabel('Name').fill('Mo Manager');
  await invite.getByLabel('Email').fill(email);
  await invite.getByLabel('Role').selectOption('manager');
  await invite.getByRole('button', { name: 'Invite' }).click();
  const shown = invite.getByRole('region', { name: 'Temporary password' }).getByTestId('shown-once-value');
  await expect(shown).toHaveText(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
  const temporaryPassword = (await shown.textContent())!;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  // The invitee is sent to the account page, and every other page sends them back there.
  await signIn(page, email, temporaryPassword);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(
    'You signed in with a temporary password from an administrator. Choose your own password to continue.',
  );
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/account$/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'tmp/e2e/account-forced.png', fullPage: true });

  // A weak password is refused with the field named.
  await page.getByLabel('Current password').fill(temporaryPassword);
  await page.getByLabel('New password', { exact: true }).fill('too short');
  await page.getByLabel('New password again').fill('too short');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toHaveText('Please correct the fields marked below.');
  await expect(page.getByLabel('New password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Use at least 12 characters')).toBeVisible();
  await page.screenshot({ path: 'tmp/e2e/account-error.png', fullPage: true });

  await page.getByLabel('Current password').fill(temporaryPassword);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('New password again').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Dashboard');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();

  // The account page stays reachable from the header by keyboard, and the new password signs in.
  const account = page.getByRole('banner').getByRole('link', { name: 'Account' });
  await account.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('status')).toHaveCount(0);
  await page.screenshot({ path: 'tmp/e2e/account.png', fullPage: true });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, email, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
});
