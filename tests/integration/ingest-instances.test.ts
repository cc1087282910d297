import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyProjections } from '../../app/read/projection-check.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { closeDatabase, type Db, onPostgres, openDatabaseUrl, sqlRun } from '../../db/client';
import { ROLLUP_TABLES, rollupBackfillSql, rollupCellsSql, rollupClearSql } from '../../db/metrics-rollups';
import { rollupBackfillPgSql } from '../../db/metrics-rollups.pg';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

// Two app instances on one database (issue 13): two handles on one database (two pools on
// PostgreSQL, two connections to one file on SQLite), each ingesting batches concurrently.

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const now = T0 + 60 * MINUTE;
let a: Db;
let b: Db;

beforeEach(async () => {
  const test = await createTestDb();
  a = test.db;
  b = openDatabaseUrl(test.file);
});
afterEach(async () => {
  await closeDatabase(b);
  await closeTestDb(a);
});

/** A deterministic shuffle (a linear congruential generator): the same order every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let index = out.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const other = state % (index + 1);
    [out[index], out[other]] = [out[other]!, out[index]!];
  }
  return out;
}

function lifecycle(requestId: string, index: number) {
  return [
    created(requestId, index * 1000, { teamId: index % 2 ? 'tm_retail' : 'tm_sales', amount: 1000 + index }),
    step(requestId, 'sent', index * 1000 + MINUTE),
    step(requestId, 'opened', index * 1000 + 2 * MINUTE),
    step(requestId, 'paid', index * 1000 + 3 * MINUTE),
  ];
}

/** Every rollup table's cells, in key order (on SQLite an agent table's row plus its pending row). */
async function rollups(db: Db) {
  const tables = [];
  for (const table of Object.values(ROLLUP_TABLES)) {
    const from = onPostgres(db) ? table.name : rollupCellsSql(table, '', true);
    tables.push(await queryRows(db, `SELECT * FROM ${from} ORDER BY ${table.key.join(', ')}`));
  }
  return tables;
}

/** The rollups as a rebuild from the projections would make them. */
async function rebuiltRollups(db: Db) {
  for (const statement of rollupClearSql(onPostgres(db) ? 'postgres' : 'sqlite')) await sqlRun(db, statement);
  for (const statement of onPostgres(db) ? rollupBackfillPgSql() : rollupBackfillSql()) await sqlRun(db, statement);
  return rollups(db);
}

describe('two instances ingesting at once', () => {
  it('serialise per request: every projection equals its replay, no event lost or doubled', async () => {
    const requests = Array.from({ length: 60 }, (_, index) => `pr_${String(index).padStart(3, '0')}`);
    const events = shuffled(
      requests.flatMap((id, index) => lifecycle(id, index)),
      7,
    );
    // Batches of 8 out of order, alternately through each instance, all in flight together; every
    // fifth batch is sent again through the other instance (a client retrying elsewhere).
    const batches: Promise<unknown>[] = [];
    for (let start = 0, n = 0; start < events.length; start += 8, n++) {
      const batch = events.slice(start, start + 8);
      const [first, second] = n % 2 ? [a, b] : [b, a];
      batches.push(ingestEvents(first, batch, 'api', { now, settings }));
      if (n % 5 === 0) batches.push(ingestEvents(second, batch, 'api', { now, settings }));
    }
    const summaries = (await Promise.all(batches)) as { accepted: number; duplicates: number; rejected: number }[];
    expect(summaries.reduce((sum, s) => sum + s.accepted, 0)).toBe(240);
    expect(summaries.reduce((sum, s) => sum + s.duplicates, 0)).toBe(8 * 6);
    expect(summaries.reduce((sum, s) => sum + s.rejected, 0)).toBe(0);

    expect(
      await queryRow(a, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events WHERE source <> 'system'"),
    ).toEqual({ n: 240, ids: 240 });
    // A batch that left a request sent (its opened and paid yet to come) found its expiry long due and
    // recorded it; the later events voided each such expiry (how many depends on the interleaving).
    const all = await queryRow<{ n: number; ids: number }>(
      a,
      'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events',
    );
    expect(all?.n).toBe(all?.ids);
    expect(
      await queryRow(
        a,
        `SELECT count(*) AS n FROM events WHERE source = 'system'
           AND (CASE WHEN applied THEN 1 ELSE 0 END = 1 OR anomaly IS NULL OR anomaly <> 'void')`,
      ),
    ).toEqual({ n: 0 });
    expect(await queryRows(a, 'SELECT status, count(*) AS n FROM payment_requests GROUP BY status')).toEqual([
      { status: 'paid', n: 60 },
    ]);
    expect(await verifyProjections(a, settings)).toEqual({ checked: 60, different: [] });
    const maintained = await rollups(a);
    expect(maintained[1]!.length).toBeGreaterThan(0);
    expect(await rebuiltRollups(a)).toEqual(maintained);
  });

  it('store an event id sent through both at once once: the other answer is a duplicate', async () => {
    await ingestEvents(a, [created('pr_1')], 'api', { now, settings });
    const sent = step('pr_1', 'sent', MINUTE);
    for (let round = 0; round < 10; round++) {
      const event = { ...sent, id: `evt_sent_${round}` };
      const [first, second] = await Promise.all([
        ingestEvents(a, [event], 'api', { now, settings }),
        ingestEvents(b, [event], 'api', { now, settings }),
      ]);
      expect([first.results[0]!.status, second.results[0]!.status].sort()).toEqual(['accepted', 'duplicate']);
    }
    expect(await queryRow(a, "SELECT count(*) AS n FROM events WHERE id LIKE 'evt_sent_%'")).toEqual({ n: 10 });
  });

  it('answer one id sent for two requests through both at once: one accepted, the other a conflict', async () => {
    await ingestEvents(a, [created('pr_1'), created('pr_2')], 'api', { now, settings });
    for (let round = 0; round < 10; round++) {
      const id = `evt_race_${round}`;
      const [first, second] = await Promise.all([
        ingestEvents(a, [{ ...step('pr_1', 'sent', MINUTE), id }], 'api', { now, settings }),
        ingestEvents(b, [{ ...step('pr_2', 'sent', MINUTE), id }], 'api', { now, settings }),
      ]);
      const statuses = [first.results[0]!, second.results[0]!].map((result) =>
        result.status === 'rejected' ? result.error.code : result.status,
      );
      expect(statuses.sort()).toEqual(['accepted', 'conflict']);
    }
    expect(await queryRow(a, "SELECT count(*) AS n FROM events WHERE id LIKE 'evt_race_%'")).toEqual({ n: 10 });
    expect(await verifyProjections(a, settings)).toEqual({ checked: 2, different: [] });
  });
});
