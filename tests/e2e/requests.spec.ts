import { randomBytes, randomUUID } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { hashPassword } from '../../app/lib/password.server';
import { openDatabase } from '../../db/client';
import { users, userTeams } from '../../db/schema';
import { signedHeaders } from '../support/server';
import { E2E_DB, expect, test, WEBHOOK_SECRET } from './fixtures';
import { SCREENS, signInByPost } from './helpers';

const PASSWORD = 'requests journey password 1';
const run = randomBytes(3).toString('hex');
const MINUTE = 60_000;

const teamId = `tm_req_${run}`;
const otherTeamId = `tm_other_${run}`;
const paidId = `pr_req_${run}_paid`;
const orderNumber = `SO-E2E-${run.toUpperCase()}`;

function paymentRequest(id: string, order: string, team: string) {
  return {
    id,
    agent: {
      id: `ag_${team}`,
      name: team === teamId ? 'Thandi Mokoena' : 'Omar Other',
      team: { id: team, name: `Team ${team}` },
    },
    amount: 36121,
    currency: 'USD',
    orderNumber: order,
    reason: 'Floral Oasis Dress',
    channel: 'whatsapp',
    customer: { phone: '+27821234567', name: 'Valeria' },
  };
}

function event(requestId: string, type: string, occurredAt: number, data: Record<string, unknown> = {}) {
  return {
    id: `evt_${requestId}_${type}_${occurredAt}`,
    type: `payment_request.${type}`,
    occurredAt: new Date(occurredAt).toISOString(),
    paymentRequest: { id: requestId },
    data,
  };
}

async function postEvents(request: APIRequestContext, events: unknown[]) {
  const body = JSON.stringify(events);
  const response = await request.post('/api/v1/events', { data: body, headers: signedHeaders(body, WEBHOOK_SECRET) });
  expect(response.status()).toBe(200);
  expect(((await response.json()) as { rejected: number }).rejected).toBe(0);
}

/** A supervisor of one team, made directly in the database (the admin pages are another journey). */
async function createSupervisor(team = teamId, label = 'supervisor'): Promise<string> {
  const passwordHash = await hashPassword(PASSWORD);
  const email = `${label}-${run}@example.test`;
  const userId = `usr_${randomUUID()}`;
  const db = openDatabase(E2E_DB);
  try {
    db.insert(users)
      .values({
        id: userId,
        name: 'Sam Supervisor',
        email,
        role: 'supervisor',
        passwordHash,
        createdAt: Date.now(),
      })
      .run();
    db.insert(userTeams).values({ userId, teamId: team }).run();
  } finally {
    db.$client.close();
  }
  return email;
}

async function signIn(page: Page, email: string) {
  await signInByPost(page, email, { password: PASSWORD });
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

async function shot(page: Page, path: string) {
  if (!SCREENS) return;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
}

test('a supervisor finds an order, reads its timeline with an anomaly, and sees a new event arrive live', async ({
  page,
  request,
}) => {
  const now = Date.now();
  // Paid, then an `opened` that happened after the payment: kept, marked after_terminal.
  await postEvents(request, [
    { ...event(paidId, 'created', now - 12 * MINUTE), paymentRequest: paymentRequest(paidId, orderNumber, teamId) },
    event(paidId, 'sent', now - 11 * MINUTE),
    event(paidId, 'opened', now - 10 * MINUTE),
    event(paidId, 'paid', now - 9 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
    event(paidId, 'opened', now - 8 * MINUTE),
    // Another team's request with a similar order number: never visible to this supervisor.
    {
      ...event(`pr_req_${run}_other`, 'created', now - 5 * MINUTE),
      paymentRequest: paymentRequest(`pr_req_${run}_other`, `${orderNumber}-X`, otherTeamId),
    },
    event(`pr_req_${run}_other`, 'sent', now - 4 * MINUTE),
  ]);
  await signIn(page, await createSupervisor());

  await page.goto('/requests');
  await expect(page.getByRole('heading', { level: 1, name: 'Requests' })).toBeVisible();
  await expect(page.getByTestId('live')).toHaveText('Live');
  await page.getByLabel('Search order number, request id or customer name').fill(orderNumber.toLowerCase());
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(new RegExp(`q=${orderNumber.toLowerCase()}`));
  const rows = page.locator('table.requests-table tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(orderNumber);
  await expect(rows.first()).toContainText('Paid');
  await expect(rows.first()).toContainText('$361.21');
  await shot(page, 'tmp/e2e/requests-list.png');

  await rows.first().getByRole('link', { name: orderNumber }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(orderNumber);
  const timeline = page.getByTestId('timeline-event');
  await expect(timeline).toHaveCount(5);
  await expect(timeline.nth(3)).toContainText('Paid');
  await expect(timeline.nth(3)).toContainText('Paid with Visa ending in 4242');
  await expect(timeline.nth(4)).toContainText('Customer opened the link');
  await expect(page.getByTestId('anomaly')).toHaveText(
    'After the request closed: Arrived after the request was already closed; kept for the record, no effect.',
  );

  // A refused cancel arrives while the page is open: it appears without a reload.
  await expect(page.getByTestId('live')).toHaveText('Live');
  await postEvents(request, [event(paidId, 'cancel_rejected', Date.now() - 1000, { reason: 'already_closed' })]);
  await expect(timeline).toHaveCount(6, { timeout: 10_000 });
  await expect(timeline.nth(5)).toContainText('Cancel refused');
  await expect(timeline.nth(5)).toContainText('This request is already closed (paid or declined).');
  await shot(page, 'tmp/e2e/request-detail.png');

  // Back to the list, the search is kept; the other team's request is out of scope: 404.
  await page.getByRole('link', { name: '← Requests' }).click();
  await expect(page.getByLabel('Search order number, request id or customer name')).toHaveValue(
    orderNumber.toLowerCase(),
  );
  const hidden = await page.goto(`/requests/pr_req_${run}_other`);
  expect(hidden?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1, name: 'Request not found' })).toBeVisible();
});

test('a supervisor sorts the requests by agent name with the column header', async ({ page, request }) => {
  const sortTeam = `tm_sort_${run}`;
  const now = Date.now();
  // Agent ids in another order than their names, which differ in case: the column follows the names.
  const sent = [
    [`ag_${run}_1`, 'Zanele Mahlangu'],
    [`ag_${run}_2`, 'aisha Patel'],
    [`ag_${run}_3`, 'Bongani Dube'],
  ].flatMap(([agentId, name], index) => {
    const id = `pr_sort_${run}_${index}`;
    const details = paymentRequest(id, `SO-SORT-${run}-${index}`, sortTeam);
    return [
      {
        ...event(id, 'created', now - 6 * MINUTE),
        paymentRequest: { ...details, agent: { ...details.agent, id: agentId, name } },
      },
      event(id, 'sent', now - (5 - index) * MINUTE),
    ];
  });
  await postEvents(request, sent);
  await signIn(page, await createSupervisor(sortTeam, 'sorting-supervisor'));

  await page.goto('/requests');
  const agentCells = page.locator('table.requests-table tbody tr td:nth-child(4)');
  await expect(agentCells).toHaveCount(3);
  await page
    .locator('table.requests-table thead')
    .getByRole('link', { name: /^Agent/ })
    .click();
  await expect(page).toHaveURL(/sort=agent&order=asc/);
  await expect(page.locator('th[aria-sort="ascending"]')).toHaveText(/Agent/);
  await expect(agentCells).toHaveText([/^aisha Patel/, /^Bongani Dube/, /^Zanele Mahlangu/]);
  await page
    .locator('table.requests-table thead')
    .getByRole('link', { name: /^Agent/ })
    .click();
  await expect(page).toHaveURL(/sort=agent&order=desc/);
  await expect(agentCells).toHaveText([/^Zanele Mahlangu/, /^Bongani Dube/, /^aisha Patel/]);
  await shot(page, 'tmp/e2e/requests-sorted-by-agent.png');

  // Pages of one row keep the name order, forward and back.
  await page.goto('/requests?sort=agent&order=asc&limit=1');
  await expect(agentCells).toHaveText([/^aisha Patel/]);
  await page.getByRole('link', { name: /Next/ }).click();
  await expect(agentCells).toHaveText([/^Bongani Dube/]);
  await page.getByRole('link', { name: /Next/ }).click();
  await expect(agentCells).toHaveText([/^Zanele Mahlangu/]);
  await page.getByRole('link', { name: /Previous/ }).click();
  await expect(agentCells).toHaveText([/^Bongani Dube/]);
});
