import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import type { Status } from '../../app/domain/lifecycle';
import { type Metrics, metricsOfRequests, type RequestFacts } from '../../app/domain/metrics';
import { type Filters, filterRange, parseFilters } from '../../app/read/filters';
import { MetricsReader } from '../../app/read/metrics/engine.server';
import { getAgentLeaderboard, getMetricsSummary, getMetricsTimeseries } from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { type Db, onPostgres, sqlRun, writeTransaction } from '../../db/client';
import {
  ROLLUP_TABLES,
  type RollupTable,
  rollupBackfillSql,
  rollupCellsSql,
  rollupClearSql,
  wideRollupSql,
} from '../../db/metrics-rollups';
import { rollupBackfillPgSql } from '../../db/metrics-rollups.pg';
import { sqliteRollupValueSql } from '../../db/packed-counts';
import { ROLLUP_ROW_SQL, RollupDeltaSums, type RollupRow } from '../../db/rollup-deltas';
import { ON_POSTGRES } from '../../db/tables';
import { generateSeedEvents } from '../../seed/generate';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';

/**
 * The rollup-backed queries against the SPEC formulas applied to the projection rows one by one
 * (app/domain/metrics.ts), on generated data with every outcome, in zones with odd offsets.
 */

const NOW = Date.parse('2026-10-28T12:00:00.000Z');
const settings = { ttlUnopenedMs: 5 * 60_000, ttlOpenedMs: 15 * 60_000 };
const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };

type Row = RequestFacts & { createdAt: number; agentId: string; teamId: string; channel: string };
let db: Db;
let rows: Row[];

beforeAll(async () => {
  db = (await createTestDb()).db;
  for (const batch of generateSeedEvents({ requests: 1500, days: 9, seed: 3, now: NOW, ...settings })) {
    await ingestEvents(db, batch.events, 'seed', { now: NOW, settings });
    await ingestEvents(db, batch.systemEvents, 'system', { now: NOW, settings });
  }
  rows = (
    await queryRows(
      db,
      `SELECT status, amount, currency, created_at, sent_at, opened_at, paid_at, send_failures, agent_id, team_id, channel
       FROM payment_requests`,
    )
  ).map((row) => ({
    status: row.status as Status,
    amount: row.amount as number,
    currency: row.currency as string,
    createdAt: row.created_at as number,
    sentAt: row.sent_at as number | null,
    openedAt: row.opened_at as number | null,
    paidAt: row.paid_at as number | null,
    sendFailures: row.send_failures as number,
    agentId: row.agent_id as string,
    teamId: row.team_id as string,
    channel: row.channel as string,
  }));
});
afterAll(async () => {
  if (db) await closeTestDb(db);
});

const filters = (query: string): Filters => parseFilters(new URLSearchParams(query), 'UTC');

function expected(subset: readonly Row[], start: number, end: number): Metrics {
  return metricsOfRequests(subset, (at) => at >= start && at < end);
}

function rangeOf(f: Filters): { start: number; end: number } {
  const { start, end } = filterRange(f);
  return { start: start!, end: end! };
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham'];

describe('rollup queries agree with the formulas on every request', () => {
  it('has data with every outcome', () => {
    const statuses = new Set(rows.map((row) => row.status));
    for (const status of ['paid', 'declined', 'expired', 'canceled'] as const) expect(statuses).toContain(status);
    expect(rows.filter((row) => row.sendFailures > 0).length).toBeGreaterThan(0);
    expect(rows.filter((row) => row.status === 'expired' && row.openedAt !== null).length).toBeGreaterThan(0);
  });

  it.each(ZONES)('summary, daily and hourly series in %s', async (tz) => {
    const f = filters(`from=2026-10-21&to=2026-10-27&tz=${tz}`);
    const { start, end } = rangeOf(f);
    expect(await getMetricsSummary(db, f, manager)).toEqual(expected(rows, start, end));

    const days = await getMetricsTimeseries(db, f, manager, 'day');
    expect(days).toHaveLength(7);
    const dayStarts = days.map((bucket) => Date.parse(bucket.start));
    days.forEach(({ start: _start, ...metrics }, i) => {
      expect(metrics, `${tz} day ${i}`).toEqual(expected(rows, dayStarts[i]!, dayStarts[i + 1] ?? end));
    });

    const oneDay = filters(`from=2026-10-25&to=2026-10-25&tz=${tz}`);
    const hours = await getMetricsTimeseries(db, oneDay, manager, 'hour');
    const hourStarts = hours.map((bucket) => Date.parse(bucket.start));
    hours.forEach(({ start: _start, ...metrics }, i) => {
      expect(metrics, `${tz} hour ${i}`).toEqual(
        expected(rows, hourStarts[i]!, hourStarts[i + 1] ?? rangeOf(oneDay).end),
      );
    });
    expect(hours.reduce((sum, bucket) => sum + bucket.sent, 0)).toBe(
      (await getMetricsSummary(db, oneDay, manager)).sent,
    );
  });

  it.each(ZONES.slice(0, 3))('agent leaderboard in %s', async (tz) => {
    const f = filters(`from=2026-10-20&to=2026-10-27&tz=${tz}`);
    const { start, end } = rangeOf(f);
    const leaderboard = await getAgentLeaderboard(db, f, manager);
    const agentIds = [
      ...new Set(
        rows.filter((row) => row.sentAt !== null && row.sentAt >= start && row.sentAt < end).map((row) => row.agentId),
      ),
    ];
    expect(leaderboard.map((row) => row.agentId).sort()).toEqual(agentIds.sort());
    for (const { agentId, agentName: _n, teamId: _t, teamName: _tn, ...metrics } of leaderboard) {
      expect(metrics, agentId).toEqual(
        expected(
          rows.filter((row) => row.agentId === agentId),
          start,
          end,
        ),
      );
    }
  });

  it.each([
    ['channel=sms', (row: Row) => row.channel === 'sms'],
    ['currency=USD&currency=ZAR', (row: Row) => row.currency === 'USD' || row.currency === 'ZAR'],
    [
      'team=tm_travel&channel=webchat,email',
      (row: Row) => row.teamId === 'tm_travel' && ['webchat', 'email'].includes(row.channel),
    ],
    [
      'agent=ag_01,ag_02&currency=EUR',
      (row: Row) => ['ag_01', 'ag_02'].includes(row.agentId) && row.currency === 'EUR',
    ],
  ] as const)('filters %s', async (query, keep) => {
    const f = filters(`from=2026-10-21&to=2026-10-27&tz=Europe/Berlin&${query}`);
    const { start, end } = rangeOf(f);
    const subset = rows.filter(keep);
    expect(await getMetricsSummary(db, f, manager)).toEqual(expected(subset, start, end));
    for (const { agentId, agentName: _n, teamId: _t, teamName: _tn, ...metrics } of await getAgentLeaderboard(
      db,
      f,
      manager,
    )) {
      expect(metrics, agentId).toEqual(
        expected(
          subset.filter((row) => row.agentId === agentId),
          start,
          end,
        ),
      );
    }
    const days = await getMetricsTimeseries(db, f, manager, 'day');
    days.forEach(({ start: bucketStart, ...metrics }, i) => {
      expect(metrics).toEqual(
        expected(subset, Date.parse(bucketStart), days[i + 1] ? Date.parse(days[i + 1]!.start) : end),
      );
    });
  });

  it('scopes a supervisor to their teams and an agent to their own requests', async () => {
    const f = filters('from=2026-10-21&to=2026-10-27');
    const { start, end } = rangeOf(f);
    const supervisor: Viewer = {
      ...manager,
      role: 'supervisor',
      scope: { kind: 'teams', teamIds: ['tm_retail', 'tm_support'] },
    };
    const teamRows = rows.filter((row) => row.teamId === 'tm_retail' || row.teamId === 'tm_support');
    expect(await getMetricsSummary(db, f, supervisor)).toEqual(expected(teamRows, start, end));
    expect(new Set((await getAgentLeaderboard(db, f, supervisor)).map((row) => row.teamId))).toEqual(
      new Set(['tm_retail', 'tm_support']),
    );
    const agent: Viewer = { ...manager, role: 'agent', scope: { kind: 'agent', agentId: 'ag_03' } };
    expect(await getMetricsSummary(db, f, agent)).toEqual(
      expected(
        rows.filter((row) => row.agentId === 'ag_03'),
        start,
        end,
      ),
    );
  });

  it('reads ranges off a 15-minute boundary from the requests themselves', async () => {
    const f = filters('tz=UTC');
    const reader = new MetricsReader(db, f, manager);
    const start = Date.parse('2026-10-22T09:07:13.000Z');
    for (const end of [
      start + 4 * 60_000,
      Date.parse('2026-10-22T17:52:01.000Z'),
      Date.parse('2026-10-26T03:00:00.500Z'),
    ]) {
      const totals = (await reader.readRange(start, end, 'none')).get('')!;
      const { sent, paid, opened, sendFailures, collected } = expected(rows, start, end);
      expect(await reader.metrics(totals, start, end)).toMatchObject({ sent, paid, opened, sendFailures, collected });
      expect(await reader.payTimes(totals, start, end)).toEqual({
        medianSecondsToPay: expected(rows, start, end).medianSecondsToPay,
        p90SecondsToPay: expected(rows, start, end).p90SecondsToPay,
      });
    }
  });

  /** Every rollup row with a value, in key order. */
  const snapshot = async (of: Db = db) => {
    const tables: Record<string, unknown>[][] = [];
    for (const table of Object.values(ROLLUP_TABLES)) {
      const all = await queryRows<Record<string, number | string>>(
        of,
        wideRollupSql(table, onPostgres(of) ? 'postgres' : 'sqlite'),
      );
      tables.push(
        all.filter((row) => {
          const { bucket: _b, team_id: _t, agent_id: _a, channel: _c, currency: _cu, ...values } = row;
          return Object.values(values).some((value) => value !== 0);
        }),
      );
    }
    return tables;
  };
  // On SQLite a cell of an agent table is its row there plus its pending row (rollupCellsSql).
  const totals = async (of: Db, table: RollupTable) =>
    await queryRow<{ s: number | null; f: number | null }>(
      of,
      onPostgres(of)
        ? `SELECT CAST(sum(sent) AS bigint) AS s, CAST(sum(send_failures) AS bigint) AS f FROM ${table.name}`
        : `SELECT CAST(sum(${sqliteRollupValueSql('sent')}) AS bigint) AS s, CAST(sum(${sqliteRollupValueSql('send_failures')}) AS bigint) AS f FROM ${rollupCellsSql(table)}`,
    );

  it('keeps the rollups equal to a rebuild from the projection', async () => {
    const maintained = await snapshot();
    expect(maintained.every((table) => table.length > 0)).toBe(true);
    await writeTransaction(db, async () => {
      for (const statement of rollupClearSql(ON_POSTGRES ? 'postgres' : 'sqlite')) await sqlRun(db, statement);
      for (const statement of ON_POSTGRES ? rollupBackfillPgSql() : rollupBackfillSql()) await sqlRun(db, statement);
    });
    expect(await snapshot()).toEqual(maintained);
  });

  it.runIf(ON_POSTGRES)('leaves copied requests to the backfill, and empties the rollups with a delete', async () => {
    const maintained = await snapshot();
    const copy = (await createTestDb()).db;
    try {
      const columns = Object.keys((await queryRow(db, 'SELECT * FROM payment_requests LIMIT 1'))!);
      const all = await queryRows(db, 'SELECT * FROM payment_requests ORDER BY id');
      for (let start = 0; start < all.length; start += 500) {
        const slice = all.slice(start, start + 500);
        await sqlRun(
          copy,
          `INSERT INTO payment_requests (${columns.join(', ')}) VALUES ${slice.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')}`,
          slice.flatMap((row) => columns.map((column) => row[column])),
        );
      }
      // A plain insert does not move them (PostgreSQL migration 0010): the writer's deltas or the backfill do.
      expect((await totals(copy, ROLLUP_TABLES.day))!.s).toBeNull();
      for (const statement of rollupBackfillPgSql()) await sqlRun(copy, statement);
      expect(await snapshot(copy)).toEqual(maintained);
      // The demo reset's delete still empties them, by the delete trigger.
      await sqlRun(copy, 'DELETE FROM payment_requests');
      for (const table of Object.values(ROLLUP_TABLES)) expect(await totals(copy, table)).toEqual({ s: 0, f: 0 });
    } finally {
      await closeTestDb(copy);
    }
  });

  it.skipIf(ON_POSTGRES)(
    "moves the rollups of copied requests by the writer's deltas, and empties them with a delete",
    async () => {
      const maintained = await snapshot();
      const copy = (await createTestDb()).db;
      try {
        copy.$client.exec(`ATTACH DATABASE '${db.$client.name}' AS source`);
        copy.$client.exec('INSERT INTO payment_requests SELECT * FROM source.payment_requests');
        copy.$client.exec('DETACH DATABASE source');
        // A plain insert no longer moves them (migration 0014): the writer's deltas do, all in one sum.
        expect((await totals(copy, ROLLUP_TABLES.day))!.s).toBeNull();
        const sums = new RollupDeltaSums();
        for (const row of copy.$client.prepare(`SELECT ${ROLLUP_ROW_SQL} FROM payment_requests`).all() as RollupRow[])
          sums.add(null, row);
        copy.$client.transaction(() => sums.flush(copy.$client))();
        expect(await snapshot(copy)).toEqual(maintained);
        expect((await totals(copy, ROLLUP_TABLES.day))!.s).toBeGreaterThan(0);
        // The demo reset's delete still empties them, by the delete trigger.
        copy.$client.exec('DELETE FROM payment_requests');
        for (const table of Object.values(ROLLUP_TABLES)) expect(await totals(copy, table)).toEqual({ s: 0, f: 0 });
      } finally {
        await closeTestDb(copy);
      }
    },
  );
});
