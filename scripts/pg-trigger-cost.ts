/**
 * What the rollup triggers cost per request on each engine (docs/postgres.md, "Measured"): 20,000
 * requests inserted in one statement, then a third of them updated, with and without the triggers,
 * on PostgreSQL (a new database per run, dropped after) and on SQLite (files in tmp/, removed after).
 * `PG_TEST_URL=$(scripts/pg-cluster.sh url) npx tsx scripts/pg-trigger-cost.ts`
 */
import { readFileSync, rmSync } from 'node:fs';
import pg from 'pg';
import { openDatabase } from '../db/client';
import { rollupTriggerSql } from '../db/metrics-rollups';
import { migrateDatabase } from '../db/migrate';

const N = 20_000;
const D = Date.UTC(2026, 10, 1);
const row = (g: string) => `'b' || ${g}, 'ag_' || (${g} % 50), 'tm_' || (${g} % 5), 1000 + ${g}, 'USD', 'whatsapp', 'SO', 'r', '+1',
  CASE ${g} % 3 WHEN 0 THEN 'paid' WHEN 1 THEN 'sent' ELSE 'expired' END, ${D} + ${g} * 60000, ${D} + ${g} * 60000,
  CASE WHEN ${g} % 3 = 0 THEN ${D} + ${g} * 60000 + (${g} % 600) * 1000 END, 0, ${D}, ${D}`;
const cols = 'id, agent_id, team_id, amount, currency, channel, order_number, reason, customer_phone, status, created_at, sent_at, paid_at, send_failures, last_event_at, updated_at';
const update = `UPDATE payment_requests SET status = 'declined', closed_at = sent_at + 1000 WHERE status = 'sent'`;

async function main() {
  const url = process.env.PG_TEST_URL;
  if (!url) throw new Error('Set PG_TEST_URL (scripts/pg-cluster.sh url)');
  const admin = new pg.Client(url);
  await admin.connect();
  for (const triggers of [true, false]) {
    const name = `paylink_bench_${process.pid}_${triggers ? 't' : 'n'}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const c = new pg.Client(u.toString());
    await c.connect();
    for (const f of ['0000_init.sql', '0001_metrics_rollup_triggers.sql'])
      for (const s of readFileSync(`db/migrations-pg/${f}`, 'utf8').split('--> statement-breakpoint')) await c.query(s);
    if (!triggers) await c.query('ALTER TABLE payment_requests DISABLE TRIGGER USER');
    let t = performance.now();
    await c.query(`INSERT INTO payment_requests (${cols}) SELECT ${row('g')} FROM generate_series(1, ${N}) g`);
    const ins = performance.now() - t;
    t = performance.now();
    const r = await c.query(update);
    const upd = performance.now() - t;
    console.log(`postgres triggers=${triggers}: insert ${N} rows ${ins.toFixed(0)} ms, update ${r.rowCount} rows ${upd.toFixed(0)} ms`);
    await c.end();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  }
  await admin.end();
  for (const triggers of [true, false]) {
    const file = `tmp/trigger-cost-${process.pid}-${triggers}.db`;
    const db = openDatabase(file, { synchronous: 'NORMAL' });
    migrateDatabase(db);
    // Migration 0014 dropped SQLite's insert and update triggers (the writer moves the rollups): put them back to measure them.
    if (triggers) for (const sql of rollupTriggerSql().slice(0, 2)) db.$client.exec(sql);
    else db.$client.exec('DROP TRIGGER metrics_rollup_delete');
    let t = performance.now();
    db.$client.exec(`WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${N}) INSERT INTO payment_requests (${cols}) SELECT ${row('g')} FROM s`);
    const ins = performance.now() - t;
    t = performance.now();
    const r = db.$client.prepare(update).run();
    const upd = performance.now() - t;
    console.log(`sqlite triggers=${triggers}: insert ${N} rows ${ins.toFixed(0)} ms, update ${r.changes} rows ${upd.toFixed(0)} ms`);
    db.$client.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
}
main();
