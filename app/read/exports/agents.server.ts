import { type ExportColumn, METRICS, type MetricDefinition } from '../../domain/metric-table';
import { formatMinorUnits } from '../../domain/money';
import { csvRecord } from '../../lib/csv';
import { rateCell, secondsCell, spreadsheetMoney } from './cells';
import { getAgentLeaderboard } from './metrics.server';
import { addDataSheet, moneyFormat, summaryInput, writeSummarySheet } from './sheets.server';
import { type ExportContext, type OnExportEnd, textChunkStream, xlsxStream } from './streams.server';

/** SPEC §4: who, then the metrics with an export column, in the metric table's order. */
const IDENTITY_COLUMNS = [
  { name: 'agent_id', width: 14 },
  { name: 'agent_name', width: 24 },
  { name: 'team_id', width: 14 },
  { name: 'team_name', width: 18 },
] as const;

const EXPORTED = METRICS.filter(
  (metric): metric is MetricDefinition & { exportColumn: ExportColumn } => metric.exportColumn !== null,
);

/** The metrics before collected_<CUR> (SPEC §4: those columns come last, one per currency present). */
const SCALARS = EXPORTED.filter((metric) => metric.formula.kind !== 'collected');
const COLLECTED = EXPORTED.find((metric) => metric.formula.kind === 'collected')!.exportColumn;

export const AGENT_COLUMNS: readonly string[] = [
  ...IDENTITY_COLUMNS.map((column) => column.name),
  ...SCALARS.map((metric) => metric.exportColumn.name),
];

const RATE_FORMAT = '0.00%';

/** A metric's CSV cell: counts as integers, rates with 4 places, seconds as the shortest decimal. */
function csvCell(metric: MetricDefinition, row: AgentRow): string {
  const value = row[metric.name] as number | null;
  switch (metric.formula.kind) {
    case 'rate':
      return rateCell(value);
    case 'secondsToPay':
      return secondsCell(value);
    default:
      return String(value);
  }
}

type AgentRow = Awaited<ReturnType<typeof getAgentLeaderboard>>[number];

function currenciesOf(rows: readonly AgentRow[]): string[] {
  const codes = new Set<string>();
  for (const row of rows) for (const code of Object.keys(row.collected)) codes.add(code);
  return [...codes].sort();
}

async function leaderboard(context: ExportContext) {
  const rows = await getAgentLeaderboard(context.db, context.filters, context.viewer);
  return { rows, currencies: currenciesOf(rows) };
}

async function* csvChunks(context: ExportContext): AsyncGenerator<string, void, undefined> {
  const { rows, currencies } = await leaderboard(context);
  const lines = [csvRecord([...AGENT_COLUMNS, ...currencies.map((code) => `${COLLECTED.name}${code}`)])];
  for (const row of rows) {
    lines.push(
      csvRecord([
        row.agentId,
        row.agentName,
        row.teamId,
        row.teamName,
        ...SCALARS.map((metric) => csvCell(metric, row)),
        ...currencies.map((code) => formatMinorUnits(row.collected[code] ?? 0, code)),
      ]),
    );
  }
  context.tally.rows = rows.length;
  yield lines.join('');
}

/** agents.csv: one row per agent with a request in S, as /api/v1/metrics/agents. */
export function agentsCsv(context: ExportContext, onEnd: OnExportEnd) {
  return textChunkStream(csvChunks(context), onEnd);
}

/** agents.xlsx: the summary sheet, then one typed row per agent. */
export function agentsXlsx(context: ExportContext, onEnd: OnExportEnd) {
  return xlsxStream(async (workbook) => {
    writeSummarySheet(workbook, await summaryInput(context), 'Agents');
    const { rows, currencies } = await leaderboard(context);
    const sheet = addDataSheet(workbook, 'Agents', [
      ...IDENTITY_COLUMNS.map((column) => ({ header: column.name, width: column.width })),
      ...SCALARS.map((metric) => ({
        header: metric.exportColumn.name,
        width: metric.exportColumn.width,
        numFmt: metric.formula.kind === 'rate' ? RATE_FORMAT : undefined,
      })),
      ...currencies.map((code) => ({
        header: `${COLLECTED.name}${code}`,
        width: COLLECTED.width,
        numFmt: moneyFormat(code),
      })),
    ]);
    for (const row of rows) {
      sheet
        .addRow([
          row.agentId,
          row.agentName,
          row.teamId,
          row.teamName,
          ...SCALARS.map((metric) => row[metric.name] as number | null),
          ...currencies.map((code) => spreadsheetMoney(row.collected[code] ?? 0, code)),
        ])
        .commit();
    }
    context.tally.rows = rows.length;
    sheet.commit();
  }, onEnd);
}
