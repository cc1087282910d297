import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { createServiceToken } from '../app/write/api-tokens.server';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { benchDatabase } from './_database';
import { cpuSecondsOf, residentMb } from './_proc';
import { startBenchServer } from './_server';
import { rank } from './_stats';
import type { BenchOptions, BenchResult } from './types';

/**
 * CSV export of a million requests through the built server (build/server.js, as `npm start`), with
 * the server's resident memory sampled from /proc while it streams. The database is made once
 * (about 6 minutes) and reused:
 *   DATABASE_URL=/work/bench-data-c/app.db npm run seed -- --requests 1000000 --days 365 --seed 7 --reset
 */

const QUERY = process.env.BENCH_EXPORT_QUERY ?? 'tz=America/New_York';

/**
 * Streams one export with node:http (a client as light as curl, so the two cores go to the server),
 * counting rows (line ends) without keeping the body.
 */
function download(url: string, token: string): Promise<{ ms: number; rows: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`HTTP ${response.statusCode}`));
        response.resume();
        return;
      }
      let lines = 0;
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.byteLength;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      });
      response.on('end', () => resolve({ ms: performance.now() - started, rows: lines - 1, bytes }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const RUNS = Number(process.env.BENCH_EXPORT_RUNS ?? (options.quick ? 1 : 3));
  if (!existsSync('build/index.js')) throw new Error('Run `npm run build` first');
  const DB_FILE = benchDatabase('exports', options);
  const db = openDatabase(DB_FILE);
  migrateDatabase(db);
  const { token } = await createServiceToken(db, { role: 'manager', name: 'bench exports' });
  db.$client.close();

  const { child: server, url: baseUrl } = await startBenchServer(DB_FILE);
  const pid = server.pid!;
  try {
    const idleMb = residentMb(pid);
    let peakMb = idleMb;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, residentMb(pid));
    }, 20);
    const url = `${baseUrl}/exports/payment-requests.csv?${QUERY}`;
    const runs: { ms: number; rows: number; bytes: number }[] = [];
    const cpuBefore = cpuSecondsOf(pid) ?? 0;
    for (let i = 0; i < RUNS; i++) runs.push(await download(url, token));
    const cpuPerRun = ((cpuSecondsOf(pid) ?? 0) - cpuBefore) / RUNS;
    clearInterval(sampler);
    peakMb = Math.max(peakMb, residentMb(pid));

    const times = runs.map((r) => r.ms).sort((a, b) => a - b);
    const rows = runs[0]!.rows;
    const p50 = rank(times, 0.5);
    return {
      rows: [
        {
          name: `CSV export over HTTP (${rows.toLocaleString('en')} rows, ${(runs[0]!.bytes / 1e6).toFixed(0)} MB)`,
          samples: runs.length,
          p50Ms: p50,
          p95Ms: rank(times, 0.95),
          note: `${Math.round(rows / (p50 / 1000)).toLocaleString('en')} rows/s at p50 (${Math.round(rows / cpuPerRun).toLocaleString('en')} per server CPU-second); server RSS peak ${peakMb.toFixed(0)} MB (idle ${idleMb.toFixed(0)} MB)`,
        },
      ],
    };
  } finally {
    server.kill('SIGTERM');
  }
}
