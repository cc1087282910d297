/**
 * The ingest writer's part alone, in process (issue 14): fresh (or late) bench events prepared first
 * (prepareInputs, the server's thread's work), then `ingestPrepared` timed batch by batch on a flushed
 * copy of SOURCE, as the writer thread runs it. Use it for writer-side changes: over HTTP the two
 * cores' sharing hides or inflates them (session 25: a 10% writer regression read as a smaller gain).
 *
 *   npx tsx scripts/writer-time.ts SOURCE.db [events=20000] [--late]
 *
 * PRAGMAS="wal_autocheckpoint = 0; ...": pragmas on the copy's connection (autocheckpoint 0 leaves
 * checkpoints out of COMMIT, as the server's checkpointer thread does). DROP=idx1,idx2 and SQL='...':
 * indexes dropped and statements run on the copy first (then checkpointed, flushed and the
 * connection opened again).
 * LABEL: a prefix for the line printed. Alternate runs of the variants: the first of a pair tends to be faster.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { ingestPrepared } from '../app/write/ingest.server';
import { prepareInputs } from '../app/write/ingest-plan';
import { copyOf } from '../bench/_database';
import { BENCH_SETTINGS, freshEvents, lateEvents } from '../bench/_events';
import { openDatabase } from '../db/client';

const args = process.argv.slice(2);
const source = args.find((arg) => arg.endsWith('.db'));
if (!source) throw new Error('usage: scripts/writer-time.ts SOURCE.db [events] [--late]');
const late = args.includes('--late');
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 20_000);
const now = Date.now();
const events = late ? lateEvents(count, now) : freshEvents(count, now);

mkdirSync('tmp/profile', { recursive: true });
const file = `tmp/profile/writer-${process.pid}.db`;
copyOf(source, file);
let db = openDatabase(file);
if (process.env.DROP || process.env.SQL) {
  for (const name of (process.env.DROP ?? '').split(',').filter(Boolean)) db.$client.exec(`DROP INDEX ${name}`);
  if (process.env.SQL) db.$client.exec(process.env.SQL);
  // The checkpoint writes the changes into the file and fsyncs it (synchronous = FULL).
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  // A new connection: the one that ran CREATE INDEX over 1M rows stays slow (61.9 against 31.9 ms a batch).
  db.$client.close();
  db = openDatabase(file);
}
for (const pragma of (process.env.PRAGMAS ?? '').split(';').filter((p) => p.trim())) db.$client.pragma(pragma.trim());

const batches = [];
for (let at = 0; at < events.length; at += 1000) batches.push(prepareInputs(events.slice(at, at + 1000), now));
const cpu = process.cpuUsage();
const started = performance.now();
for (const batch of batches) {
  const summary = await ingestPrepared(db, batch, 'api', { now, settings: BENCH_SETTINGS });
  if (summary.rejected > 0) throw new Error('a bench event was rejected');
}
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
db.$client.close();
for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
const perBatch = (value: number) => (value / batches.length).toFixed(2);
console.log(
  `${process.env.LABEL ?? ''} ${count} ${late ? 'late' : 'fresh'} events: ${Math.round(count / (ms / 1000))} events/s, ${perBatch(ms)} ms a batch; CPU user ${perBatch(used.user / 1000)} sys ${perBatch(used.system / 1000)} ms a batch`.trim(),
);
