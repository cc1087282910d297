import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { emptyCounts, toMetrics } from '../../app/domain/metrics';
import { writePaymentRequestsXlsx } from '../../app/read/exports/payment-requests-xlsx';
import type { ExportRequestRow } from '../../app/read/exports/rows.server';
import { moneyCell } from '../../app/read/exports/sheets';
import { parseFilters } from '../../app/read/filters';

/**
 * Excel keeps 15 significant digits of a number: an amount of 16 digits in minor units (a JPY
 * 1,234,567,890,123,456, or 12,345,678,901,234.56 USD) written as a number reads back with its last
 * digit rounded away. Such amounts are written as their exact text.
 */
describe('amounts in XLSX cells', () => {
  it('are numbers up to 15 digits of minor units, their exact text beyond', () => {
    expect(moneyCell(36121, 'USD')).toBe(361.21);
    expect(moneyCell(999_999_999_999_999, 'JPY')).toBe(999_999_999_999_999);
    expect(moneyCell(1_234_567_890_123_456, 'JPY')).toBe('1234567890123456');
    expect(moneyCell(1_234_567_890_123_456, 'USD')).toBe('12345678901234.56');
    expect(moneyCell(-1_234_567_890_123_456, 'KWD')).toBe('-1234567890123.456');
    expect(moneyCell('12000000000000000', 'USD')).toBe('120000000000000.00');
  });

  it('reach the payment-requests sheet exactly', async () => {
    const row = (id: string, currency: string, amount: number): ExportRequestRow => [
      id,
      'SO-1',
      'ag_1',
      'tm_1',
      'sms',
      currency,
      amount,
      'sent',
      Date.UTC(2026, 10, 1),
      Date.UTC(2026, 10, 1),
      null,
      null,
      null,
      'Dress',
      '+27821234567',
    ];
    const chunks: Uint8Array[] = [];
    await writePaymentRequestsXlsx(
      (chunk) => {
        chunks.push(chunk);
      },
      [row('pr_small', 'USD', 36121), row('pr_big', 'JPY', 1_234_567_890_123_456), row('pr_max', 'USD', 2 ** 53 - 1)],
      { agents: new Map([['ag_1', 'Thandi']]), teams: new Map([['tm_1', 'Retail']]) },
      {
        filters: parseFilters(new URLSearchParams('from=2026-11-01&to=2026-11-30'), 'UTC'),
        scope: { kind: 'all' },
        now: Date.UTC(2026, 10, 25),
        metrics: toMetrics(emptyCounts()),
      },
      { rows: 0 },
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Payment requests')!;
    expect([2, 3, 4].map((at) => sheet.getRow(at).getCell(9).value)).toEqual([
      361.21,
      '1234567890123456',
      '90071992547409.91',
    ]);
  });
});
