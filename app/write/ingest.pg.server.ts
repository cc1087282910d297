import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Db, PostgresHandle } from '../../db/client';
import { writeTransaction } from '../../db/client';
import type { StoredHashRow } from '../../db/event-rows';
import { storedContentHash } from '../../db/event-rows';
import { RollupDeltaSums, type RollupRow } from '../../db/rollup-deltas';
import { flushRollupDeltasPostgres, ROLLUP_ROW_PG_SQL } from '../../db/rollup-deltas.pg';
// PostgreSQL's tables whatever DATABASE_URL names (db/tables.ts picks by it): this module runs on
// PostgreSQL only, also from a process whose app database is SQLite (tests comparing the engines).
import type * as pgSchema from '../../db/schema.pg';
import { agents, events, paymentRequests, rejectedEvents, teams } from '../../db/schema.pg';
import type { EventSource } from '../domain/lifecycle';
import { getExpirySettings } from '../read/settings.server';
import type { StoredEventRow } from './ingest-batch.server';
import {
  type EventInsert,
  type IngestOptions,
  type IngestSummary,
  planBatch,
  prepareInputs,
  replayRequest,
  validEventIds,
} from './ingest-plan';

/**
 * The write path on PostgreSQL (issue 13), for several app instances on one database: the same
 * plan and replay as on SQLite (ingest.server.ts), in one transaction that first takes a
 * transaction-scoped advisory lock on every request it touches, so two instances never replay the
 * same request from a stale read. The event id stays the idempotency key across instances: a
 * batch that loses an insert race on an id (the same id sent through two instances, for two
 * different requests) is retried, and then finds the id stored (a duplicate or a conflict).
 * Every row lock taken after the advisory locks is taken in an order all instances share (teams,
 * agents and rollup cells by key), and the rollups move by the writer's deltas as on SQLite
 * (db/rollup-deltas.pg.ts), so batches of different requests do not deadlock on shared rows either.
 */

/** Changes committed here wake every instance's live feed (LISTEN paylink_changes). */
export const CHANGES_CHANNEL = 'paylink_changes';

/** A batch lost a race on an event id to another instance: run it again, from fresh reads. */
class EventIdRace extends Error {}

/** Deadlock detected, serialization failure: PostgreSQL asks for the transaction to be run again. */
const RETRYABLE_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

export async function ingestEventsPostgres(
  db: Db & { $pg: PostgresHandle },
  inputs: readonly unknown[],
  source: EventSource,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const now = options.now ?? Date.now();
  const prepared = prepareInputs(inputs, now);
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeTransaction(db, () => writeBatch(db, prepared, source, options, now));
    } catch (error) {
      const retryable = error instanceof EventIdRace || RETRYABLE_CODES.has((error as { code?: string }).code ?? '');
      if (!retryable || attempt === MAX_ATTEMPTS) throw error;
    }
  }
}

async function writeBatch(
  db: Db & { $pg: PostgresHandle },
  prepared: ReturnType<typeof prepareInputs>,
  source: EventSource,
  options: IngestOptions,
  now: number,
): Promise<IngestSummary> {
  const query = db.$pg.query;
  const pgDb = postgresDrizzle(db);
  // The requests the batch names, locked in one order (hash order) by every instance: no deadlock.
  const requestIds = [
    ...new Set(prepared.flatMap(({ validation }) => (validation.ok ? [validation.event.requestId] : []))),
  ];
  if (requestIds.length > 0) {
    await query(
      `SELECT pg_advisory_xact_lock(h) FROM (
         SELECT DISTINCT hashtextextended(id, 0) AS h FROM unnest($1::text[]) AS id ORDER BY h) AS locks`,
      [requestIds],
    );
  }
  const settings = options.settings ?? (await getExpirySettings(db));
  const ids = validEventIds(prepared);
  const known = new Map<string, string>();
  if (ids.length > 0) {
    const rows = await query<StoredHashRow>(
      'SELECT id, type, occurred_at, request_id, body, content_hash FROM events WHERE id = ANY($1::text[])',
      [ids],
    );
    for (const row of rows) known.set(row.id, storedContentHash(row));
  }
  const plan = planBatch(prepared, known, settings, source, now);

  if (plan.rejected.length > 0) await pgDb.insert(rejectedEvents).values(plan.rejected);
  const teamRows = byId(firstOfEach(plan.teams));
  if (teamRows.length > 0) {
    // A placeholder name gives way to the first name an event carries (as on SQLite).
    await pgDb
      .insert(teams)
      .values(teamRows.map((team) => ({ id: team.id, name: team.name, nameSource: 'event' as const, createdAt: now })))
      .onConflictDoUpdate({
        target: teams.id,
        set: { name: sql`excluded.name`, nameSource: 'event' },
        setWhere: sql`${teams.nameSource} = 'placeholder'`,
      });
  }
  const agentRows = byId(firstOfEach(plan.agents));
  if (agentRows.length > 0) {
    await pgDb
      .insert(agents)
      .values(agentRows.map((agent) => ({ ...agent, createdAt: now })))
      .onConflictDoNothing({ target: agents.id });
  }

  const touched = [...plan.pending.keys()];
  const stored = new Map<string, StoredEventRow[]>();
  const current = new Map<string, RollupRow>();
  if (touched.length > 0) {
    const rows = await query<StoredEventRow>(
      `SELECT request_id, id, type, occurred_at, source, applied, anomaly, body, link_ttl_ms FROM events
       WHERE request_id = ANY($1::text[]) ORDER BY seq`,
      [touched],
    );
    for (const row of rows) {
      const list = stored.get(row.request_id);
      if (list) list.push(row);
      else stored.set(row.request_id, [row]);
    }
    // What each projection adds to the rollups before this batch: the deltas move it to what it adds after.
    const projected = await query<RollupRow & { id: string }>(
      `SELECT id, ${ROLLUP_ROW_PG_SQL} FROM payment_requests WHERE id = ANY($1::text[])`,
      [touched],
    );
    for (const { id, ...row } of projected) current.set(id, row);
  }
  const rollups = new RollupDeltaSums();
  const inserts: EventInsert[] = [];
  const updates: { id: string; applied: 0 | 1; anomaly: string | null }[] = [];
  const projections = [];
  for (const [requestId, fresh] of plan.pending) {
    const replayed = replayRequest(requestId, stored.get(requestId) ?? [], fresh, settings, now);
    inserts.push(...replayed.inserts);
    updates.push(...replayed.updates);
    if (replayed.projection) {
      projections.push({ ...replayed.projection, updatedAt: now });
      rollups.add(current.get(requestId) ?? null, replayed.projection);
    }
  }
  await insertEvents(pgDb, inserts);
  if (updates.length > 0) {
    await query(
      `UPDATE events SET applied = u.applied, anomaly = u.anomaly
       FROM unnest($1::text[], $2::boolean[], $3::text[]) AS u(id, applied, anomaly) WHERE events.id = u.id`,
      [updates.map((u) => u.id), updates.map((u) => u.applied === 1), updates.map((u) => u.anomaly)],
    );
  }
  if (projections.length > 0) {
    await pgDb
      .insert(paymentRequests)
      .values(projections as (typeof paymentRequests.$inferInsert)[])
      .onConflictDoUpdate({ target: paymentRequests.id, set: excludedColumns(PROJECTION_COLUMNS) });
  }
  await flushRollupDeltasPostgres(query, rollups.deltas());
  if (inserts.length > 0) await query(`SELECT pg_notify('${CHANGES_CHANNEL}', '')`);
  return plan.summary;
}

type PostgresDrizzle = NodePgDatabase<typeof pgSchema>;

/** db as what it is on PostgreSQL (Db is typed for SQLite's drizzle): queries typed by db/schema.pg.ts. */
function postgresDrizzle(db: Db & { $pg: PostgresHandle }): PostgresDrizzle {
  return db as unknown as PostgresDrizzle;
}

/** Rows per INSERT: 11 parameters each, well under PostgreSQL's 65,535 a statement. */
const INSERT_ROWS = 1000;

async function insertEvents(db: PostgresDrizzle, rows: readonly EventInsert[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_ROWS) {
    const slice = rows.slice(start, start + INSERT_ROWS);
    const inserted = await db
      .insert(events)
      .values(slice.map((row) => ({ ...row, applied: row.applied === 1 }) as typeof events.$inferInsert))
      .onConflictDoNothing({ target: events.id })
      .returning({ id: events.id });
    // Another instance stored one of these ids since this batch read the stored hashes.
    if (inserted.length !== slice.length) throw new EventIdRace();
  }
}

/** Rows in id order: the order every instance locks them in. */
function byId<T extends { id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The first entry of each id, in order: what the SQLite path's one-at-a-time inserts keep. */
function firstOfEach<T extends { id: string }>(rows: readonly T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => !seen.has(row.id) && seen.add(row.id));
}

const PROJECTION_COLUMNS = [
  'agentId',
  'teamId',
  'amount',
  'currency',
  'channel',
  'orderNumber',
  'reason',
  'customerName',
  'customerPhone',
  'status',
  'createdAt',
  'sentAt',
  'openedAt',
  'paidAt',
  'closedAt',
  'expiresAt',
  'expiryDueAt',
  'sendFailures',
  'lastEventAt',
  'updatedAt',
] as const;

/** ON CONFLICT … SET column = excluded.column for each of these columns. */
function excludedColumns(keys: readonly (typeof PROJECTION_COLUMNS)[number][]) {
  return Object.fromEntries(keys.map((key) => [key, sql.raw(`excluded.${paymentRequests[key].name}`)]));
}
