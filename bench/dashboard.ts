import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Viewer } from '../app/domain/access';
import { getDashboard } from '../app/read/dashboard.server';
import { type DashboardRange, intervalFor } from '../app/read/dashboard-view';
import { comparisonPeriod, shiftDate, todayIn } from '../app/read/date-ranges';
import { parseFilters } from '../app/read/filters';
import {
  getAgentLeaderboard,
  getMetricsSummary,
  getMetricsSummaryBetween,
  getMetricsTimeseries,
} from '../app/read/metrics/metrics.server';
import { getReportFilterOptions } from '../app/read/reports.server';
import { createServiceToken } from '../app/write/api-tokens.server';
import { type Db, openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { benchDatabase, benchRequests } from './_database';
import { cpuSecondsOf } from './_proc';
import { startBenchServer, stopBenchServer } from './_server';
import { rank } from './_stats';
import { atMostText, type BenchOptions, type BenchResult, type BenchRow, verdict } from './types';

/**
 * The /dashboard document (issue 14): server-rendered HTML for a manager, 90 days ending on the
 * last day holding a sent request, over HTTP from the built server, after a warm-up.
 */
const WARM_UP = 3;

interface DocumentTimes {
  /** Wall time of each sample (ms), sorted. */
  times: number[];
  bytes: number;
  serverCpuMs: number | null;
}

/** GETs `url` WARM_UP + samples times with `token`; the samples' times and the server's CPU each. */
async function timeDocument(
  url: string,
  token: string,
  server: Awaited<ReturnType<typeof startBenchServer>>,
  samples: number,
): Promise<DocumentTimes> {
  const times: number[] = [];
  let bytes = 0;
  let cpuBefore: number | null = null;
  for (let i = 0; i < WARM_UP + samples; i++) {
    if (i === WARM_UP) cpuBefore = cpuSecondsOf(server.child.pid);
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    bytes = (await response.arrayBuffer()).byteLength;
    if (i >= WARM_UP) times.push(performance.now() - started);
  }
  const cpuAfter = cpuSecondsOf(server.child.pid);
  const serverCpuMs = cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) * 1000) / samples : null;
  return { times: times.sort((a, b) => a - b), bytes, serverCpuMs };
}

/**
 * What the document's loader reads, part by part, in this process (p50/p95 of wall time and CPU
 * per call): which query dominates.
 */
async function loaderParts(db: Db, from: string, to: string, samples: number, data: string): Promise<BenchRow[]> {
  const viewer: Viewer = { userId: 'bench', name: 'bench', role: 'manager', scope: { kind: 'all' } };
  const filters = { ...parseFilters(new URLSearchParams({ from, to }), 'UTC'), from, to };
  const range: DashboardRange = { preset: null, from, to };
  const comparison = comparisonPeriod(range, 'UTC');
  const parts: [string, () => Promise<unknown>][] = [
    ['summary', async () => await getMetricsSummary(db, filters, viewer)],
    ['previous period summary', async () => await getMetricsSummaryBetween(db, filters, viewer, comparison)],
    [
      `series (${intervalFor(filters)})`,
      async () => await getMetricsTimeseries(db, filters, viewer, intervalFor(filters)),
    ],
    ['leaderboard', async () => await getAgentLeaderboard(db, filters, viewer)],
    ['filter options', async () => await getReportFilterOptions(db, viewer)],
    ['whole loader data (getDashboard)', async () => await getDashboard(db, filters, range, viewer)],
  ];
  const rows: BenchRow[] = [];
  for (const [name, fn] of parts) {
    for (let i = 0; i < WARM_UP; i++) await fn();
    const times: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      await fn();
      times.push(performance.now() - started);
    }
    const cpu = process.cpuUsage(cpuBefore);
    times.sort((a, b) => a - b);
    rows.push({
      name: `in-process ${name}`,
      samples,
      p50Ms: rank(times, 0.5),
      p95Ms: rank(times, 0.95),
      note: `${data}; CPU ${((cpu.user + cpu.system) / 1000 / samples).toFixed(1)} ms/call`,
    });
  }
  return rows;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  if (!existsSync('build/index.js')) throw new Error('Run `npm run build` first');
  const samples = Number(process.env.BENCH_DASHBOARD_SAMPLES ?? (options.quick ? 10 : 40));
  const file = benchDatabase('dashboard', options);
  const db = openDatabase(file);
  migrateDatabase(db);
  const max = db.$client.prepare('SELECT max(sent_at) FROM payment_requests').pluck().get() as number | null;
  if (max === null) throw new Error(`${file} holds no sent requests`);
  const to = todayIn('UTC', max);
  const from = shiftDate(to, -89);
  const manager = await createServiceToken(db, { role: 'manager', name: 'bench dashboard' });
  const admin = await createServiceToken(db, { role: 'admin', name: 'bench admin ingestion' });
  const server = await startBenchServer(file, { EXPIRY_SWEEP_MS: '10000' });
  let dashboard: DocumentTimes;
  let ingestion: DocumentTimes;
  try {
    dashboard = await timeDocument(`${server.url}/dashboard?from=${from}&to=${to}`, manager.token, server, samples);
    // The admin's ingestion-health page: counts of every event and request, the last hour per
    // minute, orphans. Not a target of issue 14; printed so a read that walks the events shows.
    ingestion = await timeDocument(`${server.url}/admin/ingestion`, admin.token, server, samples);
  } finally {
    await stopBenchServer(server);
    for (const { userId } of [manager, admin]) db.$client.prepare('DELETE FROM users WHERE id = ?').run(userId);
    db.$client.close();
  }
  const { times, bytes, serverCpuMs } = dashboard;
  const p95 = rank(times, 0.95);
  const scale = benchRequests(options).toLocaleString('en');
  const partsDb = openDatabase(file);
  const parts = await loaderParts(partsDb, from, to, Math.min(samples, 20), `${scale} requests, ${from}..${to}`);
  partsDb.$client.close();
  return {
    rows: [
      {
        name: `HTTP GET /dashboard, 90 days, manager (${scale} requests)`,
        samples: times.length,
        p50Ms: rank(times, 0.5),
        p95Ms: p95,
        note: `${(bytes / 1024).toFixed(0)} KB document, ${from}..${to}; server CPU ${serverCpuMs === null ? '?' : serverCpuMs.toFixed(1)} ms/document; load ${loadavg()[0]!.toFixed(1)}`,
      },
      {
        name: `HTTP GET /admin/ingestion, admin (${scale} requests)`,
        samples: ingestion.times.length,
        p50Ms: rank(ingestion.times, 0.5),
        p95Ms: rank(ingestion.times, 0.95),
        note: `${(ingestion.bytes / 1024).toFixed(0)} KB document; server CPU ${ingestion.serverCpuMs === null ? '?' : ingestion.serverCpuMs.toFixed(1)} ms/document`,
      },
      ...parts,
    ],
    targets: [{ id: 'dashboard-1m', measured: `p95 ${atMostText(p95, 1)} ms`, ...verdict(options, p95 <= 100) }],
  };
}
