import { expect, test } from '@playwright/test';

test('the app answers its health check and renders its home page', async ({ page, request }) => {
  expect(await (await request.get('/healthz')).json()).toEqual({ status: 'ok' });
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Paylink Desk' })).toBeVisible();
  await page.screenshot({ path: 'tmp/e2e/home.png' });
});
