import { beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { ROLLUP_TABLES, type RollupTable, rollupCellsSql } from '../../db/metrics-rollups';
import { bulkSeed } from '../../seed/bulk';
import { generateSeedEvents, type SeedOptions } from '../../seed/generate';
import { createTestDb } from '../support/db';

/**
 * The bulk generator (seed/bulk.ts) against the ingest path on the same generated events: every
 * row of events, payment_requests, agents, teams and every cell of the four rollup tables must be identical, and
 * the indexes and triggers it drops while writing must be back as they were.
 */

// Mid-afternoon, so requests are still in flight, expiring and due at the end of the period.
const NOW = Date.parse('2026-10-28T15:10:00.000Z');
const settings = { ttlUnopenedMs: 5 * 60_000, ttlOpenedMs: 15 * 60_000 };
const OPTIONS: SeedOptions = { requests: 3000, days: 6, seed: 11, now: NOW, ...settings, batchEvents: 700 };

let ingested: Db;
let bulk: Db;
let summary: ReturnType<typeof bulkSeed>;
let withoutEvents: Db;

beforeAll(async () => {
  ingested = (await createTestDb()).db;
  for (const batch of generateSeedEvents(OPTIONS)) {
    await ingestEvents(ingested, batch.events, 'seed', { now: NOW, settings });
    await ingestEvents(ingested, batch.systemEvents, 'system', { now: NOW, settings });
  }
  bulk = (await createTestDb()).db;
  summary = bulkSeed(bulk, { ...OPTIONS, settings });
  withoutEvents = (await createTestDb()).db;
  bulkSeed(withoutEvents, { ...OPTIONS, settings, events: false });
});

const rowsOf = (db: Db, sql: string) => db.$client.prepare(sql).all();
/**
 * A rollup table's cells: the ingest adds the agent tables' deltas to their pending tables, the bulk
 * generator fills the agent tables; a cell is its row in both (db/metrics-rollups.ts: rollupCellsSql).
 */
const cellsSql = (table: RollupTable) =>
  `SELECT * FROM ${rollupCellsSql(table, '', true)} ORDER BY ${table.key.join(', ')}`;

describe('bulk generator vs ingest', () => {
  it('writes every generated request and event', () => {
    const count = (sql: string) => ingested.$client.prepare(sql).pluck().get();
    expect(summary.requests).toBe(3000);
    expect(count('SELECT count(*) FROM payment_requests')).toBe(3000);
    expect(summary.events).toBe(count('SELECT count(*) FROM events'));
    // Every outcome is there: a comparison of sparse data would prove little.
    expect(
      count("SELECT group_concat(status, ' ') FROM (SELECT DISTINCT status FROM payment_requests ORDER BY 1)"),
    ).toBe('canceled declined expired opened paid payment_failed');
    expect(count("SELECT count(*) FROM events WHERE source = 'system'")).toBeGreaterThan(100);
    expect(count('SELECT count(*) FROM payment_requests WHERE expiry_due_at IS NOT NULL')).toBeGreaterThan(0);
  });

  it.each([
    ['events', 'SELECT * FROM events ORDER BY seq'],
    ['payment_requests', 'SELECT * FROM payment_requests ORDER BY id'],
    ['agents', 'SELECT * FROM agents ORDER BY id'],
    ['teams', 'SELECT * FROM teams ORDER BY id'],
    ['event_receipts', 'SELECT * FROM event_receipts ORDER BY minute'],
    ...Object.values(ROLLUP_TABLES).map((table) => [table.name, cellsSql(table)]),
  ])('%s: identical rows', (_name, sql) => {
    const expected = rowsOf(ingested, sql);
    expect(expected.length).toBeGreaterThan(0);
    expect(rowsOf(bulk, sql)).toEqual(expected);
  });

  it.each([
    ['payment_requests', 'SELECT * FROM payment_requests ORDER BY id'],
    ['agents', 'SELECT * FROM agents ORDER BY id'],
    ['teams', 'SELECT * FROM teams ORDER BY id'],
    ...Object.values(ROLLUP_TABLES).map((table) => [table.name, cellsSql(table)]),
  ])('without events rows: %s identical', (_name, sql) => {
    expect(rowsOf(withoutEvents, sql)).toEqual(rowsOf(ingested, sql));
  });

  it('without events rows: none written', () => {
    expect(withoutEvents.$client.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
  });

  it('leaves the same indexes and triggers', () => {
    const sql = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name";
    expect(rowsOf(bulk, sql)).toEqual(rowsOf(ingested, sql));
  });

  it('refuses a database that already holds requests', () => {
    expect(() => bulkSeed(bulk, { ...OPTIONS, settings })).toThrow(/without events or requests/);
  });
});
