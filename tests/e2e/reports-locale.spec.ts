import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { WEEK_STARTS } from '../../app/read/date-ranges';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { insertUser } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { requestEvents, signInByPost } from './helpers';

/**
 * Issue #12, points 15 and 16 and the leaderboard's width: /reports names the zone of a schedule's
 * next run, offers CSV for Excel (a byte-order mark), lists schedules without squeezing their names;
 * dates follow the reader's locale; the time zone is typed with suggestions; every layout has a skip
 * link; a chosen range chip keeps focus. Data of its own (agent ag_e2e_locale, sent in the last hours).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const AGENT = {
  id: 'ag_e2e_locale',
  name: 'Nomvula Hlongwane-Fitzgerald',
  team: { id: 'tm_e2e_locale', name: 'Locale team' },
};
const CURRENCIES = ['ZAR', 'USD', 'EUR', 'GBP', 'KWD', 'JPY'];
const SCHEDULE_NAME = 'Daily payment requests for the finance team';

const manager = 'locale.manager@e2e.test';

test.beforeAll(async () => {
  const db = openDatabase(E2E_DB);
  const now = Date.now();
  try {
    // A worker restarted after a failure finds the data already there.
    if (db.$client.prepare('SELECT 1 FROM users WHERE email = ?').get(manager)) return;
    // One paid request a currency, large amounts: the leaderboard's Collected cell at its widest.
    const events = CURRENCIES.flatMap((currency, n) =>
      requestEvents(
        `pr_e2e_locale_${n}`,
        now - (n + 1) * HOUR,
        { agent: AGENT, amount: 123_456_789, currency, orderNumber: `SO-LOCALE-${n}` },
        [
          ['sent', 1000],
          ['opened', MINUTE],
          ['paid', 2 * MINUTE],
        ],
      ),
    );
    expect((await ingestEvents(db, events, 'api', { now })).rejected).toBe(0);
    insertUser(db, { role: 'manager', name: 'Lindiwe Locale', email: manager });
  } finally {
    db.$client.close();
  }
});

/** Sets the organisation's first day of the week (null: the default), and returns what it was. */
function weekStartsOn(day: number | null): number | null {
  const db = openDatabase(E2E_DB);
  try {
    const row = db.$client.prepare("SELECT value FROM settings WHERE key = 'week_starts_on'").get() as
      | { value: string }
      | undefined;
    if (day === null) db.$client.prepare("DELETE FROM settings WHERE key = 'week_starts_on'").run();
    else
      db.$client
        .prepare(
          "INSERT INTO settings (key, value) VALUES ('week_starts_on', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .run(String(day));
    return row ? Number(row.value) : null;
  } finally {
    db.$client.close();
  }
}

/**
 * A zone and a first day of the week under which two range chips are the same dates today, the later
 * chip first: "This week" and "Today" on the week's first day, "Last 7 days" and "This week" on its
 * last. Weeks start on the admin's choice of days (WEEK_STARTS), so on some days (a Wednesday, in
 * every zone) no two chips tie: null.
 */
function tiedChips(now: number): { zone: string; weekStart: number; chips: [string, string] } | null {
  const starts = WEEK_STARTS.map((start) => start.day as number);
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  // UTC, then zones a day behind (before 11:00 UTC) and a day ahead (from 10:00 UTC) of it.
  for (const zone of ['UTC', 'Pacific/Pago_Pago', 'Pacific/Kiritimati']) {
    const day = weekdays.indexOf(new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short' }).format(now));
    if (starts.includes(day)) return { zone, weekStart: day, chips: ['This week', 'Today'] };
    if (starts.includes((day + 1) % 7)) return { zone, weekStart: (day + 1) % 7, chips: ['Last 7 days', 'This week'] };
  }
  return null;
}

async function signIn(page: Page, to: string) {
  await signInByPost(page, manager, { redirectTo: to });
  await page.waitForURL((url) => url.pathname === to);
}

async function download(page: Page, name: string): Promise<Buffer> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name, exact: true }).click(),
  ]);
  return readFileSync((await file.path())!);
}

/** How many lines an element's text takes. */
async function lines(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const lineHeight = Number.parseFloat(getComputedStyle(element).lineHeight);
      const range = document.createRange();
      range.selectNodeContents(element.firstChild!);
      return Math.round(range.getBoundingClientRect().height / lineHeight);
    });
}

test('reports: next run with its zone, CSV for Excel with a BOM, schedule names on one line', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await signIn(page, '/reports');
  await page.getByRole('link', { name: 'Last 7 days' }).click();
  await expect(page).toHaveURL(/from=/);

  const bom = [0xef, 0xbb, 0xbf];
  const plain = await download(page, 'Download Payment requests CSV');
  expect([...plain.subarray(0, 3)]).not.toEqual(bom);
  expect(plain.toString('utf8')).toContain(',SO-LOCALE-0,ag_e2e_locale,Nomvula Hlongwane-Fitzgerald,');
  const excel = await download(page, 'Download Payment requests CSV for Excel');
  expect([...excel.subarray(0, 3)]).toEqual(bom);
  expect(excel.subarray(3).equals(plain)).toBe(true);
  const agents = await download(page, 'Download Agents CSV for Excel');
  expect(agents.subarray(0, 12).toString('utf8')).toBe('\uFEFFagent_id,');

  // A schedule in Johannesburg time, typed: the zone field suggests from every zone as one types.
  const form = page.getByRole('form', { name: 'Schedule a report' });
  await form.getByLabel('Name', { exact: true }).fill(SCHEDULE_NAME);
  const zone = form.getByLabel('Time zone');
  expect(await zone.evaluate((input: HTMLInputElement) => input.list?.options.length ?? 0)).toBeGreaterThan(300);
  await zone.fill('Africa/Johannesburg');
  await form.getByRole('button', { name: 'Schedule report' }).click();
  await expect(page.getByRole('status')).toContainText('Schedule');
  const item = page.locator('.schedule-item', { hasText: SCHEDULE_NAME });
  // en-US (Playwright's default locale), 06:00 in Johannesburg, named.
  await expect(item.getByTestId('schedule-next-run')).toHaveText(
    /^Next run [A-Z][a-z]{2} \d{1,2}, \d{4}, 06:00 AM GMT\+2$/,
  );
  // The run time as the next run writes it (it read 'Daily at 06:00' above '06:00 AM').
  await expect(item).toContainText('Daily at 06:00 AM (Africa/Johannesburg)');
  // On a phone the filters are above the form, not on its left.
  await expect(form.getByText(/^Uses the filters/)).toHaveText(
    'Uses the filters applied under Range and filters; the range is set by each run.',
  );
  expect(await lines(page, '.schedule-name')).toBe(1);

  await page.setViewportSize({ width: 390, height: 844 });
  expect(await lines(page, '.schedule-name')).toBeLessThanOrEqual(2);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

test('reports: a chosen range chip keeps focus; a zone not in the list is refused in the browser and by the server', async ({
  page,
}) => {
  // Two chips of the same dates (the tie of a week's first or last day), the later of them clicked
  // first: the chip clicked must be the current one (the first of the two was, whichever was clicked).
  const tie = tiedChips(Date.now());
  if (tie) {
    const previous = weekStartsOn(tie.weekStart);
    try {
      await signIn(page, '/reports');
      await page.goto(`/reports?tz=${encodeURIComponent(tie.zone)}`);
      const [later, earlier] = tie.chips.map((name) => page.getByRole('link', { name, exact: true }));
      await later!.click();
      await expect(later!).toHaveAttribute('aria-current', 'true');
      await expect(later!).toBeFocused();
      await expect(earlier!).not.toHaveAttribute('aria-current');
      expect(await earlier!.getAttribute('href')).toBe(await later!.getAttribute('href'));
      // The other chip of the same dates: the URL stays, the current chip and focus move to it.
      await earlier!.click();
      await expect(earlier!).toHaveAttribute('aria-current', 'true');
      await expect(earlier!).toBeFocused();
      await expect(later!).not.toHaveAttribute('aria-current');
    } finally {
      weekStartsOn(previous);
    }
  } else {
    await signIn(page, '/reports');
  }

  const filters = page.getByRole('form', { name: 'Range and filters' });
  const zone = filters.getByLabel('Time zone');
  await zone.fill('Mars/Olympus_Mons');
  const before = page.url();
  await filters.getByRole('button', { name: 'Apply' }).click();
  expect(await zone.evaluate((input: HTMLInputElement) => input.validationMessage)).toBe(
    'Choose a time zone from the list, e.g. Africa/Johannesburg',
  );
  expect(page.url()).toBe(before);

  const refused = await page.request.get('/exports/payment-requests.csv?tz=Mars/Olympus_Mons');
  expect(refused.status()).toBe(400);
  expect((await refused.json()).error).toMatchObject({ code: 'invalid_filter', field: 'tz' });
});

test.describe('in German', () => {
  test.use({ locale: 'de-DE', timezoneId: 'Europe/Berlin' });

  test('dates and times follow the reader’s locale: date hints, schedules, the requests list', async ({ page }) => {
    await signIn(page, '/reports');
    await page.goto('/reports?from=2026-11-26&to=2026-12-02&tz=Africa/Johannesburg');
    const filters = page.getByRole('form', { name: 'Range and filters' });
    await expect(filters.getByTestId('date-hint-from')).toHaveText('26.11.2026');
    await expect(filters.getByTestId('date-hint-to')).toHaveText('02.12.2026');
    await expect(page.getByText('Requests sent from 26.11.2026 to 02.12.2026 (Africa/Johannesburg).')).toBeVisible();
    await filters.getByLabel('From', { exact: true }).fill('2026-11-27');
    await expect(filters.getByTestId('date-hint-from')).toHaveText('27.11.2026');
    const item = page.locator('.schedule-item', { hasText: SCHEDULE_NAME });
    await expect(item.getByTestId('schedule-next-run')).toHaveText(
      /^Next run \d{1,2}\. [A-Z][a-zä]{2}\. \d{4}, 06:00 GMT\+2$/,
    );
    await expect(item).toContainText('Daily at 06:00 (Africa/Johannesburg)');

    await page.goto('/requests?q=SO-LOCALE-0&tz=UTC');
    const sent = page.locator('tbody time').first();
    await expect(sent).toHaveText(/^\d{1,2}\. [A-Z][a-zä]{2}\.?, \d{2}:\d{2}$/);
    await expect(sent).toHaveAttribute('title', /^\d{1,2}\. [A-Z][a-zä]{2}\.? \d{4}, \d{2}:\d{2}:\d{2}$/);
  });
});

test('every layout starts with a skip link to its content', async ({ page }) => {
  for (const path of ['/login', '/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/embed/agent']) {
    await page.goto(path);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip, path).toBeFocused();
    await expect(skip, path).toBeInViewport();
    await page.keyboard.press('Enter');
    await expect(page.locator('main#main'), path).toBeFocused();
  }
});

test('dashboard at 1440 px: the leaderboard, Collected included, stays inside its card', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signIn(page, '/dashboard');
  // By id: every-page's agent, in the same worker's database, has the same name.
  const row = page.locator(`.leaderboard tbody tr[data-agent="${AGENT.id}"]`);
  await expect(row.locator('.collected-cell li')).toHaveCount(CURRENCIES.length);
  const box = await page.locator('.leaderboard-box').evaluate((element) => {
    const card = element.closest('.card')!.getBoundingClientRect();
    const table = element.querySelector('table')!.getBoundingClientRect();
    return { cardRight: card.right, tableRight: table.right, scroll: element.scrollWidth - element.clientWidth };
  });
  expect(box.tableRight).toBeLessThanOrEqual(box.cardRight);
  expect(box.scroll).toBe(0);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
});
