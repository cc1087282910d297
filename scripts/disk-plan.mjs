/**
 * Issue 14, disk (session 15; for files before migration 0027, whose rollups are wide): how many
 * bytes a request two layout changes would save, measured on
 * a database's own rows. (1) The rollups' 32 histogram columns h0..h31 packed into one BLOB of
 * (bin, varint count) pairs: both forms of each rollup table are rebuilt in key order in a scratch
 * file and the ratio applied to the table's size in the source. (2) events.received_at stored as a
 * delta from occurred_at (SQLite's integer sizes of either).
 *
 *   node scripts/disk-plan.mjs [SOURCE.db]   (default tmp/bench/app-1m-grown.db; scratch tmp/exp/disk-plan.db)
 */
import { mkdirSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';

const src = new Database(process.argv[2] ?? 'tmp/bench/app-1m-grown.db', { readonly: true });
const requests = src.prepare('SELECT count(*) n FROM payment_requests').get().n;
const tables = ['metrics_rollup_15m', 'metrics_rollup_agent_channel_day', 'metrics_rollup_agent_day', 'metrics_rollup_day'];
mkdirSync('tmp/exp', { recursive: true });
const scratch = new Database('tmp/exp/disk-plan.db');
scratch.pragma('journal_mode = OFF');
let saved = 0;
const varint = (n) => { const out = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n); return out; };
for (const t of tables) {
  const sql = src.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(t).sql;
  const info = src.prepare(`SELECT name, type FROM pragma_table_info('${t}')`).all();
  const cols = info.map((c) => c.name);
  const typeOf = Object.fromEntries(info.map((c) => [c.name, c.type]));
  const hcols = cols.filter((c) => /^h\d+$/.test(c));
  const keep = cols.filter((c) => !/^h\d+$/.test(c));
  const pk = /PRIMARY KEY\(([^)]*)\)/.exec(sql)[1];
  scratch.exec(`DROP TABLE IF EXISTS a; DROP TABLE IF EXISTS b;`);
  scratch.exec(sql.replace(`\`${t}\``, 'a'));
  scratch.exec(`CREATE TABLE b (${keep.map((c) => `\`${c}\` ${typeOf[c]}`).join(', ')}, hist BLOB, PRIMARY KEY(${pk})) WITHOUT ROWID`);
  const insA = scratch.prepare(`INSERT INTO a VALUES (${cols.map(() => '?').join(',')})`);
  const insB = scratch.prepare(`INSERT INTO b VALUES (${keep.map(() => '?').join(',')}, ?)`);
  scratch.exec('BEGIN');
  for (const row of src.prepare(`SELECT * FROM ${t} ORDER BY ${pk.replaceAll('`', '')}`).raw().iterate()) {
    insA.run(row);
    const bytes = [];
    hcols.forEach((c) => { const v = row[cols.indexOf(c)]; if (v) bytes.push(Number(c.slice(1)), ...varint(v)); });
    insB.run([...keep.map((c) => row[cols.indexOf(c)]), bytes.length ? Buffer.from(bytes) : null]);
  }
  scratch.exec('COMMIT');
  const size = (name) => scratch.prepare("SELECT sum(pgsize) FROM dbstat WHERE name = ?").pluck().get(name);
  const a = size('a'), b = size('b');
  const grown = src.prepare("SELECT sum(pgsize) FROM dbstat WHERE name = ?").pluck().get(t);
  const save = grown * (1 - b / a);
  saved += save;
  console.log(`${t}: packed-in-order ${(a / requests).toFixed(1)} -> ${(b / requests).toFixed(1)} B/request; on the grown file ${(grown / requests).toFixed(1)} -> ${((grown - save) / requests).toFixed(1)}`);
}
const bytesOf = (expr) => `CASE WHEN ${expr} IS NULL THEN 0 WHEN ${expr} = 0 OR ${expr} = 1 THEN 0 WHEN abs(${expr}) < 128 THEN 1 WHEN abs(${expr}) < 32768 THEN 2 WHEN abs(${expr}) < 8388608 THEN 3 WHEN abs(${expr}) < 2147483648 THEN 4 WHEN abs(${expr}) < 140737488355328 THEN 6 ELSE 8 END`;
const r = src.prepare(`SELECT avg(${bytesOf('received_at')}) a, avg(${bytesOf('(received_at - occurred_at)')}) b, count(*) n FROM events`).get();
const deltaSave = (r.a - r.b) * r.n / requests;
console.log(`received_at: ${r.a.toFixed(2)} -> ${r.b.toFixed(2)} bytes an event as a delta: ${deltaSave.toFixed(1)} B/request`);
console.log(`rollups packed: ${(saved / requests).toFixed(1)} B/request; both: ${(saved / requests + deltaSave).toFixed(1)}`);
scratch.close();
rmSync('tmp/exp/disk-plan.db', { force: true });
