import { IN_FLIGHT_STATUSES, type Status } from './lifecycle';
import { type Metrics, nearestRank, rate } from './metrics';
import { toMinorAmount } from './money';

/**
 * The metrics of SPEC §3, each defined once: its name, label, formula, the rollup columns it reads
 * and its column in agents.csv/.xlsx. The rollup tables and their triggers (db/metrics-rollups.ts),
 * the readers (app/read/metrics/) and the exports (app/read/exports/) are all made from this table.
 * app/domain/metrics.ts keeps the same formulas written out by hand, as the oracle tests compare with.
 */

/** Which requests a count counts; every condition given must hold. */
export interface RequestRule {
  statuses?: readonly Status[];
  /** Whether the request has an applied `opened` event. */
  opened?: boolean;
  /** Whether the request has at least one `send_failed` event. */
  sendFailed?: true;
}

/**
 * Which instant places a request in a time range: sentAt for the requests S of the range, createdAt
 * for sendFailures (SPEC §3).
 */
export type RangeInstant = 'sentAt' | 'createdAt';

export type Formula =
  /** The number of requests matching `where`, placed in the range by `by` (default sentAt). */
  | { kind: 'count'; where: RequestRule; by?: RangeInstant }
  /** Another count metric divided by `sent`; null when nothing was sent. */
  | { kind: 'rate'; of: keyof Metrics }
  /** Nearest-rank percentile p of paidAt − sentAt over paid requests in S, in seconds. */
  | { kind: 'secondsToPay'; p: number }
  /** Sum of `amount` of paid requests in S, per currency, never added across currencies. */
  | { kind: 'collected' };

/** A metric's column in agents.csv and agents.xlsx (for collected, the prefix of collected_<CUR>). */
export interface ExportColumn {
  name: string;
  /** Width in the XLSX sheet, in characters. */
  width: number;
}

export interface MetricDefinition {
  name: keyof Metrics;
  label: string;
  formula: Formula;
  exportColumn: ExportColumn | null;
}

export const PAID: RequestRule = { statuses: ['paid'] };

/** In the order of the XLSX summary sheet; those with an export column in the order of agents.csv. */
const DEFINITIONS = [
  { name: 'sent', label: 'Sent', formula: { kind: 'count', where: {} }, exportColumn: { name: 'sent', width: 9 } },
  {
    name: 'opened',
    label: 'Opened',
    formula: { kind: 'count', where: { opened: true } },
    exportColumn: { name: 'opened', width: 9 },
  },
  { name: 'paid', label: 'Paid', formula: { kind: 'count', where: PAID }, exportColumn: { name: 'paid', width: 9 } },
  {
    name: 'declined',
    label: 'Declined',
    formula: { kind: 'count', where: { statuses: ['declined'] } },
    exportColumn: { name: 'declined', width: 10 },
  },
  {
    name: 'expired',
    label: 'Expired',
    formula: { kind: 'count', where: { statuses: ['expired'] } },
    exportColumn: { name: 'expired', width: 9 },
  },
  {
    name: 'expiredUnopened',
    label: 'Expired unopened',
    formula: { kind: 'count', where: { statuses: ['expired'], opened: false } },
    exportColumn: null,
  },
  {
    name: 'expiredAfterOpen',
    label: 'Expired after open',
    formula: { kind: 'count', where: { statuses: ['expired'], opened: true } },
    exportColumn: null,
  },
  {
    name: 'canceled',
    label: 'Canceled',
    formula: { kind: 'count', where: { statuses: ['canceled'] } },
    exportColumn: { name: 'canceled', width: 10 },
  },
  {
    name: 'inFlight',
    label: 'In flight',
    formula: { kind: 'count', where: { statuses: IN_FLIGHT_STATUSES } },
    exportColumn: { name: 'in_flight', width: 10 },
  },
  {
    name: 'openRate',
    label: 'Open rate',
    formula: { kind: 'rate', of: 'opened' },
    exportColumn: { name: 'open_rate', width: 11 },
  },
  {
    name: 'conversionRate',
    label: 'Conversion rate',
    formula: { kind: 'rate', of: 'paid' },
    exportColumn: { name: 'conversion_rate', width: 16 },
  },
  {
    name: 'declineRate',
    label: 'Decline rate',
    formula: { kind: 'rate', of: 'declined' },
    exportColumn: { name: 'decline_rate', width: 13 },
  },
  {
    name: 'expiryRate',
    label: 'Expiry rate',
    formula: { kind: 'rate', of: 'expired' },
    exportColumn: { name: 'expiry_rate', width: 12 },
  },
  {
    name: 'cancelRate',
    label: 'Cancel rate',
    formula: { kind: 'rate', of: 'canceled' },
    exportColumn: { name: 'cancel_rate', width: 12 },
  },
  {
    name: 'medianSecondsToPay',
    label: 'Median seconds to pay',
    formula: { kind: 'secondsToPay', p: 0.5 },
    exportColumn: { name: 'median_seconds_to_pay', width: 22 },
  },
  {
    name: 'p90SecondsToPay',
    label: 'P90 seconds to pay',
    formula: { kind: 'secondsToPay', p: 0.9 },
    exportColumn: null,
  },
  {
    name: 'collected',
    label: 'Collected',
    formula: { kind: 'collected' },
    exportColumn: { name: 'collected_', width: 16 },
  },
  {
    name: 'sendFailures',
    label: 'Send failures',
    formula: { kind: 'count', where: { sendFailed: true }, by: 'createdAt' },
    exportColumn: null,
  },
] as const satisfies readonly MetricDefinition[];

export const METRICS: readonly MetricDefinition[] = DEFINITIONS;

/** Upper edges (exclusive) of the time-to-pay histogram bins, in ms; the last bin is open. */
export const PAY_BIN_EDGES_MS: readonly number[] = [
  5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 135, 150, 165, 180, 210, 240, 270, 300, 360, 420, 480,
  600, 900, 1200, 1800, 3600,
].map((seconds) => seconds * 1000);
export const PAY_BINS = PAY_BIN_EDGES_MS.length + 1;

/**
 * A value the rollups sum per cell: what each request matching `where` (placed in time by `by`)
 * adds, 1 or its amount; `payBin` keeps only paid requests whose time to pay falls in that bin.
 */
export interface RollupColumn {
  name: string;
  by: RangeInstant;
  where: RequestRule;
  adds: 'one' | 'amount';
  payBin?: number;
}

export const HISTOGRAM_COLUMNS: readonly RollupColumn[] = Array.from({ length: PAY_BINS }, (_, bin) => ({
  name: `h${bin}`,
  by: 'sentAt',
  where: PAID,
  adds: 'one',
  payBin: bin,
}));

export const PAID_AMOUNT_COLUMN: RollupColumn = { name: 'paid_amount', by: 'sentAt', where: PAID, adds: 'amount' };

/** The rollup column of a count metric: its name in snake case (inFlight → in_flight). */
export function countColumnName(metric: keyof Metrics): string {
  return metric.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The rollup columns a metric reads. */
export function rollupColumnsOf(metric: MetricDefinition): RollupColumn[] {
  const { formula } = metric;
  switch (formula.kind) {
    case 'count':
      return [
        {
          name: countColumnName(metric.name),
          by: formula.by ?? 'sentAt',
          where: formula.where,
          adds: 'one',
        },
      ];
    case 'rate':
      return [...rollupColumnsOf(metricNamed(formula.of)), ...rollupColumnsOf(metricNamed('sent'))];
    case 'secondsToPay':
      return [...HISTOGRAM_COLUMNS];
    case 'collected':
      return [PAID_AMOUNT_COLUMN];
  }
}

export function metricNamed(name: keyof Metrics): MetricDefinition {
  const metric = METRICS.find((candidate) => candidate.name === name);
  if (!metric) throw new Error(`No metric ${name}`);
  return metric;
}

/** Every column the rollups keep, each once, in table order (the histogram bins ascending). */
export const ROLLUP_COLUMNS: readonly RollupColumn[] = (() => {
  const byName = new Map<string, RollupColumn>();
  for (const metric of METRICS) for (const column of rollupColumnsOf(metric)) byName.set(column.name, column);
  return [...byName.values()];
})();

/** What the readers hand over: the sums of the rollup columns over a set of requests. */
export interface RollupSums {
  column(name: string): number;
  /** Amounts of paid requests per currency (the paid_amount column split by the currency key), exact. */
  collected: ReadonlyMap<string, bigint>;
  /** The time to pay in seconds of the paid request at this 1-based rank (fastest first). */
  secondsToPayAtRank(rank: number): number;
}

/** The number of paid requests in S the histogram holds. */
export function paidInHistogram(sums: Pick<RollupSums, 'column'>): number {
  return HISTOGRAM_COLUMNS.reduce((total, column) => total + sums.column(column.name), 0);
}

function evaluate(metric: MetricDefinition, sums: RollupSums): Metrics[keyof Metrics] {
  const { formula } = metric;
  switch (formula.kind) {
    case 'count':
      return sums.column(countColumnName(metric.name));
    case 'rate':
      return rate(evaluate(metricNamed(formula.of), sums) as number, sums.column(countColumnName('sent')));
    case 'secondsToPay': {
      const paid = paidInHistogram(sums);
      return paid === 0 ? null : sums.secondsToPayAtRank(nearestRank(formula.p, paid));
    }
    case 'collected':
      return Object.fromEntries(
        [...sums.collected]
          .filter(([, amount]) => amount !== 0n)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([currency, amount]) => [currency, toMinorAmount(amount)]),
      );
  }
}

/** The metrics record of SPEC §3 from rollup sums, every field by its definition above. */
export function metricsFromSums(sums: RollupSums): Metrics {
  return Object.fromEntries(METRICS.map((metric) => [metric.name, evaluate(metric, sums)])) as unknown as Metrics;
}
