import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { ingestEvents } from '../../app/write/ingest.server';
import { openDatabase } from '../../db/client';
import { insertUser } from '../support/users';
import { E2E_DB, expect, test } from './fixtures';
import { SCREENS, signInByPost } from './helpers';

const MINUTE = 60_000;

/** Three requests sent on 2024-02-28/29 (New York), one the day after: the journey's own data. */
async function seedRequests(): Promise<void> {
  const db = openDatabase(E2E_DB);
  try {
    const events = [
      '2024-02-28T15:00:00Z',
      '2024-02-29T16:30:00Z',
      '2024-02-29T23:59:00Z',
      '2024-03-01T06:00:00Z',
    ].flatMap((sentAt, index) => {
      const id = `pr_report_${index}`;
      const sent = Date.parse(sentAt);
      return [
        {
          id: `evt_${id}_created`,
          type: 'payment_request.created',
          occurredAt: new Date(sent - MINUTE).toISOString(),
          paymentRequest: {
            id,
            agent: { id: 'ag_reports', name: 'Rhea Reports', team: { id: 'tm_reports', name: 'Reports team' } },
            amount: 1250 + index,
            currency: 'USD',
            orderNumber: `SO-R${index}`,
            reason: 'Annual plan',
            channel: 'whatsapp',
            customer: { phone: '+15550001234', name: 'Cleo' },
          },
          data: {},
        },
        { id: `evt_${id}_sent`, type: 'payment_request.sent', occurredAt: sentAt, paymentRequest: { id }, data: {} },
      ];
    });
    const summary = await ingestEvents(db, events, 'api', {
      settings: { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE },
    });
    expect(summary.rejected).toBe(0);
  } finally {
    db.$client.close();
  }
}

function createManager(): string {
  const db = openDatabase(E2E_DB);
  try {
    return insertUser(db, { role: 'manager', name: 'Mina Manager' }).email;
  } finally {
    db.$client.close();
  }
}

async function signIn(page: Page, email: string) {
  await signInByPost(page, email, { redirectTo: '/reports' });
  await expect(page.getByRole('heading', { level: 1, name: 'Reports' })).toBeVisible();
}

test('a manager sets a range, sees the count and downloads the CSV', async ({ page }) => {
  await seedRequests();
  await signIn(page, createManager());

  await page.getByLabel('From', { exact: true }).fill('2024-02-28');
  await page.getByLabel('To', { exact: true }).fill('2024-02-29');
  await page.getByLabel('Time zone', { exact: true }).first().fill('America/New_York');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/from=2024-02-28&to=2024-02-29&tz=America%2FNew_York/);
  await expect(page.getByTestId('count-payment-requests')).toHaveText('3 requests');
  await expect(page.getByTestId('count-agents')).toHaveText('1 agent');

  await page.evaluate(() => window.scrollTo(0, 0));
  if (SCREENS) await page.screenshot({ path: 'tmp/e2e/reports.png', fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download Payment requests CSV', exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('payment-requests_2024-02-28_2024-02-29_America-New_York.csv');
  const text = readFileSync((await download.path())!, 'utf8');
  const lines = text.split('\r\n');
  expect(lines[0]).toBe(
    'request_id,order_number,agent_id,agent_name,team_id,team_name,channel,currency,amount,status,created_at,sent_at,opened_at,closed_at,seconds_to_pay,reason,customer_phone',
  );
  expect(lines.slice(1, -1).map((line) => line.split(',')[0])).toEqual(['pr_report_0', 'pr_report_1', 'pr_report_2']);
  expect(lines[2]).toContain(',2024-02-29T11:30:00.000-05:00,');

  // A channel picked in the filters narrows the counts: the seeded links all went by WhatsApp.
  // Here the pickers open in place; the summary follows the tick, and a click outside folds the list.
  const channelButton = page.locator('summary', { hasText: 'Channel' });
  await channelButton.click();
  const channels = page.getByRole('group', { name: 'Channel' });
  await channels.getByRole('checkbox', { name: 'SMS' }).check();
  await expect(channelButton).toHaveText('Channel SMS');
  await page.getByRole('heading', { level: 1, name: 'Reports' }).click();
  await expect(channels).toBeHidden();
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/tz=America%2FNew_York&channel=sms&/);
  await expect(page.getByTestId('count-payment-requests')).toHaveText('0 requests');
  await expect(page.locator('summary', { hasText: 'Channel' })).toHaveText('Channel SMS');
});

test('a manager deletes kept files, with JavaScript and without', async ({ page, browser }) => {
  const email = createManager();
  await signIn(page, email);
  // Two schedules, each run once: an agents file and a payment-requests file.
  const form = page.getByRole('form', { name: 'Schedule a report' });
  for (const [name, report] of [
    ['Agents for keeping', 'Agents'],
    ['Requests for keeping', 'Payment requests'],
  ]) {
    await form.getByLabel('Name', { exact: true }).fill(name!);
    await form.getByLabel('Report').selectOption({ label: report! });
    await form.getByRole('button', { name: 'Schedule report' }).click();
    await expect(page.getByRole('status')).toHaveText(`Scheduled “${name}”.`);
    await page.locator('.schedule-item', { hasText: name }).getByRole('button', { name: 'Run now' }).click();
    await expect(page.getByRole('status')).toContainText('Made ');
  }
  const kept = page.getByRole('region', { name: 'Kept files' });
  const agentsFile = kept.getByRole('link', { name: /^agents_.*\.csv$/ });
  const requestsFile = kept.getByRole('link', { name: /^payment-requests_.*\.csv$/ });
  await expect(kept.getByRole('link')).toHaveCount(2);
  const agentsName = (await agentsFile.textContent())!;
  const agentsHref = (await agentsFile.getAttribute('href'))!;
  expect((await page.request.get(agentsHref)).status()).toBe(200);
  // With their Delete buttons the files still fit a phone's width.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  if (SCREENS) await kept.screenshot({ path: 'tmp/e2e/reports-kept-files-390.png' });
  await page.setViewportSize({ width: 1280, height: 720 });
  if (SCREENS) await kept.screenshot({ path: 'tmp/e2e/reports-kept-files-1280.png' });

  // Named after its file (Chromium reads the hidden ": name" after "Delete" as a separate word).
  const deleteAgents = kept.getByRole('button', { name: agentsName });
  await expect(deleteAgents).toHaveAccessibleName(new RegExp(`^Delete ?: ${agentsName.replaceAll('.', '\\.')}$`));
  await deleteAgents.click();
  await expect(kept.getByRole('status')).toHaveText(`Deleted ${agentsName}.`);
  await expect(agentsFile).toHaveCount(0);
  await expect(requestsFile).toHaveCount(1);
  expect((await page.request.get(agentsHref)).status()).toBe(404);

  // Without JavaScript, the same button posts the form and the page comes back without the file.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const noJs = await context.newPage();
  await signIn(noJs, email);
  const keptNoJs = noJs.getByRole('region', { name: 'Kept files' });
  const requestsName = (await keptNoJs.getByRole('link', { name: /^payment-requests_/ }).textContent())!;
  await keptNoJs.getByRole('button', { name: requestsName }).click();
  await expect(keptNoJs.getByRole('status')).toHaveText(`Deleted ${requestsName}.`);
  await expect(keptNoJs.getByRole('link')).toHaveCount(0);
  await expect(keptNoJs).toContainText('Files from scheduled runs appear here.');
  await context.close();
});
