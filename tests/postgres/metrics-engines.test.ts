import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { type Filters, parseFilters } from '../../app/read/filters';
import {
  getAgentLeaderboard,
  getMetricsSummary,
  getMetricsSummaryBetween,
  getMetricsTimeseries,
} from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { closeDatabase, type Db, onPostgres, openPostgresDb, sqlRows, sqlRun, writeTransaction } from '../../db/client';
import { ROLLUP_TABLES, rollupBackfillSql, rollupClearSql, VALUE_COLUMNS } from '../../db/metrics-rollups';
import { rollupBackfillPgSql } from '../../db/metrics-rollups.pg';
import { sqliteRollupValueSql } from '../../db/packed-counts';
import { connectPostgres, migratePostgres } from '../../db/pg-client';
import { generateSeedEvents } from '../../seed/generate';
import { closeTestDb, createTestDb } from '../support/db';
import { postgresServerUrl } from '../support/postgres';

// The metrics read side gives the same answers on both engines (issue 13): one fixture, the
// requests written by SQLite's ingest plus a few by hand, copied row for row into PostgreSQL, the
// rollups of each engine rebuilt from its projection by its own backfill, then every reader
// compared over zones, intervals, filters and scopes. Runs only with PG_TEST_URL.

const PG_TEST_URL = process.env.PG_TEST_URL;
if (!PG_TEST_URL) console.log('tests/postgres/metrics-engines.test.ts skipped: PG_TEST_URL is not set');

const NOW = Date.parse('2026-10-28T12:00:00.000Z');
const SETTINGS = { ttlUnopenedMs: 5 * 60_000, ttlOpenedMs: 15 * 60_000 };
const SECOND = 1000;
/** The hand-written requests' day, after every generated one. */
const HAND_DAY = Date.parse('2026-11-02T00:00:00.000Z');
/** 4e15 + 1 three times: 12,000,000,000,000,003, past 2^53 and odd, so a double cannot hold it. */
const BIG = 4_000_000_000_000_001;

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const supervisor: Viewer = {
  ...manager,
  role: 'supervisor',
  scope: { kind: 'teams', teamIds: ['tm_retail', 'tm_support', 'tm_hand'] },
};
const agent: Viewer = { ...manager, role: 'agent', scope: { kind: 'agent', agentId: 'ag_03' } };

interface HandRequest {
  id: string;
  agent: 'ag_hand1' | 'ag_hand2';
  amount: number;
  currency: string;
  status: string;
  /** Seconds after HAND_DAY 10:00. */
  sent: number | null;
  opened?: number;
  /** Seconds from sending to paying. */
  paidAfter?: number;
  sendFailures?: number;
}

const HAND: readonly HandRequest[] = [
  { id: 'pr_h1', agent: 'ag_hand1', amount: BIG, currency: 'USD', status: 'paid', sent: 0, opened: 10, paidAfter: 30 },
  { id: 'pr_h2', agent: 'ag_hand1', amount: BIG, currency: 'USD', status: 'paid', sent: 60, opened: 70, paidAfter: 90 },
  { id: 'pr_h3', agent: 'ag_hand2', amount: BIG, currency: 'USD', status: 'paid', sent: 120, paidAfter: 600 },
  { id: 'pr_h4', agent: 'ag_hand2', amount: 1999, currency: 'ZAR', status: 'paid', sent: 900, paidAfter: 45 },
  { id: 'pr_h5', agent: 'ag_hand2', amount: 1, currency: 'ZAR', status: 'paid', sent: 1800, paidAfter: 3 * 3600 },
  { id: 'pr_h6', agent: 'ag_hand1', amount: 500, currency: 'ZAR', status: 'expired', sent: 2000, opened: 2100 },
  { id: 'pr_h7', agent: 'ag_hand1', amount: 700, currency: 'USD', status: 'declined', sent: 2400, opened: 2500 },
  { id: 'pr_h8', agent: 'ag_hand2', amount: 800, currency: 'USD', status: 'canceled', sent: 2600 },
  { id: 'pr_h9', agent: 'ag_hand2', amount: 900, currency: 'USD', status: 'send_failed', sent: null, sendFailures: 2 },
];

/** The hand requests as payment_requests rows (the projection ingest would have written). */
function handRows(): Record<string, unknown>[] {
  const at = (seconds: number) => HAND_DAY + 10 * 3_600_000 + seconds * SECOND;
  return HAND.map((request) => {
    const sentAt = request.sent === null ? null : at(request.sent);
    const paidAt = request.paidAfter === undefined ? null : sentAt! + request.paidAfter * SECOND;
    const closedAt = paidAt ?? (['expired', 'declined', 'canceled'].includes(request.status) ? at(3000) : null);
    return {
      id: request.id,
      agent_id: request.agent,
      team_id: 'tm_hand',
      amount: request.amount,
      currency: request.currency,
      channel: 'sms',
      order_number: `SO-${request.id}`,
      reason: 'Order',
      customer_name: null,
      customer_phone: '+27821234567',
      status: request.status,
      created_at: at(request.sent ?? 0) - 5 * SECOND,
      sent_at: sentAt,
      opened_at: request.opened === undefined ? null : at(request.opened),
      paid_at: paidAt,
      closed_at: closedAt,
      expires_at: null,
      expiry_due_at: null,
      send_failures: request.sendFailures ?? 0,
      last_event_at: closedAt ?? sentAt ?? at(0),
      updated_at: closedAt ?? sentAt ?? at(0),
    };
  });
}

/** Inserts rows into a table of either engine, 200 a statement. */
async function insertRows(db: Db, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  for (let start = 0; start < rows.length; start += 200) {
    const slice = rows.slice(start, start + 200);
    const values = slice.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
    await sqlRun(
      db,
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`,
      slice.flatMap((row) => columns.map((column) => row[column])),
    );
  }
}

/** Every rollup row with a value, values as text (exact past 2^53), in key order. */
async function rollupSnapshot(db: Db): Promise<unknown[][]> {
  const snapshot: unknown[][] = [];
  for (const table of Object.values(ROLLUP_TABLES)) {
    // SQLite's counts are packed (db/packed-counts.ts): read a column each, as PostgreSQL stores them.
    const value = (column: string) => (onPostgres(db) ? column : sqliteRollupValueSql(column));
    const values = VALUE_COLUMNS.map((column) => `CAST(${value(column)} AS TEXT) AS ${column}`).join(', ');
    const nonZero = VALUE_COLUMNS.map((column) => `${value(column)} <> 0`).join(' OR ');
    snapshot.push(
      await sqlRows(
        db,
        `SELECT ${table.key.join(', ')}, ${values} FROM ${table.name} WHERE ${nonZero} ORDER BY ${table.key.join(', ')}`,
      ),
    );
  }
  return snapshot;
}

const filters = (query: string): Filters => parseFilters(new URLSearchParams(query), 'UTC');

describe.skipIf(!PG_TEST_URL)('metrics on SQLite and PostgreSQL', () => {
  let sqlite: Db;
  let postgres: Db;
  let admin: pg.Client;

  beforeAll(async () => {
    sqlite = (await createTestDb()).db;
    for (const batch of generateSeedEvents({ requests: 600, days: 9, seed: 11, now: NOW, ...SETTINGS })) {
      await ingestEvents(sqlite, batch.events, 'seed', { now: NOW, settings: SETTINGS });
      await ingestEvents(sqlite, batch.systemEvents, 'system', { now: NOW, settings: SETTINGS });
    }
    await insertRows(sqlite, 'teams', [{ id: 'tm_hand', name: 'Hand', name_source: 'event', created_at: 0 }]);
    await insertRows(sqlite, 'agents', [
      { id: 'ag_hand1', name: 'Hand One', team_id: 'tm_hand', created_at: 0 },
      { id: 'ag_hand2', name: 'Hand Two', team_id: 'tm_hand', created_at: 0 },
    ]);
    await insertRows(sqlite, 'payment_requests', handRows());
    // A plain insert does not move SQLite's rollups (the writer does): rebuild them from the projection.
    sqlite.$client.transaction(() => {
      for (const statement of rollupClearSql('sqlite')) sqlite.$client.exec(statement);
      for (const statement of rollupBackfillSql()) sqlite.$client.exec(statement);
    })();

    const name = `paylink_metrics_${randomUUID().replaceAll('-', '')}`;
    admin = await connectPostgres(postgresServerUrl('postgres'));
    await admin.query(`CREATE DATABASE "${name}"`);
    postgres = openPostgresDb(postgresServerUrl(name), { max: 4 });
    await migratePostgres(postgres.$pg!.pool);
    for (const table of ['teams', 'agents', 'payment_requests'])
      await insertRows(postgres, table, await sqlRows(sqlite, `SELECT * FROM ${table} ORDER BY id`));
    // Nor on PostgreSQL (its migration 0010): its backfill fills them.
    await writeTransaction(postgres, async () => {
      for (const statement of rollupBackfillPgSql()) await sqlRun(postgres, statement);
    });
  });
  afterAll(async () => {
    if (sqlite) await closeTestDb(sqlite);
    if (postgres) await closeDatabase(postgres);
    await admin?.end();
  });

  /** The same reader on both engines: equal, and the SQLite answer for further checks. */
  async function same<T>(read: (db: Db) => Promise<T>): Promise<T> {
    const [sqliteAnswer, postgresAnswer] = [await read(sqlite), await read(postgres)];
    expect(postgresAnswer).toEqual(sqliteAnswer);
    return sqliteAnswer;
  }

  it("holds the same requests and rollups (each engine's backfill, amounts exact)", async () => {
    const count = 'SELECT count(*) AS n FROM payment_requests';
    expect(Number((await sqlRows<{ n: number }>(postgres, count))[0]!.n)).toBe(609);
    const [onSqlite, onPostgres] = [await rollupSnapshot(sqlite), await rollupSnapshot(postgres)];
    expect(onSqlite.every((rows) => rows.length > 0)).toBe(true);
    expect(onPostgres).toEqual(onSqlite);
    const handCell = await sqlRows(
      postgres,
      "SELECT CAST(paid_amount AS TEXT) AS amount FROM metrics_rollup_day WHERE team_id = 'tm_hand' AND currency = 'USD'",
    );
    expect(handCell).toEqual([{ amount: '12000000000000003' }]);
  });

  it('gives the hand-written day exactly: money past 2^53 per currency, median and p90 time to pay', async () => {
    const day = filters('from=2026-11-02&to=2026-11-02&tz=UTC&team=tm_hand');
    const summary = await same((db) => getMetricsSummary(db, day, manager));
    expect(summary).toMatchObject({
      sent: 8,
      opened: 4,
      paid: 5,
      declined: 1,
      expired: 1,
      canceled: 1,
      inFlight: 0,
      expiredAfterOpen: 1,
      sendFailures: 1,
      collected: { USD: '12000000000000003', ZAR: 2000 },
      // Times to pay 30, 45, 90, 600, 10,800 s.
      medianSecondsToPay: 90,
      p90SecondsToPay: 10_800,
    });
    const leaderboard = await same((db) => getAgentLeaderboard(db, day, manager));
    expect(
      leaderboard.map(({ agentId, sent, paid, collected, medianSecondsToPay, p90SecondsToPay }) => ({
        agentId,
        sent,
        paid,
        collected,
        medianSecondsToPay,
        p90SecondsToPay,
      })),
    ).toEqual([
      {
        agentId: 'ag_hand1',
        sent: 4,
        paid: 2,
        collected: { USD: 8_000_000_000_000_002 },
        medianSecondsToPay: 30,
        p90SecondsToPay: 90,
      },
      {
        agentId: 'ag_hand2',
        sent: 4,
        paid: 3,
        collected: { USD: 4_000_000_000_000_001, ZAR: 2000 },
        medianSecondsToPay: 600,
        p90SecondsToPay: 10_800,
      },
    ]);
    const hours = await same((db) => getMetricsTimeseries(db, day, manager, 'hour'));
    expect(hours[10]).toMatchObject({ sent: 8, paid: 5, collected: { USD: '12000000000000003', ZAR: 2000 } });
    // Cut mid-hour: the edges are read from the requests themselves, with the amounts.
    const between = { start: HAND_DAY + 10 * 3_600_000 + 30 * SECOND, end: HAND_DAY + 10 * 3_600_000 + 1000 * SECOND };
    expect(await same((db) => getMetricsSummaryBetween(db, day, manager, between))).toMatchObject({
      sent: 3,
      paid: 3,
      collected: { USD: 8_000_000_000_000_002, ZAR: 1999 },
      medianSecondsToPay: 90,
      p90SecondsToPay: 600,
    });
  });

  it.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham'])(
    'gives the same summary, leaderboard and series in %s',
    async (tz) => {
      const week = filters(`from=2026-10-20&to=2026-10-27&tz=${tz}`);
      const summary = await same((db) => getMetricsSummary(db, week, manager));
      expect(summary.paid).toBeGreaterThan(10);
      expect(summary.medianSecondsToPay).not.toBeNull();
      expect((await same((db) => getAgentLeaderboard(db, week, manager))).length).toBeGreaterThan(3);
      for (const interval of ['day', 'week', 'month'] as const) {
        await same((db) =>
          getMetricsTimeseries(db, filters(`from=2026-10-01&to=2026-11-05&tz=${tz}`), manager, interval),
        );
      }
      const hours = await same((db) =>
        getMetricsTimeseries(db, filters(`from=2026-10-25&to=2026-10-25&tz=${tz}`), manager, 'hour'),
      );
      expect(hours.some((bucket) => bucket.paid > 0)).toBe(true);
    },
  );

  it.each([
    'channel=sms',
    'currency=USD&currency=ZAR',
    'team=tm_travel&channel=webchat,email',
    'agent=ag_01,ag_02&currency=EUR',
    'team=tm_retail,tm_hand&channel=sms',
  ])('gives the same answers filtered by %s, for a manager, a supervisor and an agent', async (query) => {
    const range = filters(`from=2026-10-19&to=2026-11-03&tz=Europe/Berlin&${query}`);
    // Something to compare: the manager sees requests under every filter here.
    expect((await same((db) => getMetricsSummary(db, range, manager))).sent).toBeGreaterThan(0);
    for (const viewer of [supervisor, agent]) {
      await same((db) => getMetricsSummary(db, range, viewer));
      await same((db) => getAgentLeaderboard(db, range, viewer));
      await same((db) => getMetricsTimeseries(db, range, viewer, 'day'));
    }
    await same((db) => getAgentLeaderboard(db, range, manager));
    await same((db) => getMetricsTimeseries(db, range, manager, 'day'));
  });

  it('gives the same answers over all time and over ranges cut off the 15-minute grid', async () => {
    await same((db) => getMetricsSummary(db, filters('tz=UTC'), manager));
    await same((db) => getAgentLeaderboard(db, filters('tz=UTC'), supervisor));
    const start = Date.parse('2026-10-22T09:07:13.000Z');
    const sent: number[] = [];
    for (const end of [
      start + 4 * 60_000,
      Date.parse('2026-10-22T17:52:01.000Z'),
      Date.parse('2026-10-26T03:00:00.500Z'),
    ]) {
      sent.push((await same((db) => getMetricsSummaryBetween(db, filters('tz=UTC'), manager, { start, end }))).sent);
    }
    expect(sent[2]).toBeGreaterThan(sent[1]!);
  });
});
