import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { parseFilters } from '../../app/read/filters';
import { getAgentLeaderboard, getMetricsSummary } from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import {
  PENDING_FOLD_ROWS,
  PENDING_ROLLUPS,
  pendingRollupTablesSql,
  ROLLUP_TABLES,
  rollupBackfillSql,
  rollupClearSql,
  wideRollupSql,
} from '../../db/metrics-rollups';
import { MIGRATIONS_FOLDER } from '../../db/migrate';
import { foldPendingRollups } from '../../db/rollup-deltas';
import { ON_POSTGRES } from '../../db/tables';
import { generateSeedEvents } from '../../seed/generate';
import { closeTestDb, createTestDb } from '../support/db';

/**
 * SQLite's agent-first day rollups take their deltas in pending tables first and fold them in once
 * PENDING_FOLD_ROWS are pending (db/metrics-rollups.ts: PENDING_ROLLUPS). A cell is its row in both:
 * every read must give what the cells would be had every delta gone straight to the agent tables.
 */

const NOW = Date.parse('2026-10-28T12:00:00.000Z');
const settings = { ttlUnopenedMs: 5 * 60_000, ttlOpenedMs: 15 * 60_000 };
const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const filters = (query: string) => parseFilters(new URLSearchParams(query), 'UTC');

let db: Db;
beforeEach(async () => {
  db = (await createTestDb()).db;
});
afterEach(async () => {
  if (db) await closeTestDb(db);
});

async function ingest(requests: number, days: number, seed: number) {
  for (const batch of generateSeedEvents({ requests, days, seed, now: NOW, ...settings })) {
    await ingestEvents(db, batch.events, 'seed', { now: NOW, settings });
    await ingestEvents(db, batch.systemEvents, 'system', { now: NOW, settings });
  }
}

const count = (table: string) => (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const agentTables = PENDING_ROLLUPS.map(({ table }) => table);
/** Each agent table's cells as checks read them (a cell's row there plus its pending row), zero cells left out. */
const cells = () =>
  agentTables.map((table) =>
    (db.$client.prepare(wideRollupSql(table, 'sqlite')).all() as Record<string, number | string>[]).filter((row) =>
      Object.entries(row).some(([name, value]) => !table.key.includes(name as never) && value !== 0),
    ),
  );
/** What the metrics show through both agent tables: a leaderboard (agent_day) and a channel filter (agent_channel_day). */
const reads = async () => ({
  leaderboard: await getAgentLeaderboard(db, filters('from=2026-10-20&to=2026-10-28'), manager),
  whatsapp: await getMetricsSummary(db, filters('from=2026-10-20&to=2026-10-28&channel=whatsapp'), manager),
  agentWhatsapp: await getMetricsSummary(
    db,
    filters('from=2026-10-01&to=2026-10-28&channel=whatsapp&agent=ag_03'),
    manager,
  ),
});
const fold = () => db.$client.transaction(() => foldPendingRollups(db.$client)).immediate();
/** The rollups rebuilt from the projection alone, every delta straight into every table. */
function rebuild() {
  db.$client
    .transaction(() => {
      for (const statement of rollupClearSql('sqlite')) db.$client.exec(statement);
      for (const statement of rollupBackfillSql()) db.$client.exec(statement);
    })
    .immediate();
}

describe.skipIf(ON_POSTGRES)('pending agent rollups (SQLite)', () => {
  it('holds a batch’s agent cells apart, folds them in, and reads the same before and after', async () => {
    await ingest(1500, 9, 3);
    const [dayTable, channelTable] = PENDING_ROLLUPS;
    expect(count(dayTable!.table.name)).toBe(0);
    expect(count(channelTable!.table.name)).toBe(0);
    const pendingRows = PENDING_ROLLUPS.map(({ pending }) => count(pending.name));
    expect(pendingRows.every((rows) => rows > 0 && rows < PENDING_FOLD_ROWS)).toBe(true);
    // The other rollups are written directly.
    expect(count(ROLLUP_TABLES.day.name)).toBeGreaterThan(0);

    const before = { cells: cells(), reads: await reads() };
    expect(before.reads.whatsapp.sent).toBeGreaterThan(0);
    expect(before.reads.agentWhatsapp.sent).toBeGreaterThan(0);
    expect(before.reads.leaderboard.length).toBeGreaterThan(10);

    fold();
    expect(PENDING_ROLLUPS.map(({ pending }) => count(pending.name))).toEqual([0, 0]);
    expect(PENDING_ROLLUPS.map(({ table }) => count(table.name))).toEqual(pendingRows);
    expect(cells()).toEqual(before.cells);
    expect(await reads()).toEqual(before.reads);

    // More events on the same days: cells now in both tables (a second fold adds to the rows folded before).
    await ingest(800, 9, 4);
    expect(PENDING_ROLLUPS.map(({ pending }) => count(pending.name)).every((rows) => rows > 0)).toBe(true);
    const both = { cells: cells(), reads: await reads() };
    expect(both.reads.whatsapp.sent).toBeGreaterThan(before.reads.whatsapp.sent);
    fold();
    expect(cells()).toEqual(both.cells);
    expect(await reads()).toEqual(both.reads);

    rebuild();
    expect(cells()).toEqual(both.cells);
    expect(await reads()).toEqual(both.reads);
  });

  it('folds on its own once PENDING_FOLD_ROWS cells are pending, and stays equal to a rebuild', async () => {
    // A year of requests: more distinct (agent, channel, day, team, currency) cells than the bound.
    await ingest(7000, 365, 5);
    const pending = PENDING_ROLLUPS.map(({ pending }) => count(pending.name));
    const folded = PENDING_ROLLUPS.map(({ table }) => count(table.name));
    expect(Math.max(...pending)).toBeLessThan(PENDING_FOLD_ROWS);
    expect(folded[1]).toBeGreaterThanOrEqual(PENDING_FOLD_ROWS);
    const maintained = { cells: cells(), reads: await reads() };
    rebuild();
    expect(cells()).toEqual(maintained.cells);
    expect(await reads()).toEqual(maintained.reads);
  });
});

describe('migration 0029', () => {
  it('creates the pending tables as pendingRollupTablesSql does', () => {
    const file = readFileSync(join(MIGRATIONS_FOLDER, '0029_pending_agent_rollups.sql'), 'utf8');
    const statements = file
      .replace(/^--.*\n/gm, '')
      .split('--> statement-breakpoint')
      .map((statement) => statement.trim());
    expect(statements).toEqual(pendingRollupTablesSql());
  });
});
