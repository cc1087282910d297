import type { Page } from '@playwright/test';
import { AGENT_CHOICES_LIMIT } from '../../app/read/agent-choices';
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

/**
 * A team of more agents than a page is sent (AGENT_CHOICES_LIMIT, 200): 'Agent 001' … 'Agent 204'
 * and, last by name, Zanele Mokoena, whom the page's list does not hold.
 */
const MANY_TEAM = { id: 'tm_e2e_picker_many', name: 'E2E Picker Many' };
const MANY_NAMES = [
  ...Array.from({ length: AGENT_CHOICES_LIMIT + 4 }, (_, k) => `Agent ${String(k + 1).padStart(3, '0')}`),
  'Zanele Mokoena',
];
const manyAgentId = (name: string) => `ag_e2e_many_${MANY_NAMES.indexOf(name)}`;
const MANY_EMAIL = 'picker.many@e2e.test';

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
    const many = MANY_NAMES.flatMap((name, index) =>
      requestEvents(
        `pr_e2e_many_${index}`,
        now - (index + 2) * MINUTE,
        {
          agent: { id: manyAgentId(name), name, team: MANY_TEAM },
          amount: 1_000 + index,
          currency: 'EUR',
          orderNumber: `SO-MANY-${index}`,
          reason: 'E2E order',
          customerName: 'Customer',
        },
        [['sent', 1000]],
      ),
    );
    const summary = await ingestEvents(db, [...events, ...many], 'api', { now });
    expect(summary.rejected).toBe(0);
    insertUser(db, { role: 'supervisor', email: EMAIL, name: 'Pat Picker', teamIds: [TEAM.id] });
    insertUser(db, { role: 'supervisor', email: MANY_EMAIL, name: 'Max Many', teamIds: [MANY_TEAM.id] });
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

test('an Agent picker of 205 is sent 200 and finds the others on the server; ticks found are kept and sent', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInByPost(page, MANY_EMAIL, { redirectTo: '/requests' });
  await expect(page.getByTestId('live')).toHaveText('Live');
  const agents = picker(page, 'Agent');
  const button = agents.locator('summary');
  const find = page.getByLabel('Find an agent');
  const status = agents.getByRole('status');
  const searches: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/filters/agents')) searches.push(new URL(request.url()).searchParams.get('q') ?? '');
  });

  // The page's 200, first by name; Zanele is not among them, and the box says how to find her.
  await button.click();
  await expect(find).toBeFocused();
  await expect(shownAgents(page)).toHaveCount(AGENT_CHOICES_LIMIT);
  await expect(shownAgents(page).first()).toHaveText('Agent 001');
  await expect(shownAgents(page).last()).toHaveText('Agent 200');
  await expect(agents.locator('.choices-note')).toHaveText('200 of 205 agents listed: type to find others.');

  // Typed in one go, asked once (the pause), answered from the whole team, any case.
  await find.pressSequentially('ZANE', { delay: 30 });
  await expect(shownAgents(page)).toHaveText(['Zanele Mokoena']);
  await expect(status).toHaveText('1 agent matches “ZANE”.');
  expect(searches).toEqual(['ZANE']);
  await page.getByRole('checkbox', { name: 'Zanele Mokoena' }).check();
  await expect(button).toHaveText('Agent Zanele Mokoena');

  // Another search: Zanele is not listed and stays ticked (sent as a hidden field).
  await find.fill('agent 20');
  await expect(shownAgents(page)).toHaveText(['Agent 200', 'Agent 201', 'Agent 202', 'Agent 203', 'Agent 204']);
  await expect(status).toHaveText('5 agents match “agent 20”.');
  await page.getByRole('checkbox', { name: 'Agent 203' }).check();
  await expect(button).toHaveText('Agent 2 selected');
  await expect(agents.locator(`input[type=hidden][name=agent][value=${manyAgentId('Zanele Mokoena')}]`)).toHaveCount(1);
  expect(await seriousViolations(page)).toEqual([]);
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/picker-search-1440.png' });

  // Too many matches: the first 50 and how many there are; none: it says so.
  await find.fill('agent');
  await expect(status).toHaveText('The first 50 of 204 agents matching “agent”: type more of the name to narrow.');
  await expect(shownAgents(page)).toHaveCount(50);
  await find.fill('xyz');
  await expect(status).toHaveText('No agent matches “xyz”.');
  await expect(shownAgents(page)).toHaveCount(0);

  // The server failing: said in the status, the ticks kept.
  await page.route('**/filters/agents?*', (route) => route.fulfill({ status: 500, body: 'boom' }));
  await find.fill('zan');
  await expect(status).toHaveText('The search failed (error 500). Type again to retry.');
  await page.unroute('**/filters/agents?*');
  await find.fill('zane');
  await expect(shownAgents(page)).toHaveText(['Zanele Mokoena']);
  await expect(page.getByRole('checkbox', { name: 'Zanele Mokoena' })).toBeChecked();

  // Search sends both, and not the box; the list shows their requests only.
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(new RegExp(`agent=${manyAgentId('Agent 203')}`));
  const params = new URL(page.url()).searchParams;
  expect(params.getAll('agent')).toEqual([manyAgentId('Zanele Mokoena'), manyAgentId('Agent 203')]);
  expect([...new Set(params.keys())]).toEqual(['tz', 'agent', 'limit', 'sort', 'order']);
  const agentCells = page.locator('table.requests-table tbody tr td:nth-child(4)');
  await expect(agentCells).toHaveText([/^Agent 203/, /^Zanele Mokoena/]);
  // The page's list now holds the ticked (Zanele beyond the first 200) and the first 198 others.
  await expect(button).toHaveText('Agent 2 selected');
  await button.click();
  await expect(shownAgents(page)).toHaveCount(AGENT_CHOICES_LIMIT);
  await expect(page.getByRole('checkbox', { name: 'Zanele Mokoena' })).toBeChecked();

  // A phone: the box, the note and the answer fit; nothing sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await find.fill('mokoena');
  await expect(shownAgents(page)).toHaveText(['Zanele Mokoena']);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await seriousViolations(page)).toEqual([]);
  if (SCREENS) {
    await agents.scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'tmp/e2e/picker-search-390.png' });
  }
});

test('without JavaScript an Agent picker of 205 finds the others by sending its box with the form', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInByPost(page, MANY_EMAIL, { redirectTo: '/requests' });
  await picker(page, 'Agent').locator('summary').click();
  await expect(shownAgents(page)).toHaveCount(AGENT_CHOICES_LIMIT);
  await expect(picker(page, 'Agent').locator('.choices-note')).toHaveText(
    '200 of 205 agents listed: type a name, then send the form to list those that match.',
  );
  const find = page.getByLabel('Find an agent');
  await find.fill('zanele');
  await find.press('Enter');
  await expect(page).toHaveURL(/findAgent=zanele/);
  // The list is those matching; the requests are as they were (the box filters nothing).
  await picker(page, 'Agent').locator('summary').click();
  await expect(shownAgents(page)).toHaveText(['Zanele Mokoena']);
  await expect(page.getByText(/ of 205 requests$/)).toBeVisible();
  await page.getByRole('checkbox', { name: 'Zanele Mokoena' }).check();
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(new RegExp(`agent=${manyAgentId('Zanele Mokoena')}`));
  await expect(page.locator('table.requests-table tbody tr td:nth-child(4)')).toHaveText([/^Zanele Mokoena/]);
  await context.close();
});
