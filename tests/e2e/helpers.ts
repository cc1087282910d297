import { randomUUID } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, devices, type Page } from '@playwright/test';
import type { Role } from '../../app/domain/access';
import { openDatabase } from '../../db/client';
import { insertUser, TEST_PASSWORD } from '../support/users';
import { APP_ORIGIN, E2E_DB, expect } from './fixtures';

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

/**
 * Signs in by posting the sign-in form from the page's own context (its cookie jar), then opens the
 * page the sign-in sends to (the role's home, or `redirectTo`): one page load instead of three
 * (/login, typing, the redirect), ~2 s a journey on this machine. The form itself is the subject of
 * sign-in.spec.ts, password-change.spec.ts and the embedded panel's sign-in in pay-embed.spec.ts.
 */
export async function signInByPost(
  page: Page,
  email: string,
  { password = TEST_PASSWORD, redirectTo = '' }: { password?: string; redirectTo?: string } = {},
) {
  const response = await page.request.post('/login', {
    form: { email, password, redirectTo },
    headers: { origin: APP_ORIGIN },
    maxRedirects: 0,
  });
  expect(response.status(), `sign-in of ${email}`).toBe(302);
  await page.goto(response.headers().location!);
}

export async function signIn(page: Page, email: string, landing: RegExp) {
  await signInByPost(page, email);
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

/** axe's serious and critical violations on the page as it is now, one line each (rule: targets). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Only violations are read: axe then skips collecting every passing node (the bulk of its time).
  const axe = new AxeBuilder({ page }).options({ resultTypes: ['violations'] });
  // Our pages hold no frames: axe.run in the page itself ("legacy" mode) then checks all there is,
  // without the default's runPartial + a new blank page to finish in (1.1-1.6 s -> 0.5 s a run here).
  // A page with a frame gets the default, which also checks the frame's content.
  const results = await (page.frames().length === 1 ? axe.setLegacyMode() : axe).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

export { TEST_PASSWORD };

/**
 * Screenshots for a person to look at (tmp/e2e/) are taken with SCREENS=1 only, as every-page's
 * are: nothing is asserted on them and nobody looks in CI, where the ~50 of them cost ~40 s of the
 * workers' time.
 */
export const SCREENS = process.env.SCREENS === '1';

/** What a created event says of its request (SPEC §2); the rest of it is the same in every spec. */
export interface RequestDetails {
  agent: { id: string; name: string; team: { id: string; name: string } };
  amount: number;
  currency: string;
  orderNumber: string;
  reason?: string;
  channel?: string;
  customerName?: string;
}

/**
 * One request's events for a spec's own data: created at `at` (epoch ms), then each step `offset`
 * ms after it (`['sent', 1000], ['paid', 60_000]`).
 */
export function requestEvents(id: string, at: number, details: RequestDetails, steps: [string, number][]) {
  const event = (type: string, offset: number) => ({
    id: `evt_${id}_${type}`,
    type: `payment_request.${type}`,
    occurredAt: new Date(at + offset).toISOString(),
    paymentRequest: { id },
    data: {},
  });
  const { customerName = 'Valeria Fernández', reason = 'Floral Oasis Dress', channel = 'whatsapp', ...rest } = details;
  return [
    {
      ...event('created', 0),
      paymentRequest: { id, ...rest, reason, channel, customer: { phone: '+27821234567', name: customerName } },
    },
    ...steps.map(([type, offset]) => event(type, offset)),
  ];
}
