import { randomUUID } from 'node:crypto';
import { type Browser, devices, type Page } from '@playwright/test';
import type { Role } from '../../app/domain/access';
import { openDatabase } from '../../db/client';
import { insertUser, TEST_PASSWORD } from '../support/users';
import { E2E_DB, expect } from './fixtures';

/** A person who can sign in; agents get an agent identity in the team 'Retail' (an internal name). */
export function createUser(role: Role): { email: string } {
  const db = openDatabase(E2E_DB);
  try {
    db.$client
      .prepare("INSERT OR IGNORE INTO teams (id, name, created_at) VALUES ('tm_e2e', 'Retail', ?)")
      .run(Date.now());
    return insertUser(db, {
      role,
      name: role === 'agent' ? 'Thandi Mokoena' : `Test ${role}`,
      agentId: role === 'agent' ? `ag_${randomUUID().slice(0, 8)}` : undefined,
      teamIds: role === 'agent' || role === 'supervisor' ? ['tm_e2e'] : [],
    });
  } finally {
    db.$client.close();
  }
}

export async function signIn(page: Page, email: string, landing: RegExp) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(landing, { timeout: 30_000 });
}

/**
 * Signs out with the shell's button (at 1440 px; at 390 px it is folded behind Menu) and waits for
 * the sign-in page: going on sooner races the sign-out's own navigation (a sign-in's form replaced
 * mid-way, the old session landing on /dashboard).
 */
export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/^[^?]*\/login$/);
}

export async function fillSendForm(scope: Page | ReturnType<Page['frameLocator']>, orderNumber?: string) {
  await scope.getByLabel('Customer phone').fill('+27 82 123 4567');
  await scope.getByLabel('Customer name (optional)').fill('Valeria');
  if (orderNumber) await scope.getByLabel('Order number').fill(orderNumber);
  await scope.getByLabel('Amount').fill('361.21');
  await scope.getByLabel('Reason').fill('Floral Oasis Dress');
}

/** The customer: another browser context on a phone (a real browser's user agent, so the view counts). */
export async function customerPhone(browser: Browser, width = 390) {
  const context = await browser.newContext({ ...devices['Pixel 7'], viewport: { width, height: 844 } });
  return { context, page: await context.newPage() };
}

export { TEST_PASSWORD };
