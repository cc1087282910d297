import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { insertUser } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { requestEvents, SCREENS, signInByPost } from './helpers';

/**
 * Numbers that do not mislead, as a supervisor sees them (session 39): today's bucket of the trend
 * is marked as counted so far and days to come as not begun; the median time to pay says what it
 * stands on; durations are in the reader's units. Data of its own (team tm_e2e_honest), times in UTC.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const TEAM = { id: 'tm_e2e_honest', name: 'Honest team' };
const BUSY = { id: 'ag_e2e_honest_busy', name: 'Busy Bea', team: TEAM };
const ONCE = { id: 'ag_e2e_honest_once', name: 'Once Olu', team: TEAM };
const supervisor = 'honest.supervisor@e2e.test';
const admin = 'honest.admin@e2e.test';
// An open link of another team (the supervisor's trend stays as it is), for the admin's request list.
const OPEN_AGENT = {
  id: 'ag_e2e_honest_open',
  name: 'Open Ona',
  team: { id: 'tm_e2e_honest_open', name: 'Open team' },
};
const now = Date.now();
const midnight = now - (now % DAY);
// Once Olu's link is sent today (at least a second after midnight UTC) and paid 2m 59s later.
const onceSent = Math.max(now - 30 * MINUTE, midnight + 1000);
const day = (at: number) =>
  new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(at);
const ymd = (at: number) => new Date(at).toISOString().slice(0, 10);

test.beforeAll(async () => {
  const db = openDatabase(E2E_DB);
  try {
    if (db.$client.prepare('SELECT 1 FROM users WHERE email = ?').get(supervisor)) return;
    const events = Array.from({ length: 40 }, (_, n) =>
      requestEvents(
        `pr_e2e_honest_busy_${n}`,
        midnight - 2 * DAY + 12 * 60 * MINUTE - n * MINUTE,
        { agent: BUSY, amount: 1000 + n, currency: n % 2 ? 'JPY' : 'KWD', orderNumber: `SO-BUSY-${n}` },
        n < 36
          ? [
              ['sent', 1000],
              ['opened', MINUTE],
              ['paid', 2 * MINUTE],
            ]
          : [['sent', 1000]],
      ),
    ).flat();
    events.push(
      ...requestEvents(
        'pr_e2e_honest_once',
        onceSent - 1000,
        { agent: ONCE, amount: 36121, currency: 'USD', orderNumber: 'SO-ONCE' },
        [
          ['sent', 1000],
          ['paid', 1000 + 179_000],
        ],
      ),
    );
    events.push(
      ...requestEvents(
        'pr_e2e_honest_open',
        now - 2000,
        { agent: OPEN_AGENT, amount: 36121, currency: 'USD', orderNumber: 'SO-HONEST-OPEN' },
        [['sent', 1000]],
      ),
    );
    const stored = await ingestEvents(db, events, 'api', { now });
    expect(stored.results.filter((result) => result.status === 'rejected')).toEqual([]);
    insertUser(db, { role: 'supervisor', email: supervisor, teamIds: [TEAM.id] });
    insertUser(db, { role: 'admin', email: admin });
  } finally {
    db.$client.close();
  }
});

for (const width of [1440, 390]) {
  test(`the trend marks today as so far and days to come as not begun (${width} px)`, async ({ browser }) => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width, height: 900 } });
    const page = await context.newPage();
    // Two days past today: they have not begun.
    await signInByPost(page, supervisor, {
      redirectTo: `/dashboard?from=${ymd(now - 3 * DAY)}&to=${ymd(now + 2 * DAY)}&tz=UTC`,
    });
    const trend = page.locator('figure.trend');
    await expect(trend.getByTestId('trend-running')).toHaveText(
      ` ${day(now)} is not over: its bar, drawn lighter, holds the links sent so far.`,
    );
    await expect(trend.getByTestId('trend-ahead')).toHaveText(' Later days of the range have not begun.');
    await trend.locator('summary').click();
    const rows = trend.locator('.trend-numbers tbody tr');
    await expect(rows).toHaveCount(6);
    const texts = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent)),
    );
    expect(texts).toEqual([
      [day(now - 3 * DAY), '0', '0', '0', '0', '0', '0'],
      [day(now - 2 * DAY), '0', '36', '0', '4', '0', '40'],
      [day(now - DAY), '0', '0', '0', '0', '0', '0'],
      [`${day(now)} (so far)`, '0', '1', '0', '0', '0', '1'],
      [`${day(now + DAY)} (not yet)`, '—', '—', '—', '—', '—', '—'],
      [`${day(now + 2 * DAY)} (not yet)`, '—', '—', '—', '—', '—', '—'],
    ]);
    if (SCREENS) await trend.screenshot({ path: `tmp/e2e/honest-trend-${width}.png` });
    await context.close();
  });
}

for (const [locale, median, once] of [
  ['en-US', '1m 59s', '2m 59s'],
  ['fr-FR', '1min 59s', '2min 59s'],
  ['ar-EG', '١ د و٥٩ ث', '٢ د و٥٩ ث'],
] as const) {
  for (const width of [1440, 390]) {
    test(`times to pay in ${locale} at ${width} px, and what a median of one payment stands on`, async ({
      browser,
    }) => {
      const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
      const page = await context.newPage();
      await signInByPost(page, supervisor, { redirectTo: `/dashboard?range=7d&tz=UTC` });
      const card = page.locator('[data-kpi="Median time to pay"]');
      await expect(card.locator('.kpi-value')).toHaveText(median);
      const row = page.getByTestId('leaderboard').locator('tbody tr', { hasText: ONCE.name });
      await expect(row).toContainText(once);
      if (SCREENS) {
        await page.locator('section.kpis').screenshot({ path: `tmp/e2e/honest-kpis-${locale}-${width}.png` });
        await page.locator('#agents').screenshot({ path: `tmp/e2e/honest-agents-${locale}-${width}.png` });
      }
      // Once Olu's page: one payment is its own median; no p90 of one, no change against nothing.
      await page.goto(`/dashboard/agents/${ONCE.id}?range=7d&tz=UTC`);
      await expect(card.locator('.kpi-value')).toHaveText(once);
      await expect(card.locator('.kpi-delta')).toHaveText(
        locale === 'ar-EG' ? 'Change: not enough data · ١ paid' : 'Change: not enough data · 1 paid',
      );
      if (SCREENS) await card.screenshot({ path: `tmp/e2e/honest-agent-median-${locale}-${width}.png` });
      await context.close();
    });
  }
}

test('an open link counts down in the reader’s digits, as the amount beside it (ar-EG, 390 px)', async ({
  browser,
}) => {
  const context = await browser.newContext({ locale: 'ar-EG', viewport: { width: 390, height: 900 } });
  const page = await context.newPage();
  await signInByPost(page, admin, { redirectTo: '/requests?q=SO-HONEST-OPEN&tz=UTC' });
  const row = page.locator('tbody tr', { hasText: 'SO-HONEST-OPEN' });
  await expect(row).toContainText('٣٦١٫٢١');
  // The link was sent 1 s before the data was stored, with 5 minutes to be opened: at most 5:00 left.
  await expect(row.locator('.countdown')).toHaveText(/^[٠-٥]:[٠-٥][٠-٩] left$/);
  if (SCREENS) await row.locator('td').last().screenshot({ path: 'tmp/e2e/honest-countdown-ar-EG-390.png' });
  await context.close();
});

test('an agent’s latest requests say they are 25 of the links sent, not all of them', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 900 });
  await signInByPost(page, supervisor, { redirectTo: `/dashboard/agents/${BUSY.id}?range=7d&tz=UTC` });
  await expect(page.locator('[data-kpi="Links sent"] .kpi-value')).toHaveText('40');
  await expect(page.getByTestId('agent-requests').locator('tbody tr')).toHaveCount(25);
  await expect(page.getByTestId('latest-requests-count')).toHaveText('the 25 newest of 40 sent in this range');
  if (SCREENS) await page.locator('#requests-title').screenshot({ path: 'tmp/e2e/honest-latest-390.png' });
  await page.goto(`/dashboard/agents/${ONCE.id}?range=7d&tz=UTC`);
  await expect(page.getByTestId('latest-requests-count')).toHaveText('sent in this range, newest first');
});
