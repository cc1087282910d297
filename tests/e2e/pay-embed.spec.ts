import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { FrameLocator } from '@playwright/test';
import { openDatabase } from '../../db/client';
import { APP_ORIGIN, E2E_DB, expect, HOST_PORT, test } from './fixtures';
import { createUser, customerPhone, fillSendForm, SCREENS, seriousViolations, signIn, TEST_PASSWORD } from './helpers';

// Another site: `localhost` is not `127.0.0.1`, and the port differs too.
const HOST_ORIGIN = `http://localhost:${HOST_PORT}`;

test.describe.configure({ timeout: 180_000 });

test('a customer on a phone types the expiry without a slash and pays; a declined card leaves nothing behind', async ({
  page,
  browser,
}) => {
  const { email } = createUser('agent');
  await signIn(page, email, /\/agent$/);
  await fillSendForm(page, 'SO-PHONE-1');
  await page.getByRole('button', { name: 'Send link' }).click();
  const card = page.locator('.request-card', { hasText: 'Order SO-PHONE-1' });
  const payUrl = await card.getByRole('link').textContent();

  const customer = await customerPhone(browser, 390);
  const pay = customer.page;
  await pay.goto(payUrl!);
  // The organisation, not the team's internal name.
  await expect(pay.getByText('Payment to Paylink Desk')).toBeVisible();
  await expect(pay.getByText('Retail')).toHaveCount(0);

  const number = pay.getByLabel('Card number');
  const expiry = pay.getByLabel('Expiry (MM/YY)');
  const cvc = pay.getByLabel('Security code (CVC)');
  for (const [field, autocomplete] of [
    [number, 'cc-number'],
    [expiry, 'cc-exp'],
    [cvc, 'cc-csc'],
  ] as const) {
    await expect(field).toHaveAttribute('autocomplete', autocomplete);
    await expect(field).toHaveAttribute('inputmode', 'numeric');
  }

  await number.pressSequentially('4000000000000002');
  await expect(number).toHaveValue('4000 0000 0000 0002');
  await expect(pay.locator('.card-brand')).toHaveText('Visa');
  await expiry.pressSequentially('1229');
  await expect(expiry).toHaveValue('12 / 29');
  await cvc.pressSequentially('123');
  await pay.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(pay.getByRole('alert')).toContainText('Your card was declined.');
  // The form the focus was in is new: the focus is on what happened, read from there.
  await expect(pay.getByRole('alert')).toBeFocused();
  await expect(number).toHaveValue('');
  await expect(cvc).toHaveValue('');

  // A mistake is named beside its field.
  await number.pressSequentially('4242424242424241');
  await expiry.pressSequentially('1229');
  await cvc.pressSequentially('123');
  await pay.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(number).toHaveAttribute('aria-invalid', 'true');
  await expect(number).toHaveAttribute('aria-describedby', 'number-error');
  await expect(pay.locator('#number-error')).toHaveText('This card number is not valid: check the digits');
  await expect(number).toBeFocused();

  await number.fill('');
  await number.pressSequentially('4242424242424242');
  await expect(number).toHaveValue('4242 4242 4242 4242');
  if (SCREENS) await pay.screenshot({ path: 'tmp/e2e/shots/pay-390.png', fullPage: true });
  await pay.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(pay.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await expect(pay.getByRole('heading', { name: 'Payment received' })).toBeFocused();
  await expect(pay.getByText('Paid with Visa ending in 4242')).toBeVisible();
  expect(await pay.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await customer.context.close();
});

test('without JavaScript the server reads the expiry as digits only', async ({ page, browser }) => {
  const { email } = createUser('agent');
  await signIn(page, email, /\/agent$/);
  await fillSendForm(page, 'SO-PHONE-2');
  await page.getByRole('button', { name: 'Send link' }).click();
  const payUrl = await page.locator('.request-card', { hasText: 'Order SO-PHONE-2' }).getByRole('link').textContent();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
  const pay = await context.newPage();
  await pay.goto(payUrl!);
  await pay.getByLabel('Card number').fill('4242424242424242');
  await pay.getByLabel('Expiry (MM/YY)').fill('1229');
  await pay.getByLabel('Security code (CVC)').fill('123');
  await pay.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(pay.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await context.close();
});

/** The example host page from public/, served from another origin, pointing at the app. */
function startHost(): Promise<Server> {
  const html = readFileSync('public/embed-example.html', 'utf8');
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  return new Promise((resolve) => server.listen(HOST_PORT, 'localhost', () => resolve(server)));
}

test('a chat desk on another origin frames the agent panel, sends a link and hears the customer open it', async ({
  page,
  browser,
  request,
}) => {
  // The admin names the organisation and allows the chat desk's origin.
  const admin = createUser('admin');
  await signIn(page, admin.email, /\/admin/);
  await page.goto('/admin/settings');
  await page.getByLabel('Organisation display name').fill('Acme Stores');
  await page.getByLabel('Logo URL (optional)').fill('http://cdn.example.com/acme.png');
  await page.getByLabel('Chat desks allowed to show the panel').fill(HOST_ORIGIN);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.locator('#settings-orgLogoUrl-error')).toHaveText(
    'Enter an https:// address of an image, or leave it empty',
  );
  await page.getByLabel('Logo URL (optional)').fill('https://cdn.example.com/acme.png');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status')).toHaveText('Settings saved.');
  await page.setViewportSize({ width: 1440, height: 900 });
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/shots/admin-settings-1440.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/shots/admin-settings-390.png', fullPage: true });

  // Only /embed may be framed, and only by the listed origin.
  const embedHeaders = (await request.get('/embed/agent')).headers();
  // The server's own policy (nonce, no frame-ancestors) and the panel's, both enforced.
  const policies = String(embedHeaders['content-security-policy']).split(', ');
  expect(policies.filter((policy) => policy.includes('frame-ancestors'))).toEqual([`frame-ancestors ${HOST_ORIGIN}`]);
  expect(embedHeaders['x-frame-options']).toBeUndefined();
  for (const path of ['/login', '/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
    const headers = (await request.get(path)).headers();
    expect(headers['x-frame-options']).toBe('DENY');
    expect(String(headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  }

  const host = await startHost();
  try {
    const { email } = createUser('agent');
    const desk = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const deskPage = await desk.newPage();
    await deskPage.goto(`${HOST_ORIGIN}/?panel=${encodeURIComponent(APP_ORIGIN)}`);
    const panel = deskPage.frameLocator('#paylink');
    // The panel's own sign-in, inside the frame (its cookie is SameSite=None; Partitioned). A refused
    // one names the field and puts the focus on it.
    await panel.getByLabel('Password').fill(TEST_PASSWORD);
    await panel.getByRole('button', { name: 'Sign in' }).click();
    await expect(panel.getByLabel('Email')).toBeFocused();
    await expect(panel.getByLabel('Email')).toHaveAccessibleDescription('Enter your email address');
    await panel.getByLabel('Email').fill(email);
    await panel.getByLabel('Password').fill(TEST_PASSWORD);
    await panel.getByRole('button', { name: 'Sign in' }).click();
    await expect(panel.getByLabel('Customer phone')).toBeVisible({ timeout: 30_000 });

    // The conversation's context arrives filled in.
    await expect(panel.getByLabel('Customer phone')).toHaveValue('+27821234567');
    await expect(panel.getByLabel('Customer name (optional)')).toHaveValue('Valeria');
    await expect(panel.getByLabel('Order number')).toHaveValue('SO-1001');
    await expect(panel.getByText('Live', { exact: true })).toBeVisible();
    await panel.getByLabel('Amount').fill('361.21');
    await panel.getByLabel('Reason').fill('Floral Oasis Dress');
    await panel.getByRole('button', { name: 'Send link' }).click();
    const card = panel.locator('.request-card', { hasText: 'Order SO-1001' });
    await expect(card.getByText('Waiting for customer')).toBeVisible();
    await expect(deskPage.locator('.bubble.card[data-status="sent"]')).toHaveCount(1);
    if (SCREENS) await deskPage.screenshot({ path: 'tmp/e2e/shots/embed-host-1100.png' });
    const payUrl = await card.getByRole('link').textContent();

    const customer = await customerPhone(browser, 390);
    await customer.page.goto(payUrl!);
    await expect(customer.page.getByText('Payment to Acme Stores')).toBeVisible();
    await expect(customer.page.locator('img.pay-logo')).toHaveAttribute('src', 'https://cdn.example.com/acme.png');

    await expect(card.getByText('Customer opened link')).toBeVisible({ timeout: 15_000 });
    await expect(deskPage.locator('.bubble.card[data-status="opened"]')).toHaveText(
      'Payment link $361.21 for SO-1001: Customer opened link',
    );
    const messages = await deskPage.evaluate(
      () => (window as unknown as { paylinkMessages: Record<string, unknown>[] }).paylinkMessages,
    );
    const opened = messages.find((message) => message.status === 'opened');
    expect(opened).toMatchObject({
      type: 'paylink:status',
      version: 1,
      conversationId: 'conv-1001',
      status: 'opened',
      statusLabel: 'Customer opened link',
      amountText: '$361.21',
      orderNumber: 'SO-1001',
      payUrl,
    });
    expect(messages.filter((message) => message.type === 'paylink:status').map((message) => message.status)).toEqual([
      'sent',
      'opened',
    ]);
    expect(messages.at(0)).toEqual({ type: 'paylink:ready', version: 1, conversationId: 'conv-1001', signedIn: false });

    // Signed out and in again, the conversation's request is what the panel loads, not a change: the
    // host is told nothing new (it was told 'opened' again, and a desk posted its card twice).
    await panel.getByRole('button', { name: 'Sign out' }).click();
    await panel.getByLabel('Email').fill(email);
    await panel.getByLabel('Password').fill(TEST_PASSWORD);
    await panel.getByRole('button', { name: 'Sign in' }).click();
    await expect(card.getByText('Customer opened link')).toBeVisible({ timeout: 30_000 });
    const again = await deskPage.evaluate(
      () => (window as unknown as { paylinkMessages: Record<string, unknown>[] }).paylinkMessages,
    );
    expect(again.filter((message) => message.type === 'paylink:status').map((message) => message.status)).toEqual([
      'sent',
      'opened',
    ]);
    expect(again.at(-1)).toEqual({ type: 'paylink:ready', version: 1, conversationId: 'conv-1001', signedIn: true });

    // The panel lists this conversation's requests only.
    await deskPage.setViewportSize({ width: 390, height: 844 });
    if (SCREENS) await deskPage.screenshot({ path: 'tmp/e2e/shots/embed-host-390.png', fullPage: true });
    await customer.context.close();
    await desk.close();
  } finally {
    host.close();
  }
});

/** Runs one statement on the e2e database, as an admin's setting or a session's end would. */
function runSql(sql: string, ...values: string[]) {
  const db = openDatabase(E2E_DB);
  try {
    db.$client.prepare(sql).run(...values);
  } finally {
    db.$client.close();
  }
}

async function signInToPanel(panel: FrameLocator, email: string) {
  await panel.getByLabel('Email').fill(email);
  await panel.getByLabel('Password').fill(TEST_PASSWORD);
  await panel.getByRole('button', { name: 'Sign in' }).click();
  await expect(panel.getByLabel('Customer phone')).toBeVisible({ timeout: 30_000 });
}

test('the panel keeps a request typed when the session ends and puts it back after signing in; its own Sign out keeps nothing', async ({
  browser,
}) => {
  // The chat desk allowed straight in the database (the journey above does it through /admin/settings).
  runSql(
    "INSERT INTO settings (key, value) VALUES ('embed_origins', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    HOST_ORIGIN,
  );
  const host = await startHost();
  try {
    const { email } = createUser('agent');
    const desk = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const deskPage = await desk.newPage();
    await deskPage.goto(`${HOST_ORIGIN}/?panel=${encodeURIComponent(APP_ORIGIN)}`);
    const panel = deskPage.frameLocator('#paylink');
    await signInToPanel(panel, email);
    await expect(panel.getByLabel('Order number')).toHaveValue('SO-1001');
    await panel.getByLabel('Order number').fill('SO-EMBED-DRAFT');
    await panel.getByLabel('Amount').fill('361.21');
    await panel.getByLabel('Currency').selectOption('EUR');
    // A card number typed where it does not belong is kept masked, as the server would store it.
    await panel.getByLabel('Reason').fill('Floral Oasis Dress, card 4242 4242 4242 4242');

    // The session ends (idle for an hour, or ended elsewhere); Send meets the panel's sign-in.
    runSql('DELETE FROM sessions');
    await panel.getByRole('button', { name: 'Send link' }).click();
    await expect(panel.getByRole('heading', { name: 'Sign in to send payment links' })).toBeVisible();
    // This browser refuses the frame (a third party here) its sessionStorage: the draft waits in the
    // page's memory, as the sign-in does not load the page again.
    await signInToPanel(panel, email);

    await expect(panel.getByRole('status').filter({ hasText: 'You were signed out' })).toHaveText(
      'You were signed out before this was sent. What you had typed is back: check it, then send it.',
    );
    await expect(panel.getByLabel('Customer phone')).toHaveValue('+27821234567');
    await expect(panel.getByLabel('Customer name (optional)')).toHaveValue('Valeria');
    await expect(panel.getByLabel('Order number')).toHaveValue('SO-EMBED-DRAFT');
    await expect(panel.getByLabel('Amount')).toHaveValue('361.21');
    await expect(panel.getByLabel('Currency')).toHaveValue('EUR');
    await expect(panel.getByLabel('Reason')).toHaveValue('Floral Oasis Dress, card **** **** **** 4242');
    expect(await seriousViolations(deskPage)).toEqual([]);
    if (SCREENS) {
      await deskPage.screenshot({ path: 'tmp/e2e/embed-draft-restored-1440.png' });
      await deskPage.setViewportSize({ width: 390, height: 844 });
      await deskPage.screenshot({ path: 'tmp/e2e/embed-draft-restored-390.png', fullPage: true });
      await deskPage.setViewportSize({ width: 1440, height: 900 });
    }

    await panel.getByRole('button', { name: 'Send link' }).click();
    const sent = panel.locator('.request-card', { hasText: 'Order SO-EMBED-DRAFT' });
    await expect(sent.getByText('€361.21')).toBeVisible();
    // Put back once: the next form starts from the conversation again.
    await expect(panel.getByLabel('Order number')).toHaveValue('SO-1001');
    await expect(panel.getByLabel('Amount')).toHaveValue('');

    // A live reload that finds the session gone (the customer opening the link sets one off, unless the
    // stream's own check of the session came first): the panel turns to its sign-in by itself, and
    // what was being typed comes back after it.
    const payUrl = (await sent.getByRole('link').textContent())!;
    await panel.getByLabel('Order number').fill('SO-EMBED-LIVE');
    runSql('DELETE FROM sessions');
    const customer = await customerPhone(browser);
    await customer.page.goto(payUrl);
    await customer.context.close();
    await expect(panel.getByRole('heading', { name: 'Sign in to send payment links' })).toBeVisible({
      timeout: 20_000,
    });
    await signInToPanel(panel, email);
    await expect(panel.getByLabel('Order number')).toHaveValue('SO-EMBED-LIVE');
    await expect(sent.getByText('Customer opened link')).toBeVisible();

    // The agent's own Sign out keeps nothing of what they typed.
    await panel.getByLabel('Order number').fill('SO-EMBED-LEFT');
    await panel.getByRole('button', { name: 'Sign out' }).click();
    await expect(panel.getByRole('heading', { name: 'Sign in to send payment links' })).toBeVisible();
    await signInToPanel(panel, email);
    await expect(panel.getByLabel('Order number')).toHaveValue('SO-1001');
    await expect(panel.getByRole('status').filter({ hasText: 'You were signed out' })).toHaveCount(0);
    await desk.close();
  } finally {
    host.close();
  }
});

test('the panel opened on its own keeps the draft in the tab’s sessionStorage, masked, and takes it back', async ({
  page,
}) => {
  const { email } = createUser('agent');
  await page.goto('/embed/agent?phone=%2B27821234567&conversationId=conv-own');
  const panel = page.locator('main');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await fillSendForm(page, 'SO-EMBED-OWN');
  await page.getByLabel('Reason').fill('Card 4242 4242 4242 4242');
  runSql('DELETE FROM sessions');
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(panel.getByRole('heading', { name: 'Sign in to send payment links' })).toBeVisible();
  const kept = await page.evaluate(() => Object.values(window.sessionStorage).join('\n'));
  expect(kept).toContain('SO-EMBED-OWN');
  expect(kept.replace(/\D/g, '')).not.toContain('4242424242424242');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Order number')).toHaveValue('SO-EMBED-OWN');
  await expect(page.getByLabel('Reason')).toHaveValue('Card **** **** **** 4242');
  expect(await page.evaluate(() => Object.keys(window.sessionStorage).join())).toBe('');
});
