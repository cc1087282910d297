import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { importNdjsonFile } from '../cli/import';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { generateSeedEvents } from '../seed/generate';
import { benchDatabase, benchRequests, copyOf } from './_database';
import { BENCH_SETTINGS, freshEvents, lateEvents } from './_events';
import { bareFloor } from './_floor';
import { ndjsonBatches, type SendResult, sendBatches } from './_senders';
import { startBenchServer, stopBenchServer } from './_server';
import { type BenchOptions, type BenchResult, type BenchRow, verdict } from './types';

/**
 * Ingest (issue 14): HTTP POST /api/v1/events of signed NDJSON batches of 1,000 from 2 senders,
 * into an empty database and into a copy of the shared bench database (1M requests, or 10k with
 * --quick); the same events through a bare better-sqlite3 loop (bench/_floor.ts) in the same run;
 * then 10,000 late, out-of-order events into the loaded copy; and the CLI import of an NDJSON file.
 */
const DIR = process.env.BENCH_DIR ?? join(process.cwd(), 'tmp', 'bench');
const HTTP_BATCH = 1000;
const SENDERS = 2;
const LATE_EVENTS = 10_000;
const load = () => loadavg()[0]!.toFixed(1);

function freshDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  const db = openDatabase(file);
  migrateDatabase(db);
  db.$client.close();
}

const rank = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
const perSecond = (value: number) => `${Math.round(value).toLocaleString('en')} events/s`;

/** CPU seconds (user + system) a process has used so far, from /proc (null where there is none). */
function cpuSecondsOf(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}

/** A send and the server's CPU seconds over it: events per server CPU-second are steadier than per second on a shared machine. */
type Measured = SendResult & { serverCpuSeconds: number | null; senderCpuSeconds: number };

function perServerCpu(result: Measured): string {
  return result.serverCpuSeconds
    ? `${perSecond(result.events / result.serverCpuSeconds).replace('/s', '')} per server CPU-second`
    : '';
}

function httpRow(name: string, result: Measured, senders: number): BenchRow {
  return {
    name,
    samples: result.latencies.length,
    p50Ms: rank(result.latencies, 0.5),
    p95Ms: rank(result.latencies, 0.95),
    note: `${perSecond(result.eventsPerSecond)}, ${perServerCpu(result)}, ${senders} sender(s), a batch each (their CPU ${((result.senderCpuSeconds * 1000) / result.latencies.length).toFixed(1)} ms a batch, on the same cores); load ${load()}`,
  };
}

async function ingestOverHttp(file: string, bodies: string[], senders: number, late?: string[]) {
  const server = await startBenchServer(file);
  const measured = async (send: () => Promise<SendResult>): Promise<Measured> => {
    const before = cpuSecondsOf(server.child.pid);
    const senders = process.cpuUsage();
    const result = await send();
    const after = cpuSecondsOf(server.child.pid);
    const { user, system } = process.cpuUsage(senders);
    return {
      ...result,
      serverCpuSeconds: before === null || after === null ? null : after - before,
      senderCpuSeconds: (user + system) / 1e6,
    };
  };
  try {
    const main = await measured(() => sendBatches(server.url, server.webhookSecret, bodies, senders));
    const afterwards = late ? await measured(() => sendBatches(server.url, server.webhookSecret, late, 1)) : undefined;
    return { main, late: afterwards };
  } finally {
    await stopBenchServer(server);
  }
}

async function benchImport(options: BenchOptions): Promise<BenchRow> {
  const requests = Number(process.env.BENCH_INGEST_REQUESTS ?? (options.quick ? 2_500 : 250_000));
  const file = join(DIR, `events-${requests}.ndjson`);
  const out = createWriteStream(file);
  for (const batch of generateSeedEvents({
    requests,
    days: 90,
    seed: 11,
    now: Date.parse('2026-11-20T12:00:00Z'),
    ...BENCH_SETTINGS,
  })) {
    if (!out.write(`${batch.events.map((event) => JSON.stringify(event)).join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const dbFile = join(DIR, 'import.db');
  freshDb(dbFile);
  const db = openDatabase(dbFile);
  const tally = await importNdjsonFile(db, file, { progress: 'none' });
  db.$client.close();
  return {
    name: `cli import (${tally.total.toLocaleString('en')} events, batches of 5,000, empty database)`,
    samples: 1,
    p50Ms: tally.ms,
    p95Ms: tally.ms,
    note: `${perSecond(tally.total / (tally.ms / 1000))}, ${tally.accepted} accepted; load ${load()}`,
  };
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  mkdirSync(DIR, { recursive: true });
  if (!existsSync('build/index.js')) throw new Error('Run `npm run build` first');
  const source = benchDatabase('ingest', options);
  const scale = benchRequests(options).toLocaleString('en');
  const count = Number(process.env.BENCH_HTTP_EVENTS ?? (options.quick ? 20_000 : 200_000));
  const now = Date.now();
  const events = freshEvents(count, now);
  const bodies = ndjsonBatches(events, HTTP_BATCH);
  const late = ndjsonBatches(lateEvents(LATE_EVENTS, now), HTTP_BATCH);

  const emptyFile = join(DIR, 'ingest-empty.db');
  freshDb(emptyFile);
  const empty = await ingestOverHttp(emptyFile, bodies, SENDERS);
  const loadedFile = join(DIR, 'ingest-loaded.db');
  copyOf(source, loadedFile);
  const loaded = await ingestOverHttp(loadedFile, bodies, SENDERS, late);
  const { perSecond: floor, perCpuSecond: floorPerCpu } = bareFloor(join(DIR, 'ingest-floor.db'), events, HTTP_BATCH);
  for (const file of [emptyFile, loadedFile]) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }

  const n = events.length.toLocaleString('en');
  const rows: BenchRow[] = [
    httpRow(`HTTP ingest, empty database (${n} events)`, empty.main, SENDERS),
    httpRow(`HTTP ingest, database of ${scale} requests (${n} events)`, loaded.main, SENDERS),
    httpRow(
      `HTTP ingest, ${LATE_EVENTS.toLocaleString('en')} late out-of-order events, ${scale} requests`,
      loaded.late!,
      1,
    ),
    {
      name: `bare better-sqlite3 floor (${n} events, 1,000 a transaction)`,
      samples: 1,
      p50Ms: (events.length / floor) * 1000,
      p95Ms: (events.length / floor) * 1000,
      note: `${perSecond(floor)}, ${perSecond(floorPerCpu).replace('/s', '')} per CPU-second; load ${load()}`,
    },
  ];
  if (process.env.BENCH_SKIP_IMPORT !== '1') rows.push(await benchImport(options));

  const rate = loaded.main.eventsPerSecond;
  const ratio = rate / floor;
  const cpuRatio = loaded.main.serverCpuSeconds
    ? loaded.main.events / loaded.main.serverCpuSeconds / floorPerCpu
    : null;
  const flat = rate / empty.main.eventsPerSecond;
  const lateRate = loaded.late!.eventsPerSecond;
  return {
    rows,
    targets: [
      { id: 'ingest-1m', measured: `${perSecond(rate)} (${scale} requests)`, ...verdict(options, rate >= 30_000) },
      {
        id: 'ingest-floor',
        measured: `floor ${perSecond(floor)}; ratio ${ratio.toFixed(2)}${cpuRatio === null ? '' : ` (per CPU-second ${cpuRatio.toFixed(2)})`}`,
        ...verdict(options, ratio >= 0.25),
      },
      {
        id: 'ingest-flat',
        measured: `${flat.toFixed(2)} (${perSecond(rate)} / ${perSecond(empty.main.eventsPerSecond)})`,
        ...verdict(options, flat >= 0.9),
      },
      { id: 'ingest-late', measured: perSecond(lateRate), ...verdict(options, lateRate >= 10_000) },
    ],
  };
}
