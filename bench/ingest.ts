import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { importNdjsonFile } from '../cli/import';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { generateSeedEvents } from '../seed/generate';
import { startBenchServer } from './_server';
import type { BenchRow } from './types';

const DIR = process.env.BENCH_DIR ?? join(process.cwd(), 'tmp', 'bench');
const REQUESTS = Number(process.env.BENCH_INGEST_REQUESTS ?? 250_000);
const HTTP_EVENTS = Number(process.env.BENCH_HTTP_EVENTS ?? 200_000);
const HTTP_BATCH = 1000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const SETTINGS = { ttlUnopenedMs: 300_000, ttlOpenedMs: 900_000 };

/** An NDJSON file of seed events (about four per request; system expiries left to the replay). */
async function writeEventsFile(file: string): Promise<number> {
  const out = createWriteStream(file);
  let count = 0;
  for (const batch of generateSeedEvents({ requests: REQUESTS, days: 90, seed: 11, now: NOW, ...SETTINGS })) {
    const text = batch.events.map((event) => JSON.stringify(event)).join('\n');
    count += batch.events.length;
    if (!out.write(`${text}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return count;
}

function freshDb(file: string) {
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  const db = openDatabase(file);
  migrateDatabase(db);
  return db;
}

async function benchImport(eventsFile: string, events: number): Promise<BenchRow> {
  const db = freshDb(join(DIR, 'import.db'));
  const tally = await importNdjsonFile(db, eventsFile, { progress: 'none' });
  db.$client.close();
  const perSecond = Math.round(tally.total / (tally.ms / 1000));
  return {
    name: `cli import (${events.toLocaleString('en')} events, batches of 5,000)`,
    samples: 1,
    p50Ms: tally.ms,
    p95Ms: tally.ms,
    note: `${perSecond.toLocaleString('en')} events/s, ${tally.accepted} accepted`,
  };
}

async function benchHttp(): Promise<BenchRow> {
  const dbFile = join(DIR, 'http.db');
  freshDb(dbFile).$client.close();
  const { child: server, url: baseUrl, webhookSecret } = await startBenchServer(dbFile);
  const webhook = new Webhook(webhookSecret);
  const bodies: string[] = [];
  let current: string[] = [];
  let total = 0;
  outer: for (const batch of generateSeedEvents({
    requests: Math.ceil(HTTP_EVENTS / 3),
    days: 30,
    seed: 12,
    now: Date.now(),
    ...SETTINGS,
  })) {
    for (const event of batch.events) {
      current.push(JSON.stringify(event));
      total += 1;
      if (current.length === HTTP_BATCH) {
        bodies.push(current.join('\n'));
        current = [];
      }
      if (total >= HTTP_EVENTS) break outer;
    }
  }
  if (current.length) bodies.push(current.join('\n'));

  const latencies: number[] = [];
  const started = performance.now();
  for (const body of bodies) {
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const at = new Date();
    const t0 = performance.now();
    const response = await fetch(`${baseUrl}/api/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': webhook.sign(id, at, body),
      },
      body,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    await response.json();
    latencies.push(performance.now() - t0);
  }
  const elapsed = performance.now() - started;
  server.kill('SIGTERM');
  latencies.sort((a, b) => a - b);
  const rank = (p: number) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)]!;
  return {
    name: `HTTP POST /api/v1/events (signed NDJSON x ${HTTP_BATCH}, ${total.toLocaleString('en')} events)`,
    samples: latencies.length,
    p50Ms: rank(50),
    p95Ms: rank(95),
    note: `${Math.round(total / (elapsed / 1000)).toLocaleString('en')} events/s, one sender`,
  };
}

export async function run(): Promise<BenchRow[]> {
  mkdirSync(DIR, { recursive: true });
  if (!existsSync('build/index.js')) throw new Error('Run `npm run build` first');
  const eventsFile = join(DIR, `events-${REQUESTS}.ndjson`);
  const events = await writeEventsFile(eventsFile);
  return [await benchImport(eventsFile, events), await benchHttp()];
}
