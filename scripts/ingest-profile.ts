/**
 * In-process ingest profile (issue 14): ingestEvents on fresh events (bench/ingest.ts's generator) into
 * a copy of a database, in batches of 1,000, every prepared statement of the connection wrapped with a
 * timer. Prints events per wall second and per CPU second, the time per statement, and the load.
 *
 *   npx tsx scripts/ingest-profile.ts SOURCE.db [events=20000] [--late]
 *
 * --late: 10,000 events weeks old, newest first (each request's created comes last), as the bench's
 * late row. Writes tmp/profile/profile.db (a copy of SOURCE), removed at the end.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type Database from 'better-sqlite3';
import { ingestEvents } from '../app/write/ingest.server';
import { copyOf } from '../bench/_database';
import { BENCH_SETTINGS, freshEvents, lateEvents } from '../bench/_events';
import { openDatabase } from '../db/client';

const args = process.argv.slice(2);
const source = args.find((arg) => arg.endsWith('.db'));
if (!source) throw new Error('usage: scripts/ingest-profile.ts SOURCE.db [events] [--late]');
const late = args.includes('--late');
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? (late ? 10_000 : 20_000));

const now = Date.now();
const events = late ? lateEvents(count, now) : freshEvents(count, now);

mkdirSync('tmp/profile', { recursive: true });
const file = 'tmp/profile/profile.db';
copyOf(source, file);
const db = openDatabase(file);
// INGEST_PROFILE_PRAGMAS="wal_autocheckpoint = 10000; ...": settings to compare against openDatabase's.
for (const pragma of (process.env.INGEST_PROFILE_PRAGMAS ?? '').split(';').filter((p) => p.trim()))
  db.$client.pragma(pragma.trim());

// Every statement prepared from here on reports its time under its first 70 characters.
const timings = new Map<string, { calls: number; ms: number }>();
const sqlite = db.$client as Database.Database & { prepare: Database.Database['prepare'] };
const prepare = sqlite.prepare.bind(sqlite);
sqlite.prepare = ((sql: string) => {
  const statement = prepare(sql);
  const name = sql.replace(/\s+/g, ' ').trim().slice(0, 70);
  const entry = timings.get(name) ?? { calls: 0, ms: 0 };
  timings.set(name, entry);
  for (const method of ['run', 'get', 'all'] as const) {
    const original = statement[method].bind(statement) as (...a: unknown[]) => unknown;
    (statement as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => {
      const started = performance.now();
      try {
        return original(...a);
      } finally {
        entry.calls += 1;
        entry.ms += performance.now() - started;
      }
    };
  }
  return statement;
}) as Database.Database['prepare'];

const cpu = process.cpuUsage();
const started = performance.now();
for (let at = 0; at < events.length; at += 1000) {
  const summary = await ingestEvents(db, events.slice(at, at + 1000), 'api', { settings: BENCH_SETTINGS });
  if (summary.rejected > 0) throw new Error(`rejected: ${JSON.stringify(summary.results.find((r) => r.status === 'rejected'))}`);
}
const wall = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
// With INGEST_PROFILE_PRAGMAS="wal_autocheckpoint = 0" the WAL holds every page the run committed.
const [walFrames] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
const cpuSeconds = (used.user + used.system) / 1e6;
db.$client.close();
for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });

const statementMs = [...timings.values()].reduce((total, entry) => total + entry.ms, 0);
console.log(
  `${events.length} ${late ? 'late ' : ''}events into a copy of ${source}: ${Math.round(events.length / wall)} events/s wall, ${Math.round(events.length / cpuSeconds)} per CPU-second; statements ${Math.round(statementMs)} ms of ${Math.round(wall * 1000)} ms; load ${loadavg()[0]!.toFixed(2)}`,
);
console.log(`WAL frames (pages committed) ${walFrames?.log}, ${((walFrames?.log ?? 0) / Math.ceil(events.length / 1000)).toFixed(0)} a batch of 1,000`);
for (const [name, entry] of [...timings].sort(([, a], [, b]) => b.ms - a.ms)) {
  if (entry.calls === 0) continue;
  console.log(
    `${String(Math.round(entry.ms)).padStart(7)} ms ${String(entry.calls).padStart(7)} calls ${((entry.ms / entry.calls) * 1000).toFixed(0).padStart(6)} µs  ${name}`,
  );
}
