/**
 * The nearest-rank percentile of ascending samples: the smallest sample with at least `p` (0-1) of
 * the samples at or below it; 0 when there are none. Every bench's p50 / p95 / p99 is this one.
 */
export function rank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
