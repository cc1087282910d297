import { expect, test } from './fixtures';
import { SCREENS } from './helpers';

test('the app answers its health check and sends a signed-out visitor to sign in', async ({ page, request }) => {
  expect(await (await request.get('/healthz')).json()).toEqual({
    status: 'ok',
    liveStreams: expect.any(Number),
    liveStreamQueuedBytes: expect.any(Number),
  });
  // The CSP allows only scripts with this response's nonce: a page that hydrates proves they carry it.
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?redirectTo=%2F$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/login.png' });
  expect(errors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
});
