import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The million-request database the read benches share (BENCH_DB; outside data/ so the demo is untouched). */
export const BENCH_DB = process.env.BENCH_DB ?? 'tmp/bench/app-1m.db';

/** Seeds BENCH_DB with 1,000,000 requests over 365 days (seed 7) when it does not exist yet: several minutes. */
export function ensureBenchDatabase(bench: string): void {
  if (existsSync(BENCH_DB)) return;
  console.error(`bench/${bench}: seeding ${BENCH_DB} with 1,000,000 requests (several minutes)...`);
  execFileSync('npx', ['tsx', 'seed/cli.ts', '--requests', '1000000', '--days', '365', '--seed', '7', '--reset'], {
    env: { ...process.env, DATABASE_URL: BENCH_DB },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
