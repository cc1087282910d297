import type { Page } from '@playwright/test';
import { openDatabase } from '../../db/client';
import { E2E_DB, expect, test } from './fixtures';
import { createUser, customerPhone, fillSendForm, SCREENS, signIn, signOut, TEST_PASSWORD } from './helpers';

test.describe.configure({ timeout: 180_000 });

type Counted = Window & { liveChanges: number };

/** A new agent signed in on the console with its live stream connected; their email. */
async function signInLive(page: Page): Promise<string> {
  const { email } = createUser('agent');
  await signIn(page, email, /\/agent$/);
  await expect(page.getByText('Live', { exact: true })).toBeVisible({ timeout: 15_000 });
  return email;
}

/** From the next page load on, the page counts the live stream's changes it receives. */
async function countLiveChanges(page: Page) {
  await page.addInitScript(() => {
    const counted = window as unknown as Counted;
    counted.liveChanges = 0;
    window.EventSource = class extends window.EventSource {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        this.addEventListener('change', () => {
          counted.liveChanges += 1;
        });
      }
    };
  });
}

/** Waits until the page received a change after the `seen` first ones, and the page's debounce (750 ms) ran out. */
async function liveChangeArrived(page: Page, seen: number) {
  await page.waitForFunction((seen) => (window as unknown as Counted).liveChanges > seen, seen, { timeout: 20_000 });
  await page.waitForTimeout(1000);
}

const liveChangesSeen = (page: Page) => page.evaluate(() => (window as unknown as Counted).liveChanges);

test('field errors still show when a live update lands while the form is submitted; focus returns after Send', async ({
  page,
  browser,
}) => {
  await countLiveChanges(page);
  await signInLive(page);
  await fillSendForm(page, 'SO-LIVE-1');
  await page.getByRole('button', { name: 'Send link' }).click();
  const first = page.locator('.request-card', { hasText: 'Order SO-LIVE-1' });
  await expect(first.getByText('Waiting for customer')).toBeVisible();
  // After Send, the next request starts in the first field.
  await expect(page.getByLabel('Customer phone')).toBeFocused();
  const payUrl = (await first.getByRole('link').textContent())!;

  // The reload after the refused send is held back until a live update (the customer opening the
  // first link) has reached the page, so the update lands in the middle of it; the update's own
  // reload waits for that one and brings the change.
  let held = false;
  await page.route(
    (url) => url.pathname.endsWith('.data'),
    async (route) => {
      if (route.request().method() !== 'GET' || held) return route.continue();
      held = true;
      const seen = await liveChangesSeen(page);
      const customer = await customerPhone(browser);
      await customer.page.goto(payUrl);
      await customer.context.close();
      await liveChangeArrived(page, seen);
      await route.continue().catch(() => undefined);
    },
  );
  await page.getByLabel('Customer phone').fill('0821');
  await page.getByLabel('Order number').fill('');
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(first.getByText('Customer opened link')).toBeVisible({ timeout: 20_000 });
  expect(held).toBe(true);
  const form = page.locator('.send-form');
  await expect(form.getByText('Nothing was sent: correct the fields marked below.')).toBeVisible();
  await expect(form.getByText('Enter the phone in international format, e.g. +27821234567')).toBeVisible();
  await expect(form.getByText('Enter the order number')).toBeVisible();
  await expect(page.getByLabel('Customer phone')).toBeFocused();
  await page.unrouteAll({ behavior: 'wait' });
});

test('a live update arriving while a send is answered still clears the form, and the next send goes out', async ({
  page,
}) => {
  await countLiveChanges(page);
  await signInLive(page);
  // The send's answer is held until the live update of its own request (sent) has reached the page:
  // the update lands between the send and its redirect.
  let held = false;
  await page.route(
    (url) => url.pathname === '/agent.data',
    async (route) => {
      if (route.request().method() !== 'POST' || held) return route.continue();
      held = true;
      const seen = await liveChangesSeen(page);
      const response = await route.fetch();
      await liveChangeArrived(page, seen);
      await route.fulfill({ response });
    },
  );
  await fillSendForm(page, 'SO-RACE-1');
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page.locator('.request-card', { hasText: 'Order SO-RACE-1' })).toBeVisible();
  expect(held).toBe(true);
  // The form is the next request's, empty, with a new key: it kept SO-RACE-1 and the used key, and
  // the next send (another order) was refused as the key's reuse.
  await expect(page.getByLabel('Order number')).toHaveValue('');
  await expect(page.getByLabel('Customer phone')).toHaveValue('');
  await fillSendForm(page, 'SO-RACE-2');
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page.locator('.request-card', { hasText: 'Order SO-RACE-2' })).toBeVisible();
  await expect(page.locator('.send-form [role=alert]')).toHaveCount(0);
  await page.unrouteAll({ behavior: 'wait' });
});

test('cards show sent and closed times, open requests first and finished ones by day', async ({ page }) => {
  const { email } = createUser('agent');
  await signIn(page, email, /\/agent$/);
  for (const order of ['SO-DAY-1', 'SO-DAY-2']) {
    await fillSendForm(page, order);
    await page.getByRole('button', { name: 'Send link' }).click();
    await expect(page.locator('.request-card', { hasText: `Order ${order}` })).toBeVisible();
  }
  const firstCard = page.locator('.request-card', { hasText: 'Order SO-DAY-1' });
  await firstCard.getByRole('button', { name: 'Cancel request' }).click();
  await expect(firstCard.getByText('Canceled by agent')).toBeVisible();
  await page.reload();
  const groups = page.locator('.request-group');
  await expect(groups.nth(0).getByRole('heading')).toHaveText('Open (1)');
  await expect(groups.nth(0).locator('.request-card')).toContainText('Order SO-DAY-2');
  await expect(groups.nth(1).getByRole('heading')).toHaveText('Finished today');
  const canceled = groups.nth(1).locator('.request-card');
  await expect(canceled).toContainText('Order SO-DAY-1');
  // Times in the reader's locale: Playwright's default en-US writes '01:06 PM'.
  await expect(canceled.locator('.request-times')).toHaveText(/^Sent \d\d:\d\d [AP]M · Closed \d\d:\d\d [AP]M$/);
  await expect(groups.nth(0).locator('.request-times')).toHaveText(/^Sent \d\d:\d\d [AP]M$/);
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    if (SCREENS) await page.screenshot({ path: `tmp/e2e/shots/agent-${width}.png`, fullPage: true });
  }
});

test('error pages live in the layout with the way home for the role; a lost connection says so', async ({
  page,
  context,
}) => {
  const supervisor = createUser('supervisor');
  await signIn(page, supervisor.email, /\/dashboard/);
  await page.goto('/admin');
  await expect(page.getByRole('heading', { level: 1, name: 'Not for your role' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page).toHaveTitle('Not for your role · Paylink Desk');
  await expect(page.getByRole('link', { name: 'Back to the dashboard' })).toHaveAttribute('href', '/dashboard');
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    if (SCREENS) await page.screenshot({ path: `tmp/e2e/shots/error-403-${width}.png`, fullPage: true });
  }
  // At 390 px Sign out is folded behind the Menu button.
  await page.setViewportSize({ width: 1440, height: 900 });
  await signOut(page);

  const agent = createUser('agent');
  await signIn(page, agent.email, /\/agent$/);
  await page.goto('/dashboard');
  await expect(page.getByRole('heading', { level: 1, name: 'Not for your role' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to the dashboard' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Back to your console' })).toHaveAttribute('href', '/agent');

  // Both pages' code is loaded first: a page whose code cannot load makes the browser reload it.
  await page.goto('/account');
  await page.getByRole('link', { name: 'Console' }).click();
  await expect(page.getByText('Live', { exact: true })).toBeVisible({ timeout: 15_000 });
  await context.setOffline(true);
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'No connection' })).toBeVisible();
  await expect(page.getByText('this device is offline or cannot reach Paylink Desk')).toBeVisible();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/shots/error-offline-390.png', fullPage: true });
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
});

test('when the live stream drops the console says so and polls until it is back', async ({ page, browser }) => {
  const { email } = createUser('agent');
  await signIn(page, email, /\/agent$/);
  await fillSendForm(page, 'SO-POLL-1');
  await page.getByRole('button', { name: 'Send link' }).click();
  const card = page.locator('.request-card', { hasText: 'Order SO-POLL-1' });
  await expect(card.getByText('Waiting for customer')).toBeVisible();
  const payUrl = (await card.getByRole('link').textContent())!;

  await page.route('**/api/v1/stream', (route) => route.abort());
  await page.reload();
  const live = page.getByTestId('live');
  await expect(live).toHaveText('Live updates paused, retrying', { timeout: 15_000 });
  const customer = await customerPhone(browser);
  await customer.page.goto(payUrl);
  await customer.context.close();
  // No stream: the page's own polling (every 10 s) brings the change.
  await expect(card.getByText('Customer opened link')).toBeVisible({ timeout: 25_000 });
  await expect(card.getByRole('button', { name: 'Cancel request' })).toHaveCount(0);

  await page.unroute('**/api/v1/stream');
  await expect(live).toHaveText('Live', { timeout: 40_000 });
});

test('a keyboard and screen-reader agent hears each send, cancel and payment, and keeps the focus after Cancel', async ({
  page,
  browser,
}) => {
  await signInLive(page);
  const announcer = page.getByTestId('request-announcer');
  await expect(announcer).toHaveRole('status');
  await expect(announcer).toHaveText('');

  await fillSendForm(page, 'SO-SR-1');
  await page.getByRole('button', { name: 'Send link' }).press('Enter');
  const first = page.locator('.request-card', { hasText: 'Order SO-SR-1' });
  await expect(first.getByText('Waiting for customer')).toBeVisible();
  await expect(announcer).toHaveText('Order SO-SR-1: Waiting for customer.');

  // Cancel moves the card to the finished ones: the focus follows it instead of falling to the page.
  await first.getByRole('button', { name: 'Cancel request' }).press('Enter');
  await expect(first.getByText('Canceled by agent')).toBeVisible();
  await expect(announcer).toHaveText('Order SO-SR-1: Canceled by agent.');
  await expect(first).toBeFocused();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-canceled-focus.png' });

  await fillSendForm(page, 'SO-SR-2');
  await page.getByRole('button', { name: 'Send link' }).press('Enter');
  const second = page.locator('.request-card', { hasText: 'Order SO-SR-2' });
  await expect(announcer).toHaveText('Order SO-SR-2: Waiting for customer.');
  // The customer opening the link takes Cancel away under the focus, and paying moves the card.
  await second.getByRole('button', { name: 'Cancel request' }).focus();
  const customer = await customerPhone(browser);
  await customer.page.goto((await second.getByRole('link').textContent())!);
  await customer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await customer.page.getByLabel('Expiry (MM/YY)').fill('1229');
  await customer.page.getByLabel('Security code (CVC)').fill('123');
  await customer.page.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(customer.page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await customer.context.close();
  // The customer's open and payment land in one live reload or two: the latest says Paid.
  await expect(announcer).toHaveText('Order SO-SR-2: Paid.', { timeout: 20_000 });
  await expect(second).toBeFocused();
});

test('a session that ends while an agent types keeps the typed request for after signing in again', async ({
  page,
}) => {
  const { email } = createUser('agent');
  await signIn(page, email, /\/agent$/);
  await fillSendForm(page, 'SO-DRAFT-1');
  await page.getByLabel('Currency').selectOption('EUR');
  // A card number typed where it does not belong is kept masked, as the server would store it.
  await page.getByLabel('Reason').fill('Floral Oasis Dress, card 4242 4242 4242 4242');
  // The session ends (idle for an hour, or ended from another device) with the form filled in.
  const db = openDatabase(E2E_DB);
  db.$client.prepare('DELETE FROM sessions').run();
  db.$client.close();
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fagent$/);
  const kept = await page.evaluate(() => Object.values(window.sessionStorage).join('\n'));
  expect(kept).toContain('SO-DRAFT-1');
  expect(kept.replace(/\D/g, '')).not.toContain('4242424242424242');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/agent$/);

  await expect(page.getByRole('status').filter({ hasText: 'You were signed out' })).toHaveText(
    'You were signed out before this was sent. What you had typed is back: check it, then send it.',
  );
  await expect(page.getByLabel('Customer phone')).toHaveValue('+27 82 123 4567');
  await expect(page.getByLabel('Customer name (optional)')).toHaveValue('Valeria');
  await expect(page.getByLabel('Order number')).toHaveValue('SO-DRAFT-1');
  await expect(page.getByLabel('Amount')).toHaveValue('361.21');
  await expect(page.getByLabel('Currency')).toHaveValue('EUR');
  await expect(page.getByLabel('Reason')).toHaveValue('Floral Oasis Dress, card **** **** **** 4242');
  await expect(page.getByText('No requests yet. Send one with the form.')).toBeVisible();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-draft-restored.png' });

  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page.locator('.request-card', { hasText: 'Order SO-DRAFT-1' }).getByText('€361.21')).toBeVisible();
  // Put back once: the next form starts empty, and so does a reload.
  await expect(page.getByLabel('Order number')).toHaveValue('');
  await page.reload();
  await expect(page.getByLabel('Order number')).toHaveValue('');
});

test('a live reload answered 503 by a busy server does not leave the console on the error page', async ({
  page,
  browser,
}) => {
  await signInLive(page);
  await fillSendForm(page, 'SO-BUSY-1');
  await page.getByRole('button', { name: 'Send link' }).click();
  const card = page.locator('.request-card', { hasText: 'Order SO-BUSY-1' });
  const payUrl = (await card.getByRole('link').textContent())!;

  // The reload that the customer's opening of the link sets off meets a server too busy to answer.
  let refused = 0;
  await page.route(
    (url) => url.pathname.endsWith('.data'),
    (route) =>
      refused++ === 0
        ? route.fulfill({ status: 503, headers: { 'retry-after': '1' }, body: 'Service Unavailable' })
        : route.continue(),
  );
  const customer = await customerPhone(browser);
  await customer.page.goto(payUrl);
  await customer.context.close();
  await expect(page.getByRole('heading', { level: 1, name: 'Something went wrong' })).toBeVisible({
    timeout: 15_000,
  });
  await expect(page.getByText('This page tries again by itself every few seconds.')).toBeVisible();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-busy-retry.png' });
  // Nobody clicks Try again: the console comes back by itself, with the change.
  await expect(card.getByText('Customer opened link')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('heading', { level: 1, name: 'Console' })).toBeVisible();
  expect(refused).toBeGreaterThanOrEqual(2);
});

test('a browser that refuses sessionStorage still gets the console and sends', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'sessionStorage', {
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
  });
  const { email } = createUser('agent');
  await signIn(page, email, /\/agent$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Console' })).toBeVisible();
  await fillSendForm(page, 'SO-NOSTORE-1');
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page.locator('.request-card', { hasText: 'Order SO-NOSTORE-1' })).toBeVisible();
});
