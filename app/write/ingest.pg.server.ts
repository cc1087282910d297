import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Db, PostgresHandle } from '../../db/client';
import { writeTransaction } from '../../db/client';
import type { EventInsert } from '../../db/event-codes';
import { addReceiptsPostgres } from '../../db/event-receipts';
import type { StoredHashRow } from '../../db/event-rows';
import { storedContentHash } from '../../db/event-rows';
import { RollupDeltaSums, type RollupRow } from '../../db/rollup-deltas';
import { flushRollupDeltasPostgres, ROLLUP_ROW_PG_SQL } from '../../db/rollup-deltas.pg';
// PostgreSQL's tables whatever DATABASE_URL names (db/tables.ts picks by it): this module runs on
// PostgreSQL only, also from a process whose app database is SQLite (tests comparing the engines).
import type * as pgSchema from '../../db/schema.pg';
import { agents, type paymentRequests, rejectedEvents, teams } from '../../db/schema.pg';
import type { EventSource } from '../domain/lifecycle';
import { getExpirySettings } from '../read/settings.server';
import type { StoredEventRow } from './ingest-batch.server';
import {
  type IngestOptions,
  type IngestSummary,
  type PreparedInput,
  planBatch,
  recordDueExpiries,
  replayPending,
  validEventIds,
} from './ingest-plan';
import { requestLockKey } from './request-lock.server';

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

/** ingestPrepared on PostgreSQL: the inputs already prepared (prepareInputs) at `options.now`. */
export async function ingestPreparedPostgres(
  db: Db & { $pg: PostgresHandle },
  prepared: readonly PreparedInput[],
  source: EventSource,
  options: IngestOptions & { now: number },
): Promise<IngestSummary> {
  const { now } = options;
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
  prepared: readonly PreparedInput[],
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
         SELECT DISTINCT ${requestLockKey('id')} AS h FROM unnest($1::text[]) AS id ORDER BY h) AS locks`,
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
  const teamRows = await teamsToName(query, byId([...plan.teams]));
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
  const agentRows = byId([...plan.agents]);
  if (agentRows.length > 0) {
    await pgDb
      .insert(agents)
      .values(agentRows.map((agent) => ({ ...agent, createdAt: now })))
      // The newest event's name and team (db/named-rows.ts): rows locked in id order, as the teams'.
      .onConflictDoUpdate({
        target: agents.id,
        set: { name: sql`excluded.name`, teamId: sql`excluded.team_id`, seenAt: sql`excluded.seen_at` },
        setWhere: sql`excluded.seen_at > ${agents.seenAt}`,
      });
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
  const replays = replayPending(plan, stored, settings, now);
  await recordDueExpiries(replays, plan, stored, settings, now, async (ids) => {
    const rows = await query<{ id: string }>('SELECT id FROM events WHERE id = ANY($1::text[])', [ids]);
    return new Set(rows.map((row) => row.id));
  });
  for (const [requestId, replayed] of replays) {
    inserts.push(...replayed.inserts);
    updates.push(...replayed.updates);
    if (replayed.projection) {
      projections.push({ ...replayed.projection, updatedAt: now });
      rollups.add(current.get(requestId) ?? null, replayed.projection);
    }
  }
  await insertEvents(query, inserts);
  if (updates.length > 0) {
    await query(
      `UPDATE events SET applied = u.applied, anomaly = u.anomaly
       FROM unnest($1::text[], $2::boolean[], $3::text[]) AS u(id, applied, anomaly) WHERE events.id = u.id`,
      [updates.map((u) => u.id), updates.map((u) => u.applied === 1), updates.map((u) => u.anomaly)],
    );
  }
  await upsertProjections(query, projections);
  await flushRollupDeltasPostgres(query, rollups.deltas());
  await addReceiptsPostgres(query, {
    receivedAt: now,
    accepted: inserts.length,
    rejectedCodes: plan.rejected.map((row) => row.code),
  });
  if (inserts.length > 0) await query(`SELECT pg_notify('${CHANGES_CHANNEL}', '')`);
  return plan.summary;
}

type PostgresDrizzle = NodePgDatabase<typeof pgSchema>;

/** db as what it is on PostgreSQL (Db is typed for SQLite's drizzle): queries typed by db/schema.pg.ts. */
function postgresDrizzle(db: Db & { $pg: PostgresHandle }): PostgresDrizzle {
  return db as unknown as PostgresDrizzle;
}

/**
 * The batch's new event rows, as one array per column through unnest (11 parameters however many
 * rows): drizzle's insert builder spent half of the server's CPU of an ingest building 11 × 1,000
 * placeholders (a --cpu-prof of 18,915 events: 3.2 of 6.0 s).
 */
async function insertEvents(query: PostgresHandle['query'], rows: readonly EventInsert[]): Promise<void> {
  if (rows.length === 0) return;
  const inserted = await query<{ id: string }>(
    `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, content_hash, body, applied, anomaly,
       link_ttl_ms)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bytea[],
       $8::text[], $9::boolean[], $10::text[], $11::integer[])
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      rows.map((row) => row.id),
      rows.map((row) => row.requestId),
      rows.map((row) => row.type),
      rows.map((row) => row.occurredAt),
      rows.map((row) => row.receivedAt),
      rows.map((row) => row.source),
      rows.map((row) => row.contentHash),
      rows.map((row) => row.body),
      rows.map((row) => row.applied === 1),
      rows.map((row) => row.anomaly),
      rows.map((row) => row.linkTtlMs),
    ],
  );
  // Another instance stored one of these ids since this batch read the stored hashes.
  if (inserted.length !== rows.length) throw new EventIdRace();
}

/** The projection's columns and their PostgreSQL types, in the order upsertProjections passes them. */
const PROJECTION_COLUMNS = [
  ['id', 'id', 'text'],
  ['agentId', 'agent_id', 'text'],
  ['teamId', 'team_id', 'text'],
  ['amount', 'amount', 'bigint'],
  ['currency', 'currency', 'text'],
  ['channel', 'channel', 'text'],
  ['orderNumber', 'order_number', 'text'],
  ['reason', 'reason', 'text'],
  ['customerName', 'customer_name', 'text'],
  ['customerPhone', 'customer_phone', 'text'],
  ['status', 'status', 'text'],
  ['createdAt', 'created_at', 'bigint'],
  ['sentAt', 'sent_at', 'bigint'],
  ['openedAt', 'opened_at', 'bigint'],
  ['paidAt', 'paid_at', 'bigint'],
  ['closedAt', 'closed_at', 'bigint'],
  ['expiresAt', 'expires_at', 'bigint'],
  ['expiryDueAt', 'expiry_due_at', 'bigint'],
  ['sendFailures', 'send_failures', 'integer'],
  ['lastEventAt', 'last_event_at', 'bigint'],
  ['updatedAt', 'updated_at', 'bigint'],
] as const satisfies readonly (readonly [keyof typeof paymentRequests.$inferInsert, string, string])[];

const UPSERT_PROJECTIONS_SQL = `INSERT INTO payment_requests (${PROJECTION_COLUMNS.map(([, column]) => column).join(', ')})
  SELECT * FROM unnest(${PROJECTION_COLUMNS.map(([, , type], i) => `$${i + 1}::${type}[]`).join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${PROJECTION_COLUMNS.slice(1)
    .map(([, column]) => `${column} = excluded.${column}`)
    .join(', ')}`;

/** The batch's projections, one upsert of one array per column (as insertEvents). */
async function upsertProjections(
  query: PostgresHandle['query'],
  rows: readonly { [Key in (typeof PROJECTION_COLUMNS)[number][0]]: unknown }[],
): Promise<void> {
  if (rows.length === 0) return;
  await query(
    UPSERT_PROJECTIONS_SQL,
    PROJECTION_COLUMNS.map(([key]) => rows.map((row) => row[key] ?? null)),
  );
}

/**
 * The batch's teams that the upsert below could change: those not stored yet and those still named
 * by a placeholder. An ON CONFLICT DO UPDATE locks every existing row it meets until the transaction
 * ends, even where its WHERE leaves the row as it is, so upserting every team a batch names made each
 * ingest transaction, on every instance, wait for the one before to commit (a team is on most batches).
 * A team whose name came from an event or an admin never changes here: it is read, not locked.
 */
async function teamsToName<T extends { id: string }>(query: PostgresHandle['query'], rows: T[]): Promise<T[]> {
  if (rows.length === 0) return rows;
  const settled = await query<{ id: string }>(
    `SELECT id FROM teams WHERE id = ANY($1::text[]) AND name_source <> 'placeholder'`,
    [rows.map((row) => row.id)],
  );
  const kept = new Set(settled.map((row) => row.id));
  return rows.filter((row) => !kept.has(row.id));
}

/** Rows in id order: the order every instance locks them in. */
function byId<T extends { id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
