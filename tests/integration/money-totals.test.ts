import type ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { MINUTE, paidLifecycle, recentWindow } from '../support/events';
import { postEvents, startServer, type TestServer } from '../support/server';
import { addUserAt, signInOverHttp } from '../support/users';
import { summaryValue, workbookOf } from '../support/workbook';

/**
 * Sums of amounts beyond 2^53 (issue 11, finding 13): one request's amount is at most 2^53 - 1 (the
 * event schema), but three of 4,000,000,000,000,000 minor units sum to 12,000,000,000,000,000, which a
 * double cannot hold next to its neighbours (12000000000000001 reads back as ...000). SQLite sums
 * int64 exactly; the API carries such a sum as a decimal string, the exports and the page exactly.
 */
const AMOUNT = 4_000_000_000_000_000;
const TOTAL = '12000000000000000';
// The requests are sent 42 to 12 minutes before now, inside one UTC day (support/events.ts).
const { iso, range: RANGE, sentToday } = recentWindow();

let server: TestServer;
let token = '';
let cookie = '';

function paidRequest(requestId: string, agentId: string, amount: number, currency: string, offset: number) {
  const agent = { id: agentId, name: `Agent ${agentId}`, team: { id: 'tm_big', name: 'Big' } };
  return paidLifecycle(iso, requestId, { agent, amount, currency }, offset);
}

async function get(path: string) {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return response;
}

async function workbookAt(path: string) {
  return workbookOf(await get(path));
}

beforeAll(async () => {
  server = await startServer();
  const events = [
    ...paidRequest('pr_big_1', 'ag_big', AMOUNT, 'USD', -40 * MINUTE),
    ...paidRequest('pr_big_2', 'ag_big', AMOUNT, 'USD', -30 * MINUTE),
    ...paidRequest('pr_big_3', 'ag_big', AMOUNT, 'USD', -20 * MINUTE),
    // A small sum stays a JSON number (SPEC §3's { "USD": 36121 }).
    ...paidRequest('pr_small', 'ag_small', 36121, 'EUR', -10 * MINUTE),
  ];
  const response = await postEvents(server, JSON.stringify(events));
  expect((await response.json()).accepted).toBe(12);
  const db = openDatabaseUrl(server.dbFile);
  token = (await createServiceToken(db, { role: 'manager', name: 'money' })).token;
  await closeDatabase(db);
  const { email } = await addUserAt(server.dbFile, { role: 'manager' });
  cookie = (await signInOverHttp(server.url, email)).cookie;
}, 120_000);
afterAll(() => server.stop());

describe('money totals above 2^53', () => {
  it('the API answers the exact sum as a decimal string, smaller sums as numbers', async () => {
    for (const query of [RANGE, '']) {
      const text = await (await get(`/api/v1/metrics/summary?${query}`)).text();
      expect(text).toContain(`"collected":{"EUR":36121,"USD":"${TOTAL}"}`);
      expect(JSON.parse(text).collected).toEqual({ EUR: 36121, USD: TOTAL });
    }
    const agents = (await (await get(`/api/v1/metrics/agents?${RANGE}`)).json()) as {
      rows: { agentId: string; collected: Record<string, number | string> }[];
    };
    expect(agents.rows.map((row) => [row.agentId, row.collected])).toEqual([
      ['ag_big', { USD: TOTAL }],
      ['ag_small', { EUR: 36121 }],
    ]);
    const series = (await (await get(`/api/v1/metrics/timeseries?interval=day&${RANGE}`)).json()) as {
      buckets: { start: string; collected: Record<string, number | string> }[];
    };
    expect(series.buckets.map((bucket) => bucket.collected)).toEqual(
      sentToday ? [{}, { EUR: 36121, USD: TOTAL }] : [{ EUR: 36121, USD: TOTAL }, {}],
    );
  });

  it('agents.csv and both XLSX files hold the exact total in major units', async () => {
    const csv = await (await get(`/exports/agents.csv?${RANGE}`)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]!.endsWith(',collected_EUR,collected_USD')).toBe(true);
    expect(lines.slice(1).map((line) => [line.split(',')[0], line.split(',').slice(-2)])).toEqual([
      ['ag_big', ['0.00', '120000000000000.00']],
      ['ag_small', ['361.21', '0.00']],
    ]);

    const agents = await workbookAt(`/exports/agents.xlsx?${RANGE}`);
    expect(summaryValue(agents, 'Collected USD')).toBe('120000000000000.00');
    expect(summaryValue(agents, 'Collected EUR')).toBe(361.21);
    const row = agents.getWorksheet('Agents')!.getRow(2).values as ExcelJS.CellValue[];
    expect([row[1], row.at(-1)]).toEqual(['ag_big', '120000000000000.00']);

    const requests = await workbookAt(`/exports/payment-requests.xlsx?${RANGE}`);
    expect(summaryValue(requests, 'Collected USD')).toBe('120000000000000.00');
  });

  it('the dashboard shows the exact total', async () => {
    const response = await fetch(`${server.url}/dashboard?${RANGE}`, { headers: { cookie } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('$120,000,000,000,000.00');
    expect(html).toContain('€361.21');
  });
});
