import { benchRequests } from './_database';

/** One line of `npm run bench`'s measurements table. */
export interface BenchRow {
  name: string;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  note?: string;
}

/** How `npm run bench` was asked to run. */
export interface BenchOptions {
  /** About 10,000 requests instead of a million, a few minutes in all: what CI runs. */
  quick: boolean;
  /** Also the figures that need a 10M-request database (BENCH_DB_10M). */
  full: boolean;
  /** `--engine postgres`: SQLite and PostgreSQL side by side (bench/engines.ts). */
  engines: boolean;
}

/** The figures of issue 14's targets table, in its order. */
export const TARGET_IDS = [
  'ingest-1m',
  'ingest-floor',
  'ingest-flat',
  'ingest-late',
  'disk-per-request',
  'xlsx-1m',
  'metrics-10m',
  'dashboard-1m',
] as const;
export type TargetId = (typeof TARGET_IDS)[number];

export type Verdict = 'PASS' | 'FAIL' | 'NOT RUN';

/** A figure measured against its target. */
export interface TargetResult {
  id: TargetId;
  /** What was measured, with its unit ('31,204 events/s'). */
  measured: string;
  verdict: Verdict;
  /** Why NOT RUN, or the conditions worth reading beside the figure. */
  why?: string;
}

/** What one bench module reports. */
export interface BenchResult {
  rows: BenchRow[];
  targets?: TargetResult[];
}

/**
 * A verdict for a measured figure: PASS/FAIL at the target's scale; in --quick mode the figure is
 * printed but the verdict is NOT RUN, since 10,000 requests say nothing about a million (and so at
 * another BENCH_SCALE).
 */
export function verdict(options: BenchOptions, holds: boolean): { verdict: Verdict; why?: string } {
  if (options.quick) return { verdict: 'NOT RUN', why: 'quick mode: measured on ~10k requests, the target is at 1M' };
  if (benchRequests(options) !== 1_000_000) {
    return {
      verdict: 'NOT RUN',
      why: `BENCH_SCALE: measured on ${benchRequests(options).toLocaleString('en')} requests, the target is at 1M`,
    };
  }
  return { verdict: holds ? 'PASS' : 'FAIL' };
}

/** 0.29 * 100 is 28.999999999999996 in binary floating point: cut without it, 0.29 would print 0.28. */
const FLOAT_SLACK = 1e-9;

/**
 * A figure as printed beside its target, cut toward the side it must stay on rather than rounded: a
 * rate of 29,999.6 or a ratio of 0.8967 must not read as 30,000 or 0.90 next to a FAIL, nor a p95
 * of 50.04 ms as 50.0.
 */
export const atLeastText = (value: number, digits: number) => cutText(value, digits, 'down');

/** As {@link atLeastText}, for a figure that must stay at or under its target. */
export const atMostText = (value: number, digits: number) => cutText(value, digits, 'up');

function cutText(value: number, digits: number, toward: 'down' | 'up'): string {
  const scale = 10 ** digits;
  const cut = toward === 'down' ? Math.floor(value * scale + FLOAT_SLACK) : Math.ceil(value * scale - FLOAT_SLACK);
  return (cut / scale).toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
