/** One line of `npm run bench`'s table. */
export interface BenchRow {
  name: string;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  note?: string;
}
