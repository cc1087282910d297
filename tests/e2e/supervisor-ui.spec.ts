import type { Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../app/lib/password.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { users, userTeams } from '../../db/schema';
import { expect as baseExpect, E2E_DB, test } from './fixtures';
import { signInByPost } from './helpers';

/**
 * What a supervisor reads (issue #12): the phone menu and skip link, like-for-like comparisons,
 * the leaderboard's answer to "sent, paid, expired unopened last week", the request list's footer,
 * search words and currency groups, and a timeline in words. Data of its own (team tm_e2e_sup).
 *
 * The clock is the real one; the time zone is chosen so that it is about noon there now
 * (Etc/GMT±N), which puts every event below on a known local day and side of "now".
 */

// This machine is shared: a client-side navigation can take several seconds to render.
const expect = baseExpect.configure({ timeout: 15_000 });

const PASSWORD = 'supervisor ui password 1';
const EMAIL = 'sup.ui@e2e.test';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const now = Date.now();
const offsetHours = 12 - new Date(now).getUTCHours();
const ZONE = offsetHours === 0 ? 'Etc/GMT' : `Etc/GMT${offsetHours > 0 ? '-' : '+'}${Math.abs(offsetHours)}`;

const TEAM = { id: 'tm_e2e_sup', name: 'E2E Supervised' };
const ADA = { id: 'ag_e2e_sup_ada', name: 'Ada Mensah', team: TEAM };
const BUSY = 'pr_e2e_sup_busy';

let n = 0;
/** A request sent at `at`: paid a minute later, or left to expire unopened. */
function request(at: number, paid: boolean, currency = 'USD', amount = 10_000) {
  n += 1;
  const id = `pr_e2e_sup_${n}`;
  const event = (type: string, offset: number, data: Record<string, unknown> = {}) => ({
    id: `evt_${id}_${type}`,
    type: `payment_request.${type}`,
    occurredAt: new Date(at + offset).toISOString(),
    paymentRequest: { id },
    data,
  });
  return [
    {
      ...event('created', -1000),
      paymentRequest: {
        id,
        agent: ADA,
        amount,
        currency,
        orderNumber: `SO-SUP-${String(n).padStart(3, '0')}`,
        reason: 'E2E order',
        channel: 'whatsapp',
        customer: { phone: '+27821234567', name: 'Customer' },
      },
    },
    event('sent', 0),
    ...(paid ? [event('opened', MINUTE), event('paid', 2 * MINUTE)] : []),
  ];
}
const times = (count: number, make: (i: number) => unknown[]) =>
  Array.from({ length: count }, (_, i) => make(i)).flat();

test.beforeAll(async () => {
  const db = openDatabase(E2E_DB);
  try {
    if (db.select({ id: users.id }).from(users).where(eq(users.email, EMAIL)).get()) return;
    const events = [
      // Today (local ~10:00): 25 sent, 10 paid.
      ...times(25, (i) => request(now - 2 * HOUR + i * 1000, i < 10)),
      // Yesterday before the time it is now: 20 sent, 9 paid. After it: 10 more (EUR), 10 paid.
      ...times(20, (i) => request(now - DAY - 2 * HOUR + i * 1000, i < 9)),
      ...times(10, (i) => request(now - DAY + 30 * MINUTE + i * 1000, true, 'EUR', 5_000 + i)),
      // A week ago, always in last week: 4 sent, 2 paid, 2 expired unopened.
      ...times(4, (i) => request(now - 7 * DAY - HOUR + i * 1000, i < 2)),
    ];
    const t = now - 3 * HOUR;
    const step = (type: string, at: number, data: Record<string, unknown> = {}) => ({
      id: `evt_${BUSY}_${type}`,
      type: `payment_request.${type}`,
      occurredAt: new Date(at).toISOString(),
      paymentRequest: { id: BUSY },
      data,
    });
    events.push(
      {
        ...step('created', t),
        paymentRequest: {
          id: BUSY,
          agent: ADA,
          amount: 4_200,
          currency: 'USD',
          orderNumber: 'SO-SUP-BUSY',
          reason: 'E2E order',
          channel: 'sms',
          customer: { phone: '+27821234567', name: 'Valeria Fernández' },
        },
      },
      step('send_failed', t + 1000, { reason: 'channel_error' }),
      step('sent', t + MINUTE),
      step('opened', t + 2 * MINUTE),
      step('cancel_rejected', t + 3 * MINUTE, { reason: 'already_opened', actorId: 'usr_e2e_sup' }),
      step('payment_failed', t + 4 * MINUTE, { reason: 'insufficient_funds' }),
      step('paid', t + 5 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
    );
    const summary = await ingestEvents(db, events, 'api', {
      now,
      settings: { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE },
    });
    expect(summary.rejected).toBe(0);
    db.insert(users)
      .values({
        id: 'usr_e2e_sup',
        name: 'Sizwe Supervisor',
        email: EMAIL,
        role: 'supervisor',
        passwordHash: await hashPassword(PASSWORD),
        createdAt: now,
      })
      .run();
    db.insert(userTeams).values({ userId: 'usr_e2e_sup', teamId: TEAM.id }).run();
  } finally {
    db.$client.close();
  }
});

test.use({ locale: 'en-GB' });
// Generous: this machine is shared, and a page with axe or a chart can take seconds.
test.describe.configure({ timeout: 120_000 });

async function signIn(page: Page) {
  await signInByPost(page, EMAIL, { password: PASSWORD });
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

const delta = (page: Page, kpi: string) => page.locator(`[data-kpi="${kpi}"] .kpi-delta`);

test('on a phone the navigation folds into a menu; a skip link leads to the content', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  const menu = page.getByRole('button', { name: 'Menu' });
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  const requestsLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Requests' });
  await expect(requestsLink).toBeHidden();
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(requestsLink).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(menu).toBeFocused();
  await expect(requestsLink).toBeHidden();
  // A navigation from the menu closes it.
  await menu.click();
  await requestsLink.click();
  await expect(page).toHaveURL(/^[^?]*\/requests$/);
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  await page.goto('/dashboard');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
});

test('on a phone every filter picker opens inside the screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  for (const path of ['/dashboard', '/requests']) {
    await page.goto(path);
    const pickers = page.locator('details.choices');
    const count = await pickers.count();
    expect(count).toBeGreaterThan(1);
    for (let i = 0; i < count; i++) {
      const picker = pickers.nth(i);
      await picker.locator('summary').click();
      const box = (await picker.locator('fieldset').boundingBox())!;
      expect(box.x, `${path} picker ${i}`).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, `${path} picker ${i}`).toBeLessThanOrEqual(390);
      await picker.locator('summary').click();
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  }
});

test('changes compare like with like, and say so; a sparse previous period is "not enough data"', async ({ page }) => {
  await signIn(page);
  await page.goto(`/dashboard?range=today&tz=${encodeURIComponent(ZONE)}`);
  await expect(page.locator('[data-kpi="Links sent"] .kpi-value')).toHaveText('26');
  // Today's 26 against yesterday up to the time it is now: 20 (all of yesterday, 30, would make it −13.3%).
  await expect(delta(page, 'Links sent')).toHaveText('Change: +30.0%');
  // 11 of 26 paid today (42.3%) against 9 of 20 (45.0%).
  await expect(delta(page, 'Conversion')).toContainText('−2.7 pts');
  const comparison = page.getByTestId('comparison');
  await expect(comparison).toContainText('as far into that period as this one has run');
  await expect(comparison).toContainText(', 00:00 – ');
  await expect(delta(page, 'Links sent')).toHaveAttribute(
    'title',
    /^\+30\.0% against \d{1,2} \w{3} \d{4}, 00:00 – \d\d:\d\d$/,
  );

  // Yesterday against the day before, which had nothing: no percentage.
  await page.getByRole('link', { name: 'Yesterday' }).click();
  await expect(page).toHaveURL(/range=yesterday/);
  await expect(page.getByRole('link', { name: 'Yesterday' })).toBeFocused();
  await expect(page.locator('[data-kpi="Links sent"] .kpi-value')).toHaveText('30');
  await expect(delta(page, 'Links sent')).toHaveText('Change: not enough data');
  await expect(delta(page, 'Links sent')).toHaveAttribute('title', /^Only 0 links were sent in .*at least 20/);

  // Older links' preset names still work (7d is the default: its URL is the bare page).
  await page.goto('/dashboard?range=last-30');
  await expect(page).toHaveURL(/\/dashboard\?range=30d$/);
  await expect(page.getByRole('link', { name: 'Last 30 days' })).toHaveAttribute('aria-current', 'true');
  await page.goto('/dashboard?range=last-7');
  await expect(page).toHaveURL(/^[^?]*\/dashboard$/);
  await expect(page.getByRole('link', { name: 'Last 7 days' })).toHaveAttribute('aria-current', 'true');
});

test('last week per agent, sent, paid and expired unopened, is one click from the dashboard', async ({ page }) => {
  await signIn(page);
  await page.goto(`/dashboard?tz=${encodeURIComponent(ZONE)}`);
  await page.getByRole('link', { name: 'Last week' }).click();
  await expect(page).toHaveURL(/range=last-week/);
  await expect(page.getByRole('link', { name: 'Last week' })).toBeFocused();
  const board = page.getByTestId('leaderboard');
  await expect(board.locator('thead th')).toHaveText([
    /Agent/,
    /Sent/,
    /Paid/,
    /Expired unopened/,
    /Open rate %/,
    /Conversion %/,
    /Decline rate %/,
    /Expiry rate %/,
    /Cancel rate %/,
    /Median time to pay/,
    /Collected/,
  ]);
  const ada = board.locator(`tr[data-agent="${ADA.id}"] td`);
  // A week ago: 4 sent, 2 paid, 2 expired unopened. When today is a Monday in ZONE, yesterday's 30
  // (19 paid, 11 expired unopened) are last week's too (weeks from Monday).
  const monday = new Date(now + offsetHours * HOUR).getUTCDay() === 1;
  await expect(ada.nth(1)).toHaveText(monday ? '34' : '4');
  await expect(ada.nth(2)).toHaveText(monday ? '21' : '2');
  await expect(ada.nth(3)).toHaveText(monday ? '13' : '2');
  await expect(ada.nth(5)).toHaveText(monday ? '61.8%' : '50.0%');
  // Full height: the page scrolls, not a box around the table.
  const box = await board.evaluate((table) => getComputedStyle(table.parentElement!).maxHeight);
  expect(box).toBe('none');
});

test('the request list counts, says what search looks in, groups amounts by currency; the timeline speaks', async ({
  page,
}) => {
  await signIn(page);
  await page.goto('/requests?limit=25');
  await expect(page.getByTestId('list-range')).toHaveText('1–25 of 60 requests');
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page.getByTestId('list-range')).toHaveText('26–50 of 60 requests');

  const search = page.getByLabel('Search order number, request id or customer name');
  await expect(search).toHaveAttribute('placeholder', 'Part of one, e.g. 1299, pr_88 or Valeria');
  await search.fill('zzz-nothing');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('empty')).toContainText(
    'No request has “zzz-nothing” in its order number, request id or customer name.',
  );

  await page.goto('/requests?sort=amount&order=desc&limit=100');
  await expect(page.locator('th[aria-sort="descending"]')).toHaveText(/Amount, within currency/);
  await expect(page.getByTestId('group-row')).toHaveText([
    'USD: amounts in USD only, sorted by amount',
    'EUR: amounts in EUR only, sorted by amount',
  ]);

  await page.goto(`/requests/${BUSY}`);
  const timeline = page.getByTestId('timeline-event');
  await expect(timeline.nth(1)).toContainText('The channel did not answer.');
  await expect(timeline.nth(4)).toContainText('The customer has already opened the link.');
  await expect(timeline.nth(4)).toContainText('By Sizwe Supervisor');
  await expect(timeline.nth(5)).toContainText('The card has insufficient funds.');
  await expect(timeline.nth(6)).toContainText('Paid with Visa ending in 4242');
  // What the events' data says, all of it: no codes, no user ids.
  const details = (await page.locator('.timeline-data').allInnerTexts()).join('\n');
  expect(details).not.toMatch(/channel_error|insufficient_funds|already_opened|usr_|visa/);
});
