import type Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATUSES } from '../../app/domain/lifecycle';
import { PAY_BIN_EDGES_MS } from '../../app/domain/metric-table';
import { pendingRollupOf, ROLLUP_TABLES } from '../../db/metrics-rollups';
import { PACKED_COLUMNS, packCounts } from '../../db/packed-counts';
import {
  cellKey,
  contributionOf,
  ROLLUP_GROUPS,
  type RollupDelta,
  RollupDeltaSums,
  type RollupRow,
} from '../../db/rollup-deltas';

// Property: RollupDeltaSums (which finds what a row adds once per kind of row, keeps its cells in a
// map per key column and binds one reused parameter array) sums exactly what the plain definition
// does: contributionOf of each row added into a cell per table, group and cellKey, cells in the order
// first touched, zero cells left out; and flush binds, cell by cell in that order, the key, the
// counts packed by packCounts over every count, then the amount. The integration property
// (tests/integration/rollup-deltas.property.test.ts) checks the rollups these end up in against the
// triggers; this one checks the deltas and parameters themselves, over more kinds of row.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 23);

const rowArb: fc.Arbitrary<RollupRow> = fc
  .record({
    status: fc.constantFrom(...STATUSES),
    amount: fc.oneof(
      fc.integer({ min: 1, max: 100_000 }),
      fc.constant(999_999_999_999),
      fc.constant(Number.MAX_SAFE_INTEGER),
      fc.constant(0),
    ),
    currency: fc.constantFrom('USD', 'EUR', 'ZAR'),
    channel: fc.constantFrom('sms', 'whatsapp', 'email'),
    // Ids that look like numbers and like each other too.
    agentId: fc.constantFrom('ag_1', 'ag_2', '1', '12'),
    teamId: fc.constantFrom('tm_a', 'tm_b', '1', '2'),
    // Around a day boundary and before 1970 too (cells are floors).
    createdAt: fc.oneof(fc.integer({ min: T0 - DAY / 2, max: T0 + DAY }), fc.integer({ min: -DAY, max: DAY })),
    sent: fc.option(fc.integer({ min: 0, max: 3 * 3_600_000 }), { nil: null }),
    opened: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: null }),
    // Times to pay on and just below the histogram's bin edges, and negative.
    paidAfter: fc.option(
      fc.oneof(
        fc.integer({ min: -60_000, max: 7_200_000 }),
        fc.constantFrom(...PAY_BIN_EDGES_MS.flatMap((edge) => [edge - 1, edge])),
      ),
      { nil: null },
    ),
    // A paid_at without a sent_at too (the last bin).
    paidAlone: fc.boolean(),
    sendFailures: fc.integer({ min: 0, max: 2 }),
  })
  .map((r) => {
    const sentAt = r.sent === null ? null : r.createdAt + r.sent;
    const base = sentAt ?? r.createdAt;
    return {
      status: r.status,
      amount: r.amount,
      currency: r.currency,
      channel: r.channel,
      agentId: r.agentId,
      teamId: r.teamId,
      createdAt: r.createdAt,
      sentAt,
      openedAt: r.opened === null ? null : base + r.opened,
      paidAt: r.paidAfter === null || (sentAt === null && !r.paidAlone) ? null : base + r.paidAfter,
      sendFailures: r.sendFailures,
    };
  });

/** A change: a new request (old null), or a request whose row changes (or not: then it moves nothing). */
const changeArb: fc.Arbitrary<[RollupRow | null, RollupRow]> = fc.oneof(
  fc.tuple(fc.constant(null), rowArb),
  fc.tuple(rowArb, rowArb),
  rowArb.chain((row) =>
    fc
      .record({ status: fc.constantFrom(...STATUSES), sendFailures: fc.integer({ min: 0, max: 2 }) })
      .map((change): [RollupRow, RollupRow] => [row, { ...row, ...change }]),
  ),
);

function unchanged(a: RollupRow, b: RollupRow): boolean {
  return (
    a.status === b.status &&
    a.amount === b.amount &&
    a.currency === b.currency &&
    a.channel === b.channel &&
    a.teamId === b.teamId &&
    a.agentId === b.agentId &&
    a.createdAt === b.createdAt &&
    a.sentAt === b.sentAt &&
    a.openedAt === b.openedAt &&
    a.paidAt === b.paidAt &&
    a.sendFailures > 0 === b.sendFailures > 0
  );
}

/** An exact sum as the writer keeps it: a number while it is a safe integer, else a bigint. */
const exactly = (sum: bigint) =>
  sum >= BigInt(Number.MIN_SAFE_INTEGER) && sum <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sum) : sum;

/** The plain definition: every column of every row added into a cell found by its key joined. */
function referenceDeltas(changes: readonly [RollupRow | null, RollupRow][]): RollupDelta[] {
  const cells = new Map<string, RollupDelta>();
  const addRow = (row: RollupRow, sign: 1 | -1) => {
    for (const group of ROLLUP_GROUPS) {
      const values = contributionOf(group, row);
      if (!values) continue;
      for (const table of Object.values(ROLLUP_TABLES)) {
        const key = cellKey(table, group, row);
        const id = `${table.name}\u0000${group.by}\u0000${key.join('\u0000')}`;
        let cell = cells.get(id);
        if (!cell) {
          cell = { table, group, key, values: new Array<number | bigint>(values.length).fill(0) };
          cells.set(id, cell);
        }
        for (let i = 0; i < values.length; i++)
          cell.values[i] = exactly(BigInt(cell.values[i]!) + BigInt(sign * values[i]!));
      }
    }
  };
  for (const [old, next] of changes) {
    if (old && unchanged(old, next)) continue;
    if (old) addRow(old, -1);
    addRow(next, 1);
  }
  return [...cells.values()].filter((cell) => cell.values.some((value) => value !== 0));
}

/** What flush should run for a cell: its table (or pending table) and the parameters. */
function referenceRun(cell: RollupDelta): { into: string; parameters: unknown[] } {
  const counts = new Array<number>(PACKED_COLUMNS.length).fill(0);
  const amounts: (number | bigint)[] = [];
  cell.group.columns.forEach((column, i) => {
    const place = PACKED_COLUMNS.indexOf(column.name);
    if (place < 0) amounts.push(cell.values[i]!);
    else counts[place] = cell.values[i] as number;
  });
  return {
    into: pendingRollupOf(cell.table)?.name ?? cell.table.name,
    parameters: [...cell.key, packCounts(counts), ...amounts],
  };
}

/** A connection recording the upserts flush runs (the pending tables are never counted full here). */
function recorder(): { connection: Database.Database; runs: { into: string; parameters: unknown[] }[] } {
  const runs: { into: string; parameters: unknown[] }[] = [];
  const connection = {
    prepare: (sql: string) => ({
      run: (...parameters: unknown[]) => runs.push({ into: /^INSERT INTO (\w+) /.exec(sql)![1]!, parameters }),
      get: () => ({ n: 0 }),
    }),
  };
  return { connection: connection as unknown as Database.Database, runs };
}

describe('RollupDeltaSums', () => {
  it('sums and binds exactly what the plain definition does, batch after batch', () => {
    fc.assert(
      fc.property(fc.array(fc.array(changeArb, { maxLength: 40 }), { minLength: 1, maxLength: 3 }), (batches) => {
        const sums = new RollupDeltaSums();
        const { connection, runs } = recorder();
        for (const changes of batches) {
          for (const [old, next] of changes) sums.add(old, next);
          const expected = referenceDeltas(changes);
          expect(sums.deltas()).toStrictEqual(expected);
          runs.length = 0;
          expect(sums.flush(connection)).toBe(expected.length);
          expect(runs).toStrictEqual(expected.map(referenceRun));
          expect(sums.deltas()).toStrictEqual([]);
        }
      }),
      { numRuns: 400, seed: 14 },
    );
  });
});
