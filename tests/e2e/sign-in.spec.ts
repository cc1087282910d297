import { randomBytes } from 'node:crypto';
import type { Role } from '../../app/domain/access';
import { insertUserInFile, TEST_PASSWORD } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { SCREENS, signOut } from './helpers';

const run = randomBytes(3).toString('hex');

const HOMES: [Role, RegExp, string][] = [
  ['agent', /\/agent$/, 'Console'],
  ['supervisor', /\/dashboard$/, 'Dashboard'],
  ['manager', /\/dashboard$/, 'Dashboard'],
  ['admin', /\/admin$/, 'Administration'],
];

for (const [role, home, heading] of HOMES) {
  test(`a ${role} signs in and lands on their home page, then signs out`, async ({ page }) => {
    const { email } = insertUserInFile(E2E_DB, {
      role,
      email: `${role}-${run}@example.test`,
      name: `Signin ${role}`,
      teamIds: role === 'supervisor' || role === 'agent' ? [`tm_signin_${run}`] : undefined,
      agentId: role === 'agent' ? `ag_signin_${run}` : undefined,
    });
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(home);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(heading);
    await expect(page.getByRole('banner').getByText(`Signin ${role}`)).toBeVisible();
    if (SCREENS) await page.screenshot({ path: `tmp/e2e/home-${role}.png`, fullPage: true });
    await signOut(page);
  });
}

test('a wrong password says so in words, with JavaScript running', async ({ page }) => {
  const { email } = insertUserInFile(E2E_DB, { role: 'manager', email: `wrong-${run}@example.test` });
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect.');
  await expect(page).toHaveURL(/^[^?]*\/login$/);
});

test('a refused sign-in puts the focus on the first field to fix, its message read with it', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Password').fill('anything at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const email = page.getByLabel('Email');
  await expect(email).toBeFocused();
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(email).toHaveAccessibleDescription('Enter your email address');
});
