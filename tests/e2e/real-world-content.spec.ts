import { devices, type Locator } from '@playwright/test';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { insertUser } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { requestEvents, signInByPost } from './helpers';

/**
 * Names and numbers as they come in real life: a 68-character name, Arabic text, an order number of
 * the maximum 100 characters, a dozen currencies with 0, 2 and 3 decimals at 10^12 minor units each.
 * Data of its own (team tm_e2e_world).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TEAM = { id: 'tm_e2e_world', name: 'World team' };
const LONG_NAME = 'Maximiliana Alexandrovna Konstantinopoulou-Wolfeschlegelsteinhausen';
const LONG_AGENT = { id: 'ag_e2e_world_long', name: LONG_NAME, team: TEAM };
const ARABIC_AGENT = { id: 'ag_e2e_world_ar', name: 'محمد عبد الرحمن الشمري', team: TEAM };
const ARABIC_CUSTOMER = 'فاطمة الزهراء 2';
const LONG_ORDER = `SO-${'9'.repeat(97)}`;
const CURRENCIES = ['JPY', 'USD', 'KWD', 'EUR', 'GBP', 'ZAR', 'BHD', 'KRW', 'INR', 'EGP', 'CLP', 'OMR'];
const admin = 'world.admin@e2e.test';
const agent = 'world.agent@e2e.test';

test.beforeAll(async () => {
  const db = openDatabase(E2E_DB);
  const now = Date.now();
  try {
    if (db.$client.prepare('SELECT 1 FROM users WHERE email = ?').get(admin)) return;
    const events = CURRENCIES.flatMap((currency, n) =>
      requestEvents(
        `pr_e2e_world_${n}`,
        now - (n + 1) * HOUR,
        {
          agent: n % 2 ? ARABIC_AGENT : LONG_AGENT,
          amount: 1_000_000_000_000 + n,
          currency,
          orderNumber: n === 0 ? LONG_ORDER : `SO-WORLD-${n}`,
          customerName: n === 1 ? ARABIC_CUSTOMER : undefined,
        },
        [
          ['sent', 1000],
          ['opened', MINUTE],
          ['paid', 2 * MINUTE],
        ],
      ),
    );
    expect((await ingestEvents(db, events, 'api', { now })).rejected).toBe(0);
    insertUser(db, { role: 'admin', name: LONG_NAME, email: admin });
    insertUser(db, {
      role: 'agent',
      name: ARABIC_AGENT.name,
      email: agent,
      agentId: ARABIC_AGENT.id,
      teamIds: [TEAM.id],
    });
  } finally {
    db.$client.close();
  }
});

test.use({ viewport: { width: 1440, height: 900 } });

/** Where the Arabic customer's name and the masked phone after it are drawn: each one's glyphs' left and right edges. */
function nameAndPhoneEdges(scope: Locator) {
  return scope.evaluate((element, text) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const edges = (node: Node, start: number, end: number) => {
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, end);
      const rects = [...range.getClientRects()];
      return { left: Math.min(...rects.map((r) => r.left)), right: Math.max(...rects.map((r) => r.right)) };
    };
    let name: { left: number; right: number } | null = null;
    let phone: { left: number; right: number } | null = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent!.indexOf(text);
      if (at >= 0) name = edges(node, at, at + text.length);
      if (node.textContent!.includes('4567')) phone = edges(node, 0, node.textContent!.length);
    }
    return [name!, phone!] as const;
  }, ARABIC_CUSTOMER);
}

test('an Arabic customer name keeps the masked phone after it, on the right', async ({ page }) => {
  await signInByPost(page, admin, { redirectTo: '/requests/pr_e2e_world_1' });
  const customer = page.locator('.facts dd', { hasText: ARABIC_CUSTOMER });
  await expect(customer.locator('.mono')).toHaveText('•••••••4567');
  // Where the name's and the phone's text are drawn: the left and right edges of each one's glyphs.
  const [name, phone] = await nameAndPhoneEdges(customer);
  // Unisolated, the name's trailing 2 and the phone's digits joined one right-to-left run: the phone
  // was drawn to the left of the name, '4567••••••• · 2 فاطمة الزهراء'.
  expect(phone.left).toBeGreaterThan(name.right);
});

test('in the agent console a card writes an Arabic customer name before the masked phone, as on a phone', async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signInByPost(page, agent, { redirectTo: '/agent' });
  const line = page.locator('.request-card', { hasText: /SO-WORLD-1(?!\d)/ }).locator('.request-customer');
  await expect(line).toHaveText(`${ARABIC_CUSTOMER} · •••••••4567 · WhatsApp`);
  const [name, phone] = await nameAndPhoneEdges(line);
  expect(phone.left).toBeGreaterThan(name.right);
});

test('a 100-character order number and a 68-character agent wrap in the request list, the other columns kept in view at 1440 px', async ({
  page,
}) => {
  await signInByPost(page, admin, { redirectTo: '/requests?q=pr_e2e_world' });
  await expect(page.getByRole('link', { name: LONG_ORDER })).toBeVisible();
  const headers = page.locator('thead th');
  // On one line the order number took 960 of the box's 1,230 px: Amount was cut at the box's edge,
  // the agent, channel and times out of view. (A dozen 10^12 amounts still make the table scroll in
  // its box past Sent: every value stays on one line.)
  expect((await headers.filter({ hasText: 'Order' }).boundingBox())!.width).toBeLessThanOrEqual(320);
  for (const name of ['Status', 'Amount', 'Agent', 'Channel', 'Created', 'Sent'])
    await expect(headers.filter({ hasText: name }).first()).toBeInViewport({ ratio: 1 });
  const agent = page.locator('tbody tr', { hasText: LONG_ORDER }).getByText(LONG_NAME);
  expect((await agent.boundingBox())!.width).toBeLessThanOrEqual(240);
});

test('the dashboard at 1440 px holds a 68-character agent and a dozen currencies at 10^12 without scrolling sideways', async ({
  browser,
}) => {
  const context = await browser.newContext({
    ...devices['Desktop Chrome'],
    viewport: { width: 1440, height: 900 },
    locale: 'de-DE',
  });
  const page = await context.newPage();
  await signInByPost(page, admin, { redirectTo: '/dashboard?range=7d&tz=UTC' });
  const board = page.getByTestId('leaderboard');
  await expect(board.getByRole('link', { name: LONG_NAME })).toBeVisible();
  // Amounts exactly, in the reader's locale, with each currency's own decimals (JPY 0, USD 2, KWD 3).
  // Each agent's own row: the shared e2e database holds other agents' USD too, in an order of its own.
  const collectedOf = (name: string) => board.locator('tbody tr', { hasText: name }).locator('.collected-cell li');
  await expect(collectedOf(LONG_NAME).filter({ hasText: '¥' })).toHaveText('1.000.000.000.000 ¥');
  await expect(collectedOf(LONG_NAME).filter({ hasText: 'KWD' })).toHaveText('1.000.000.000,002 KWD');
  await expect(collectedOf(ARABIC_AGENT.name).filter({ hasText: '$' })).toHaveText('10.000.000.000,01 $');
  // The name on one line pushed the table 230 px past the page's right edge.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
  await context.close();
});

test('a long signed-in name is cut short in the header, not the Sign out button wrapped', async ({ page }) => {
  await signInByPost(page, admin, { redirectTo: '/requests' });
  const signOut = page.getByRole('button', { name: 'Sign out' });
  expect(await signOut.evaluate((element) => element.getClientRects()[0]!.height)).toBeLessThan(40);
  const name = page.locator('.who-name');
  await expect(name).toHaveAttribute('title', LONG_NAME);
  expect((await name.boundingBox())!.height).toBeLessThan(30);
});

test("the leaderboard's time to pay is in the reader's digits and units", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'ar-EG' });
  const page = await context.newPage();
  await signInByPost(page, admin, { redirectTo: '/dashboard?range=7d&tz=UTC' });
  const row = page.getByTestId('leaderboard').locator('tbody tr', { hasText: LONG_NAME });
  const headers = await page.getByTestId('leaderboard').locator('thead th').allInnerTexts();
  const column = headers.findIndex((text) => /median time to pay/i.test(text));
  expect(column).toBeGreaterThan(0);
  // formatDuration without the locale wrote Latin digits beside the rates' Arabic ones (session 38),
  // then Arabic digits with English unit letters ('١m ٥٩s').
  await expect(row.locator('td, th').nth(column)).toHaveText('١ د و٥٩ ث');
  await context.close();
});
