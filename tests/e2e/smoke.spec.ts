import { expect, test } from '@playwright/test';

test('the app answers its health check and sends a signed-out visitor to sign in', async ({ page, request }) => {
  expect(await (await request.get('/healthz')).json()).toEqual({ status: 'ok' });
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?redirectTo=%2F$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await page.screenshot({ path: 'tmp/e2e/login.png' });
});
