import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { importNdjsonFile } from '../cli/import';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { generateSeedEvents } from '../seed/generate';
import { benchDatabase, benchRequests, copyOf } from './_database';
import { BENCH_SETTINGS, freshEvents, lateEvents } from './_events';
import { bareFloor } from './_floor';
import { cpuSecondsOf, threadTimesOf } from './_proc';
import { ndjsonBatches, type SendResult, sendBatches } from './_senders';
import { startBenchServer, stopBenchServer } from './_server';
import { rank } from './_stats';
import { atLeastText, type BenchOptions, type BenchResult, type BenchRow, verdict } from './types';

/**
 * Ingest (issue 14): HTTP POST /api/v1/events of signed NDJSON batches of 1,000 from 2 senders,
 * into an empty database and into a copy of the shared bench database (1M requests, or 10k with
 * --quick); the same events through a bare better-sqlite3 loop (bench/_floor.ts) in the same run;
 * then 10,000 late, out-of-order events into the loaded copy; and the CLI import of an NDJSON file.
 */
const DIR = process.env.BENCH_DIR ?? join(process.cwd(), 'tmp', 'bench');
/** The targets' batch size and senders; BENCH_INGEST_BATCH and BENCH_INGEST_SENDERS measure others. */
const TARGET_BATCH = 1000;
const HTTP_BATCH = Number(process.env.BENCH_INGEST_BATCH ?? TARGET_BATCH);
const TARGET_SENDERS = 2;
const SENDERS = Number(process.env.BENCH_INGEST_SENDERS ?? TARGET_SENDERS);
const LATE_EVENTS = 10_000;
const load = () => loadavg()[0]!.toFixed(1);

/** A target's verdict, unless the run sent other batches, or (`senders`) from other senders, than the target's. */
function shapeVerdict(options: BenchOptions, holds: boolean, senders = true): ReturnType<typeof verdict> {
  if (HTTP_BATCH !== TARGET_BATCH) {
    return {
      verdict: 'NOT RUN',
      why: `BENCH_INGEST_BATCH: measured with batches of ${HTTP_BATCH.toLocaleString('en')}, the target is for ${TARGET_BATCH.toLocaleString('en')}`,
    };
  }
  if (senders && SENDERS !== TARGET_SENDERS) {
    return {
      verdict: 'NOT RUN',
      why: `BENCH_INGEST_SENDERS: measured with ${SENDERS} senders, the target is for ${TARGET_SENDERS}`,
    };
  }
  return verdict(options, holds);
}

function freshDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  const db = openDatabase(file);
  migrateDatabase(db);
  db.$client.close();
}

const perSecond = (value: number) => `${atLeastText(value, 0)} events/s`;

/**
 * Where the server's threads spent a send, as shares of its wall time: its own thread's run, and the
 * busiest other thread's run and wait for a core. While ingesting, the busiest other thread is
 * SQLite's writer (ingest-writer.worker.ts), the stage that sets the rate (docs/performance.md, session
 * 26): a wait for a core there is the senders', the server thread's and V8's helpers' share of two cores.
 */
function threadShares(
  pid: number | undefined,
  before: Map<string, { run: number; wait: number }>,
  after: Map<string, { run: number; wait: number }>,
  wallMs: number,
): string | null {
  const wallNs = wallMs * 1e6;
  let server: { run: number; wait: number } | null = null;
  let busiest: { run: number; wait: number } | null = null;
  for (const [tid, end] of after) {
    const start = before.get(tid) ?? { run: 0, wait: 0 };
    const spent = { run: end.run - start.run, wait: end.wait - start.wait };
    if (tid === String(pid)) server = spent;
    else if (!busiest || spent.run > busiest.run) busiest = spent;
  }
  if (!server || !busiest || wallNs <= 0) return null;
  const share = (ns: number) => `${Math.round((ns / wallNs) * 100)}%`;
  return `writer thread ran ${share(busiest.run)} of the time and waited for a core ${share(busiest.wait)}, server thread ran ${share(server.run)}`;
}

/** A send and the server's CPU seconds over it: events per server CPU-second are steadier than per second on a shared machine. */
type Measured = SendResult & { serverCpuSeconds: number | null; senderCpuSeconds: number; threads: string | null };

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
    note: `${perSecond(result.eventsPerSecond)}, ${perServerCpu(result)}, ${senders} sender(s), a batch of ${HTTP_BATCH.toLocaleString('en')} each (their CPU ${((result.senderCpuSeconds * 1000) / result.latencies.length).toFixed(1)} ms a batch, on the same cores)${result.threads ? `; ${result.threads}` : ''}; load ${load()}`,
  };
}

async function ingestOverHttp(file: string, bodies: string[], senders: number, late?: string[]) {
  const server = await startBenchServer(file);
  const measured = async (send: () => Promise<SendResult>): Promise<Measured> => {
    const before = cpuSecondsOf(server.child.pid);
    const threadsBefore = threadTimesOf(server.child.pid);
    const senders = process.cpuUsage();
    const result = await send();
    const after = cpuSecondsOf(server.child.pid);
    const threadsAfter = threadTimesOf(server.child.pid);
    const { user, system } = process.cpuUsage(senders);
    return {
      ...result,
      serverCpuSeconds: before === null || after === null ? null : after - before,
      senderCpuSeconds: (user + system) / 1e6,
      threads: threadShares(server.child.pid, threadsBefore, threadsAfter, result.ms),
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

/**
 * Rounds of the ingest phases (BENCH_INGEST_ROUNDS; 3 at 1M, 1 with --quick). On a shared machine
 * runs of the same build minutes apart differed by 30% (docs/performance.md, session 26): each round
 * measures empty, 1M (+ late) and the floor one after the other, each ratio is taken within its round,
 * and the targets read the median round.
 */
function ingestRounds(options: BenchOptions): number {
  const rounds = Number(process.env.BENCH_INGEST_ROUNDS ?? (options.quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('BENCH_INGEST_ROUNDS must be a whole number from 1');
  return rounds;
}

/** The median of the values (the lower middle of an even count: no figure made up). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** One round: the same events into an empty database, into the 1M copy (then the late ones), and the floor. */
interface Round {
  empty: Measured;
  loaded: Measured;
  late: Measured;
  floor: number;
  floorPerCpu: number;
}

/** The rounds' sends as one: every batch's latency, the median round's rate and thread shares, CPU summed. */
function merged(results: readonly Measured[]): Measured {
  const middle = median(results.map((result) => result.eventsPerSecond));
  const chosen = results.find((result) => result.eventsPerSecond === middle)!;
  const cpu = results.every((result) => result.serverCpuSeconds !== null)
    ? results.reduce((sum, result) => sum + result.serverCpuSeconds!, 0)
    : null;
  return {
    ...chosen,
    events: results.reduce((sum, result) => sum + result.events, 0),
    latencies: results.flatMap((result) => result.latencies).sort((a, b) => a - b),
    serverCpuSeconds: cpu,
    senderCpuSeconds: results.reduce((sum, result) => sum + result.senderCpuSeconds, 0),
  };
}

const each = (values: readonly number[], format: (value: number) => string) =>
  values.length > 1 ? ` (rounds: ${values.map(format).join(' / ')})` : '';
const count = (value: number) => Math.round(value).toLocaleString('en');

export async function run(options: BenchOptions): Promise<BenchResult> {
  mkdirSync(DIR, { recursive: true });
  if (!existsSync('build/index.js')) throw new Error('Run `npm run build` first');
  const source = benchDatabase('ingest', options);
  const scale = benchRequests(options).toLocaleString('en');
  const events = Number(process.env.BENCH_HTTP_EVENTS ?? (options.quick ? 20_000 : 200_000));
  const now = Date.now();
  const fresh = freshEvents(events, now);
  const bodies = ndjsonBatches(fresh, HTTP_BATCH);
  const late = ndjsonBatches(lateEvents(LATE_EVENTS, now), HTTP_BATCH);
  const emptyFile = join(DIR, 'ingest-empty.db');
  const loadedFile = join(DIR, 'ingest-loaded.db');

  const rounds: Round[] = [];
  for (let round = 0; round < ingestRounds(options); round++) {
    freshDb(emptyFile);
    const empty = await ingestOverHttp(emptyFile, bodies, SENDERS);
    copyOf(source, loadedFile);
    const loaded = await ingestOverHttp(loadedFile, bodies, SENDERS, late);
    const { perSecond: floor, perCpuSecond: floorPerCpu } = bareFloor(
      join(DIR, 'ingest-floor.db'),
      fresh,
      TARGET_BATCH,
    );
    for (const file of [emptyFile, loadedFile]) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    }
    rounds.push({ empty: empty.main, loaded: loaded.main, late: loaded.late!, floor, floorPerCpu });
  }

  const rates = rounds.map((round) => round.loaded.eventsPerSecond);
  const floors = rounds.map((round) => round.floor);
  const ratios = rounds.map((round) => round.loaded.eventsPerSecond / round.floor);
  const cpuRatios = rounds.map((round) =>
    round.loaded.serverCpuSeconds ? round.loaded.events / round.loaded.serverCpuSeconds / round.floorPerCpu : null,
  );
  const flats = rounds.map((round) => round.loaded.eventsPerSecond / round.empty.eventsPerSecond);
  const lates = rounds.map((round) => round.late.eventsPerSecond);
  const rate = median(rates);
  const floor = median(floors);
  const ratio = median(ratios);
  const cpuRatio = cpuRatios.every((value) => value !== null) ? median(cpuRatios as number[]) : null;
  const flat = median(flats);
  const lateRate = median(lates);

  const n = fresh.length.toLocaleString('en');
  const of = rounds.length > 1 ? `, median of ${rounds.length} rounds` : '';
  const withRounds = (row: BenchRow, values: number[]) => ({ ...row, note: `${row.note}${each(values, count)}` });
  const rows: BenchRow[] = [
    withRounds(
      httpRow(`HTTP ingest, empty database (${n} events${of})`, merged(rounds.map((round) => round.empty)), SENDERS),
      rounds.map((round) => round.empty.eventsPerSecond),
    ),
    withRounds(
      httpRow(
        `HTTP ingest, database of ${scale} requests (${n} events${of})`,
        merged(rounds.map((round) => round.loaded)),
        SENDERS,
      ),
      rates,
    ),
    withRounds(
      httpRow(
        `HTTP ingest, ${LATE_EVENTS.toLocaleString('en')} late out-of-order events, ${scale} requests${of}`,
        merged(rounds.map((round) => round.late)),
        1,
      ),
      lates,
    ),
    {
      name: `bare better-sqlite3 floor (${n} events, 1,000 a transaction${of})`,
      samples: rounds.length,
      p50Ms: (fresh.length / floor) * 1000,
      // The slowest round's time in the p95 column: a few rounds give no percentile to take.
      p95Ms: (fresh.length / Math.min(...floors)) * 1000,
      note: `${perSecond(floor)}, ${perSecond(median(rounds.map((round) => round.floorPerCpu))).replace('/s', '')} per CPU-second; load ${load()}${each(floors, count)}`,
    },
  ];
  if (process.env.BENCH_SKIP_IMPORT !== '1') rows.push(await benchImport(options));

  const fixed = (value: number) => atLeastText(value, 2);
  return {
    rows,
    targets: [
      {
        id: 'ingest-1m',
        measured: `${perSecond(rate)} (${scale} requests${of})${each(rates, count)}`,
        ...shapeVerdict(options, rate >= 30_000),
      },
      {
        id: 'ingest-floor',
        measured: `floor ${perSecond(floor)}; ratio ${fixed(ratio)}${cpuRatio === null ? '' : ` (per CPU-second ${fixed(cpuRatio)})`}${each(ratios, fixed)}`,
        ...shapeVerdict(options, ratio >= 0.25),
      },
      {
        id: 'ingest-flat',
        measured: `${fixed(flat)}${rounds.length > 1 ? '' : ` (${perSecond(rate)} / ${perSecond(rounds[0]!.empty.eventsPerSecond)})`}${each(flats, fixed)}`,
        ...shapeVerdict(options, flat >= 0.9),
      },
      {
        id: 'ingest-late',
        measured: `${perSecond(lateRate)}${each(lates, count)}`,
        ...shapeVerdict(options, lateRate >= 10_000, false),
      },
    ],
  };
}
