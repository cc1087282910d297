import { describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/client';
import { ROLLUP_TABLES, rollupBackfillSql, VALUE_COLUMNS, wideRollupSql } from '../../db/metrics-rollups';
import { migrateDatabase } from '../../db/migrate';
import { addPacked, PACKED_COLUMNS, packCounts, unpackCounts } from '../../db/packed-counts';
import { ON_POSTGRES } from '../../db/tables';
import { closeTestDb, createTestDb } from '../support/db';
import { databaseBefore } from '../support/migrations';

// SQLite's rollup tables keep their counts packed in one TEXT column (db/packed-counts.ts, migration 0027).

const at = (name: string) => PACKED_COLUMNS.indexOf(name);
const counts = (values: Record<string, number>) => {
  const all = new Array<number>(PACKED_COLUMNS.length).fill(0);
  for (const [name, value] of Object.entries(values)) all[at(name)] = value;
  return all;
};

describe('packed counts', () => {
  it('name each count by a letter in column order, its value after it unless 1, zeros left out', () => {
    expect(PACKED_COLUMNS.slice(0, 3)).toEqual(['sent', 'opened', 'paid']);
    expect(PACKED_COLUMNS).toHaveLength(42);
    expect(PACKED_COLUMNS).not.toContain('paid_amount');
    expect(at('h15')).toBe(24);
    expect(packCounts(counts({ sent: 1, opened: 1, paid: 1, h15: 1 }))).toBe('ABCY');
    expect(packCounts(counts({ sent: 12, opened: 3, h31: 2, send_failures: 1 }))).toBe('A12B3o2p');
    expect(packCounts(counts({ sent: -1, in_flight: 250 }))).toBe('A-1I250');
    expect(packCounts(counts({}))).toBe('');
  });

  it('read back exactly what they wrote, and add into a sum', () => {
    const values = counts({ sent: 123456789012, h0: 1, h30: -7, send_failures: 40 });
    expect(unpackCounts(packCounts(values))).toEqual(values);
    const sum = unpackCounts('A5p');
    addPacked('A-2Bp3', sum);
    expect(sum).toEqual(counts({ sent: 3, opened: 1, send_failures: 4 }));
  });

  it('refuse text they did not write', () => {
    expect(() => unpackCounts('A!')).toThrow(/is not packed counts/);
    expect(() => unpackCounts('A-')).toThrow(/is not packed counts/);
    expect(() => unpackCounts('q')).toThrow(/is not packed counts/);
    expect(() => unpackCounts('A3\u03a9')).toThrow(/is not packed counts/);
    expect(() => unpackCounts('B-7-')).toThrow(/is not packed counts/);
    expect(() => packCounts([0.5])).toThrow(/not an integer/);
  });
});

describe.skipIf(ON_POSTGRES)('the SQL functions of packed counts', () => {
  it('sum, add, pack and read them on every connection db/client.ts opens', async () => {
    const { db } = await createTestDb();
    try {
      const sqlite = db.$client;
      sqlite.exec("CREATE TEMP TABLE t (g TEXT, c TEXT); INSERT INTO t VALUES ('a', 'AB'), ('a', 'A2p'), ('b', '')");
      expect(sqlite.prepare('SELECT g, counts_sum(c) FROM t GROUP BY g ORDER BY g').raw().all()).toEqual([
        ['a', 'A3Bp'],
        ['b', ''],
      ]);
      expect(sqlite.prepare("SELECT counts_sum(c) FROM t WHERE g = 'none'").pluck().get()).toBeNull();
      expect(sqlite.prepare("SELECT counts_add('A3', 'A-3B')").pluck().get()).toBe('B');
      expect(sqlite.prepare("SELECT counts_add(NULL, 'C')").pluck().get()).toBe('C');
      const pack = `SELECT counts_pack(${PACKED_COLUMNS.map((_, i) => (i === 2 ? 5 : 0)).join(', ')})`;
      expect(sqlite.prepare(pack).pluck().get()).toBe('C5');
      expect(() => sqlite.prepare('SELECT counts_pack(1, 2)').get()).toThrow(/takes 42 values, not 2/);
      expect(
        sqlite.prepare("SELECT counts_get('A3Bp', 41), counts_get('A3Bp', 0), counts_get('', 2)").raw().get(),
      ).toEqual([1, 3, 0]);
      // Integers, as PostgreSQL's columns are: text '3', not '3.0'.
      expect(
        sqlite.prepare("SELECT typeof(counts_get('A3', 0)), CAST(counts_get('A3', 0) AS TEXT)").raw().get(),
      ).toEqual(['integer', '3']);
    } finally {
      await closeTestDb(db);
    }
  });
});

describe.skipIf(ON_POSTGRES)('migration 0027', () => {
  it('packs the rollup rows of an older database, every value kept, and the delete trigger empties them', () => {
    const db = databaseBefore('0027_');
    try {
      const sqlite = db.$client;
      sqlite.exec(`INSERT INTO teams (id, name, created_at) VALUES ('tm_a', 'A', 0);
        INSERT INTO agents (id, name, team_id, created_at) VALUES ('ag_1', 'One', 'tm_a', 0), ('ag_2', 'Two', 'tm_a', 0);`);
      const insert = sqlite.prepare(
        `INSERT INTO payment_requests (id, agent_id, team_id, amount, currency, channel, order_number, reason, customer_phone,
           status, created_at, sent_at, opened_at, paid_at, closed_at, send_failures, last_event_at, updated_at)
         VALUES (?, ?, 'tm_a', ?, ?, ?, 'SO-1', 'r', '+15550000000', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const t0 = Date.UTC(2026, 10, 3, 9, 0);
      const rows: [
        string,
        string,
        number,
        string,
        string,
        string,
        number | null,
        number | null,
        number | null,
        number,
      ][] = [
        ['pr_1', 'ag_1', 1999, 'USD', 'sms', 'paid', t0, t0 + 20_000, t0 + 95_000, 0],
        ['pr_2', 'ag_1', 500, 'USD', 'sms', 'paid', t0 + 60_000, t0 + 70_000, t0 + 4_000_000, 0],
        ['pr_3', 'ag_2', 700, 'EUR', 'whatsapp', 'declined', t0, t0 + 1_000, null, 0],
        ['pr_4', 'ag_2', 800, 'EUR', 'email', 'sent', null, null, null, 2],
        ['pr_5', 'ag_1', 900, 'USD', 'sms', 'expired', t0 + 86_400_000, null, null, 0],
      ];
      for (const [id, agent, amount, currency, channel, status, sent, opened, paid, failures] of rows) {
        const closed =
          status === 'paid' ? paid : status === 'declined' || status === 'expired' ? (sent ?? t0) + 300_000 : null;
        insert.run(
          id,
          agent,
          amount,
          currency,
          channel,
          status,
          t0 - 5_000,
          sent,
          opened,
          paid,
          closed,
          failures,
          t0,
          t0,
        );
      }
      for (const statement of rollupBackfillSql('wide')) sqlite.exec(statement);
      const wide = Object.values(ROLLUP_TABLES).map((table) => sqlite.prepare(wideRollupSql(table, 'postgres')).all());
      expect(wide[0]!.length).toBeGreaterThan(3);
      expect(wide.flat().some((row) => (row as Record<string, number>).h31 === 1)).toBe(true);

      migrateDatabase(db);
      const columns = sqlite.prepare("SELECT name FROM pragma_table_info('metrics_rollup_15m')").pluck().all();
      expect(columns).toEqual(['bucket', 'team_id', 'agent_id', 'channel', 'currency', 'counts', 'paid_amount']);
      const packed = Object.values(ROLLUP_TABLES).map((table) => sqlite.prepare(wideRollupSql(table, 'sqlite')).all());
      expect(packed).toEqual(wide);
      const day = sqlite
        .prepare("SELECT counts, paid_amount FROM metrics_rollup_day WHERE currency = 'USD' ORDER BY bucket")
        .raw()
        .all();
      // Day one: 2 sent, 2 opened, 2 paid (95 s: bin 12, 'V'; 3,940 s: the open bin 31, 'o'); day two: 1 sent, expired unopened.
      expect(day).toEqual([
        ['A2B2C2Vo', 2499],
        ['AEF', 0],
      ]);
      expect(VALUE_COLUMNS.length).toBe(PACKED_COLUMNS.length + 1);

      sqlite.exec('DELETE FROM payment_requests');
      const left = Object.values(ROLLUP_TABLES).flatMap((table) =>
        sqlite.prepare(`SELECT counts, paid_amount FROM ${table.name} WHERE counts <> '' OR paid_amount <> 0`).all(),
      );
      expect(left).toEqual([]);
    } finally {
      closeDatabase(db);
    }
  });
});
