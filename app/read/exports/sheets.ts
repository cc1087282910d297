import type ExcelJS from 'exceljs';
import type { Viewer } from '../../domain/access';
import { METRICS } from '../../domain/metric-table';
import type { Metrics } from '../../domain/metrics';
import { currencyExponent } from '../../domain/money';
import { isoFormatter } from '../../lib/zoned-time';
import type { Filters } from '../filters';
import { spreadsheetMoney } from './cells';

/**
 * The sheets of an XLSX export, without I/O: the server's thread and the XLSX export worker
 * (payment-requests-xlsx.worker.ts) write them alike.
 */

export type XlsxWorkbook = ExcelJS.stream.xlsx.WorkbookWriter;

export const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss';
const RATE_FORMAT = '0.00%';

/** Excel's number format for amounts in major units, with the currency's own decimals. */
export function moneyFormat(currency: string): string {
  const exponent = currencyExponent(currency);
  return exponent === 0 ? '#,##0' : `#,##0.${'0'.repeat(exponent)}`;
}

export interface SheetColumn {
  header: string;
  width: number;
  numFmt?: string;
}

/** A data sheet: bold frozen header row, column widths and formats, an auto-filter on the header. */
export function addDataSheet(workbook: XlsxWorkbook, name: string, columns: readonly SheetColumn[]): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({
    key: column.header,
    width: column.width,
    style: column.numFmt ? { numFmt: column.numFmt } : {},
  }));
  const header = sheet.addRow(columns.map((column) => column.header));
  header.font = { bold: true };
  header.commit();
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return sheet;
}

/** What the summary sheet says: the export's filters, the caller's scope, when, and the KPIs. */
export interface SummaryInput {
  filters: Filters;
  scope: Viewer['scope'];
  now: number;
  metrics: Metrics;
}

function describeFilters(filters: Filters): string {
  const parts = (['team', 'agent', 'channel', 'currency', 'status'] as const)
    .filter((key) => filters[key].length > 0)
    .map((key) => `${key}: ${filters[key].join(', ')}`);
  if (filters.q) parts.push(`search: ${filters.q}`);
  return parts.length > 0 ? parts.join('; ') : 'none';
}

function describeScope(scope: Viewer['scope']): string {
  if (scope.kind === 'all') return 'all teams';
  if (scope.kind === 'teams') return `teams ${scope.teamIds.join(', ')}`;
  return `agent ${scope.agentId ?? '-'}`;
}

type SummaryValue = string | number | Date | null;

/**
 * When the file was made, as text with its real offset and zone: '2026-11-25 07:00:00 -05:00
 * (America/New_York)'. An Excel date cell has no zone, and readers show a wall-clock one as UTC ('Z').
 */
export function generatedAt(now: number, timeZone: string): string {
  const iso = isoFormatter(timeZone)(now);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} ${iso.slice(23)} (${timeZone})`;
}

function metricRows(metrics: Metrics): [string, SummaryValue, string?][] {
  return METRICS.flatMap((metric): [string, SummaryValue, string?][] => {
    if (metric.formula.kind === 'collected')
      return Object.entries(metrics.collected).map(([currency, amount]) => [
        `${metric.label} ${currency}`,
        spreadsheetMoney(amount, currency),
        moneyFormat(currency),
      ]);
    const value = metrics[metric.name] as number | null;
    return [metric.formula.kind === 'rate' ? [metric.label, value, RATE_FORMAT] : [metric.label, value]];
  });
}

/** A row of the summary sheet: its values, the second cell's number format, and whether it is bold. */
export interface SummaryRow {
  values: SummaryValue[];
  numFmt?: string;
  bold?: boolean;
}

/** The summary sheet's rows: what the file holds (range, zone, filters, scope) and the KPIs of the range (SPEC §3). */
export function summaryRows(input: SummaryInput, title: string): SummaryRow[] {
  const { filters, now } = input;
  return [
    { values: [`${title} report`], bold: true },
    { values: ['From', filters.from ?? 'start'] },
    { values: ['To', filters.to ?? 'now'] },
    { values: ['Time zone', filters.tz] },
    { values: ['Filters', describeFilters(filters)] },
    { values: ['Scope', describeScope(input.scope)] },
    { values: ['Generated', generatedAt(now, filters.tz)] },
    { values: ['Dates and times', `local time in ${filters.tz}`] },
    { values: [] },
    { values: ['Metric', 'Value'], bold: true },
    ...metricRows(input.metrics).map(([label, value, numFmt]) => ({ values: [label, value], numFmt })),
  ];
}

/** The summary sheet's column widths. */
export const SUMMARY_WIDTHS = [26, 44];

/**
 * The first sheet (summaryRows) with exceljs. Committed before the data sheet starts: the
 * streaming writer zips sheets in order, and rows of a later sheet would wait in memory behind an
 * open one.
 */
export function writeSummarySheet(workbook: XlsxWorkbook, input: SummaryInput, title: string): void {
  const sheet = workbook.addWorksheet('Summary');
  sheet.columns = SUMMARY_WIDTHS.map((width) => ({ width }));
  for (const { values, numFmt, bold } of summaryRows(input, title)) {
    const row = sheet.addRow(values);
    if (numFmt) row.getCell(2).numFmt = numFmt;
    if (bold) row.font = { bold: true };
    row.commit();
  }
  sheet.commit();
}
