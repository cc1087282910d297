/**
 * What batching the value-ordered index writes would save (issue 14, session 14's next step): on a
 * copy of a database, the three value-ordered indexes (the amount sort, the two paid sub-bin ones)
 * are made partial on a new column `sealed = 1`, with a small index of the rows still unsealed;
 * then the newest N requests are unsealed and sealed again in one transaction, for growing N, and
 * the pages that transaction wrote are counted from the WAL. N = 267 is one ingest batch of 1,000
 * events: what each batch pays today. Nothing here changes the app; the copy is removed at the end.
 *
 *   npx tsx scripts/seal-cost.ts [SOURCE.db=tmp/bench/app-1m.db]
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';

const source = process.argv[2] ?? 'tmp/bench/app-1m.db';
const VALUE_INDEXES = ['pr_period_currency_amount_idx', 'pr_paid_period_sub_bin_idx', 'pr_paid_agent_period_sub_bin_idx'];
mkdirSync('tmp/profile', { recursive: true });
const file = 'tmp/profile/seal.db';
const removeCopy = () => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
};
removeCopy();
copyFileSync(source, file);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('cache_size = -524288');

const started = performance.now();
db.exec('ALTER TABLE payment_requests ADD COLUMN sealed INTEGER NOT NULL DEFAULT 1');
for (const name of VALUE_INDEXES) {
  const { sql } = db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(name) as { sql: string };
  db.exec(`DROP INDEX ${name}`);
  db.exec(sql.includes(' WHERE ') ? `${sql} AND sealed = 1` : `${sql} WHERE sealed = 1`);
}
db.exec('CREATE INDEX pr_unsealed_idx ON payment_requests (sent_at) WHERE sealed = 0');
console.log(`partial indexes made in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const pageSize = db.pragma('page_size', { simple: true }) as number;
/** Distinct pages in the WAL (a 32-byte header, then frames of a 24-byte header and a page). */
function walPages(): number {
  const wal = readFileSync(`${file}-wal`);
  const pages = new Set<number>();
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) pages.add(wal.readUInt32BE(offset));
  return pages.size;
}

for (const count of [267, 2_670, 13_350, 26_700]) {
  db.exec(
    `UPDATE payment_requests SET sealed = 0 WHERE id IN
       (SELECT id FROM payment_requests WHERE sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT ${count})`,
  );
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const at = performance.now();
  db.exec('BEGIN IMMEDIATE');
  const sealed = db.prepare('UPDATE payment_requests SET sealed = 1 WHERE sealed = 0').run().changes;
  db.exec('COMMIT');
  const ms = performance.now() - at;
  const pages = walPages();
  console.log(
    `sealing ${sealed.toLocaleString('en')} requests at once: ${ms.toFixed(0)} ms, ${pages.toLocaleString('en')} pages ` +
      `(${(pages / sealed).toFixed(2)} a request, ${((ms / sealed) * 1000).toFixed(0)} µs a request)`,
  );
  db.pragma('wal_checkpoint(TRUNCATE)');
}
db.close();
removeCopy();
