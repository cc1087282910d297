import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { PAY_BIN_EDGES_MS } from '../../app/domain/metric-table';
import { nearestRank } from '../../app/domain/metrics';
import { type Filters, parseFilters } from '../../app/read/filters';
import { subBinsCountedAtOnce } from '../../app/read/metrics/engine.server';
import { getAgentLeaderboard, getMetricsSummary } from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { type Db, sqlRows } from '../../db/client';
import { PAY_SUB_BINS, payBinSql, paySubBinSql } from '../../db/metrics-rollups';
import { ON_POSTGRES } from '../../db/tables';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

/**
 * Exact times to pay when a bin holds more rows in the range than one sort is worth (over 512):
 * SQLite counts them per sub-bin and sorts only the sub-bin holding the rank
 * (app/read/metrics/engine.server.ts, valueAtRank); PostgreSQL sorts the bin. Both must give the
 * nearest rank of every paid request's paidAt − sentAt, as the SPEC defines it.
 */

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const DAY = 24 * 60 * MINUTE;
const AGENTS = [
  { agentId: 'ag_1', teamId: 'tm_retail' },
  { agentId: 'ag_2', teamId: 'tm_retail' },
  { agentId: 'ag_3', teamId: 'tm_travel' },
];
const REQUESTS = 2_400;

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let db: Db;
beforeAll(async () => {
  db = (await createTestDb()).db;
  const next = random(14);
  const events: unknown[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const id = `pr_${i}`;
    // 40 days around T0: three 30-day periods of the SQLite indexes (db/sent-period.ts: 692 starts
    // 2026-11-03, 693 on 2026-12-03).
    const sentAt = Math.floor((next() * 40 - 20) * DAY);
    // Most in one bin (100–110 s, bin 13), spread over its sub-bins with repeats; the rest anywhere
    // up to 3 hours (the open last bin's sub-bins included).
    const ttp = next() < 0.85 ? 100_000 + Math.floor(next() * 400) * 25 : Math.floor(next() * 3 * 3_600_000);
    events.push(
      created(id, sentAt - 1_000, AGENTS[i % AGENTS.length]),
      step(id, 'sent', sentAt),
      step(id, 'paid', sentAt + ttp, {}),
    );
  }
  const summary = await ingestEvents(db, events, 'api', {
    now: T0 + 21 * DAY,
    settings: { ttlUnopenedMs: 4 * 3_600_000, ttlOpenedMs: 4 * 3_600_000 },
  });
  expect(summary.accepted).toBe(3 * REQUESTS);
});
afterAll(() => closeTestDb(db));

const filters = (query: string): Filters => parseFilters(new URLSearchParams(query), 'UTC');

/** Median and p90 in seconds, by nearest rank, of the paid requests sent in [start, end) matching `where`. */
async function expected(start: number, end: number, where = 'TRUE', params: unknown[] = []) {
  const values = (
    await sqlRows<{ ttp: number }>(
      db,
      `SELECT paid_at - sent_at AS ttp FROM payment_requests WHERE status = 'paid' AND sent_at >= ? AND sent_at < ? AND ${where}`,
      [start, end, ...params],
    )
  )
    .map((row) => Number(row.ttp))
    .sort((a, b) => a - b);
  const at = (p: number) => values[nearestRank(p, values.length) - 1]! / 1000;
  return { count: values.length, medianSecondsToPay: at(0.5), p90SecondsToPay: at(0.9) };
}

const dayStart = Date.parse('2026-11-20T00:00:00Z');
const firstDay = Date.parse('2026-10-31T00:00:00Z');

describe('times to pay from a bin of many rows', () => {
  it('gives the exact median and p90 of the whole range, one day, a team and an agent', async () => {
    const cases: [string, number, number, string, unknown[]][] = [
      ['from=2026-10-31&to=2026-12-10', firstDay, firstDay + 41 * DAY, 'TRUE', []],
      ['', -8_640_000_000_000_000, 8_640_000_000_000_000, 'TRUE', []],
      ['from=2026-11-20&to=2026-11-23', dayStart, dayStart + 4 * DAY, 'TRUE', []],
      ['from=2026-11-21&to=2026-11-21', dayStart + DAY, dayStart + 2 * DAY, 'TRUE', []],
      ['from=2026-12-01&to=2026-12-05', dayStart + 11 * DAY, dayStart + 16 * DAY, 'TRUE', []],
      ['from=2026-10-31&to=2026-12-10&team=tm_retail', firstDay, firstDay + 41 * DAY, 'team_id = ?', ['tm_retail']],
      ['from=2026-10-31&to=2026-12-10&agent=ag_3', firstDay, firstDay + 41 * DAY, 'agent_id = ?', ['ag_3']],
      ['from=2026-11-20&to=2026-11-23&agent=ag_3', dayStart, dayStart + 4 * DAY, 'agent_id = ?', ['ag_3']],
    ];
    for (const [query, start, end, where, params] of cases) {
      const { count, ...times } = await expected(start, end, where, params);
      const metrics = await getMetricsSummary(db, filters(query), manager);
      expect([query, metrics.paid, metrics.medianSecondsToPay, metrics.p90SecondsToPay]).toEqual([
        query,
        count,
        times.medianSecondsToPay,
        times.p90SecondsToPay,
      ]);
    }
  });

  it('gives each agent of the leaderboard its exact median and p90', async () => {
    const rows = await getAgentLeaderboard(db, filters('from=2026-10-31&to=2026-12-10'), manager);
    expect(rows.map((row) => row.agentId).sort()).toEqual(['ag_1', 'ag_2', 'ag_3']);
    for (const row of rows) {
      const { count, ...times } = await expected(firstDay, firstDay + 41 * DAY, 'agent_id = ?', [row.agentId]);
      expect([row.agentId, row.paid, row.medianSecondsToPay, row.p90SecondsToPay]).toEqual([
        row.agentId,
        count,
        times.medianSecondsToPay,
        times.p90SecondsToPay,
      ]);
    }
  });

  it('has its paid requests in three periods of the SQLite indexes', async () => {
    const periods = await sqlRows<{ period: number; n: number }>(
      db,
      `SELECT sent_at / 2592000000 AS period, count(*) AS n FROM payment_requests WHERE status = 'paid' GROUP BY 1 ORDER BY 1`,
      [],
    );
    expect(periods.map((row) => Number(row.period))).toEqual([691, 692, 693]);
  });

  it('has more rows in the median bin than one sort takes, so the sub-bin path runs', async () => {
    const [{ n }] = (await sqlRows<{ n: number }>(
      db,
      `SELECT count(*) AS n FROM payment_requests WHERE status = 'paid' AND ${payBinSql()} = 13 AND agent_id = 'ag_3'`,
      [],
    )) as [{ n: number }];
    // ag_3's share alone (the leaderboard's lookups) is past SORT_WHOLE_BIN_UP_TO (512).
    expect(Number(n)).toBeGreaterThan(512);
    // ~21 rows a sub-bin: counted eight sub-bins a statement (the whole range's ~63: four), so the
    // cases above check the grouped counts; a bin of ~9,000 rows a sub-bin is counted one at a time.
    expect(subBinsCountedAtOnce(Number(n))).toBe(8);
    expect([1_000, 2_000, 4_096, 4_097, 300_000].map(subBinsCountedAtOnce)).toEqual([8, 4, 2, 1, 1]);
    expect([0, 1, 256, 257].map(subBinsCountedAtOnce)).toEqual([32, 32, 32, 16]);
  });
});

/** The values of a parameter as rows (ttp, sent_at 0, paid_at ttp), on either engine. */
const VALUES = ON_POSTGRES
  ? 'SELECT t AS ttp, 0::bigint AS sent_at, t AS paid_at FROM unnest(?::bigint[]) AS u(t)'
  : 'SELECT value AS ttp, 0 AS sent_at, value AS paid_at FROM json_each(?)';

describe('paySubBinSql', () => {
  it('cuts every bin in 32 parts that agree with payBinSql, in the order of the time to pay, on either engine', async () => {
    const edges = [0, ...PAY_BIN_EDGES_MS];
    const values = [
      -5_000,
      -1,
      ...edges.flatMap((edge) => [edge - 1, edge, edge + 1]),
      9_899_999,
      9_900_000,
      86_400_000,
      156,
      157,
      31_499_999,
      31_500_000,
      4_499_999,
      4_500_000,
    ];
    for (let i = 0; i < 2_000; i++) values.push(i * 1_913);
    values.sort((a, b) => a - b);
    const rows = await sqlRows<{ ttp: number; bin: number; sub: number }>(
      db,
      `SELECT v.ttp, ${payBinSql('v.')} AS bin, ${paySubBinSql('v.')} AS sub FROM (${VALUES}) AS v ORDER BY v.ttp`,
      [ON_POSTGRES ? values : JSON.stringify(values)],
    );
    let previous = -1;
    for (const row of rows) {
      expect([row.ttp, Math.floor(Number(row.sub) / PAY_SUB_BINS)]).toEqual([row.ttp, Number(row.bin)]);
      expect(Number(row.sub)).toBeGreaterThanOrEqual(previous);
      previous = Number(row.sub);
    }
    const sub = (ttp: number) => Number(rows.find((row) => Number(row.ttp) === ttp)!.sub);
    expect([sub(-5_000), sub(0), sub(156), sub(157), sub(4_999), sub(5_000), sub(99_999), sub(100_000)]).toEqual([
      0, 0, 0, 1, 31, 32, 415, 416,
    ]);
    expect([sub(3_599_999), sub(3_600_000), sub(4_499_999), sub(4_500_000), sub(31_499_999), sub(31_500_000)]).toEqual([
      991, 992, 992, 993, 1022, 1023,
    ]);
  });
});
