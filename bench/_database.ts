import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BenchOptions } from './types';

/** The million-request database the read benches share (BENCH_DB; outside data/ so the demo is untouched). */
export const BENCH_DB = process.env.BENCH_DB ?? 'tmp/bench/app-1m.db';
/** The small database of --quick runs (BENCH_QUICK_DB). */
export const QUICK_DB = process.env.BENCH_QUICK_DB ?? 'tmp/bench/app-10k.db';
/** A fixed end of the seeded year, so that two machines seed the same data. */
const SEED_NOW = '2026-12-01T00:00:00Z';

/** Requests in the shared database of this run. */
export const benchRequests = (options: BenchOptions) => (options.quick ? 10_000 : 1_000_000);

/**
 * The database the read benches share: 1,000,000 requests over 365 days (seed 7), or 10,000 with
 * --quick. Seeded through the ingest path when missing (about 6 minutes for a million on an idle
 * machine, a few seconds for the quick one) and reused.
 */
export function benchDatabase(bench: string, options: BenchOptions): string {
  const file = options.quick ? QUICK_DB : BENCH_DB;
  if (existsSync(file)) return file;
  const requests = benchRequests(options);
  console.error(`bench/${bench}: seeding ${file} with ${requests.toLocaleString('en')} requests...`);
  execFileSync(
    'npx',
    [
      'tsx',
      'seed/cli.ts',
      '--requests',
      String(requests),
      '--days',
      '365',
      '--seed',
      '7',
      '--reset',
      '--now',
      SEED_NOW,
    ],
    { env: { ...process.env, DATABASE_URL: file }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return file;
}
