import type ExcelJS from 'exceljs';
import { METRICS } from '../../domain/metric-table';
import type { Metrics } from '../../domain/metrics';
import { currencyExponent } from '../../domain/money';
import { wallClockConverter } from '../../lib/zoned-time';
import { getMetricsSummary } from './metrics.server';
import type { ExportContext, XlsxWorkbook } from './streams.server';

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

function describeFilters(context: ExportContext): string {
  const { filters } = context;
  const parts = (['team', 'agent', 'channel', 'currency', 'status'] as const)
    .filter((key) => filters[key].length > 0)
    .map((key) => `${key}: ${filters[key].join(', ')}`);
  if (filters.q) parts.push(`search: ${filters.q}`);
  return parts.length > 0 ? parts.join('; ') : 'none';
}

function describeScope(context: ExportContext): string {
  const { scope } = context.viewer;
  if (scope.kind === 'all') return 'all teams';
  if (scope.kind === 'teams') return `teams ${scope.teamIds.join(', ')}`;
  return `agent ${scope.agentId ?? '-'}`;
}

type SummaryValue = string | number | Date | null;

/** One row per metric of the table, by its label; collected gives one row per currency. */
function metricRows(metrics: Metrics): [string, SummaryValue, string?][] {
  return METRICS.flatMap((metric): [string, SummaryValue, string?][] => {
    if (metric.formula.kind === 'collected')
      return Object.entries(metrics.collected).map(([currency, amount]) => [
        `${metric.label} ${currency}`,
        amount / 10 ** currencyExponent(currency),
        moneyFormat(currency),
      ]);
    const value = metrics[metric.name] as number | null;
    return [metric.formula.kind === 'rate' ? [metric.label, value, RATE_FORMAT] : [metric.label, value]];
  });
}

/**
 * The first sheet: what the file holds (range, zone, filters, scope) and the KPIs of the range,
 * from the metrics engine (SPEC §3). Committed before the data sheet starts: the streaming writer
 * zips sheets in order, and rows of a later sheet would wait in memory behind an open one.
 */
export function writeSummarySheet(workbook: XlsxWorkbook, context: ExportContext, title: string): void {
  const { filters, now } = context;
  const metrics = getMetricsSummary(context.db, filters, context.viewer);
  const sheet = workbook.addWorksheet('Summary');
  sheet.columns = [{ width: 26 }, { width: 44 }];
  const add = (values: SummaryValue[], numFmt?: string, bold = false) => {
    const row = sheet.addRow(values);
    if (numFmt) row.getCell(2).numFmt = numFmt;
    if (bold) row.font = { bold: true };
    row.commit();
  };
  add([`${title} report`], undefined, true);
  add(['From', filters.from ?? 'start']);
  add(['To', filters.to ?? 'now']);
  add(['Time zone', filters.tz]);
  add(['Filters', describeFilters(context)]);
  add(['Scope', describeScope(context)]);
  add(['Generated', wallClockConverter(filters.tz)(now)], DATE_TIME_FORMAT);
  add([]);
  add(['Metric', 'Value'], undefined, true);
  for (const [label, value, numFmt] of metricRows(metrics)) add([label, value], numFmt);
  sheet.commit();
}
