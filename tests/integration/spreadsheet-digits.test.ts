import type ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { MINUTE, paidLifecycle, recentWindow } from '../support/events';
import { postEvents, startServer, type TestServer } from '../support/server';
import { summaryValue, workbookOf } from '../support/workbook';

/**
 * Amounts a spreadsheet cannot show as numbers. Excel and LibreOffice keep 15 significant digits:
 * 4,503,599,627,370,497 cents is a safe integer (one request may carry it) but a 16-digit number,
 * and as a number cell it read '45,035,996,273,704.90'. Such amounts are written as their exact
 * decimal text, as sums beyond 2^53 already were; shorter ones stay numbers, 4e15 (1 digit) too.
 */
const { iso, range: RANGE } = recentWindow();

let server: TestServer;
let token = '';

function paidRequest(requestId: string, amount: number, currency: string, offset: number) {
  const agent = {
    id: `ag_${currency.toLowerCase()}`,
    name: `Agent ${currency}`,
    team: { id: 'tm_digits', name: 'Digits' },
  };
  return paidLifecycle(iso, requestId, { agent, amount, currency }, offset);
}

function workbookAt(path: string) {
  return fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(workbookOf);
}

beforeAll(async () => {
  server = await startServer();
  const events = [
    ...paidRequest('pr_digits_usd', 4_503_599_627_370_497, 'USD', -40 * MINUTE),
    ...paidRequest('pr_digits_kwd', 123_456_789_012_345, 'KWD', -30 * MINUTE),
    ...paidRequest('pr_digits_jpy', 4_000_000_000_000_000, 'JPY', -20 * MINUTE),
  ];
  expect((await (await postEvents(server, JSON.stringify(events))).json()).accepted).toBe(9);
  const db = openDatabaseUrl(server.dbFile);
  token = (await createServiceToken(db, { role: 'manager', name: 'digits' })).token;
  await closeDatabase(db);
}, 120_000);
afterAll(() => server.stop());

describe('XLSX amounts of more than 15 significant digits', () => {
  it('are exact text in payment-requests.xlsx, rows and summary; 15 digits or fewer stay numbers', async () => {
    const workbook = await workbookAt(`/exports/payment-requests.xlsx?${RANGE}`);
    const sheet = workbook.getWorksheet('Payment requests')!;
    const header = sheet.getRow(1).values as ExcelJS.CellValue[];
    const amount = header.indexOf('amount');
    const amounts: [ExcelJS.CellValue, ExcelJS.CellValue][] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) amounts.push([row.getCell(1).value, row.getCell(amount).value]);
    });
    expect(amounts.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['pr_digits_jpy', 4_000_000_000_000_000],
      ['pr_digits_kwd', 123_456_789_012.345],
      ['pr_digits_usd', '45035996273704.97'],
    ]);
    expect(summaryValue(workbook, 'Collected USD')).toBe('45035996273704.97');
    expect(summaryValue(workbook, 'Collected KWD')).toBe(123_456_789_012.345);
    expect(summaryValue(workbook, 'Collected JPY')).toBe(4_000_000_000_000_000);
  });

  it('are exact text in agents.xlsx', async () => {
    const workbook = await workbookAt(`/exports/agents.xlsx?${RANGE}`);
    const sheet = workbook.getWorksheet('Agents')!;
    const header = sheet.getRow(1).values as ExcelJS.CellValue[];
    const usd = header.indexOf('collected_USD');
    const kwd = header.indexOf('collected_KWD');
    const rows: ExcelJS.CellValue[][] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) rows.push([row.getCell(1).value, row.getCell(kwd).value, row.getCell(usd).value]);
    });
    expect(rows).toEqual([
      ['ag_jpy', 0, 0],
      ['ag_kwd', 123_456_789_012.345, 0],
      ['ag_usd', 0, '45035996273704.97'],
    ]);
  });
});
