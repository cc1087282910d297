// The server's memory, throughput and WAL over a long HTTP ingest into a copy of the 1M bench file
// (tmp/bench/app-1m.db, `npm run bench` makes it): CHUNKS x 200,000 fresh events (a seed each, three
// days up to now), 2 senders, batches of 1,000. Prints, after each chunk, its events/s and median
// batch, the server's RSS and peak RSS (/proc), the WAL file's size and how many requests are due for
// expiry; then VmRSS sampled every second. `npm run build` first.
//   npx tsx scripts/long-ingest.ts [CHUNKS] [KEY=VALUE ...]   (KEY=VALUE: the server's environment)
import { readFileSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { copyOf } from '../bench/_database';
import { seedEvents } from '../bench/_events';
import { ndjsonBatches, sendBatches } from '../bench/_senders';
import { startBenchServer, stopBenchServer } from '../bench/_server';

const CHUNK_EVENTS = 200_000;
const chunks = Number(process.argv[2] ?? 8);
const env = Object.fromEntries(
  process.argv.slice(3).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const file = 'tmp/bench/long-ingest.db';
copyOf('tmp/bench/app-1m.db', file);
const server = await startBenchServer(file, env);
const pid = server.child.pid!;
const megabytes = (field: string) => {
  const line = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(line![1]) / 1024);
};
const dueNow = () => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM payment_requests WHERE expiry_due_at < ?').pluck().get(Date.now());
  } finally {
    db.close();
  }
};
const started = Date.now();
const samples: string[] = [];
const sampler = setInterval(() => samples.push(`${Math.round((Date.now() - started) / 1000)}s ${megabytes('VmRSS')}`), 1000);
try {
  console.log(`before: RSS ${megabytes('VmRSS')} MB`);
  for (let chunk = 0; chunk < chunks; chunk++) {
    const bodies = ndjsonBatches(seedEvents(40 + chunk, CHUNK_EVENTS, Date.now(), 3), 1000);
    const result = await sendBatches(server.url, server.webhookSecret, bodies, 2);
    const median = result.latencies[result.latencies.length >> 1]!;
    const wal = Math.round(statSync(`${file}-wal`).size / 1048576);
    console.log(
      `chunk ${chunk + 1}: ${Math.round(result.eventsPerSecond).toLocaleString('en')} events/s, median batch ${median.toFixed(0)} ms, RSS ${megabytes('VmRSS')} MB (peak ${megabytes('VmHWM')} MB), WAL file ${wal} MB, due ${dueNow()}`,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 5000));
  console.log(`5 s later: RSS ${megabytes('VmRSS')} MB`);
  console.log(`RSS (MB) each second: ${samples.join(', ')}`);
} finally {
  clearInterval(sampler);
  await stopBenchServer(server);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}
