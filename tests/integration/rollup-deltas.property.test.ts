import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAY_BIN_EDGES_MS } from '../../app/domain/metric-table';
import type { Db } from '../../db/client';
import { ROLLUP_TABLES, rollupClearSql, rollupTriggerSql, wideRollupSql } from '../../db/metrics-rollups';
import { ROLLUP_ROW_SQL, RollupDeltaSums, type RollupRow, rollupDeltas } from '../../db/rollup-deltas';
import { createTestDb } from '../support/db';

// Property: the rollup deltas the writer sums (db/rollup-deltas.ts) move the rollups exactly as the
// triggers migrations 0002–0009 installed (and PostgreSQL still runs) do, for any sequence of
// inserts, updates and deletes of payment_requests, whether each change is written at once or all
// the changes of a batch are summed first. Rows of zeros aside: a trigger leaves one where a request
// moved out of a cell, the deltas write no cell whose sum is zero.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 23);
const STATUSES = ['created', 'sent', 'send_failed', 'opened', 'paid', 'declined', 'expired', 'canceled'];

const rowArb: fc.Arbitrary<RollupRow> = fc
  .record({
    status: fc.constantFrom(...STATUSES),
    amount: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant(999_999_999_999)),
    currency: fc.constantFrom('USD', 'EUR'),
    channel: fc.constantFrom('sms', 'whatsapp'),
    agent: fc.constantFrom(['ag_1', 'tm_a'], ['ag_2', 'tm_a'], ['ag_3', 'tm_b']),
    // Around a day boundary and before 1970 too (cells are floors).
    createdAt: fc.oneof(fc.integer({ min: T0 - DAY / 2, max: T0 + DAY }), fc.integer({ min: -DAY, max: DAY })),
    sent: fc.option(fc.integer({ min: 0, max: 3 * 3_600_000 }), { nil: null }),
    opened: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: null }),
    // Times to pay on and just below the histogram's bin edges too.
    paidAfter: fc.option(
      fc.oneof(
        fc.integer({ min: 0, max: 7_200_000 }),
        fc.constantFrom(...PAY_BIN_EDGES_MS.flatMap((edge) => [edge - 1, edge])),
      ),
      { nil: null },
    ),
    sendFailures: fc.integer({ min: 0, max: 2 }),
  })
  .map((r) => {
    const sentAt = r.sent === null ? null : r.createdAt + r.sent;
    return {
      status: r.status,
      amount: r.amount,
      currency: r.currency,
      channel: r.channel,
      agentId: r.agent[0]!,
      teamId: r.agent[1]!,
      createdAt: r.createdAt,
      sentAt,
      openedAt: sentAt === null || r.opened === null ? null : sentAt + r.opened,
      paidAt: sentAt === null || r.paidAfter === null ? null : sentAt + r.paidAfter,
      sendFailures: r.sendFailures,
    };
  });

type Op = { request: number; row: RollupRow | null };
const opsArb = fc.array(fc.record({ request: fc.integer({ min: 0, max: 5 }), row: fc.option(rowArb, { nil: null }) }), {
  minLength: 1,
  maxLength: 30,
});

const COLUMNS =
  'agent_id, team_id, amount, currency, channel, order_number, reason, customer_phone, status, created_at, sent_at, opened_at, paid_at, send_failures, last_event_at, updated_at';

function write(db: Db, id: string, old: RollupRow | null, row: RollupRow | null): void {
  if (row === null) {
    if (old) db.$client.prepare('DELETE FROM payment_requests WHERE id = ?').run(id);
    return;
  }
  const values = [
    row.agentId,
    row.teamId,
    row.amount,
    row.currency,
    row.channel,
    'SO-1',
    'Dress',
    '+27821234567',
    row.status,
    row.createdAt,
    row.sentAt,
    row.openedAt,
    row.paidAt,
    row.sendFailures,
    0,
    0,
  ];
  if (old)
    db.$client
      .prepare(`UPDATE payment_requests SET (${COLUMNS}) = (${COLUMNS.replace(/\w+/g, '?')}) WHERE id = ?`)
      .run(...values, id);
  else
    db.$client
      .prepare(`INSERT INTO payment_requests (id, ${COLUMNS}) VALUES (?, ${COLUMNS.replace(/\w+/g, '?')})`)
      .run(id, ...values);
}

function current(db: Db, id: string): RollupRow | null {
  return (
    (db.$client.prepare(`SELECT ${ROLLUP_ROW_SQL} FROM payment_requests WHERE id = ?`).get(id) as RollupRow) ?? null
  );
}

function nonZeroRollups(db: Db): Record<string, unknown[]> {
  return Object.fromEntries(
    Object.values(ROLLUP_TABLES).map((table) => [
      table.name,
      (db.$client.prepare(wideRollupSql(table, 'sqlite')).all() as Record<string, unknown>[]).filter((row) =>
        Object.entries(row).some(([name, value]) => !table.key.includes(name as never) && value !== 0),
      ),
    ]),
  );
}

describe('rollup deltas summed in the writer', () => {
  let triggered: Db;
  let summed: Db;
  let oneByOne: Db;
  beforeAll(async () => {
    triggered = (await createTestDb()).db;
    // The insert and update triggers as they were before migration 0014 (the delete trigger is still there).
    for (const sql of rollupTriggerSql().slice(0, 2)) triggered.$client.exec(sql);
    summed = (await createTestDb()).db;
    oneByOne = (await createTestDb()).db;
    for (const db of [triggered, summed, oneByOne]) {
      db.$client.pragma('synchronous = OFF'); // scratch databases: no fsync per statement
      db.$client.exec(`INSERT INTO teams (id, name, created_at) VALUES ('tm_a', 'A', 0), ('tm_b', 'B', 0);
        INSERT INTO agents (id, name, team_id, created_at) VALUES ('ag_1', 'One', 'tm_a', 0), ('ag_2', 'Two', 'tm_a', 0),
          ('ag_3', 'Three', 'tm_b', 0);`);
    }
  });
  afterAll(() => {
    for (const db of [triggered, summed, oneByOne]) db.$client.close();
  });

  it('move the rollups as the triggers do, summed per batch or applied per change', () => {
    fc.assert(
      fc.property(opsArb, (ops: Op[]) => {
        for (const db of [triggered, summed, oneByOne])
          db.$client.exec(
            `DELETE FROM payment_requests; ${rollupClearSql('sqlite')
              .map((statement) => `${statement};`)
              .join(' ')}`,
          );
        const sums = new RollupDeltaSums();
        summed.$client.transaction(() => {
          for (const { request, row } of ops) {
            const id = `pr_${request}`;
            write(triggered, id, current(triggered, id), row);
            const old = current(summed, id);
            // The delete trigger moves deleted rows' cells itself; the writer never deletes.
            if (row) sums.add(old, row);
            write(summed, id, old, row);
            const before = current(oneByOne, id);
            write(oneByOne, id, before, row);
            if (row) {
              const single = new RollupDeltaSums();
              single.add(before, row);
              single.flush(oneByOne.$client);
            }
          }
          sums.flush(summed.$client);
        })();
        const expected = nonZeroRollups(triggered);
        expect(nonZeroRollups(summed)).toEqual(expected);
        expect(nonZeroRollups(oneByOne)).toEqual(expected);
      }),
      { numRuns: 150, seed: 14 },
    );
  });

  it('writes nothing for a change no rollup sees, and both cells when a request moves', () => {
    const row: RollupRow = {
      status: 'sent',
      amount: 500,
      currency: 'USD',
      channel: 'sms',
      teamId: 'tm_a',
      agentId: 'ag_1',
      createdAt: T0,
      sentAt: T0 + 1000,
      openedAt: null,
      paidAt: null,
      sendFailures: 0,
    };
    expect(rollupDeltas(row, { ...row, sendFailures: 0 })).toEqual([]);
    const moved = rollupDeltas(row, { ...row, sentAt: T0 + DAY });
    const day = moved.filter((delta) => delta.table.name === ROLLUP_TABLES.day.name);
    expect(day.map((delta) => [delta.key, delta.values[0]])).toEqual([
      [[T0, 'tm_a', 'USD'], -1],
      [[T0 + DAY, 'tm_a', 'USD'], 1],
    ]);
  });
});
