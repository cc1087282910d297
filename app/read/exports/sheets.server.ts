import { getMetricsSummary } from './metrics.server';
import type { SummaryInput } from './sheets';
import type { ExportContext } from './streams.server';

export { addDataSheet, DATE_TIME_FORMAT, moneyFormat, type SheetColumn, writeSummarySheet } from './sheets';

/** The summary sheet's input for an export: its filters, the caller's scope, and the metrics engine's KPIs. */
export async function summaryInput(context: ExportContext): Promise<SummaryInput> {
  return {
    filters: context.filters,
    scope: context.viewer.scope,
    now: context.now,
    metrics: await getMetricsSummary(context.db, context.filters, context.viewer),
  };
}
