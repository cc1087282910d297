/**
 * The 1M bench file rebuilt at another SQLite page size, to compare what the ingest writer pays
 * (issue 14, session 37): `tmp/bench/ps-SIZE.db`, a copy of SOURCE (default tmp/bench/app-1m.db)
 * rebuilt by VACUUM at `page_size = SIZE` (a WAL database keeps its page size: the copy leaves WAL
 * for the rebuild). Make the 4096 one too, so both are laid out alike, then alternate
 * `PRAGMAS="wal_autocheckpoint = 0" npx tsx scripts/writer-time.ts tmp/bench/ps-SIZE.db 40000`.
 *
 *   npx tsx scripts/page-size.ts SIZE [SOURCE.db]
 */
import { copyFileSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';

const size = Number(process.argv[2]);
if (![512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].includes(size)) {
  throw new Error('usage: scripts/page-size.ts SIZE [SOURCE.db] (SIZE a power of two, 512-65536)');
}
const source = process.argv[3] ?? 'tmp/bench/app-1m.db';
const file = `tmp/bench/ps-${size}.db`;
for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
copyFileSync(source, file);
const db = new Database(file);
db.pragma('journal_mode = DELETE');
db.pragma(`page_size = ${size}`);
const started = performance.now();
db.exec('VACUUM');
db.pragma('journal_mode = WAL');
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(`${file}: page_size ${db.pragma('page_size', { simple: true })}, rebuilt in ${seconds} s`);
db.close();
