import { type BrowserContext, devices, type Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../app/lib/password.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { users, userTeams } from '../../db/schema';
import { APP_ORIGIN, E2E_DB, expect, test } from './fixtures';
import { seriousViolations } from './helpers';

/**
 * Every page of every role, at a 390 px phone and a 1440 px desktop: nothing scrolls sideways on the
 * phone, and axe finds no serious or critical violation at either width. With SCREENS=1 a full-page
 * screenshot of each lands in tmp/e2e/pages/ for a person to look at (60 of them: not taken in CI,
 * where nobody looks). Data of its own (team tm_e2e_pages).
 */

const SCREENSHOTS = process.env.SCREENS === '1';

const PASSWORD = 'every page password 1';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const now = Date.now();
const iso = (at: number) => new Date(at).toISOString();

const TEAM = { id: 'tm_e2e_pages', name: 'E2E Pages with a rather long team name' };
const AGENT = { id: 'ag_e2e_pages', name: 'Nomvula Hlongwane-Fitzgerald', team: TEAM };
const OTHER = { id: 'ag_e2e_pages_2', name: 'Bram de Vries', team: TEAM };

const PEOPLE = {
  agent: { id: 'usr_e2e_pages_agent', email: 'pages.agent@e2e.test', name: AGENT.name },
  supervisor: { id: 'usr_e2e_pages_sup', email: 'pages.supervisor@e2e.test', name: 'Siphesihle Supervisor' },
  manager: { id: 'usr_e2e_pages_mgr', email: 'pages.manager@e2e.test', name: 'Mandla Manager' },
  admin: { id: 'usr_e2e_pages_admin', email: 'pages.admin@e2e.test', name: 'Ada Administrator' },
} as const;
type Role = keyof typeof PEOPLE;

function created(id: string, agent: typeof AGENT, at: number, currency = 'ZAR', amount = 1_234_567) {
  return {
    id: `evt_${id}_created`,
    type: 'payment_request.created',
    occurredAt: iso(at),
    paymentRequest: {
      id,
      agent,
      amount,
      currency,
      orderNumber: `SO-${id.toUpperCase()}-0001`,
      reason: 'Floral Oasis Dress with a long description that might wrap',
      channel: 'whatsapp',
      customer: { phone: '+27821234567', name: 'Valeria Fernández' },
    },
    data: {},
  };
}
const step = (id: string, type: string, at: number, data: Record<string, unknown> = {}) => ({
  id: `evt_${id}_${type}_${at}`,
  type: `payment_request.${type}`,
  occurredAt: iso(at),
  paymentRequest: { id },
  data,
});

/** One request with every kind of timeline entry: a failed send, a refused cancel, a failed payment, a card. */
const BUSY = 'pr_e2e_pages_busy';

// Each page's test is independent: they run on both workers, each worker seeding its own database.
test.describe.configure({ mode: 'parallel' });

test.beforeAll(async () => {
  const db = openDatabase(E2E_DB);
  try {
    // beforeAll runs again when this worker takes up more of this file's tests: the data is already there.
    if (db.select({ id: users.id }).from(users).where(eq(users.id, PEOPLE.admin.id)).get()) return;
    const t = now - 3 * HOUR;
    const events = [
      created(BUSY, AGENT, t),
      step(BUSY, 'send_failed', t + 1000, { reason: 'channel_error' }),
      step(BUSY, 'sent', t + MINUTE),
      step(BUSY, 'opened', t + 2 * MINUTE),
      step(BUSY, 'cancel_rejected', t + 3 * MINUTE, { reason: 'already_opened', actorId: PEOPLE.agent.id }),
      step(BUSY, 'payment_failed', t + 4 * MINUTE, { reason: 'insufficient_funds' }),
      step(BUSY, 'paid', t + 5 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
      ...[1, 2, 3, 4, 5, 6].flatMap((n) => {
        const id = `pr_e2e_pages_${n}`;
        const at = now - n * 5 * HOUR;
        return [
          created(id, n % 2 ? AGENT : OTHER, at, n % 3 ? 'USD' : 'EUR', 10_000 * n),
          step(id, 'sent', at + 1000),
          ...(n % 2 ? [step(id, 'opened', at + MINUTE), step(id, 'paid', at + 2 * MINUTE)] : []),
        ];
      }),
    ];
    const summary = await ingestEvents(db, events, 'api', {
      now,
      settings: { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE },
    });
    expect(summary.rejected).toBe(0);
    for (const [role, person] of Object.entries(PEOPLE)) {
      db.insert(users)
        .values({
          ...person,
          role: role as Role,
          passwordHash: await hashPassword(PASSWORD),
          agentId: role === 'agent' ? AGENT.id : null,
          createdAt: now,
        })
        .onConflictDoNothing()
        .run();
    }
    db.insert(userTeams).values({ userId: PEOPLE.supervisor.id, teamId: TEAM.id }).onConflictDoNothing().run();
  } finally {
    db.$client.close();
  }
});

const ANALYST_PAGES = [
  '/dashboard',
  `/dashboard/agents/${AGENT.id}`,
  '/requests',
  `/requests/${BUSY}`,
  '/reports',
  '/account',
];
const PAGES: Record<Role, string[]> = {
  agent: ['/agent', `/requests/${BUSY}`, '/account'],
  supervisor: ANALYST_PAGES,
  manager: ANALYST_PAGES,
  admin: [
    ...ANALYST_PAGES,
    '/admin',
    '/admin/users',
    '/admin/teams',
    '/admin/settings',
    '/admin/tokens',
    '/admin/webhook',
    '/admin/ingestion',
    '/admin/audit',
  ],
};

/**
 * Signs in by posting the sign-in form from the page's own context (its cookie jar), without
 * rendering /login and the home page first: this file checks pages, sign-in.spec.ts the sign-in.
 */
async function signIn(page: Page, email: string) {
  const response = await page.request.post('/login', {
    form: { email, password: PASSWORD, redirectTo: '' },
    headers: { origin: APP_ORIGIN },
    maxRedirects: 0,
  });
  expect(response.status(), `sign-in of ${email}`).toBe(302);
}

/** The page's name in a screenshot file: '/admin/users' -> 'admin-users'. */
const slug = (path: string) => path.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-') || 'home';

async function checkPage(page: Page, path: string, width: number, name: string) {
  await page.setViewportSize({ width, height: width < 500 ? 844 : 900 });
  const response = await page.goto(path);
  expect(response?.status(), path).toBe(200);
  // Not 'networkidle': the live pages hold a Server-Sent Events stream open. The shell's Menu button
  // is shown once React has hydrated the page.
  if (path !== '/login') await page.locator('.menu-button:not([hidden])').waitFor({ state: 'attached' });
  if (width < 500) {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect.soft(scrollWidth, `${path} at ${width} px`).toBeLessThanOrEqual(width);
  }
  expect.soft(await seriousViolations(page), `${path} at ${width} px`).toEqual([]);
  if (!SCREENSHOTS) return;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `tmp/e2e/pages/${name}-${slug(path)}-${width}.png`, fullPage: true });
}

test('the sign-in page fits a phone and passes axe', async ({ page }) => {
  for (const width of [390, 1440]) await checkPage(page, '/login', width, 'anyone');
});

// One test per page and role (both widths), so each stays within its own time limit. A role's pages
// run in order on one worker and share one signed-in context: one sign-in, and the app's scripts
// loaded and compiled once rather than cold for every page.
for (const role of Object.keys(PEOPLE) as Role[]) {
  test.describe(role, () => {
    test.describe.configure({ mode: 'default' });
    let context: BrowserContext;
    let page: Page;
    test.beforeAll(async ({ browser }) => {
      context = await browser.newContext({ ...devices['Desktop Chrome'], baseURL: APP_ORIGIN });
      page = await context.newPage();
      await signIn(page, PEOPLE[role].email);
    });
    test.afterAll(async () => {
      await context?.close();
    });
    for (const path of PAGES[role]) {
      test(`${role}: ${path} fits a 390 px phone and passes axe at 390 and 1440 px`, async () => {
        // Two page loads, two axe runs and two full-page screenshots: minutes on a loaded shared machine.
        test.setTimeout(300_000);
        for (const width of [390, 1440]) await checkPage(page, path, width, role);
      });
    }
  });
}

test('on a 390 px phone the leaderboard keeps an agent in view beside the numbers, not instead of them', async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, PEOPLE.manager.email);
  await page.goto('/dashboard');
  const board = page.getByTestId('leaderboard');
  const agentCell = board.locator('tbody tr', { hasText: AGENT.name }).locator('td').first();
  await expect(agentCell.getByRole('link')).toHaveText(AGENT.name);
  await board.locator('thead').scrollIntoViewIfNeeded();
  const box = (await board.boundingBox())!;
  const cell = (await agentCell.boundingBox())!;
  // The first column stays put while the table scrolls: with the name on one line it took 266 of 330 px.
  expect(cell.width).toBeLessThanOrEqual(box.width / 2);
  await expect(board.locator('thead th').nth(1)).toBeInViewport({ ratio: 1 });
  await expect(board.locator('thead th').nth(2)).toBeInViewport({ ratio: 1 });
});

/** Pages outside the shell: the customer's pay page in each state, the chat desk's panel, error pages. */
async function checkBarePage(page: Page, path: string, status = 200) {
  for (const width of [390, 1440]) {
    await page.setViewportSize({ width, height: width < 500 ? 844 : 900 });
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(status);
    await page.waitForLoadState('load');
    if (width < 500) {
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect.soft(scrollWidth, `${path} at ${width} px`).toBeLessThanOrEqual(width);
    }
    expect.soft(await seriousViolations(page), `${path} at ${width} px`).toEqual([]);
  }
}

test('the pay page in every state, the agent panel and the error pages fit a phone and pass axe', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const context = await browser.newContext({ ...devices['Desktop Chrome'], baseURL: APP_ORIGIN });
  const page = await context.newPage();
  await signIn(page, PEOPLE.agent.email);
  const send = async (order: string) => {
    await page.goto('/agent');
    await page.getByLabel('Customer phone').fill('+27 82 123 4567');
    await page.getByLabel('Order number').fill(order);
    await page.getByLabel('Amount').fill('361.21');
    await page.getByLabel('Reason').fill('Floral Oasis Dress');
    await page.getByRole('button', { name: 'Send link' }).click();
    const card = page.locator('.request-card', { hasText: order });
    return { card, path: new URL((await card.getByRole('link').textContent())!).pathname };
  };
  const run = Date.now().toString(36);
  const open = await send(`SO-AXE-OPEN-${run}`);
  const paid = await send(`SO-AXE-PAID-${run}`);
  const declined = await send(`SO-AXE-DECLINED-${run}`);
  const canceled = await send(`SO-AXE-CANCELED-${run}`);
  await canceled.card.getByRole('button', { name: 'Cancel request' }).click();
  await expect(canceled.card.getByText('Canceled by agent')).toBeVisible();
  await checkBarePage(page, '/dashboard', 403);
  await checkBarePage(page, '/no-such-page', 404);

  const customer = await browser.newContext({ ...devices['Pixel 7'], baseURL: APP_ORIGIN });
  const pay = await customer.newPage();
  await checkBarePage(pay, open.path);
  await pay.goto(paid.path);
  await pay.getByLabel('Card number').fill('4242424242424242');
  await pay.getByLabel('Expiry (MM/YY)').fill('1229');
  await pay.getByLabel('Security code (CVC)').fill('123');
  await pay.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(pay.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  await checkBarePage(pay, paid.path);
  await pay.goto(declined.path);
  await pay.getByText('Don’t want to pay?').click();
  await pay.getByRole('button', { name: 'Decline payment' }).click();
  await expect(pay.getByRole('heading', { name: 'You declined this payment' })).toBeVisible();
  await checkBarePage(pay, declined.path);
  await checkBarePage(pay, canceled.path);
  await checkBarePage(pay, '/pay/no-such-token', 404);
  await checkBarePage(pay, '/embed/agent');
  await Promise.all([customer.close(), context.close()]);
});

test('the agent page writes a request’s times as the request list does, the full instant on hover', async ({
  page,
}) => {
  await signIn(page, PEOPLE.manager.email);
  await page.goto(`/requests?q=${BUSY}&tz=UTC`);
  const listed = page.locator('tbody tr', { hasText: BUSY }).locator('time');
  const [sent, closed] = [listed.nth(1), listed.nth(2)];
  const listSent = { text: await sent.textContent(), title: await sent.getAttribute('title') };
  const listClosed = { text: await closed.textContent(), title: await closed.getAttribute('title') };
  // en-US, this year: 'Dec 6, 01:36 PM' (it read 'Dec 6, 2026, 01:36:02 PM' here, and wrapped on a phone).
  expect(listSent.text).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2} [AP]M$/);

  await page.goto(`/dashboard/agents/${AGENT.id}?range=7d&tz=UTC`);
  const row = page.getByTestId('agent-requests').locator('tbody tr', { hasText: BUSY });
  const times = row.locator('time');
  await expect(times).toHaveCount(2);
  await expect(times.first()).toHaveText(listSent.text!);
  await expect(times.first()).toHaveAttribute('title', listSent.title!);
  await expect(times.last()).toHaveText(listClosed.text!);
  await expect(times.last()).toHaveAttribute('title', listClosed.title!);

  // On a phone each stays on one line, the order number too; the table scrolls sideways instead.
  await page.setViewportSize({ width: 390, height: 844 });
  const lines = (locator: typeof times) => locator.evaluate((element) => element.getClientRects().length);
  expect(await lines(times.first())).toBe(1);
  expect(await lines(times.last())).toBe(1);
  expect(await lines(row.getByRole('link'))).toBe(1);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

test('an agent page whose filters match nothing says what to try, as the dashboard does', async ({ page }) => {
  await signIn(page, PEOPLE.manager.email);
  // The agent's requests all went by WhatsApp.
  await page.goto(`/dashboard/agents/${AGENT.id}?range=7d&channel=sms`);
  await expect(page.getByTestId('empty').locator('p')).toHaveText([
    'No links sent in this range.',
    'Try a longer range or fewer filters.',
  ]);
});

test('on a 390 px phone a table’s kept-in-view first column keeps the line under each row', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  // The request list's (the admin lists, /admin/users' first among them, show each row as a card on
  // a phone, with no kept column).
  await signIn(page, PEOPLE.admin.email);
  await page.goto('/requests');
  const rows = page.getByRole('table').first().locator('tbody tr');
  const count = Math.min(await rows.count(), 5);
  expect(count).toBeGreaterThanOrEqual(2);
  const cells = Array.from({ length: count }, (_, index) => rows.nth(index).locator('td').first());
  const lineColours: string[] = [];
  for (const cell of cells) {
    await cell.evaluate((element) => element.scrollIntoView({ block: 'center' }));
    const box = (await cell.boundingBox())!;
    // The cell's lowest 3 px, away from its right edge's line: the row's line is the darkest of them.
    const strip = await page.screenshot({ clip: { x: box.x + 4, y: box.y + box.height - 2, width: 24, height: 3 } });
    lineColours.push(
      await page.evaluate(async (png) => {
        const image = new Image();
        image.src = `data:image/png;base64,${png}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        [canvas.width, canvas.height] = [image.width, image.height];
        const context = canvas.getContext('2d')!;
        context.drawImage(image, 0, 0);
        const { data } = context.getImageData(0, 0, image.width, image.height);
        let darkest = 255;
        for (let i = 0; i < data.length; i += 4) darkest = Math.min(darkest, data[i]!, data[i + 1]!, data[i + 2]!);
        // The surface is white (255); the line (--border) is rgb(226, 229, 234).
        return darkest < 240 ? 'line' : 'none';
      }, strip.toString('base64')),
    );
  }
  // The sticky cell's background covered its row's line in some rows (two people read as one).
  expect(lineColours).toEqual(lineColours.map(() => 'line'));
});
