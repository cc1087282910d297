import { randomBytes, randomUUID } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { Webhook } from 'standardwebhooks';
import { hashPassword } from '../../app/lib/password.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { users } from '../../db/schema';
import { E2E_DB, expect, test, WEBHOOK_SECRET } from './fixtures';
import { SCREENS, seriousViolations, signInByPost } from './helpers';

const ENV_SECRET = WEBHOOK_SECRET;
const PASSWORD = 'admin journey password 1';
const run = randomBytes(3).toString('hex');

async function createAdmin(label = 'admin'): Promise<string> {
  const email = `${label}-${run}@example.test`;
  const passwordHash = await hashPassword(PASSWORD);
  const db = openDatabase(E2E_DB);
  try {
    db.insert(users)
      .values({
        id: `usr_${randomUUID()}`,
        name: 'Erin Admin',
        email,
        role: 'admin',
        passwordHash,
        createdAt: Date.now(),
      })
      .run();
  } finally {
    db.$client.close();
  }
  return email;
}

/** A full-page screenshot from the top (the sticky header otherwise lands mid-page). */
async function shot(page: Page, path: string) {
  if (!SCREENS) return;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
}

/** Opens an admin section from the section menu and waits for its page. */
async function openSection(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

async function postEvents(request: APIRequestContext, events: unknown[], secret: string) {
  const body = JSON.stringify(events);
  const id = `msg_${randomBytes(6).toString('hex')}`;
  const now = new Date();
  return request.post('/api/v1/events', {
    data: body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, now, body),
    },
  });
}

function createdEvent(requestId: string, overrides: { currency?: string } = {}) {
  return {
    id: `evt_${requestId}_created`,
    type: 'payment_request.created',
    occurredAt: new Date().toISOString(),
    paymentRequest: {
      id: requestId,
      agent: { id: `ag_${run}`, name: 'Lindiwe Dube', team: { id: `tm_${run}`, name: 'Collections' } },
      amount: 12500,
      currency: overrides.currency ?? 'ZAR',
      orderNumber: 'SO-9',
      reason: 'Card 4111 1111 1111 1111 on file',
      channel: 'sms',
      customer: { phone: '+27820000000', name: 'Pat' },
    },
    data: {},
  };
}

const sentEvent = (requestId: string, suffix = '') => ({
  id: `evt_${requestId}_sent${suffix}`,
  type: 'payment_request.sent',
  occurredAt: new Date().toISOString(),
  paymentRequest: { id: requestId },
  data: {},
});

test('an admin invites a user, creates a token, rotates the webhook secret and checks ingestion and the audit log', async ({
  page,
  request,
}) => {
  test.setTimeout(60_000);
  const email = await createAdmin();
  // Traffic for the ingestion page: an agent without a login, a rejected event (with a card number), an orphan.
  const ingest = await postEvents(
    request,
    [createdEvent(`pr_${run}_1`), createdEvent(`pr_${run}_bad`, { currency: 'XYZ' }), sentEvent(`pr_${run}_orphan`)],
    ENV_SECRET,
  );
  expect(await ingest.json()).toMatchObject({ accepted: 2, rejected: 1 });

  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/^[^?]*\/admin$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Administration' })).toBeVisible();
  await shot(page, 'tmp/e2e/admin-overview.png');

  // Users: the agent first seen in events has no login; invite them.
  await openSection(page, 'Users');
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  // Found by the list's search (any case), then invited from its results; the search stays in the URL.
  const agentSearch = page.getByRole('search', { name: 'Find agents without a login' });
  await agentSearch.getByLabel('Name or agent id').fill(`AG_${run}`.toUpperCase());
  await agentSearch.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('agents-without-login-count')).toHaveText(
    `1 agent without a login matches “${`AG_${run}`.toUpperCase()}”.`,
  );
  if (SCREENS) {
    for (const width of [390, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      await page.locator('#agents-without-login').screenshot({ path: `tmp/e2e/admin-agent-search-${width}.png` });
    }
    await page.setViewportSize({ width: 1280, height: 720 });
  }
  await page.getByRole('link', { name: 'Invite Lindiwe Dube' }).click();
  await expect(page).toHaveURL(new RegExp(`[?]agentSearch=AG_${run}&invite=ag_${run}#invite$`, 'i'));
  const invite = page.locator('#invite');
  await expect(invite.getByLabel('Name')).toHaveValue('Lindiwe Dube');
  await expect(invite.getByLabel('Agent id')).toHaveValue(`ag_${run}`);
  await invite.getByLabel('Email').fill(`lindiwe-${run}@example.test`);
  await invite.getByRole('button', { name: 'Invite' }).click();
  const password = invite.getByRole('region', { name: 'Temporary password' });
  await expect(password).toBeVisible();
  await expect(password.getByTestId('shown-once-value')).toHaveText(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
  const userRow = page.getByRole('row').filter({ hasText: `lindiwe-${run}@example.test` });
  await expect(userRow).toContainText('Agent');
  await expect(userRow).toContainText(`ag_${run}`);
  await expect(page.getByRole('link', { name: 'Invite Lindiwe Dube' })).toHaveCount(0);
  await expect(page.locator('#agents-without-login')).toContainText(
    `No agent without a login has “${`AG_${run}`.toUpperCase()}” in their name or id.`,
  );
  await shot(page, 'tmp/e2e/admin-users.png');
  await userRow.getByText('Manage', { exact: true }).click();
  await expect(userRow.getByRole('button', { name: 'Deactivate' })).toBeVisible();
  await shot(page, 'tmp/e2e/admin-user-manage.png');
  await userRow.getByText('Manage', { exact: true }).click();

  // Teams and settings: the team seen in events; currencies in use are saved in canonical form.
  await openSection(page, 'Teams');
  await expect(page.getByRole('row').filter({ hasText: `tm_${run}` })).toBeVisible();
  await shot(page, 'tmp/e2e/admin-teams.png');
  await openSection(page, 'Settings');
  await page.getByLabel('Currencies in use').fill('zar, usd');
  await page.getByLabel('Unopened link valid for (minutes)').fill('31');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('At most 30 minutes')).toBeVisible();
  await page.getByLabel('Unopened link valid for (minutes)').fill('10');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await expect(page.getByLabel('Currencies in use')).toHaveValue('ZAR, USD');
  await shot(page, 'tmp/e2e/admin-settings.png');

  // API token: shown once, works as a bearer token, gone after a reload.
  await openSection(page, 'API tokens');
  await page.getByLabel('Name').fill('BI export');
  await page.getByLabel('Role').selectOption('manager');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('region', { name: 'New API token' }).getByTestId('shown-once-value');
  await expect(shown).toHaveText(/^pld_[A-Za-z0-9_-]{43}$/);
  const token = (await shown.textContent())!;
  await expect(page.getByRole('row').filter({ hasText: 'BI export' })).toContainText('Active');
  await shot(page, 'tmp/e2e/admin-tokens.png');
  const withToken = await request.get(`/api/v1/payment-requests/pr_${run}_1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(withToken.status()).toBe(200);
  await page.reload();
  await expect(page.getByRole('row').filter({ hasText: 'BI export' })).toBeVisible();
  expect(await page.content()).not.toContain(token);

  // Webhook secret: during a rotation both secrets sign; after finishing only the new one.
  await openSection(page, 'Webhook secret');
  await page.getByRole('button', { name: 'Rotate' }).click();
  const secretValue = page.getByRole('region', { name: 'New webhook secret' }).getByTestId('shown-once-value');
  await expect(secretValue).toHaveText(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const newSecret = (await secretValue.textContent())!;
  await expect(page.getByText('Rotation under way')).toBeVisible();
  await shot(page, 'tmp/e2e/admin-webhook.png');
  expect((await postEvents(request, [sentEvent(`pr_${run}_1`)], ENV_SECRET)).status()).toBe(200);
  expect((await postEvents(request, [sentEvent(`pr_${run}_1`, '_2')], newSecret)).status()).toBe(200);
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Finish rotation' }).click();
  await expect(page.getByText('Rotation finished: only the new secret is valid now.')).toBeVisible();
  await expect(page.getByText('One secret valid')).toBeVisible();
  expect((await postEvents(request, [sentEvent(`pr_${run}_1`, '_3')], ENV_SECRET)).status()).toBe(401);
  expect((await postEvents(request, [sentEvent(`pr_${run}_1`, '_3')], newSecret)).status()).toBe(200);

  // Ingestion health: the rejected event (masked raw body) and the orphan.
  await openSection(page, 'Ingestion health');
  const rejectedRow = page.getByRole('row').filter({ hasText: `evt_pr_${run}_bad_created` });
  await expect(rejectedRow).toContainText('invalid_currency');
  await rejectedRow.getByText('Raw body').click();
  await expect(rejectedRow.locator('pre')).toContainText('"currency":"XYZ"');
  await expect(rejectedRow.locator('pre')).not.toContainText('4111 1111 1111 1111');
  await expect(page.getByRole('row').filter({ hasText: `pr_${run}_orphan` })).toBeVisible();
  await expect(page.getByRole('img', { name: /Events per minute over the last hour/ })).toBeVisible();
  await shot(page, 'tmp/e2e/admin-ingestion.png');

  // Audit log: filter to token creations.
  await openSection(page, 'Audit log');
  await expect(page.getByRole('cell', { name: 'webhook_secret_rotate' }).first()).toBeVisible();
  await page.getByLabel('Action').selectOption('token_create');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/action=token_create/);
  const rows = page.locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Erin Admin');
  await expect(rows.first()).toContainText('BI export');
  await shot(page, 'tmp/e2e/admin-audit.png');
});

// The journey changed settings stored in the database (webhook secret, link TTLs, currencies):
// give the shared server back its configured ones so later journeys see the defaults.
test.afterAll(() => {
  const db = openDatabase(E2E_DB);
  try {
    db.$client.prepare('DELETE FROM settings').run();
  } finally {
    db.$client.close();
  }
});

test('on a 390 px phone every admin section link is in view, the open one too', async ({ page }) => {
  const email = await createAdmin('phone-admin');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/^[^?]*\/admin$/);
  await page.goto('/admin/audit');
  const sections = page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link');
  await expect(sections).toHaveText([
    'Overview',
    'Users',
    'Teams',
    'Settings',
    'API tokens',
    'Webhook secret',
    'Ingestion health',
    'Audit log',
  ]);
  // A row scrolling sideways showed Overview to Settings and half of API tokens; the open section was out of view.
  for (const link of await sections.all()) await expect(link).toBeInViewport({ ratio: 1 });
  await expect(sections.last()).toHaveAttribute('aria-current', 'page');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  // The events chart's axis: its start time on one line at the left end, "now" at the right, the legend whole.
  await page.goto('/admin/ingestion');
  const caption = page.locator('.spark-caption');
  const [start, legend, end] = [
    caption.locator('> span').first(),
    caption.locator('.spark-legend'),
    caption.locator('> span').last(),
  ];
  await expect(start).toHaveText(/^\d{2}:\d{2} [AP]M$/);
  await expect(end).toHaveText('now');
  const heights = await Promise.all([start, legend, end].map(async (part) => (await part.boundingBox())!.height));
  // One line each (it was '04:37' over 'PM', and 'rejected · peak' over '24/min').
  for (const height of heights) expect(height).toBeLessThan(24);
  expect((await start.boundingBox())!.y).toBe((await end.boundingBox())!.y);
});

/** The control lies wholly within the 390 px viewport's width, and nothing was scrolled sideways to get it there. */
async function withinWidth(control: ReturnType<Page['locator']>, what: string) {
  await expect(control, what).toBeVisible();
  const box = (await control.boundingBox())!;
  expect([box.x >= 0, box.x + box.width <= 390], `${what}: x ${box.x}, width ${box.width}`).toEqual([true, true]);
}

test('on a 390 px phone each admin list shows Invite, Manage, Revoke and Rename without scrolling sideways', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const agent = {
    id: `ag_${run}_phone`,
    name: 'Phumzile Ndlovu-Vermaak',
    team: { id: `tm_${run}_phone`, name: 'Phones' },
  };
  // Straight into the database: the journey above rotated the webhook secret this file signs with.
  const event = createdEvent(`pr_${run}_phone`);
  const db = openDatabase(E2E_DB);
  try {
    const rejected = createdEvent(`pr_${run}_phone_bad`, { currency: 'XYZ' });
    const summary = await ingestEvents(
      db,
      [
        { ...event, paymentRequest: { ...event.paymentRequest, agent } },
        { ...rejected, id: `evt_${run}_phone_bad` },
      ],
      'api',
    );
    expect([summary.accepted, summary.rejected]).toEqual([1, 1]);
  } finally {
    db.$client.close();
  }
  const email = await createAdmin('phone');
  await page.setViewportSize({ width: 390, height: 844 });
  await signInByPost(page, email, { password: PASSWORD });

  const noSidewaysScroll = async (path: string) => {
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      cards: [...document.querySelectorAll('.table-card')].map((card) => card.scrollWidth - card.clientWidth),
    }));
    expect(overflow.page, path).toBeLessThanOrEqual(390);
    for (const extra of overflow.cards) expect(extra, `${path}: a table card scrolls sideways`).toBeLessThanOrEqual(0);
    expect(await seriousViolations(page), path).toEqual([]);
  };

  await page.goto(`/admin/users?agentSearch=${agent.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  await withinWidth(page.getByRole('link', { name: `Invite ${agent.name}` }), 'Invite');
  const row = page.getByRole('row').filter({ hasText: email });
  const manage = row.getByText('Manage', { exact: true });
  await withinWidth(manage, 'Manage');
  await noSidewaysScroll('/admin/users');
  await shot(page, 'tmp/e2e/admin-users-390.png');
  // Chromium's own accessibility tree still has both tables with their column headers, so a cell is
  // read with its column's name; the names shown beside the cells (empty alternative text) are not
  // read again: 'Last sign-in' is named as often as at 1440 px, where they are not shown.
  const tree = async () => {
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: { role?: { value: string }; name?: { value: string } }[];
    };
    await cdp.detach();
    return {
      tables: nodes.filter((node) => node.role?.value === 'table').length,
      headers: nodes
        .filter((node) => node.role?.value === 'columnheader')
        .map((node) => node.name?.value.toLowerCase()),
      lastSignIn: nodes.filter((node) => node.name?.value.toLowerCase() === 'last sign-in').length,
    };
  };
  const phoneTree = await tree();
  expect(phoneTree.tables).toBe(2);
  expect(phoneTree.headers).toEqual(expect.arrayContaining(['email', 'last sign-in', 'agent id', 'first seen']));
  await page.setViewportSize({ width: 1440, height: 900 });
  expect(phoneTree.lastSignIn).toBe((await tree()).lastSignIn);
  await page.setViewportSize({ width: 390, height: 844 });
  // The menu opens in the row's card, each of its fields within the width; by keyboard too.
  await manage.focus();
  await page.keyboard.press('Enter');
  await withinWidth(row.getByLabel('Role'), 'Manage: Role');
  await withinWidth(row.getByRole('button', { name: 'Save access' }), 'Manage: Save access');
  await noSidewaysScroll('/admin/users with a menu open');
  await shot(page, 'tmp/e2e/admin-users-menu-390.png');
  await page.keyboard.press('Enter');
  // Following Invite fills in the invite form.
  await page.getByRole('link', { name: `Invite ${agent.name}` }).click();
  await expect(page.getByRole('textbox', { name: 'Name', exact: true })).toHaveValue(agent.name);

  await page.goto('/admin/tokens');
  await page.getByLabel('Name').fill('Phone export');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('region', { name: 'New API token' })).toBeVisible();
  await withinWidth(page.getByRole('button', { name: 'Revoke Phone export' }), 'Revoke');
  await noSidewaysScroll('/admin/tokens');
  await shot(page, 'tmp/e2e/admin-tokens-390.png');

  await page.goto('/admin/teams');
  const team = page
    .getByRole('row')
    .filter({ has: page.getByRole('textbox', { name: `Name of team ${agent.team.id}` }) });
  await withinWidth(team.getByRole('button', { name: 'Rename' }), 'Rename');
  await withinWidth(team.getByText(agent.team.id, { exact: true }), 'Team id');
  await noSidewaysScroll('/admin/teams');
  await shot(page, 'tmp/e2e/admin-teams-390.png');

  await page.goto('/admin/ingestion');
  const raw = page
    .getByRole('row')
    .filter({ hasText: `evt_${run}_phone_bad` })
    .getByText('Raw body');
  await withinWidth(raw, 'Raw body');
  await raw.click();
  await withinWidth(
    page
      .getByRole('row')
      .filter({ hasText: `evt_${run}_phone_bad` })
      .locator('pre'),
    'the raw body',
  );
  await noSidewaysScroll('/admin/ingestion');
  await shot(page, 'tmp/e2e/admin-ingestion-390.png');

  // At 1440 px the lists stay tables, one row a line.
  await page.setViewportSize({ width: 1440, height: 900 });
  for (const path of ['/admin/users', '/admin/tokens', '/admin/teams', '/admin/ingestion']) {
    await page.goto(path);
    await expect(page.locator('table.stack-rows thead').first()).toBeVisible();
    expect(await seriousViolations(page), `${path} at 1440 px`).toEqual([]);
    await shot(page, `tmp/e2e/admin-${path.split('/')[2]}-1440.png`);
  }
});

test('on a 390 px phone the audit log and the events waiting for created read as cards, every value in view', async ({
  page,
}) => {
  const orphan = `pr_${run}_phone_orphan_waiting_for_its_created_event`;
  const db = openDatabase(E2E_DB);
  try {
    const summary = await ingestEvents(db, [sentEvent(orphan)], 'api');
    expect(summary.accepted).toBe(1);
  } finally {
    db.$client.close();
  }
  const email = await createAdmin('cards');
  await page.setViewportSize({ width: 390, height: 844 });
  await signInByPost(page, email, { password: PASSWORD });
  const tokenName = `Cards ${run}`;
  await page.goto('/admin/tokens');
  await page.getByLabel('Name').fill(tokenName);
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('region', { name: 'New API token' })).toBeVisible();
  /** Neither the table nor its card scrolls sideways. */
  const noScrollInside = async (table: ReturnType<Page['locator']>, what: string) => {
    const overflow = await table.evaluate((element) => [
      element.scrollWidth - element.clientWidth,
      element.parentElement!.scrollWidth - element.parentElement!.clientWidth,
      document.documentElement.scrollWidth,
    ]);
    expect(overflow, what).toEqual([0, 0, 390]);
  };

  await page.goto('/admin/ingestion');
  const waiting = page.getByRole('region', { name: 'Waiting for created' });
  const row = waiting.getByRole('row').filter({ hasText: orphan });
  await withinWidth(row.getByRole('cell').nth(0), 'request id');
  await expect(row.getByRole('cell')).toHaveText([orphan, '1', /\d/, /\d/]);
  for (const [i, what] of ['events', 'first received', 'last received'].entries())
    await withinWidth(row.getByRole('cell').nth(i + 1), what);
  await noScrollInside(waiting.getByRole('table'), 'waiting for created');
  expect(await seriousViolations(page)).toEqual([]);
  if (SCREENS) await waiting.screenshot({ path: 'tmp/e2e/admin-waiting-390.png' });

  await page.goto('/admin/audit?action=token_create');
  const entry = page.getByRole('row').filter({ hasText: tokenName });
  const cells = entry.getByRole('cell');
  await expect(cells.nth(1)).toHaveText('Erin Admin');
  await expect(cells.nth(2)).toHaveText('token_create');
  await expect(cells.nth(3)).toHaveText(/^tok_/);
  await expect(cells.nth(4)).toContainText(`"name":"${tokenName}"`);
  await expect(cells.nth(5)).toHaveText(/\S/);
  for (const [i, what] of ['time', 'actor', 'action', 'target', 'details', 'address'].entries())
    await withinWidth(cells.nth(i), `audit ${what}`);
  await noScrollInside(page.getByRole('table', { name: 'Audit log entries' }), 'audit log');
  expect(await seriousViolations(page)).toEqual([]);
  await shot(page, 'tmp/e2e/admin-audit-390.png');

  // At 1440 px both stay tables, one row a line.
  await page.setViewportSize({ width: 1440, height: 900 });
  await expect(page.getByRole('columnheader', { name: 'Details' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await shot(page, 'tmp/e2e/admin-audit-1440.png');
  await page.goto('/admin/ingestion');
  await expect(waiting.getByRole('columnheader', { name: 'Last received' })).toBeVisible();
  if (SCREENS) await waiting.screenshot({ path: 'tmp/e2e/admin-waiting-1440.png' });
});
