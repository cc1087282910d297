import { currencyExponent, formatMinorUnits } from '../../domain/money';
import { csvRecord } from '../../lib/csv';
import { rateCell, secondsCell } from './cells';
import { getAgentLeaderboard } from './metrics.server';
import { addDataSheet, moneyFormat, writeSummarySheet } from './sheets.server';
import { type ExportContext, type ExportOutcome, textChunkStream, xlsxStream } from './streams.server';

/** SPEC §4, then collected_<CUR> for each currency present, in code order. */
export const AGENT_COLUMNS = [
  'agent_id',
  'agent_name',
  'team_id',
  'team_name',
  'sent',
  'opened',
  'paid',
  'declined',
  'expired',
  'canceled',
  'in_flight',
  'open_rate',
  'conversion_rate',
  'decline_rate',
  'expiry_rate',
  'cancel_rate',
  'median_seconds_to_pay',
] as const;

const WIDTHS = [14, 24, 14, 18, 9, 9, 9, 10, 9, 10, 10, 11, 16, 13, 12, 12, 22];
const RATE_FORMAT = '0.00%';

type AgentRow = ReturnType<typeof getAgentLeaderboard>[number];

function currenciesOf(rows: readonly AgentRow[]): string[] {
  const codes = new Set<string>();
  for (const row of rows) for (const code of Object.keys(row.collected)) codes.add(code);
  return [...codes].sort();
}

function leaderboard(context: ExportContext) {
  const rows = getAgentLeaderboard(context.db, context.filters, context.viewer);
  return { rows, currencies: currenciesOf(rows) };
}

const RATES = ['openRate', 'conversionRate', 'declineRate', 'expiryRate', 'cancelRate'] as const;
const COUNTS = ['sent', 'opened', 'paid', 'declined', 'expired', 'canceled', 'inFlight'] as const;

function* csvChunks(context: ExportContext): Generator<string, void, undefined> {
  const { rows, currencies } = leaderboard(context);
  const lines = [csvRecord([...AGENT_COLUMNS, ...currencies.map((code) => `collected_${code}`)])];
  for (const row of rows) {
    lines.push(
      csvRecord([
        row.agentId,
        row.agentName,
        row.teamId,
        row.teamName,
        ...COUNTS.map((key) => String(row[key])),
        ...RATES.map((key) => rateCell(row[key])),
        secondsCell(row.medianSecondsToPay),
        ...currencies.map((code) => formatMinorUnits(row.collected[code] ?? 0, code)),
      ]),
    );
  }
  context.tally.rows = rows.length;
  yield lines.join('');
}

/** agents.csv: one row per agent with a request in S, as /api/v1/metrics/agents. */
export function agentsCsv(context: ExportContext, onEnd: (outcome: ExportOutcome) => void) {
  return textChunkStream(csvChunks(context), onEnd);
}

/** agents.xlsx: the summary sheet, then one typed row per agent. */
export function agentsXlsx(context: ExportContext, onEnd: (outcome: ExportOutcome) => void) {
  return xlsxStream(async (workbook) => {
    writeSummarySheet(workbook, context, 'Agents');
    const { rows, currencies } = leaderboard(context);
    const sheet = addDataSheet(workbook, 'Agents', [
      ...AGENT_COLUMNS.map((header, index) => ({
        header,
        width: WIDTHS[index]!,
        numFmt: header.endsWith('_rate') ? RATE_FORMAT : undefined,
      })),
      ...currencies.map((code) => ({ header: `collected_${code}`, width: 16, numFmt: moneyFormat(code) })),
    ]);
    for (const row of rows) {
      sheet
        .addRow([
          row.agentId,
          row.agentName,
          row.teamId,
          row.teamName,
          ...COUNTS.map((key) => row[key]),
          ...RATES.map((key) => row[key]),
          row.medianSecondsToPay,
          ...currencies.map((code) => (row.collected[code] ?? 0) / 10 ** currencyExponent(code)),
        ])
        .commit();
    }
    context.tally.rows = rows.length;
    sheet.commit();
  }, onEnd);
}
