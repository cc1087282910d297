import { type COUNT_COLUMNS, HISTOGRAM_COLUMNS, VALUE_COLUMNS } from '../../../db/metrics-rollups';
import { emptyCounts, type MetricCounts } from '../../domain/metrics';

/** Totals read from the rollups, added and subtracted piece by piece (pure: no I/O). */

/** Sums of VALUE_COLUMNS, plus the amounts collected per currency. */
export interface Totals {
  values: number[];
  collected: Map<string, number>;
}

export type GroupKey = string | number;

export function emptyTotals(): Totals {
  return { values: new Array(VALUE_COLUMNS.length).fill(0), collected: new Map() };
}

export function addInto(target: Totals, values: readonly number[], sign: number): void {
  for (let i = 0; i < values.length; i++) target.values[i]! += sign * (values[i] ?? 0);
}

export function addCollected(target: Totals, currency: string, amount: number, sign: number): void {
  target.collected.set(currency, (target.collected.get(currency) ?? 0) + sign * amount);
}

export const COUNT_INDEX = Object.fromEntries(VALUE_COLUMNS.map((column, i) => [column, i])) as Record<string, number>;
export const HISTOGRAM_START = COUNT_INDEX[HISTOGRAM_COLUMNS[0]!]!;

export function totalsToCounts(totals: Totals): MetricCounts {
  const v = (column: (typeof COUNT_COLUMNS)[number]) => totals.values[COUNT_INDEX[column]!]!;
  return {
    ...emptyCounts(),
    sent: v('sent'),
    opened: v('opened'),
    paid: v('paid'),
    declined: v('declined'),
    expired: v('expired'),
    expiredOpened: v('expired_opened'),
    canceled: v('canceled'),
    inFlight: v('in_flight'),
    sendFailures: v('send_failures'),
    collected: Object.fromEntries(totals.collected),
  };
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
