// Reads timed before and while 2 senders ingest into a copy of the 1M bench file (tmp/bench/app-1m.db,
// npm run bench makes it), as a manager: the ingest writer thread (INGEST_WRITER_THREAD=1) or the
// server's thread (0). `npm run build` first.
//   npx tsx scripts/dash-under-ingest.ts 1|0 [PATH ...]
// PATH: what to GET in turn, {from} and {to} standing for the 90 days ending on the last sent day
// (default: /dashboard?from={from}&to={to}).
import { rmSync } from 'node:fs';
import { openDatabase } from '../db/client';
import { createServiceToken } from '../app/write/api-tokens.server';
import { shiftDate, todayIn } from '../app/read/date-ranges';
import { copyOf } from '../bench/_database';
import { freshEvents } from '../bench/_events';
import { ndjsonBatches, sendBatches } from '../bench/_senders';
import { startBenchServer, stopBenchServer } from '../bench/_server';

const mode = process.argv[2] ?? '1';
const source = 'tmp/bench/app-1m.db';
const file = 'tmp/bench/dash-ingest.db';
copyOf(source, file);
const db = openDatabase(file);
const max = db.$client.prepare('SELECT max(sent_at) FROM payment_requests').pluck().get() as number;
const to = todayIn('UTC', max);
const from = shiftDate(to, -89);
const manager = await createServiceToken(db, { role: 'manager', name: 'x' });
db.$client.close();
const server = await startBenchServer(file, { INGEST_WRITER_THREAD: mode, EXPIRY_SWEEP_MS: '10000' });
const paths = process.argv.slice(3);
const urls = (paths.length > 0 ? paths : ['/dashboard?from={from}&to={to}']).map(
  (path) => `${server.url}${path.replaceAll('{from}', from).replaceAll('{to}', to)}`,
);
let turn = 0;
const time = async () => {
  const url = urls[turn++ % urls.length]!;
  const t = performance.now();
  const r = await fetch(url, { headers: { authorization: `Bearer ${manager.token}` } });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return performance.now() - t;
};
const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1]!.toFixed(1);
try {
  for (let i = 0; i < 3; i++) await time();
  const quiet: number[] = [];
  for (let i = 0; i < 20; i++) quiet.push(await time());
  const bodies = ndjsonBatches(freshEvents(120_000, Date.now()), 1000);
  let done = false;
  const ingest = sendBatches(server.url, server.webhookSecret, bodies, 2).finally(() => (done = true));
  const busy: number[] = [];
  await new Promise((r) => setTimeout(r, 300));
  while (!done) busy.push(await time());
  const result = await ingest;
  console.log(`mode ${mode} (${urls.length} path(s)): quiet p50 ${p(quiet, 0.5)} p95 ${p(quiet, 0.95)} | under ingest n=${busy.length} p50 ${p(busy, 0.5)} p95 ${p(busy, 0.95)} max ${p(busy, 1)} | ingest ${Math.round(result.eventsPerSecond)} events/s`);
} finally {
  await stopBenchServer(server);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}
