import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import type { BenchOptions } from './types';

/**
 * Requests in the shared database of a full-scale run: 1M, or BENCH_SCALE (e.g. 100000, to see how a
 * figure grows from 100k to 1M).
 */
const SCALE = Number(process.env.BENCH_SCALE ?? 1_000_000);
if (!Number.isInteger(SCALE) || SCALE < 1_000) throw new Error('BENCH_SCALE takes a number of requests, 1000 or more');
const scaleName = SCALE % 1_000_000 === 0 ? `${SCALE / 1_000_000}m` : `${Math.round(SCALE / 1_000)}k`;
/** The database the read benches share (BENCH_DB; outside data/ so the demo is untouched). */
export const BENCH_DB = process.env.BENCH_DB ?? `tmp/bench/app-${scaleName}.db`;
/**
 * The 10M-request database of --full runs (BENCH_DB_10M): requests, agents, teams and rollups, no
 * events rows (the metrics reads never touch them; with events it would be about 25 GB).
 */
export const BENCH_DB_10M = process.env.BENCH_DB_10M ?? 'tmp/bench/app-10m.db';
/** The bench database's rows grown through the ingest path (BENCH_GROWN_DB; grownDatabase). */
export const BENCH_GROWN_DB = process.env.BENCH_GROWN_DB ?? `tmp/bench/app-${scaleName}-grown.db`;
const QUICK_GROWN_DB = 'tmp/bench/app-10k-grown.db';
/** The small database of --quick runs (BENCH_QUICK_DB). */
export const QUICK_DB = process.env.BENCH_QUICK_DB ?? 'tmp/bench/app-10k.db';
/** A fixed end of the seeded year, so that two machines seed the same data. */
export const BENCH_SEED_NOW = '2026-12-01T00:00:00Z';

/** Requests in the shared database of this run. */
export const benchRequests = (options: BenchOptions) => (options.quick ? 10_000 : SCALE);

function seedDatabase(bench: string, file: string, requests: number, extra: string[] = [], bulk = true): void {
  const how = bulk ? 'seed/bulk.ts' : 'the ingest path, batch by batch';
  console.error(`bench/${bench}: making ${file} with ${requests.toLocaleString('en')} requests (${how})...`);
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
      ...(bulk ? ['--bulk'] : []),
      ...extra,
      '--now',
      BENCH_SEED_NOW,
    ],
    { env: { ...process.env, DATABASE_URL: file }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/**
 * The database the read benches share: 1,000,000 requests over 365 days (seed 7; BENCH_SCALE
 * others), or 10,000 with --quick. Made by the bulk generator when missing (the same rows as the ingest path: see
 * docs/performance.md for how long it takes) and reused.
 */
export function benchDatabase(bench: string, options: BenchOptions): string {
  const file = options.quick ? QUICK_DB : BENCH_DB;
  ensureSeeded(bench, file, benchRequests(options));
  return file;
}

/** The 10M-request database of --full (made when missing, without events rows: 11-34 minutes, 5.4 GB). */
export function tenMillionDatabase(bench: string): string {
  ensureSeeded(bench, BENCH_DB_10M, 10_000_000, ['--no-events']);
  return BENCH_DB_10M;
}

/**
 * Seeds `file` unless it already holds `requests` requests. A file a seed left half-made (stopped,
 * or failed) holds fewer, or no tables: it is made again rather than measured (a quick run on an
 * empty leftover printed every read figure over 0 rows).
 */
function ensureSeeded(bench: string, file: string, requests: number, extra: string[] = [], bulk = true): void {
  if (existsSync(file)) {
    const held = storedRequests(file);
    if (held === requests) return;
    console.error(
      `bench/${bench}: ${file} holds ${held ?? 'no'} requests, not ${requests.toLocaleString('en')}: making it again`,
    );
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
  seedDatabase(bench, file, requests, extra, bulk);
}

/**
 * The bench database's rows made through the ingest path instead (`npm run seed` without --bulk:
 * about 5 minutes at 1M), as a database in use grows: its index pages split as entries arrive and
 * keep room to grow, where the bulk generator's CREATE INDEX fills every page. Made when missing
 * (BENCH_GROWN_DB) and reused.
 */
export function grownDatabase(bench: string, options: BenchOptions): string {
  const file = options.quick ? QUICK_GROWN_DB : BENCH_GROWN_DB;
  ensureSeeded(bench, file, benchRequests(options), [], false);
  return file;
}

function storedRequests(file: string): number | null {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM payment_requests').get() as { n: number }).n;
  } catch {
    return null;
  } finally {
    db.close();
  }
}

/**
 * A copy of a bench database, migrated and checkpointed first, so the benches that write leave it as
 * it was. The copy is flushed to disk before it is used: left dirty, the kernel writes its 1.1 GB
 * back while the first batches commit, and their fsyncs wait for it (issue 14, session 26: the
 * in-process scripts that start at once measured COMMIT at 57 ms a batch instead of 13, and an
 * index drop that only delayed the start as a 2x gain).
 */
export function copyOf(source: string, file: string): void {
  const db = openDatabase(source);
  migrateDatabase(db);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  copyFileSync(source, file);
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
