import { randomUUID } from 'node:crypto';
import { type Browser, devices, type Page } from '@playwright/test';
import { openDatabase } from '../../db/client';
import { insertUser, TEST_PASSWORD } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { SCREENS, signInByPost } from './helpers';

/** An agent who can sign in: the team (named, as the pay page shows it), the agent identity and the user. */
function createAgentUser(): { email: string } {
  const db = openDatabase(E2E_DB);
  try {
    db.$client
      .prepare("INSERT OR IGNORE INTO teams (id, name, created_at) VALUES ('tm_e2e', 'Retail', ?)")
      .run(Date.now());
    return insertUser(db, {
      role: 'agent',
      name: 'Thandi Mokoena',
      agentId: `ag_${randomUUID().slice(0, 8)}`,
      teamIds: ['tm_e2e'],
    });
  } finally {
    db.$client.close();
  }
}

async function signIn(page: Page, email: string) {
  await signInByPost(page, email);
  await expect(page).toHaveURL(/^[^?]*\/agent$/);
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
}

async function sendRequest(page: Page, orderNumber: string, phone = '+27 82 123 4567') {
  await page.getByLabel('Customer phone').fill(phone);
  await page.getByLabel('Customer name (optional)').fill('Valeria');
  await page.getByLabel('Order number').fill(orderNumber);
  await page.getByLabel('Amount').fill('361.21');
  await page.getByLabel('Currency').selectOption('USD');
  await page.getByLabel('Reason').fill('Floral Oasis Dress');
  await page.getByLabel('Channel').selectOption('whatsapp');
  await page.getByRole('button', { name: 'Send link' }).click();
  const card = page.locator('.request-card', { hasText: `Order ${orderNumber}` });
  await expect(card).toBeVisible();
  return card;
}

/** The customer: another browser context, on a phone (a real browser's user agent, so the view counts). */
async function customerPage(browser: Browser) {
  const context = await browser.newContext({ ...devices['Pixel 7'] });
  return { context, page: await context.newPage() };
}

test('an agent sends a link, the customer pays with a test card, the agent’s card turns Paid live', async ({
  page,
  browser,
}) => {
  const { email } = createAgentUser();
  await signIn(page, email);

  const form = page.locator('.send-form');
  await form.getByRole('button', { name: 'Send link' }).click();
  await expect(form.getByText('Enter the phone in international format, e.g. +27821234567')).toBeVisible();
  await expect(form.getByText('Enter the order number')).toBeVisible();

  const card = await sendRequest(page, 'SO-E2E-1');
  await expect(card.getByText('Waiting for customer')).toBeVisible();
  await expect(card.getByRole('timer')).toHaveText(/^[45]:\d\d left$/);
  await expect(card.getByText('•••••••4567')).toBeVisible();
  const payUrl = await card.getByRole('link').textContent();
  expect(payUrl).toMatch(/\/pay\/[A-Za-z0-9_-]{32}$/);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-sent.png', fullPage: true });

  // A marker that survives only as long as the page is not reloaded.
  await page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });

  const customer = await customerPage(browser);
  await customer.page.goto(payUrl!);
  await expect(customer.page.getByRole('heading', { level: 1, name: '$361.21' })).toBeVisible();
  await expect(customer.page.getByText('Floral Oasis Dress')).toBeVisible();
  await expect(customer.page.getByText('SO-E2E-1')).toBeVisible();
  await expect(customer.page.getByRole('timer')).toHaveText(/^1[45]:\d\d$/);
  if (SCREENS) await customer.page.screenshot({ path: 'tmp/e2e/pay-page.png', fullPage: true });

  await expect(card.getByText('Customer opened link')).toBeVisible({ timeout: 10_000 });
  await expect(card.getByRole('button', { name: 'Cancel request' })).toHaveCount(0);

  await customer.page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await customer.page.getByLabel('Expiry (MM/YY)').fill('12/30');
  await customer.page.getByLabel('Security code (CVC)').fill('123');
  await customer.page.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(customer.page.getByRole('alert')).toContainText('Your card was declined.');
  await expect(card.getByText('Payment attempt failed')).toBeVisible({ timeout: 10_000 });
  if (SCREENS) await customer.page.screenshot({ path: 'tmp/e2e/pay-failed.png', fullPage: true });

  // After a decline the card form starts empty (nothing of the refused card is kept).
  await expect(customer.page.getByLabel('Card number')).toHaveValue('');
  await customer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await customer.page.getByLabel('Expiry (MM/YY)').fill('12/30');
  await customer.page.getByLabel('Security code (CVC)').fill('123');
  await customer.page.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(customer.page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await expect(customer.page.getByText('Paid with Visa ending in 4242')).toBeVisible();
  if (SCREENS) await customer.page.screenshot({ path: 'tmp/e2e/pay-paid.png', fullPage: true });

  await expect(card.getByText('Paid', { exact: true })).toBeVisible({ timeout: 10_000 });
  await expect(card.getByRole('timer')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-paid.png', fullPage: true });
  await customer.context.close();
});

test('an agent cancels a link and the customer sees the canceled page', async ({ page, browser }) => {
  const { email } = createAgentUser();
  await signIn(page, email);
  const card = await sendRequest(page, 'SO-E2E-2');
  const payUrl = await card.getByRole('link').textContent();

  await card.getByRole('button', { name: 'Cancel request' }).click();
  await expect(card.getByText('Canceled by agent')).toBeVisible();
  await expect(card.getByRole('button', { name: 'Cancel request' })).toHaveCount(0);

  const customer = await customerPage(browser);
  await customer.page.goto(payUrl!);
  await expect(customer.page.getByRole('heading', { name: 'This payment request was canceled' })).toBeVisible();
  await expect(customer.page.getByText('Nothing was charged')).toBeVisible();
  await expect(customer.page.getByLabel('Card number')).toHaveCount(0);
  if (SCREENS) await customer.page.screenshot({ path: 'tmp/e2e/pay-canceled.png', fullPage: true });
  await customer.context.close();
});

test('a phone that hydrates late counts the pay page down from its request, not from waking up', async ({
  page,
  browser,
}) => {
  const { email } = createAgentUser();
  await signIn(page, email);
  const card = await sendRequest(page, 'SO-E2E-SLOW');
  const payUrl = await card.getByRole('link').textContent();

  const customer = await customerPage(browser);
  // The page's scripts (and styles) arrive 4 s after its HTML, as on a slow phone.
  await customer.page.route('**/build/**', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await route.continue();
  });
  await customer.page.goto(payUrl!, { waitUntil: 'commit' });
  const timer = customer.page.getByRole('timer');
  const secondsLeft = async () => {
    const [minutes = Number.NaN, seconds = Number.NaN] = (await timer.textContent())!.split(':').map(Number);
    return minutes * 60 + seconds;
  };
  // The pay page's label says "Time left"; the link lives 15 minutes.
  await expect(timer).toHaveText(/^1[45]:\d\d$/);
  const served = await secondsLeft();
  await customer.page.waitForLoadState('load');
  // Hydrated at least 4 s after the request: the countdown shows those 4 s gone at once (it used
  // to restart from the served figure, offering seconds the server would refuse). The served text
  // stands until hydration, however long a loaded machine takes over it (1.5 s after 'load' was
  // once the bound); its first change must already be those 4 s, where a restarted clock's is 1 s.
  let shown = served;
  await expect.poll(async () => (shown = await secondsLeft()), { timeout: 30_000, intervals: [100] }).not.toBe(served);
  expect(shown).toBeLessThanOrEqual(served - 4);
  expect(await secondsLeft()).toBeGreaterThan(served - 20);
  await customer.context.close();
});

test('a failed send says so and offers Retry', async ({ page }) => {
  const { email } = createAgentUser();
  await signIn(page, email);
  const card = await sendRequest(page, 'SO-E2E-3', '+27820000000');
  await expect(card.getByText('Send failed – try again')).toBeVisible();
  await expect(card.getByText('The channel could not reach this number.')).toBeVisible();
  await card.getByRole('button', { name: 'Retry' }).click();
  await expect(card.getByText('Sending failed again.')).toBeVisible();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-send-failed.png', fullPage: true });
});

test('the console works without JavaScript, and a refused cancel says why', async ({ browser }) => {
  const { email } = createAgentUser();
  const context = await browser.newContext({ ...devices['Desktop Chrome'], javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/^[^?]*\/agent$/);

  await page.getByLabel('Customer phone').fill('+27821234567');
  await page.getByLabel('Amount').fill('12.345');
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page.getByText('Enter the order number')).toBeVisible();
  await expect(page.getByText('Enter an amount greater than 0 with at most 2 decimals, e.g. 1234.50')).toBeVisible();
  await expect(page.getByLabel('Customer phone')).toHaveValue('+27821234567');
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-form-errors.png', fullPage: true });

  await page.getByLabel('Order number').fill('SO-E2E-4');
  await page.getByLabel('Amount').fill('12.34');
  await page.getByLabel('Reason').fill('Gift card');
  await page.getByRole('button', { name: 'Send link' }).click();
  const card = page.locator('.request-card', { hasText: 'Order SO-E2E-4' });
  await expect(card.getByText('Waiting for customer')).toBeVisible();
  const payUrl = await card.getByRole('link').textContent();

  // The customer opens the link while this page (no live updates without JavaScript) still offers Cancel.
  const customer = await customerPage(browser);
  await customer.page.goto(payUrl!);
  await expect(customer.page.getByRole('heading', { level: 1, name: '$12.34' })).toBeVisible();

  await card.getByRole('button', { name: 'Cancel request' }).click();
  const refreshed = page.locator('.request-card', { hasText: 'Order SO-E2E-4' });
  await expect(refreshed.getByRole('status')).toHaveText('Could not cancel: The customer has already opened the link.');
  await expect(refreshed.getByText('Customer opened link')).toBeVisible();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/agent-cancel-refused.png', fullPage: true });

  // The customer declines without JavaScript too.
  const noJsCustomer = await browser.newContext({ ...devices['Pixel 7'], javaScriptEnabled: false });
  const declinePage = await noJsCustomer.newPage();
  await declinePage.goto(payUrl!);
  await declinePage.getByText('Don’t want to pay?').click();
  await declinePage.getByRole('button', { name: 'Decline payment' }).click();
  await expect(declinePage.getByRole('heading', { name: 'You declined this payment' })).toBeVisible();
  // Which payment, as the expired and canceled pages say.
  await expect(declinePage.locator('.pay-final h1 + p')).toHaveText(
    'You declined to pay $12.34 for order SO-E2E-4. Nothing was charged. If this was a mistake, ask Paylink Desk to send you a new link.',
  );
  if (SCREENS) await declinePage.screenshot({ path: 'tmp/e2e/pay-declined.png', fullPage: true });
  await Promise.all([context.close(), customer.context.close(), noJsCustomer.close()]);
});
