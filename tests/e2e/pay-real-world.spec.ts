import { devices } from '@playwright/test';
import { APP_ORIGIN, expect, test } from './fixtures';
import { createUser, signInByPost } from './helpers';

/** The customer's pay page with what real orders carry: an order number of the maximum 100 characters, 10^10 KWD. */

const ORDER = `SO-${'7'.repeat(97)}`;

test('on a 390 px phone the pay page wraps a 100-character order number and keeps a 10^10 KWD amount on one line', async ({
  browser,
  page,
}) => {
  const { email } = createUser('agent');
  await signInByPost(page, email);
  await page.goto('/agent');
  await page.getByLabel('Customer phone').fill('+27 82 123 4567');
  await page.getByLabel('Order number').fill(ORDER);
  await page.getByLabel('Currency').selectOption('KWD');
  await page.getByLabel('Amount').fill('9999999999.999');
  await page.getByLabel('Reason').fill('Floral Oasis Dress');
  await page.getByRole('button', { name: 'Send link' }).click();
  const card = page.locator('.request-card', { hasText: ORDER });
  const path = new URL((await card.getByRole('link').textContent())!).pathname;

  const context = await browser.newContext({ ...devices['Pixel 7'], locale: 'de-DE', baseURL: APP_ORIGIN });
  const pay = await context.newPage();
  await pay.setViewportSize({ width: 390, height: 844 });
  await pay.goto(path);
  const amount = pay.getByRole('heading', { level: 1 });
  await expect(amount).toHaveText('9.999.999.999,999 KWD');
  // One line: it broke between digits, '9.999.999.999,99' over '9 KWD'.
  expect(
    await amount.evaluate((element) =>
      Math.round(element.getBoundingClientRect().height / parseFloat(getComputedStyle(element).lineHeight)),
    ),
  ).toBe(1);
  await expect(pay.getByText(ORDER)).toBeVisible();
  // The order number on one line made the page 1,101 px wide, the time left off the screen.
  expect(await pay.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await expect(pay.getByText('Time left')).toBeInViewport({ ratio: 1 });
  await context.close();
});
