import { HISTOGRAM_COLUMNS, VALUE_COLUMNS } from '../../../db/metrics-rollups';
import { PACKED_COLUMNS, unpackCounts } from '../../../db/packed-counts';
import { countColumnName, metricsFromSums } from '../../domain/metric-table';
import type { Metrics } from '../../domain/metrics';

/** Totals read from the rollups, added and subtracted piece by piece (pure: no I/O). */

/** Sums of VALUE_COLUMNS, plus the amounts collected per currency (exact: they outgrow 2^53). */
export interface Totals {
  values: number[];
  collected: Map<string, bigint>;
}

export type GroupKey = string | number;

export function emptyTotals(): Totals {
  return { values: new Array(VALUE_COLUMNS.length).fill(0), collected: new Map() };
}

export function addInto(target: Totals, values: readonly number[], sign: number): void {
  for (let i = 0; i < values.length; i++) target.values[i]! += sign * (values[i] ?? 0);
}

export function addCollected(target: Totals, currency: string, amount: bigint, sign: number): void {
  target.collected.set(currency, (target.collected.get(currency) ?? 0n) + BigInt(sign) * amount);
}

export const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(VALUE_COLUMNS.map((column, i) => [column, i]));
/** Each packed count's place in Totals.values (db/packed-counts.ts). */
const PACKED_INDEX: readonly number[] = PACKED_COLUMNS.map((name) => COLUMN_INDEX.get(name)!);

/** Adds the packed counts of an SQLite rollup read (counts_sum) into the totals. */
export function addPackedInto(target: Totals, packed: string): void {
  const counts = unpackCounts(packed);
  for (let i = 0; i < counts.length; i++) target.values[PACKED_INDEX[i]!]! += counts[i]!;
}
export const HISTOGRAM_START = COLUMN_INDEX.get(HISTOGRAM_COLUMNS[0]!)!;
const SENT_INDEX = COLUMN_INDEX.get(countColumnName('sent'))!;

/** The number of requests in S the totals count. */
export function sentOf(totals: Totals): number {
  return totals.values[SENT_INDEX]!;
}

/** A count metric of the totals: its own rollup column, no time to pay read. */
export function countOf(totals: Totals, metric: keyof Metrics): number {
  return column(totals, countColumnName(metric));
}

function column(totals: Totals, name: string): number {
  const index = COLUMN_INDEX.get(name);
  if (index === undefined) throw new Error(`No rollup column ${name}`);
  return totals.values[index]!;
}

/** The metrics of the totals, by the metric table; a time to pay is found from its rank in the histogram. */
export function totalsToMetrics(
  totals: Totals,
  secondsToPayAtRank: (histogram: readonly number[], rank: number) => number,
): Metrics {
  return metricsFromSums({
    column: (name) => column(totals, name),
    collected: totals.collected,
    secondsToPayAtRank: (rank) =>
      secondsToPayAtRank(totals.values.slice(HISTOGRAM_START, HISTOGRAM_START + HISTOGRAM_COLUMNS.length), rank),
  });
}

export function mergeTotals(target: Totals, part: Totals, sign: number): void {
  addInto(target, part.values, sign);
  for (const [currency, amount] of part.collected) addCollected(target, currency, amount, sign);
}

export function mergeInto(target: Map<GroupKey, Totals>, part: Map<GroupKey, Totals>, sign: number): void {
  for (const [key, totals] of part) {
    let existing = target.get(key);
    if (!existing) {
      existing = emptyTotals();
      target.set(key, existing);
    }
    mergeTotals(existing, totals, sign);
  }
}
