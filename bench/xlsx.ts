import { existsSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { loadavg } from 'node:os';
import { countExportRequests } from '../app/read/exports/rows.server';
import { parseFilters } from '../app/read/filters';
import { createServiceToken } from '../app/write/api-tokens.server';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { benchDatabase, benchRequests } from './_database';
import { cpuSecondsOf, residentMb, threadTimesOf } from './_proc';
import { startBenchServer, stopBenchServer } from './_server';
import { rank } from './_stats';
import { atLeastText, atMostText, type BenchOptions, type BenchResult, verdict } from './types';

/**
 * payment-requests.xlsx of every request (issue 14: 1M rows), downloaded from the built server
 * while /healthz is asked every 20 ms on another connection: rows per second, the server's peak
 * resident memory (sampled from /proc every 20 ms) and /healthz latency meanwhile.
 */
const QUERY = process.env.BENCH_XLSX_QUERY ?? 'tz=America/New_York';
const PROBE_EVERY_MS = 20;

/** CPU seconds each live thread of the process has run so far, by thread id. */
const threadCpuSeconds = (pid: number) =>
  new Map([...threadTimesOf(pid)].map(([tid, { run }]) => [tid, run / 1e9] as const));

/**
 * CPU seconds each thread spent since `before`, from the last sample in which it was alive (a
 * worker thread is gone by the end): the server's event loop (thread id = pid), the busiest other
 * thread (the XLSX worker: every thread is named 'node', so it is told by its load), and the rest
 * (libuv's pool, where zlib deflates, and V8's helpers).
 */
function cpuByRole(pid: number, before: Map<string, number>, last: Map<string, number>) {
  const spent = [...last].map(([tid, seconds]) => [tid, seconds - (before.get(tid) ?? 0)] as const);
  const loop = spent.find(([tid]) => tid === String(pid))?.[1] ?? 0;
  const others = spent
    .filter(([tid]) => tid !== String(pid))
    .map(([, seconds]) => seconds)
    .sort((a, b) => b - a);
  const worker = others[0] ?? 0;
  const rest = others.slice(1).reduce((sum, seconds) => sum + seconds, 0);
  return { loop, worker, rest };
}

function download(url: string, token: string): Promise<{ ms: number; firstByteMs: number; bytes: number }> {
  const started = performance.now();
  let firstByteMs = 0;
  return new Promise((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`HTTP ${response.statusCode}`));
      }
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (bytes === 0) firstByteMs = performance.now() - started;
        bytes += chunk.byteLength;
      });
      response.on('end', () => resolve({ ms: performance.now() - started, firstByteMs, bytes }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** Asks /healthz every PROBE_EVERY_MS on a kept-alive connection until stopped; the latencies. */
function probeHealth(baseUrl: string): { stop: () => Promise<number[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let running = true;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      get(`${baseUrl}/healthz`, { agent }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      }).on('error', reject);
    });
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await once();
      const rest = PROBE_EVERY_MS - (performance.now() - started);
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
      return latencies.sort((a, b) => a - b);
    },
  };
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  if (!existsSync('build/index.js')) throw new Error('Run `npm run build` first');
  const file = benchDatabase('xlsx', options);
  const db = openDatabase(file);
  migrateDatabase(db);
  const manager = { userId: 'bench', name: 'bench', role: 'manager', scope: { kind: 'all' } } as const;
  const rows = await countExportRequests(db, parseFilters(new URLSearchParams(QUERY), 'UTC'), manager);
  const { token, userId } = await createServiceToken(db, { role: 'manager', name: 'bench xlsx' });
  const server = await startBenchServer(file, { EXPIRY_SWEEP_MS: '10000' });
  const pid = server.child.pid!;
  try {
    const idleMb = residentMb(pid);
    let peakMb = idleMb;
    const threadsBefore = threadCpuSeconds(pid);
    const threadsLast = new Map(threadsBefore);
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, residentMb(pid));
      for (const [tid, seconds] of threadCpuSeconds(pid)) threadsLast.set(tid, seconds);
    }, 20);
    const probe = probeHealth(server.url);
    const cpuBefore = cpuSecondsOf(pid) ?? 0;
    const result = await download(`${server.url}/exports/payment-requests.xlsx?${QUERY}`, token);
    const cpu = (cpuSecondsOf(pid) ?? 0) - cpuBefore;
    const health = await probe.stop();
    clearInterval(sampler);
    peakMb = Math.max(peakMb, residentMb(pid));
    const rate = rows / (result.ms / 1000);
    const p99 = rank(health, 0.99);
    const threads = cpuByRole(pid, threadsBefore, threadsLast);
    const perCpu = (seconds: number) => (seconds > 0 ? Math.round(rows / seconds).toLocaleString('en') : '-');
    const measured = `${atLeastText(rate, 0)} rows/s, RSS peak ${atMostText(peakMb, 0)} MB, /healthz p99 ${atMostText(p99, 1)} ms`;
    return {
      rows: [
        {
          name: `XLSX export over HTTP (${rows.toLocaleString('en')} rows, ${(result.bytes / 1e6).toFixed(0)} MB)`,
          samples: 1,
          p50Ms: result.ms,
          p95Ms: result.ms,
          note: `${measured} (idle ${idleMb.toFixed(0)} MB); ${Math.round(rows / cpu).toLocaleString('en')} rows per server CPU-second (threads included); load ${loadavg()[0]!.toFixed(1)}`,
        },
        {
          name: '/healthz during the XLSX export',
          samples: health.length,
          p50Ms: rank(health, 0.5),
          p95Ms: rank(health, 0.95),
          note: `p99 ${p99.toFixed(1)} ms, max ${(health.at(-1) ?? 0).toFixed(1)} ms`,
        },
        {
          name: 'XLSX export: CPU by thread, first byte',
          samples: 1,
          p50Ms: result.firstByteMs,
          p95Ms: result.firstByteMs,
          note:
            `first byte after ${(result.firstByteMs / 1000).toFixed(2)} s (the summary's KPIs); event loop ${threads.loop.toFixed(2)} s, ` +
            `XLSX worker ${threads.worker.toFixed(2)} s (${perCpu(threads.worker)} rows per worker CPU-second), ` +
            `other threads (zlib on libuv's pool) ${threads.rest.toFixed(2)} s`,
        },
      ],
      targets: [
        {
          id: 'xlsx-1m',
          measured: `${measured} (${rows.toLocaleString('en')} rows${rows < benchRequests(options) ? `; the database holds fewer than ${benchRequests(options).toLocaleString('en')} requests` : ''})`,
          ...verdict(options, rate >= 50_000 && peakMb <= 300 && p99 <= 50),
        },
      ],
    };
  } finally {
    await stopBenchServer(server);
    db.$client.prepare('DELETE FROM users WHERE id = ?').run(userId);
    db.$client.close();
  }
}
