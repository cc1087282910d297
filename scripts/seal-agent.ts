/**
 * What sealing the three agent-first indexes would buy the ingest writer (issue 14, session 26), not
 * built: `pr_agent_sent_idx`, `pr_team_agent_sent_idx` and `pr_paid_agent_period_sub_bin_idx` partial
 * on a `sealed = 1` column, new requests written unsealed (outside them; `pr_unsealed_idx` on sent_at
 * finds them) and sealed in bulk every SEAL_EVERY batches (default 16, about 4,000 requests), the
 * seal's time counted. A batch's new entries otherwise land on each agent's own tail leaf of three
 * indexes (25 agents: ~3 pages each a commit, SQLite redistributing a full leaf with its siblings).
 *
 *   npx tsx scripts/seal-agent.ts make        # tmp/bench/seal-base.db and seal-seal.db from the 1M file
 *   npx tsx scripts/seal-agent.ts base|seal [events=40000]
 *
 * `make` gives both files the `sealed` column and the three indexes rebuilt (partial in seal-seal.db),
 * then VACUUMs each, so that both are laid out alike. (A first try rebuilt the indexes on the
 * connection that then ingested: that connection stays slow after CREATE INDEX over 1M rows, the
 * projection insert 27 -> 107 us; a new connection on the same file is not.) `base` ingests as today (new rows sealed by the column's default); `seal` writes new rows
 * with sealed = 0 (the projection's INSERT rewritten as it is prepared) and seals them. Both on a
 * flushed copy, checkpoints off (the server's checkpointer thread takes them), alternate the two.
 * The readers of those indexes (an agent's list by sentAt, a supervisor's list by agent, an agent's
 * exact times to pay) would have to add the unsealed rows; this measures only the writer.
 */
import { execSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ingestPrepared } from '../app/write/ingest.server';
import { prepareInputs } from '../app/write/ingest-plan';
import { copyOf } from '../bench/_database';
import { BENCH_SETTINGS, freshEvents } from '../bench/_events';
import { openDatabase } from '../db/client';

const AGENT_FIRST = ['pr_agent_sent_idx', 'pr_team_agent_sent_idx', 'pr_paid_agent_period_sub_bin_idx'];
const SOURCE = 'tmp/bench/app-1m.db';
const fileOf = (variant: string) => `tmp/bench/seal-${variant}.db`;
const removeDb = (file: string) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
};

const [mode, countArg] = process.argv.slice(2);
if (mode === 'make') for (const variant of ['base', 'seal']) make(variant);
else if (mode === 'base' || mode === 'seal') await run(mode, Number(countArg ?? 40_000));
else throw new Error('usage: scripts/seal-agent.ts make | base | seal [events]');

function make(variant: string): void {
  const file = fileOf(variant);
  removeDb(file);
  copyFileSync(SOURCE, file);
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  const sqls = AGENT_FIRST.map(
    (name) => (sqlite.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get(name) as { sql: string }).sql,
  );
  sqlite.exec('ALTER TABLE payment_requests ADD COLUMN sealed INTEGER NOT NULL DEFAULT 1');
  for (const name of AGENT_FIRST) sqlite.exec(`DROP INDEX ${name}`);
  for (const sql of sqls) {
    if (variant === 'base') sqlite.exec(sql);
    else sqlite.exec(sql.includes(' WHERE ') ? `${sql} AND sealed = 1` : `${sql} WHERE sealed = 1`);
  }
  if (variant === 'seal') sqlite.exec('CREATE INDEX pr_unsealed_idx ON payment_requests (sent_at) WHERE sealed = 0');
  sqlite.exec('VACUUM');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
  console.log(`${file} made`);
}

async function run(variant: 'base' | 'seal', count: number): Promise<void> {
  const every = Number(process.env.SEAL_EVERY ?? 16);
  const now = Date.now();
  const events = freshEvents(count, now);
  mkdirSync('tmp/profile', { recursive: true });
  const file = `tmp/profile/seal-${process.pid}.db`;
  copyOf(fileOf(variant), file);
  const db = openDatabase(file);
  const sqlite = db.$client;
  sqlite.pragma('wal_autocheckpoint = 0');
  if (variant === 'seal') {
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((sql: string) =>
      prepare(
        sql.replace(
          /^INSERT INTO payment_requests \(([^)]*)\)\s*VALUES \(([^)]*)\)/,
          'INSERT INTO payment_requests ($1, sealed) VALUES ($2, 0)',
        ),
      )) as Database.Database['prepare'];
  }
  const seal = sqlite.prepare('UPDATE payment_requests SET sealed = 1 WHERE sealed = 0');
  const batches = [];
  for (let at = 0; at < events.length; at += 1000) batches.push(prepareInputs(events.slice(at, at + 1000), now));
  let sealMs = 0;
  let sealed = 0;
  const started = performance.now();
  for (let i = 0; i < batches.length; i++) {
    const summary = await ingestPrepared(db, batches[i]!, 'api', { now, settings: BENCH_SETTINGS });
    if (summary.rejected > 0) throw new Error('a bench event was rejected');
    if (variant === 'seal' && ((i + 1) % every === 0 || i === batches.length - 1)) {
      const at = performance.now();
      sqlite.exec('BEGIN IMMEDIATE');
      sealed += seal.run().changes;
      sqlite.exec('COMMIT');
      sealMs += performance.now() - at;
    }
  }
  const ms = performance.now() - started;
  const [{ log: frames }] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
  sqlite.close();
  removeDb(file);
  console.log(
    `${variant}: ${(ms / batches.length).toFixed(2)} ms a batch of 1,000 (seals ${sealMs.toFixed(0)} ms for ${sealed} requests), ${(frames / batches.length).toFixed(0)} pages a batch`,
  );
}
