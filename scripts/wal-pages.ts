/**
 * Which b-trees each ingest commit writes (issue 14): ingestEvents on fresh events (bench/ingest.ts's
 * generator) into a copy of a database with automatic checkpoints off, then the WAL's frame headers
 * read (page number, commit marker) and every page mapped to its table or index by `dbstat`. Prints
 * events per second and the distinct pages a commit, by b-tree.
 *
 *   npx tsx scripts/wal-pages.ts SOURCE.db [events=16000] [--late]
 *
 * BATCH=N: events a transaction (default 1,000). DROP=idx1,idx2: indexes dropped from the copy first
 * (what each costs). SQL='...': statements run on the copy after DROP (an index variant). --late: 10,000-style late events (weeks old, newest first). Writes
 * tmp/profile/wal.db (a copy of SOURCE), removed at the end.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ingestEvents } from '../app/write/ingest.server';
import { copyOf } from '../bench/_database';
import { BENCH_SETTINGS, freshEvents, lateEvents } from '../bench/_events';
import { openDatabase } from '../db/client';

const args = process.argv.slice(2);
const source = args.find((arg) => arg.endsWith('.db'));
if (!source) throw new Error('usage: scripts/wal-pages.ts SOURCE.db [events] [--late]');
const late = args.includes('--late');
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 16_000);
const batch = Number(process.env.BATCH ?? 1000);

const now = process.env.NOW ? Date.parse(process.env.NOW) : Date.now();
const events = late ? lateEvents(count, now) : freshEvents(count, now);
mkdirSync('tmp/profile', { recursive: true });
const file = 'tmp/profile/wal.db';
const removeCopy = () => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
};
removeCopy();
copyOf(source, file);
let db = openDatabase(file);
for (const name of (process.env.DROP ?? '').split(',').filter(Boolean)) db.$client.exec(`DROP INDEX ${name}`);
if (process.env.SQL) db.$client.exec(process.env.SQL);
db.$client.pragma('wal_checkpoint(TRUNCATE)');
if (process.env.DROP || process.env.SQL) {
  // A new connection: the one that ran CREATE INDEX over 1M rows ingests twice as slowly (session 26).
  db.$client.close();
  db = openDatabase(file);
}
db.$client.pragma('wal_autocheckpoint = 0');

const started = performance.now();
for (let at = 0; at < events.length; at += batch) {
  await ingestEvents(db, events.slice(at, at + batch), 'api', { settings: BENCH_SETTINGS });
}
const perSecond = Math.round(events.length / ((performance.now() - started) / 1000));

// WAL: a 32-byte header, then frames of a 24-byte header (page number, and the database size in
// pages on a commit's last frame, else 0) and the page.
const wal = readFileSync(`${file}-wal`);
const pageSize = wal.readUInt32BE(8);
const commits: number[][] = [[]];
for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
  commits.at(-1)!.push(wal.readUInt32BE(offset));
  if (wal.readUInt32BE(offset + 4) !== 0) commits.push([]);
}
const written = commits.filter((pages) => pages.length > 0);
const owner = new Map<number, string>();
for (const row of db.$client.prepare('SELECT name, pageno FROM dbstat').iterate() as Iterable<{
  name: string;
  pageno: number;
}>) {
  owner.set(row.pageno, row.name);
}
const byTree = new Map<string, number>();
let total = 0;
for (const pages of written) {
  for (const page of new Set(pages)) {
    const tree = owner.get(page) ?? '(free or header)';
    byTree.set(tree, (byTree.get(tree) ?? 0) + 1);
    total += 1;
  }
}
db.$client.close();
removeCopy();

console.log(
  `${events.length} ${late ? 'late ' : ''}events, batches of ${batch}: ${perSecond} events/s; ${written.length} commits, ${(total / written.length).toFixed(0)} distinct pages a commit`,
);
for (const [tree, pages] of [...byTree].sort((a, b) => b[1] - a[1])) {
  console.log(`${(pages / written.length).toFixed(1).padStart(8)}  ${tree}`);
}
