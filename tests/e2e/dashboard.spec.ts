import type { Page } from '@playwright/test';
import { Webhook } from 'standardwebhooks';
import { hashPassword } from '../../app/lib/password.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { users, userTeams } from '../../db/schema';
import { E2E_DB, expect, test, WEBHOOK_SECRET } from './fixtures';
import { SCREENS, seriousViolations } from './helpers';

/**
 * A supervisor's journey through the dashboard: range, filter, back button, leaderboard sort,
 * an agent's page, and a new event arriving live. Data of its own, in teams no other spec uses.
 */

const EMAIL = 'dash.supervisor@e2e.test';
const PASSWORD = 'a long e2e password';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const now = Date.now();
const iso = (offset: number) => new Date(now + offset).toISOString();

const TEAM = { id: 'tm_e2e_dash', name: 'E2E Dash' };
const OTHER_TEAM = { id: 'tm_e2e_other', name: 'E2E Other' };
const ADA = { id: 'ag_e2e_ada', name: 'Ada Okoro', team: TEAM };
const BEA = { id: 'ag_e2e_bea', name: 'Bea Lindqvist', team: TEAM };
const CAL = { id: 'ag_e2e_cal', name: 'Cal Outsider', team: OTHER_TEAM };

type Agent = typeof ADA;

/** A team of 60 for the leaderboard's pages (50 a page), its own supervisor; every fourth agent's link is paid. */
const PAGER_TEAM = { id: 'tm_e2e_pager', name: 'E2E Pager' };
const PAGER_EMAIL = 'dash.pager@e2e.test';
const pagerAgent = (n: number) => ({
  id: `ag_e2e_pager_${n}`,
  name: `Pager Agent ${String(n).padStart(2, '0')}`,
  team: PAGER_TEAM,
});

/** A team whose leaderboard by conversion sets 18 of 20 paid above 1 of 1 paid (too few links to rank). */
const FEW_TEAM = { id: 'tm_e2e_few', name: 'E2E Few' };
const FEW_EMAIL = 'dash.few@e2e.test';
const MANY = { id: 'ag_e2e_many', name: 'Fay Many', team: FEW_TEAM };
const ONCE = { id: 'ag_e2e_once', name: 'Gil Once', team: FEW_TEAM };

/** A request sent `ago` ms before now, then paid, declined or left to expire. */
function request(
  id: string,
  agent: Agent,
  ago: number,
  outcome: 'paid' | 'declined' | 'expired',
  channel = 'whatsapp',
) {
  const step = (type: string, offset: number) => ({
    id: `evt_${id}_${type}`,
    type: `payment_request.${type}`,
    occurredAt: iso(-ago + offset),
    paymentRequest: { id },
    data: {},
  });
  return [
    {
      id: `evt_${id}_created`,
      type: 'payment_request.created',
      occurredAt: iso(-ago - MINUTE),
      paymentRequest: {
        id,
        agent,
        amount: 12_500,
        currency: 'EUR',
        orderNumber: `SO-${id}`,
        reason: 'E2E order',
        channel,
        customer: { phone: '+27821234567', name: 'Customer' },
      },
      data: {},
    },
    step('sent', 0),
    ...(outcome === 'expired' ? [] : [step('opened', MINUTE), step(outcome, 2 * MINUTE)]),
  ];
}

test.beforeAll(async () => {
  const db = openDatabase(E2E_DB);
  try {
    const events = [
      ...request('pr_e2e_d1', ADA, 2 * DAY, 'paid'),
      ...request('pr_e2e_d2', ADA, 2 * DAY + 30 * MINUTE, 'paid'),
      ...request('pr_e2e_d3', ADA, 3 * DAY, 'declined'),
      ...request('pr_e2e_d4', ADA, 3 * DAY + 30 * MINUTE, 'expired'),
      ...request('pr_e2e_d5', BEA, 1 * DAY, 'paid'),
      ...request('pr_e2e_d6', BEA, 4 * DAY, 'paid', 'sms'),
      ...request('pr_e2e_d7', ADA, 20 * DAY, 'paid'),
      ...request('pr_e2e_d8', CAL, 1 * DAY, 'paid'),
      ...Array.from({ length: 60 }, (_, i) =>
        request(`pr_e2e_pg${i + 1}`, pagerAgent(i + 1), DAY + i * MINUTE, (i + 1) % 4 === 0 ? 'paid' : 'expired'),
      ).flat(),
      ...Array.from({ length: 20 }, (_, i) =>
        request(`pr_e2e_many${i + 1}`, MANY, DAY + i * MINUTE, i < 18 ? 'paid' : 'expired'),
      ).flat(),
      ...request('pr_e2e_once', ONCE, DAY, 'paid'),
    ];
    const summary = await ingestEvents(db, events, 'api', {
      now,
      settings: { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE },
    });
    expect(summary.rejected).toBe(0);
    db.insert(users)
      .values({
        id: 'usr_e2e_dash',
        name: 'Sam Supervisor',
        email: EMAIL,
        role: 'supervisor',
        passwordHash: await hashPassword(PASSWORD),
        createdAt: now,
      })
      .onConflictDoNothing()
      .run();
    db.insert(userTeams).values({ userId: 'usr_e2e_dash', teamId: TEAM.id }).onConflictDoNothing().run();
    db.insert(users)
      .values({
        id: 'usr_e2e_pager',
        name: 'Pia Pager',
        email: PAGER_EMAIL,
        role: 'supervisor',
        passwordHash: await hashPassword(PASSWORD),
        createdAt: now,
      })
      .onConflictDoNothing()
      .run();
    db.insert(userTeams).values({ userId: 'usr_e2e_pager', teamId: PAGER_TEAM.id }).onConflictDoNothing().run();
    db.insert(users)
      .values({
        id: 'usr_e2e_few',
        name: 'Fen Few',
        email: FEW_EMAIL,
        role: 'supervisor',
        passwordHash: await hashPassword(PASSWORD),
        createdAt: now,
      })
      .onConflictDoNothing()
      .run();
    db.insert(userTeams).values({ userId: 'usr_e2e_few', teamId: FEW_TEAM.id }).onConflictDoNothing().run();
  } finally {
    db.$client.close();
  }
});

async function postEvents(page: Page, events: unknown[]) {
  const body = JSON.stringify(events);
  const id = `msg_${Date.now()}`;
  const timestamp = new Date();
  const response = await page.request.post('/api/v1/events', {
    data: body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(WEBHOOK_SECRET).sign(id, timestamp, body),
    },
  });
  expect(response.status()).toBe(200);
}

const linksSent = (page: Page) => page.locator('[data-kpi="Links sent"] .kpi-value');
const firstAgent = (page: Page) => page.locator('[data-testid="leaderboard"] tbody tr').first();
/** A multi-select filter picker (components/choices.tsx) by its legend. */
const picker = (page: Page, legend: string) =>
  page.locator('details.choices', { has: page.locator('.choices-legend', { hasText: legend }) });

/** Signs the dashboard's supervisor in through /login, on to `redirectTo`. */
async function signInAsSupervisor(page: Page, redirectTo = '', email = EMAIL) {
  await page.goto(redirectTo ? `/login?redirectTo=${encodeURIComponent(redirectTo)}` : '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('the dashboard works without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInAsSupervisor(page);
  await page.goto('/dashboard?range=30d');
  await expect(linksSent(page)).toHaveText('7');
  await page.getByRole('link', { name: 'Conversion' }).click();
  await expect(firstAgent(page)).toHaveAttribute('data-agent', BEA.id);
  await expect(page.getByText('Loading chart…')).toBeVisible();
  await expect(page.locator('.trend-numbers table')).toHaveCount(1);
  await context.close();
});

test('the filters say beside the field what the server would refuse; currencies in any case and with spaces work', async ({
  page,
}) => {
  await signInAsSupervisor(page, '/dashboard?range=30d');
  await expect(linksSent(page)).toHaveText('7');
  const url = page.url();
  const validation = (name: string) =>
    page
      .locator(`.dash-filter-form [name="${name}"]`)
      .evaluate((input) => (input as HTMLInputElement).validationMessage);

  // A From after the To: Apply stays on the page and the From says why (was: the error page).
  const to = await page.locator('.dash-filter-form [name="to"]').inputValue();
  const from = page.locator('.dash-filter-form [name="from"]');
  const original = await from.inputValue();
  await from.fill(`${Number(to.slice(0, 4)) + 1}${to.slice(4)}`);
  await page.getByRole('button', { name: 'Apply' }).click();
  expect(await validation('from')).toBe('Choose a From on or before the To');
  expect(page.url()).toBe(url);
  await from.fill(original);
  expect(await validation('from')).toBe('');

  // A currency that is not one is named; lower case and spaces are how people type a list.
  const currency = page.getByLabel('Currency');
  await currency.fill('eur, xyz');
  await page.getByRole('button', { name: 'Apply' }).click();
  expect(await validation('currency')).toBe(
    'Not a currency code: XYZ. Use ISO codes separated by commas, e.g. USD, EUR',
  );
  expect(page.url()).toBe(url);
  await currency.fill('eur, usd');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/currency=EUR&currency=USD/);
  await expect(currency).toHaveValue('EUR, USD');
  await expect(linksSent(page)).toHaveText('7');
});

test('a supervisor reads, filters and sorts the dashboard, opens an agent and sees events arrive live', async ({
  page,
}) => {
  await signInAsSupervisor(page, '/dashboard');
  await expect(page).toHaveURL(/^[^?]*\/dashboard$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();

  // Last 7 days by default; only the supervisor's team.
  await expect(page.getByRole('link', { name: 'Last 7 days' })).toHaveAttribute('aria-current', 'true');
  await expect(linksSent(page)).toHaveText('6');
  await expect(page.locator('[data-kpi="Conversion"] .kpi-value')).toHaveText('66.7%');
  await expect(page.getByRole('link', { name: CAL.name })).toHaveCount(0);
  await expect(page.getByTestId('live')).toHaveText('Live');
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/dashboard-7d.png', fullPage: true });

  // Change the range, then a filter: both land in the URL.
  await page.getByRole('link', { name: 'Last 30 days' }).click();
  await expect(page).toHaveURL(/range=30d/);
  await expect(linksSent(page)).toHaveText('7');
  // The channel picker: its summary follows the ticks before Apply; Escape closes it, back on its button.
  const channelPicker = picker(page, 'Channel');
  const channelButton = channelPicker.locator('summary');
  await expect(channelButton).toHaveText('Channel All');
  await channelButton.click();
  await expect(channelPicker).toHaveAttribute('open');
  await page.getByRole('checkbox', { name: 'SMS' }).check();
  await expect(channelButton).toHaveText('Channel SMS');
  await page.getByRole('checkbox', { name: 'WhatsApp' }).check();
  await expect(channelButton).toHaveText('Channel 2 selected');
  await page.getByRole('checkbox', { name: 'WhatsApp' }).uncheck();
  await expect(channelButton).toHaveText('Channel SMS');
  await page.keyboard.press('Escape');
  await expect(channelPicker).not.toHaveAttribute('open');
  await expect(channelButton).toBeFocused();
  // Opening another picker closes the first; a click outside closes the second.
  await page.keyboard.press('Enter');
  await expect(channelPicker).toHaveAttribute('open');
  const agentPicker = picker(page, 'Agent');
  await agentPicker.locator('summary').click();
  await expect(agentPicker).toHaveAttribute('open');
  await expect(channelPicker).not.toHaveAttribute('open');
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).click();
  await expect(agentPicker).not.toHaveAttribute('open');
  await expect(channelButton).toHaveText('Channel SMS');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/channel=sms/);
  await expect(page).toHaveURL(/range=30d/);
  await expect(linksSent(page)).toHaveText('1');

  // The back button undoes the filter.
  await page.goBack();
  await expect(page).not.toHaveURL(/channel=sms/);
  await expect(linksSent(page)).toHaveText('7');

  // Sort the leaderboard: most links first, then best conversion first.
  await expect(firstAgent(page)).toHaveAttribute('data-agent', ADA.id);
  await page.getByRole('link', { name: 'Conversion' }).click();
  await expect(page).toHaveURL(/sort=conversionRate&order=desc/);
  await expect(firstAgent(page)).toHaveAttribute('data-agent', BEA.id);
  await expect(page.locator('th[aria-sort="descending"]')).toHaveText(/Conversion/);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/dashboard-sorted.png', fullPage: true });

  // An agent's page: their metrics and latest requests.
  await firstAgent(page).getByRole('link', { name: BEA.name }).click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/agents/${BEA.id}\\?range=30d&sort=conversionRate`));
  await expect(page.getByRole('heading', { level: 1, name: BEA.name })).toBeVisible();
  await expect(linksSent(page)).toHaveText('2');
  await expect(page.getByTestId('agent-requests').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('agent-requests')).toContainText('SO-pr_e2e_d6');
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/dashboard-agent.png', fullPage: true });

  // A new link sent by Bea shows up without a reload.
  await expect(page.getByTestId('live')).toHaveText('Live');
  await postEvents(page, request('pr_e2e_live', BEA, 30_000, 'expired'));
  await expect(linksSent(page)).toHaveText('3', { timeout: 15_000 });
  await expect(page.getByTestId('agent-requests')).toContainText('SO-pr_e2e_live');

  // Back on the (sorted) dashboard it counts too, and the next one arrives live there as well.
  await page.getByRole('link', { name: '← Dashboard' }).click();
  await expect(linksSent(page)).toHaveText('8');
  await expect(page.getByTestId('live')).toHaveText('Live');
  await postEvents(page, request('pr_e2e_live2', ADA, 20_000, 'expired'));
  await expect(linksSent(page)).toHaveText('9', { timeout: 15_000 });
  await expect(firstAgent(page)).toHaveAttribute('data-agent', BEA.id);

  // An agent outside the supervisor's teams is not found.
  const outside = await page.goto(`/dashboard/agents/${CAL.id}`);
  expect(outside?.status()).toBe(404);
});

test('the leaderboard shows 50 agents a page: Previous and Next move, a header sorts from the first page', async ({
  page,
}) => {
  const pager = page.getByTestId('leaderboard-pager');
  const rows = page.locator('[data-testid="leaderboard"] tbody tr');
  const previous = page.getByRole('link', { name: 'Previous page of agents' });
  const next = page.getByRole('link', { name: 'Next page of agents' });
  const names = async () => (await rows.locator('.agent-link').allTextContents()).map((name) => name.slice(-2));

  await signInAsSupervisor(page, '/dashboard', PAGER_EMAIL);
  await expect(page).toHaveURL(/^[^?]*\/dashboard$/);
  // Every agent sent one link: busiest first ties by name. The card counts all 60, the table holds 50.
  await expect(page.locator('#agents-title')).toHaveText('Agents 60');
  await expect(rows).toHaveCount(50);
  await expect(pager.locator('p')).toHaveText('1–50 of 60 agents');
  expect((await names()).slice(0, 3)).toEqual(['01', '02', '03']);
  await expect(previous).toHaveAttribute('aria-disabled', 'true');
  await expect(previous).not.toHaveAttribute('href');
  await expect(next).toHaveAttribute('href', '/dashboard?agentsPage=2#agents');
  expect(await seriousViolations(page)).toEqual([]);

  // Next, from the keyboard: the last 10, the card's top in view, Next now unavailable.
  await next.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\?agentsPage=2#agents$/);
  await expect(pager.locator('p')).toHaveText('51–60 of 60 agents');
  expect(await names()).toEqual(['51', '52', '53', '54', '55', '56', '57', '58', '59', '60']);
  await expect(next).toHaveAttribute('aria-disabled', 'true');
  await expect(previous).toHaveAttribute('href', '/dashboard#agents');
  await expect(page.locator('#agents-title')).toBeInViewport();
  await expect(page.locator('#agents-title')).toHaveText('Agents 60');
  expect(await seriousViolations(page)).toEqual([]);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/dashboard-agents-page-2.png', fullPage: true });

  // A link arriving live re-ranks the agents and keeps the page: agent 55 (now 2 sent) goes to the top.
  await expect(page.getByTestId('live')).toHaveText('Live');
  await postEvents(page, request('pr_e2e_pg_live', pagerAgent(55), 10_000, 'expired'));
  await expect.poll(names, { timeout: 15_000 }).toEqual(['50', '51', '52', '53', '54', '56', '57', '58', '59', '60']);
  await expect(page).toHaveURL(/\?agentsPage=2#agents$/);
  await expect(pager.locator('p')).toHaveText('51–60 of 60 agents');

  // A header sorts every agent, from the first page: best conversion first (04, 08 … paid), then as
  // the agents come (busiest first: 55 with two links), then by name.
  await page.getByRole('link', { name: 'Conversion' }).click();
  await expect(page).toHaveURL(/\/dashboard\?sort=conversionRate&order=desc$/);
  await expect(pager.locator('p')).toHaveText('1–50 of 60 agents');
  expect((await names()).slice(0, 16)).toEqual([
    '04',
    '08',
    '12',
    '16',
    '20',
    '24',
    '28',
    '32',
    '36',
    '40',
    '44',
    '48',
    '52',
    '56',
    '60',
    '55',
  ]);
  await expect(page.locator('th[aria-sort="descending"]')).toHaveText(/Conversion/);
  await next.click();
  await expect(page).toHaveURL(/\?sort=conversionRate&order=desc&agentsPage=2#agents$/);
  await expect(pager.locator('p')).toHaveText('51–60 of 60 agents');
  expect(await names()).toEqual(['46', '47', '49', '50', '51', '53', '54', '57', '58', '59']);

  // A page that is not one: the first; past the last: the last (never an error).
  expect((await page.goto('/dashboard?agentsPage=abc'))?.status()).toBe(200);
  await expect(pager.locator('p')).toHaveText('1–50 of 60 agents');
  expect((await page.goto('/dashboard?agentsPage=999'))?.status()).toBe(200);
  await expect(pager.locator('p')).toHaveText('51–60 of 60 agents');

  // A phone: the pager fits beside the table's own sideways scroll.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/dashboard?agentsPage=2');
  await expect(pager.locator('p')).toHaveText('51–60 of 60 agents');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await seriousViolations(page)).toEqual([]);
});

test('by conversion, 18 of 20 paid ranks above 1 of 1, which is marked as too few links', async ({ page }) => {
  const rows = page.locator('[data-testid="leaderboard"] tbody tr');
  const conversion = (agent: Agent) => page.locator(`[data-agent="${agent.id}"] td`).nth(5);
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAsSupervisor(page, '/dashboard', FEW_EMAIL);
  await expect(page).toHaveURL(/^[^?]*\/dashboard$/);
  // Busiest first: no rate sort, nothing marked.
  await expect(rows).toHaveCount(2);
  await expect(page.locator('.few-links')).toHaveCount(0);
  await expect(page.getByTestId('few-links-note')).toHaveCount(0);

  await page.getByRole('link', { name: 'Conversion' }).click();
  await expect(page).toHaveURL(/sort=conversionRate&order=desc/);
  await expect(rows.nth(0)).toHaveAttribute('data-agent', MANY.id);
  await expect(rows.nth(1)).toHaveAttribute('data-agent', ONCE.id);
  await expect(conversion(MANY)).toHaveText('90.0%');
  await expect(conversion(ONCE)).toHaveText('100.0%few links: 1 sent, ranked after agents who sent at least 20');
  await expect(conversion(ONCE).locator('.few-links')).toBeVisible();
  await expect(conversion(ONCE).locator('.visually-hidden')).toHaveCSS('position', 'absolute');
  await expect(page.getByTestId('few-links-note')).toHaveText(
    'Agents who sent fewer than 20 links come after the others, marked “few links”: a rate over a few links says little.',
  );
  // Worst first: the agent with few links still comes after.
  await page.getByRole('link', { name: 'Conversion' }).click();
  await expect(page).toHaveURL(/sort=conversionRate&order=asc/);
  await expect(rows.nth(0)).toHaveAttribute('data-agent', MANY.id);
  await expect(page.locator('.few-links')).toHaveCount(1);
  expect(await seriousViolations(page)).toEqual([]);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/dashboard-few-links-1440.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(conversion(ONCE).locator('.few-links')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  if (SCREENS) {
    await conversion(ONCE).scrollIntoViewIfNeeded();
    await page.locator('#agents').screenshot({ path: 'tmp/e2e/dashboard-few-links-390.png' });
  }
});
