import type { Page } from '@playwright/test';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { insertUser } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { requestEvents, SCREENS, seriousViolations, signInByPost } from './helpers';

/**
 * A supervisor of 14 agents finds one in the Agent picker by typing (components/choices.tsx): the
 * list hides who does not match, any case and any accents, and what is ticked stays ticked and sent.
 * Data of its own: a team no other spec uses, each agent with one request.
 */

const MINUTE = 60_000;
const now = Date.now();
const TEAM = { id: 'tm_e2e_picker', name: 'E2E Picker' };
const NAMES = [
  'Aisha Patel',
  'Amélie Botha',
  'Bongani Khumalo',
  'Clément Roux',
  'Émile Durand',
  'Emma Nkosi',
  'Kagiso Sithole',
  'Lindiwe Dube',
  'Noah Fischer',
  'Priya Naidoo',
  'Ruan van Wyk',
  'Sipho Ndlovu',
  'Thabo Molefe',
  'Zoë Adams',
];
const agentId = (name: string) => `ag_e2e_pick_${NAMES.indexOf(name)}`;
const EMAIL = 'picker.supervisor@e2e.test';

test.beforeAll(async () => {
  const db = openDatabase(E2E_DB);
  try {
    const events = NAMES.flatMap((name, index) =>
      requestEvents(
        `pr_e2e_pick_${index}`,
        now - (index + 2) * MINUTE,
        {
          agent: { id: agentId(name), name, team: TEAM },
          amount: 12_500,
          currency: 'EUR',
          orderNumber: `SO-PICK-${index}`,
          reason: 'E2E order',
          customerName: 'Customer',
        },
        [['sent', 1000]],
      ),
    );
    const summary = await ingestEvents(db, events, 'api', { now });
    expect(summary.rejected).toBe(0);
    insertUser(db, { role: 'supervisor', email: EMAIL, name: 'Pat Picker', teamIds: [TEAM.id] });
  } finally {
    db.$client.close();
  }
});

/** A multi-select filter picker by its legend. */
const picker = (page: Page, legend: string) =>
  page.locator('details.choices', { has: page.locator('.choices-legend', { hasText: legend }) });
/** The agent names the open picker shows, in order. */
const shownAgents = (page: Page) => picker(page, 'Agent').locator('fieldset > label:visible');

test('the Agent picker of 14 finds by typing, any case or accent; hidden ticks stay ticked and are sent', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInByPost(page, EMAIL, { redirectTo: '/requests' });
  await expect(page).toHaveURL(/^[^?]*\/requests$/);
  await expect(page.getByTestId('live')).toHaveText('Live');
  const agents = picker(page, 'Agent');
  const button = agents.locator('summary');
  const find = page.getByLabel('Find an agent');
  const none = agents.locator('.choices-none');

  // A click opens it on the box, every agent listed; a short list (Channel: 4) has no box.
  await button.click();
  await expect(find).toBeFocused();
  await expect(shownAgents(page)).toHaveText(NAMES);
  await expect(picker(page, 'Channel').getByRole('textbox')).toHaveCount(0);

  // Without the accent, in capitals: Zoë. Ticked while found.
  await find.fill('ZOE');
  await expect(shownAgents(page)).toHaveText(['Zoë Adams']);
  await page.getByRole('checkbox', { name: 'Zoë Adams' }).check();
  await expect(button).toHaveText('Agent Zoë Adams');

  // "éM" finds the "em" of Clément, Émile and Emma; Zoë is hidden and still ticked.
  await find.fill('éM');
  await expect(shownAgents(page)).toHaveText(['Clément Roux', 'Émile Durand', 'Emma Nkosi']);
  await expect(page.getByRole('checkbox', { name: 'Zoë Adams', includeHidden: true })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Zoë Adams' })).toBeHidden();
  await expect(none).toHaveText('');
  // Tab goes from the box to the first agent shown.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('checkbox', { name: 'Clément Roux' })).toBeFocused();
  await page.getByRole('checkbox', { name: 'Emma Nkosi' }).check();
  await expect(button).toHaveText('Agent 2 selected');
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/picker-find-1440.png' });

  // Escape closes it, focus back on its button; opened from the keyboard it starts over on the box.
  await find.focus();
  await page.keyboard.press('Escape');
  await expect(agents).not.toHaveAttribute('open');
  await expect(button).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(agents).toHaveAttribute('open');
  await expect(find).toBeFocused();
  await expect(find).toHaveValue('');
  await expect(shownAgents(page)).toHaveCount(14);
  await expect(button).toHaveText('Agent 2 selected');

  // Nobody matches: it says so; Enter in the box does not send the form.
  await find.fill('xyz');
  await expect(shownAgents(page)).toHaveCount(0);
  await expect(none).toHaveText('No agent matches “xyz”.');
  const before = page.url();
  await page.keyboard.press('Enter');
  await expect(agents).toHaveAttribute('open');
  expect(page.url()).toBe(before);
  expect(await seriousViolations(page)).toEqual([]);

  // Search sends both hidden ticks, and not the box: the URL holds only the form's named fields.
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(new RegExp(`agent=${agentId('Emma Nkosi')}`));
  const params = new URL(page.url()).searchParams;
  expect(params.getAll('agent')).toEqual([agentId('Emma Nkosi'), agentId('Zoë Adams')]);
  expect([...new Set(params.keys())]).toEqual(['tz', 'agent', 'limit', 'sort', 'order']);
  const agentCells = page.locator('table.requests-table tbody tr td:nth-child(4)');
  await expect(agentCells).toHaveText([/^Emma Nkosi/, /^Zoë Adams/]);
  await expect(button).toHaveText('Agent 2 selected');

  // A phone: the list opens in the flow under its button, the box across it, nothing sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await button.click();
  await expect(find).toBeFocused();
  await find.fill('ndl');
  await expect(shownAgents(page)).toHaveText(['Sipho Ndlovu']);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await seriousViolations(page)).toEqual([]);
  if (SCREENS) {
    await agents.scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'tmp/e2e/picker-find-390.png' });
  }
});

test('without JavaScript the Agent picker lists every agent and has no find box', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInByPost(page, EMAIL, { redirectTo: '/requests' });
  await picker(page, 'Agent').locator('summary').click();
  await expect(shownAgents(page)).toHaveText(NAMES);
  await expect(page.getByLabel('Find an agent')).toHaveCount(0);
  await context.close();
});
