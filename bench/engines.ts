import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { generateSeedEvents, type SeedEvent } from '../seed/generate';
import { BENCH_SEED_NOW, benchDatabase, benchRequests } from './_database';
import { cpuSecondsOf } from './_proc';
import { ndjsonBatches, sendBatches } from './_senders';
import { type BenchServer, startBenchServer, stopBenchServer } from './_server';
import { rank } from './_stats';
import type { BenchOptions, BenchResult, BenchRow } from './types';

/**
 * SQLite and PostgreSQL side by side (issue 13), `npm run bench -- --engine postgres`: the same
 * signed NDJSON batches of 1,000 events through HTTP into an empty database, on SQLite (one
 * instance), on PostgreSQL with one instance and with two (the batches split between them); then
 * on the databases just filled, the metrics endpoints (90 days) and the CSV export. The server
 * is the built one (build/server.js). PostgreSQL is BENCH_PG_URL or PG_TEST_URL (any database on
 * the server: the bench creates and drops its own); BENCH_ENGINE_REQUESTS sets the size (default
 * 250,000 requests, about a million events; --quick 2,500).
 *
 * Then the same on the shared bench database (1M requests, or 10k with --quick; bench/_database.ts)
 * and its PostgreSQL copy (`paylink_bench_loaded_<requests>`, made once by `cli copy-database` and
 * kept; it grows by each run's new events): BENCH_ENGINE_LOADED_EVENTS new events (default 40,000; --quick 4,000) through HTTP into a
 * copy of the SQLite file, into the PostgreSQL copy with one instance, then other new events with two
 * instances; then the metrics endpoints over the seeded year's last 90 days on each engine.
 */

const DIR = process.env.BENCH_DIR ?? join(process.cwd(), 'tmp', 'bench');
const SETTINGS = { ttlUnopenedMs: 300_000, ttlOpenedMs: 900_000 };
const SAMPLES = 20;

function events(requests: number, now: number, seed = 21): SeedEvent[] {
  const all: SeedEvent[] = [];
  for (const batch of generateSeedEvents({ requests, days: 30, seed, now, ...SETTINGS })) all.push(...batch.events);
  return all;
}

function serverUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer(base: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl(base, 'postgres') });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Migrates DATABASE_URL as `npm start` does, and makes a manager API token there (the CLI's). */
function prepare(databaseUrl: string): string {
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  execFileSync('node', ['--import', 'tsx', 'db/migrate.ts'], { env, stdio: 'ignore' });
  const out = execFileSync(
    'node',
    ['--import', 'tsx', 'cli/main.ts', 'token', 'create', '--role', 'manager', '--name', 'Bench'],
    {
      env,
      encoding: 'utf8',
    },
  );
  return out.trim().split('\n').at(-1)!.trim();
}

/** Posts every body, split across the instances (one sender each, two senders for one instance). */
async function ingest(servers: BenchServer[], secret: string, bodies: string[]): Promise<BenchRow & { rate: number }> {
  const cpuBefore = servers.map((server) => cpuSecondsOf(server.child.pid) ?? 0);
  const started = performance.now();
  const shares =
    servers.length === 1
      ? [{ server: servers[0]!, bodies, senders: 2 }]
      : servers.map((server, index) => ({
          server,
          bodies: bodies.filter((_, at) => at % servers.length === index),
          senders: 1,
        }));
  const results = await Promise.all(
    shares.map((share) => sendBatches(share.server.url, secret, share.bodies, share.senders)),
  );
  const ms = performance.now() - started;
  const sent = results.reduce((sum, result) => sum + result.events, 0);
  const latencies = results.flatMap((result) => result.latencies).sort((a, b) => a - b);
  const cpu = servers.reduce(
    (sum, server, index) => sum + (cpuSecondsOf(server.child.pid) ?? 0) - cpuBefore[index]!,
    0,
  );
  const rate = (sent / ms) * 1000;
  return {
    name: '',
    samples: latencies.length,
    p50Ms: rank(latencies, 0.5),
    p95Ms: rank(latencies, 0.95),
    note: `${Math.round(rate).toLocaleString('en')} events/s (${sent.toLocaleString('en')} events; ${Math.round(sent / Math.max(cpu, 0.01)).toLocaleString('en')} per server CPU-s)`,
    rate,
  };
}

async function timed(url: string, token: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

function download(url: string, token: string): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`${url}: HTTP ${response.statusCode}`));
      let lines = 0;
      response.on('data', (chunk: Buffer) => {
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      });
      response.on('end', () => resolve({ ms: performance.now() - started, rows: lines - 1 }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** The read side on a filled database: metrics of the last 90 days and the full CSV export. */
async function reads(
  engine: string,
  server: BenchServer,
  token: string,
  options: { end?: number; csv?: boolean } = {},
): Promise<BenchRow[]> {
  const end = options.end ?? Date.now();
  const to = new Date(end).toISOString().slice(0, 10);
  const from = new Date(end - 89 * 86_400_000).toISOString().slice(0, 10);
  const range = `from=${from}&to=${to}&tz=UTC`;
  const rows: BenchRow[] = [];
  for (const query of [`summary?${range}`, `agents?${range}`, `timeseries?interval=day&${range}`]) {
    const url = `${server.url}/api/v1/metrics/${query}`;
    await timed(url, token);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) samples.push(await timed(url, token));
    samples.sort((a, b) => a - b);
    rows.push({
      name: `${engine}: GET /api/v1/metrics/${query.split('?')[0]} (90 days)`,
      samples: SAMPLES,
      p50Ms: rank(samples, 0.5),
      p95Ms: rank(samples, 0.95),
    });
  }
  if (options.csv === false) return rows;
  const csv = await download(`${server.url}/exports/payment-requests.csv?tz=UTC`, token);
  rows.push({
    name: `${engine}: payment-requests.csv, every row`,
    samples: 1,
    p50Ms: csv.ms,
    p95Ms: csv.ms,
    note: `${csv.rows.toLocaleString('en')} rows, ${Math.round((csv.rows / csv.ms) * 1000).toLocaleString('en')} rows/s`,
  });
  return rows;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  if (!options.engines) return { rows: [] };
  const base = process.env.BENCH_PG_URL ?? process.env.PG_TEST_URL;
  if (!base)
    throw new Error('--engine postgres needs BENCH_PG_URL or PG_TEST_URL (scripts/pg-cluster.sh start; … url)');
  if (!existsSync('build/server.js')) throw new Error('Run `npm run build` first');
  const requests = Number(process.env.BENCH_ENGINE_REQUESTS ?? (options.quick ? 2_500 : 250_000));
  const bodies = ndjsonBatches(events(requests, Date.now()), 1000);
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const env = { WEBHOOK_SECRET: secret, EXPIRY_SWEEP_MS: '2000' };
  const rows: BenchRow[] = [];
  mkdirSync(DIR, { recursive: true });

  // SQLite, one instance (one writer is what SQLite allows).
  const file = join(DIR, 'engines-sqlite.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  const sqliteToken = prepare(file);
  const sqlite = await startBenchServer(file, env);
  try {
    const result = await ingest([sqlite], secret, bodies);
    rows.push({ ...result, name: 'sqlite, 1 instance: HTTP ingest, batches of 1,000, 2 senders' });
    rows.push(...(await reads('sqlite', sqlite, sqliteToken)));
  } finally {
    await stopBenchServer(sqlite);
  }

  // PostgreSQL, one instance then two, each into an empty database of its own.
  for (const instances of [1, 2]) {
    const database = `paylink_bench_${instances}`;
    await onServer(base, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await onServer(base, `CREATE DATABASE "${database}"`);
    const url = serverUrl(base, database);
    const token = prepare(url);
    const servers: BenchServer[] = [];
    try {
      for (let i = 0; i < instances; i++) servers.push(await startBenchServer(url, env));
      const result = await ingest(servers, secret, bodies);
      rows.push({
        ...result,
        name: `postgres, ${instances} instance${instances > 1 ? 's' : ''}: HTTP ingest, batches of 1,000, 2 senders`,
      });
      if (instances === 2) rows.push(...(await reads('postgres', servers[0]!, token)));
    } finally {
      for (const server of servers) await stopBenchServer(server);
      await onServer(base, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
  }
  for (const row of rows) row.note = `${row.note ? `${row.note}; ` : ''}${requests.toLocaleString('en')} requests`;
  rows.push(...(await loaded(options, base, secret, env)));
  return { rows };
}

/** The PostgreSQL copy of the shared bench database, made once (cli copy-database) and kept. */
async function loadedPostgres(base: string, file: string, requests: number): Promise<string> {
  const database = `paylink_bench_loaded_${requests}`;
  const url = serverUrl(base, database);
  const client = new pg.Client({ connectionString: serverUrl(base, 'postgres') });
  await client.connect();
  let exists = false;
  try {
    exists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
  } finally {
    await client.end();
  }
  if (exists) return url;
  console.error(`bench/engines: copying ${file} into PostgreSQL database ${database} (cli copy-database)...`);
  await onServer(base, `CREATE DATABASE "${database}" LOCALE 'C.UTF-8' TEMPLATE template0`);
  try {
    execFileSync('node', ['--import', 'tsx', 'cli/main.ts', 'copy-database', '--from', file, '--to', url], {
      env: { ...process.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (error) {
    await onServer(base, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    throw error;
  }
  return url;
}

/** Ingest into, and metrics of, the shared bench database on both engines (one and two instances). */
async function loaded(
  options: BenchOptions,
  base: string,
  secret: string,
  env: Record<string, string>,
): Promise<BenchRow[]> {
  const source = benchDatabase('engines', options);
  const stored = benchRequests(options);
  const size = `${stored.toLocaleString('en')} stored requests`;
  const newEvents = Number(process.env.BENCH_ENGINE_LOADED_EVENTS ?? (options.quick ? 4_000 : 40_000));
  const end = Date.parse(BENCH_SEED_NOW);
  // New requests (other seeds: other ids) over the seeded year's last 30 days, about 4 events each.
  const fresh = (seed: number) => ndjsonBatches(events(Math.ceil(newEvents / 4), end, seed).slice(0, newEvents), 1000);
  const rows: BenchRow[] = [];

  const file = join(DIR, 'engines-loaded.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  copyFileSync(source, file);
  const sqliteToken = prepare(file);
  const sqlite = await startBenchServer(file, env);
  try {
    const result = await ingest([sqlite], secret, fresh(31));
    rows.push({ ...result, name: `sqlite, 1 instance: HTTP ingest into ${size}` });
    rows.push(...(await reads(`sqlite, ${size}`, sqlite, sqliteToken, { end, csv: false })));
  } finally {
    await stopBenchServer(sqlite);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }

  const url = await loadedPostgres(base, source, stored);
  const token = prepare(url);
  for (const instances of [1, 2]) {
    const servers: BenchServer[] = [];
    try {
      for (let i = 0; i < instances; i++) servers.push(await startBenchServer(url, env));
      // The copy is kept between runs (a copy takes minutes at 1M) and keeps what each run adds: a
      // seed of this run's own, so the events are new ones, not duplicates of an earlier run's.
      const result = await ingest(servers, secret, fresh(100 + randomInt(1_000_000)));
      rows.push({
        ...result,
        name: `postgres, ${instances} instance${instances > 1 ? 's' : ''}: HTTP ingest into ${size}`,
      });
      if (instances === 1) rows.push(...(await reads(`postgres, ${size}`, servers[0]!, token, { end, csv: false })));
    } finally {
      for (const server of servers) await stopBenchServer(server);
    }
  }
  return rows;
}
