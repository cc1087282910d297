import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { generateSeedEvents, type SeedEvent } from '../seed/generate';
import { ndjsonBatches, sendBatches } from './_senders';
import { type BenchServer, startBenchServer, stopBenchServer } from './_server';
import type { BenchOptions, BenchResult, BenchRow } from './types';

/**
 * SQLite and PostgreSQL side by side (issue 13), `npm run bench -- --engine postgres`: the same
 * signed NDJSON batches of 1,000 events through HTTP into an empty database, on SQLite (one
 * instance), on PostgreSQL with one instance and with two (the batches split between them); then
 * on the databases just filled, the metrics endpoints (90 days) and the CSV export. The server
 * is the built one (build/server.js). PostgreSQL is BENCH_PG_URL or PG_TEST_URL (any database on
 * the server: the bench creates and drops its own); BENCH_ENGINE_REQUESTS sets the size (default
 * 250,000 requests, about a million events; --quick 2,500).
 */

const DIR = process.env.BENCH_DIR ?? join(process.cwd(), 'tmp', 'bench');
const SETTINGS = { ttlUnopenedMs: 300_000, ttlOpenedMs: 900_000 };
const SAMPLES = 20;

function events(requests: number, now: number): SeedEvent[] {
  const all: SeedEvent[] = [];
  for (const batch of generateSeedEvents({ requests, days: 30, seed: 21, now, ...SETTINGS })) all.push(...batch.events);
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
  const env = { ...process.env, DATABASE_URL: databaseUrl, PAYLINK_POSTGRES_PREVIEW: '1' };
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

function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const rank = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;

/** Posts every body, split across the instances (one sender each, two senders for one instance). */
async function ingest(servers: BenchServer[], secret: string, bodies: string[]): Promise<BenchRow & { rate: number }> {
  const cpuBefore = servers.map((server) => cpuSeconds(server.child.pid));
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
  const cpu = servers.reduce((sum, server, index) => sum + cpuSeconds(server.child.pid) - cpuBefore[index]!, 0);
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
async function reads(engine: string, server: BenchServer, token: string): Promise<BenchRow[]> {
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10);
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
  const env = { WEBHOOK_SECRET: secret, EXPIRY_SWEEP_MS: '2000', PAYLINK_POSTGRES_PREVIEW: '1' };
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
  return { rows };
}
