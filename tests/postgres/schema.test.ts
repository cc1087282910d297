import { readFileSync } from 'node:fs';
import { getTableConfig } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_HOLDER_SQL, LEASE_UPSERT_SQL } from '../../app/write/leases.server';
import type { Db } from '../../db/client';
import { EVENT_SOURCE_CODES, EVENT_TYPE_CODES, STORED_EVENT_SOURCES, STORED_EVENT_TYPES } from '../../db/event-codes';
import { DAY_MS, ROLLUP_TABLES, wideRollupSql } from '../../db/metrics-rollups';
import { rollupBackfillPgSql } from '../../db/metrics-rollups.pg';
import { connectPostgres, migratePostgres } from '../../db/pg-client';
import { ROLLUP_ROW_SQL, RollupDeltaSums, type RollupRow } from '../../db/rollup-deltas';
import { flushRollupDeltasPostgres, ROLLUP_ROW_PG_SQL } from '../../db/rollup-deltas.pg';
import * as pgSchema from '../../db/schema.pg';
import { createTestDb } from '../support/db';

// PostgreSQL schema and rollup triggers against a real server (issue 13). Runs only with PG_TEST_URL:
//   scripts/pg-cluster.sh start && PG_TEST_URL=$(scripts/pg-cluster.sh url) npx vitest run tests/postgres

const PG_TEST_URL = process.env.PG_TEST_URL;
if (!PG_TEST_URL) {
  console.log(
    'tests/postgres/schema.test.ts skipped: PG_TEST_URL is not set (scripts/pg-cluster.sh start; PG_TEST_URL=$(scripts/pg-cluster.sh url))',
  );
}

const D = Date.UTC(2026, 10, 23);
const H = 3_600_000;
const MIN = 60_000;

function insertRequest(row: {
  id: string;
  agent: string;
  team: string;
  amount: number;
  currency: string;
  channel: string;
  status: string;
  createdAt: number;
  sentAt?: number;
  closedAt?: number;
  sendFailures?: number;
}): string {
  const sentAt = row.sentAt ?? 'NULL';
  const closedAt = row.closedAt ?? 'NULL';
  return `INSERT INTO payment_requests (id, agent_id, team_id, amount, currency, channel, order_number, reason, customer_phone, status, created_at, sent_at, closed_at, send_failures, last_event_at, updated_at) VALUES ('${row.id}', '${row.agent}', '${row.team}', ${row.amount}, '${row.currency}', '${row.channel}', 'SO-${row.id}', 'Dress', '+27821234567', '${row.status}', ${row.createdAt}, ${sentAt}, ${closedAt}, ${row.sendFailures ?? 0}, ${row.createdAt}, ${row.createdAt});`;
}

/** The same plain SQL on both engines: what the replay's writes to the projection move in the rollups. */
const OPERATIONS: readonly string[] = [
  // r1: created unsent, then sent, opened, paid 42 s after sending (histogram bin 7: 40-50 s).
  insertRequest({
    id: 'r1',
    agent: 'ag_1',
    team: 'tm_a',
    amount: 36121,
    currency: 'USD',
    channel: 'whatsapp',
    status: 'created',
    createdAt: D + 10 * H,
  }),
  `UPDATE payment_requests SET status = 'sent', sent_at = ${D + 10 * H + 1000} WHERE id = 'r1';`,
  `UPDATE payment_requests SET status = 'opened', opened_at = ${D + 10 * H + 30_000} WHERE id = 'r1';`,
  `UPDATE payment_requests SET status = 'paid', paid_at = ${D + 10 * H + 43_000}, closed_at = ${D + 10 * H + 43_000} WHERE id = 'r1';`,
  // r2: the send failed (counted by createdAt), a retry sent it, opened, expired.
  insertRequest({
    id: 'r2',
    agent: 'ag_2',
    team: 'tm_a',
    amount: 5000,
    currency: 'EUR',
    channel: 'sms',
    status: 'send_failed',
    createdAt: D + 11 * H,
    sendFailures: 1,
  }),
  `UPDATE payment_requests SET status = 'sent', sent_at = ${D + 11 * H + 20 * MIN} WHERE id = 'r2';`,
  `UPDATE payment_requests SET send_failures = 2 WHERE id = 'r2';`,
  `UPDATE payment_requests SET status = 'opened', opened_at = ${D + 12 * H} WHERE id = 'r2';`,
  `UPDATE payment_requests SET status = 'expired', closed_at = ${D + 13 * H} WHERE id = 'r2';`,
  // r3: declined at 23:55, then re-timed into the next day and another team (both cells move).
  insertRequest({
    id: 'r3',
    agent: 'ag_3',
    team: 'tm_b',
    amount: 1200,
    currency: 'USD',
    channel: 'email',
    status: 'sent',
    createdAt: D + 23 * H + 50 * MIN,
    sentAt: D + 23 * H + 50 * MIN,
  }),
  `UPDATE payment_requests SET status = 'declined', closed_at = ${D + 23 * H + 55 * MIN} WHERE id = 'r3';`,
  `UPDATE payment_requests SET sent_at = ${D + DAY_MS + 5 * MIN}, team_id = 'tm_a' WHERE id = 'r3';`,
  // r4: an amount beyond 2^31, paid after 2 h (the open last bin).
  insertRequest({
    id: 'r4',
    agent: 'ag_3',
    team: 'tm_b',
    amount: 999_999_999_999,
    currency: 'USD',
    channel: 'webchat',
    status: 'sent',
    createdAt: D + 9 * H,
    sentAt: D + 9 * H,
  }),
  `UPDATE payment_requests SET status = 'paid', paid_at = ${D + 11 * H}, closed_at = ${D + 11 * H} WHERE id = 'r4';`,
  // r5: sent 1 ms before 1970: its cell is the day before (floor, not truncation).
  insertRequest({
    id: 'r5',
    agent: 'ag_3',
    team: 'tm_b',
    amount: 700,
    currency: 'USD',
    channel: 'sms',
    status: 'canceled',
    createdAt: -5000,
    sentAt: -1,
    closedAt: 0,
  }),
  // r6: inserted, then deleted (the demo reset deletes requests).
  insertRequest({
    id: 'r6',
    agent: 'ag_1',
    team: 'tm_a',
    amount: 100,
    currency: 'USD',
    channel: 'whatsapp',
    status: 'sent',
    createdAt: D + 10 * H,
    sentAt: D + 10 * H,
  }),
  `DELETE FROM payment_requests WHERE id = 'r6';`,
  // r7: still in flight; its amount and currency change (a corrected created event).
  insertRequest({
    id: 'r7',
    agent: 'ag_1',
    team: 'tm_a',
    amount: 250,
    currency: 'USD',
    channel: 'whatsapp',
    status: 'sent',
    createdAt: D + 14 * H,
    sentAt: D + 14 * H,
  }),
  `UPDATE payment_requests SET amount = 300, currency = 'ZAR' WHERE id = 'r7';`,
];

type Row = Record<string, number | string>;

function orderBy(table: { key: readonly string[] }): string {
  return table.key.join(', ');
}

/** A rollup row with its key and only its non-zero values; all-zero rows dropped. */
function nonZero(rows: Row[], key: readonly string[]): Row[] {
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).filter(([name, value]) => key.includes(name) || value !== 0)))
    .filter((row) => Object.keys(row).length > key.length);
}

describe.skipIf(!PG_TEST_URL)('PostgreSQL: db/migrations-pg and the rollups', () => {
  const database = `paylink_schema_${process.pid}_${Date.now()}`;
  let admin: pg.Client;
  let client: pg.Client;
  let sqlite: Db;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_TEST_URL!);
    url.pathname = `/${database}`;
    client = await connectPostgres(url.toString());
    await migratePostgres(client);
    sqlite = (await createTestDb()).db;
  });

  afterAll(async () => {
    sqlite?.$client.close();
    await client?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('creates every table of db/schema.pg.ts (and report_file_chunks), the paid-time indexes and the rollup delete trigger', async () => {
    const tables = await client.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    const expected = Object.values(pgSchema).map((table) => getTableConfig(table).name);
    expect(expected).toHaveLength(28);
    // report_file_chunks: PostgreSQL only (migration 0009, app/write/report-file-store.server.ts).
    expect(tables.rows.map((row) => row.name)).toEqual([...expected, 'report_file_chunks'].sort());
    const triggers = await client.query<{ name: string }>(
      `SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`,
    );
    // Inserts and updates move the rollups in the writer since migration-pg 0010 (db/rollup-deltas.pg.ts).
    expect(triggers.rows.map((row) => row.name)).toEqual(['metrics_rollup_delete']);
    const indexes = await client.query<{ name: string }>(
      `SELECT indexname AS name FROM pg_indexes WHERE indexname LIKE 'pr_paid%' ORDER BY indexname`,
    );
    expect(indexes.rows.map((row) => row.name)).toEqual(['pr_paid_agent_bin_idx', 'pr_paid_bin_idx']);
    const applied = await client.query('SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
    const journal = JSON.parse(readFileSync('db/migrations-pg/meta/_journal.json', 'utf8')) as { entries: unknown[] };
    expect(journal.entries.length).toBe(20);
    expect(applied.rows[0].n).toBe(journal.entries.length);
  });

  it('keeps events as on SQLite: seq from 1, the event id unique', async () => {
    // PostgreSQL takes the type and source as text, SQLite as their codes (db/event-codes.ts).
    const insert = (id: string) =>
      `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, content_hash, body, applied) VALUES ('${id}', 'r1', 'payment_request.created', ${D}, ${D + 5}, 'api', 'h', '{}', TRUE)`;
    const insertSqlite = (id: string) =>
      `INSERT INTO events (id, request_id, type_code, occurred_at, received_at, source_code, content_hash, body, applied) VALUES ('${id}', 'r1', 0, ${D}, ${D + 5}, 0, 'h', '{}', TRUE)`;
    for (const id of ['evt_1', 'evt_2']) {
      await client.query(insert(id));
      sqlite.$client.exec(insertSqlite(id));
    }
    const pgEvents = await client.query('SELECT seq, id, applied FROM events ORDER BY seq');
    const sqliteEvents = sqlite.$client.prepare('SELECT seq, id, applied FROM events ORDER BY seq').all();
    expect(pgEvents.rows).toEqual([
      { seq: 1, id: 'evt_1', applied: true },
      { seq: 2, id: 'evt_2', applied: true },
    ]);
    expect(sqliteEvents).toEqual([
      { seq: 1, id: 'evt_1', applied: 1 },
      { seq: 2, id: 'evt_2', applied: 1 },
    ]);
    await expect(client.query(insert('evt_1'))).rejects.toMatchObject({ code: '23505' });
    expect(() => sqlite.$client.exec(insertSqlite('evt_1'))).toThrow(/UNIQUE constraint failed: events.id/);
  });

  it('reads every event type and source the same on both engines, with the same codes', async () => {
    // Text in, codes computed (PostgreSQL); codes in, text computed (SQLite): one row per type,
    // the sources taken in turn.
    const rows = STORED_EVENT_TYPES.map((type, n) => ({
      id: `evt_code_${n}`,
      type,
      source: STORED_EVENT_SOURCES[n % STORED_EVENT_SOURCES.length]!,
    }));
    for (const row of rows) {
      await client.query(
        `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, body) VALUES ($1, 'r_codes', $2, ${D}, ${D}, $3, '[]')`,
        [row.id, row.type, row.source],
      );
      sqlite.$client
        .prepare(
          `INSERT INTO events (id, request_id, type_code, occurred_at, received_at, source_code, body) VALUES (?, 'r_codes', ?, ${D}, ${D}, ?, '[]')`,
        )
        .run(row.id, EVENT_TYPE_CODES[row.type], EVENT_SOURCE_CODES[row.source]);
    }
    const read =
      "SELECT id, type, source, type_code, source_code FROM events WHERE request_id = 'r_codes' ORDER BY seq";
    const pgRows = (await client.query(read)).rows;
    expect(pgRows).toEqual(sqlite.$client.prepare(read).all());
    expect(pgRows.slice(0, 3)).toEqual([
      { id: 'evt_code_0', type: 'payment_request.created', source: 'api', type_code: 0, source_code: 0 },
      { id: 'evt_code_1', type: 'payment_request.sent', source: 'import', type_code: 1, source_code: 1 },
      { id: 'evt_code_2', type: 'payment_request.send_failed', source: 'seed', type_code: 2, source_code: 2 },
    ]);
    expect(pgRows).toHaveLength(10);
    // A type no code stands for is refused by both.
    await expect(
      client.query(
        `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, body) VALUES ('evt_bad', 'r', 'payment_request.unknown', ${D}, ${D}, 'api', '[]')`,
      ),
    ).rejects.toMatchObject({ code: '23502' });
    expect(() =>
      sqlite.$client.exec(
        `INSERT INTO events (id, request_id, type_code, occurred_at, received_at, source_code, body) VALUES ('evt_bad', 'r', 10, ${D}, ${D}, 0, '[]')`,
      ),
    ).toThrow(/NOT NULL constraint failed: events.type/);
  });

  it("moves the rollups by PostgreSQL's writer deltas exactly as by SQLite's, for the same writes", async () => {
    // Both move them in the writer (SQLite since migration 0014, PostgreSQL since 0010): each write
    // reads the row before and after and adds the difference; a delete still goes by its trigger.
    const rowOf = (id: string) =>
      (sqlite.$client.prepare(`SELECT ${ROLLUP_ROW_SQL} FROM payment_requests WHERE id = ?`).get(id) as
        | RollupRow
        | undefined) ?? null;
    const pgRowOf = async (id: string) =>
      (await client.query<RollupRow>(`SELECT ${ROLLUP_ROW_PG_SQL} FROM payment_requests WHERE id = $1`, [id]))
        .rows[0] ?? null;
    for (const statement of OPERATIONS) {
      const id = /'(r\d+)'/.exec(statement)![1]!;
      const pgBefore = await pgRowOf(id);
      await client.query(statement);
      const before = rowOf(id);
      sqlite.$client.exec(statement);
      if (statement.startsWith('DELETE')) continue;
      const sums = new RollupDeltaSums();
      sums.add(before, rowOf(id));
      sums.flush(sqlite.$client);
      const pgSums = new RollupDeltaSums();
      pgSums.add(pgBefore, await pgRowOf(id));
      await flushRollupDeltasPostgres((text, values) => client.query(text, values), pgSums.deltas());
    }
    for (const table of Object.values(ROLLUP_TABLES)) {
      const query = `SELECT * FROM ${table.name} ORDER BY ${orderBy(table)}`;
      const onPg = (await client.query<Row>(query)).rows;
      const onSqlite = sqlite.$client.prepare(wideRollupSql(table, 'sqlite')).all() as Row[];
      // A cell a request moved out of may stay on PostgreSQL as a row of zeros.
      expect(nonZero(onPg, table.key), table.name).toEqual(nonZero(onSqlite, table.key));
      expect(onPg.length, table.name).toBeGreaterThan(0);
    }
    const day = (await client.query<Row>(`SELECT * FROM metrics_rollup_day ORDER BY ${orderBy(ROLLUP_TABLES.day)}`))
      .rows;
    expect(nonZero(day, ROLLUP_TABLES.day.key)).toEqual([
      { bucket: -DAY_MS, team_id: 'tm_b', currency: 'USD', sent: 1, canceled: 1 },
      {
        bucket: D,
        team_id: 'tm_a',
        currency: 'EUR',
        sent: 1,
        opened: 1,
        expired: 1,
        expired_after_open: 1,
        send_failures: 1,
      },
      { bucket: D, team_id: 'tm_a', currency: 'USD', sent: 1, opened: 1, paid: 1, h7: 1, paid_amount: 36121 },
      { bucket: D, team_id: 'tm_a', currency: 'ZAR', sent: 1, in_flight: 1 },
      { bucket: D, team_id: 'tm_b', currency: 'USD', sent: 1, paid: 1, h31: 1, paid_amount: 999_999_999_999 },
      { bucket: D + DAY_MS, team_id: 'tm_a', currency: 'USD', sent: 1, declined: 1 },
    ]);
    // Cells a request moved out of stay as rows of zeros on PostgreSQL.
    const quarter = (
      await client.query<Row>(`SELECT * FROM metrics_rollup_15m ORDER BY ${orderBy(ROLLUP_TABLES.quarterHour)}`)
    ).rows;
    expect(quarter).toHaveLength(9);
    expect(nonZero(quarter, ROLLUP_TABLES.quarterHour.key)).toHaveLength(7);
  });

  it('the backfill rebuilds from payment_requests what the writer deltas kept (zero rows aside)', async () => {
    const read = async () => {
      const all: Record<string, Row[]> = {};
      for (const table of Object.values(ROLLUP_TABLES)) {
        const rows = (await client.query<Row>(`SELECT * FROM ${table.name} ORDER BY ${orderBy(table)}`)).rows;
        all[table.name] = nonZero(rows, table.key);
      }
      return all;
    };
    const kept = await read();
    expect(kept.metrics_rollup_day).toHaveLength(6);
    await client.query('BEGIN');
    for (const table of Object.values(ROLLUP_TABLES)) await client.query(`DELETE FROM ${table.name}`);
    for (const statement of rollupBackfillPgSql()) await client.query(statement);
    await client.query('COMMIT');
    expect(await read()).toEqual(kept);
  });

  it("takes, renews and hands over leases with leases.server.ts's statements, one winner of a race", async () => {
    const numbered = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${++n}`);
    };
    const tryLeasePg = async (db: pg.Client, holder: string, ttlMs: number, now: number) => {
      await db.query('BEGIN');
      try {
        await db.query(numbered(LEASE_UPSERT_SQL), ['job', holder, now + ttlMs, now]);
        const row = await db.query<{ holder: string }>(numbered(LEASE_HOLDER_SQL), ['job']);
        await db.query('COMMIT');
        return row.rows[0]?.holder === holder;
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      }
    };
    const url = new URL(PG_TEST_URL!);
    url.pathname = `/${database}`;
    const other = await connectPostgres(url.toString());
    try {
      expect(await tryLeasePg(client, 'holder-a', 6000, 1000)).toBe(true);
      expect(await tryLeasePg(other, 'holder-b', 6000, 1000)).toBe(false);
      expect(await tryLeasePg(client, 'holder-a', 6000, 3000)).toBe(true);
      expect(await tryLeasePg(other, 'holder-b', 6000, 8999)).toBe(false);
      expect(await tryLeasePg(other, 'holder-b', 6000, 9000)).toBe(true);
      expect(await tryLeasePg(client, 'holder-a', 6000, 9001)).toBe(false);
      const row = await client.query('SELECT holder, expires_at FROM leases');
      expect(row.rows).toEqual([{ holder: 'holder-b', expires_at: 15000 }]);

      await client.query('DELETE FROM leases');
      const race = await Promise.all([
        tryLeasePg(client, 'holder-a', 6000, 20_000),
        tryLeasePg(other, 'holder-b', 6000, 20_000),
      ]);
      expect(race.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.end();
    }
  });
});
