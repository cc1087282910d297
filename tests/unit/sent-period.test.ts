import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SENT_PERIOD_MS, sentPeriodOf, sentPeriodSql, sentPeriodsBetween } from '../../db/sent-period';

const at = (iso: string) => Date.parse(iso);

describe('the 30-day periods of sent_at (db/sent-period.ts)', () => {
  it('gives the period SQLite computes in the index expression', () => {
    const sqlite = new Database(':memory:');
    const instants = [
      0,
      1,
      SENT_PERIOD_MS - 1,
      SENT_PERIOD_MS,
      at('2026-11-03T00:00:00Z'),
      at('2026-12-02T23:59:59.999Z'),
    ];
    // An INTEGER column, as payment_requests.sent_at: integer division (a bound JS number alone is REAL).
    sqlite.exec('CREATE TABLE t (sent_at INTEGER)');
    const insert = sqlite.prepare('INSERT INTO t (sent_at) VALUES (?)');
    for (const sentAt of instants) insert.run(sentAt);
    const periods = (
      sqlite.prepare(`SELECT ${sentPeriodSql()} AS p FROM t ORDER BY rowid`).all() as { p: number }[]
    ).map((row) => row.p);
    expect(periods).toEqual([0, 0, 0, 1, 692, 692]);
    expect(instants.map(sentPeriodOf)).toEqual(periods);
    sqlite.close();
  });

  it('lists the periods a range overlaps, within the sent_at stored', () => {
    const stored = { first: at('2026-01-10T00:00:00Z'), last: at('2026-12-01T00:00:00Z') };
    // [2026-11-01, 2026-12-05): 691 until 2026-11-03, then 692 until 2026-12-03, then 693 (past the last stored).
    expect(sentPeriodsBetween(at('2026-11-01T00:00:00Z'), at('2026-12-05T00:00:00Z'), stored)).toEqual([691, 692]);
    // An end exactly on a period's start leaves that period out.
    expect(sentPeriodsBetween(at('2026-10-20T00:00:00Z'), at('2026-11-03T00:00:00Z'), stored)).toEqual([691]);
    // Open ends: the stored first and last.
    const all = Array.from({ length: 11 }, (_, i) => 682 + i);
    expect(sentPeriodsBetween(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, stored)).toEqual(all);
    expect(sentPeriodsBetween(-8_640_000_000_000_000, 8_640_000_000_000_000, stored)).toEqual(all);
    // Nothing stored, or a range outside what is stored: no period.
    expect(sentPeriodsBetween(0, at('2027-01-01T00:00:00Z'), null)).toEqual([]);
    expect(sentPeriodsBetween(at('2025-01-01T00:00:00Z'), at('2025-02-01T00:00:00Z'), stored)).toEqual([]);
  });
});
