import type Database from 'better-sqlite3';
import { type Db, onPostgres, writeTransaction } from '../../db/client';
import { eventInsertValues, INSERT_EVENT_SQL } from '../../db/event-codes';
import { addReceipts } from '../../db/event-receipts';
import { UPSERT_AGENT_SQL, UPSERT_TEAM_SQL } from '../../db/named-rows';
import { RollupDeltaSums } from '../../db/rollup-deltas';
import type { EventSource } from '../domain/lifecycle';
import type { RequestProjection } from '../domain/projection';
import { getExpirySettings } from '../read/settings.server';
import { ingestPreparedPostgres } from './ingest.pg.server';
import {
  PROJECTION_COLUMNS,
  projectionRows,
  type StoredProjection,
  storedEventsByRequest,
  storedHashes,
} from './ingest-batch.server';
import {
  type IngestOptions,
  type IngestSummary,
  type PreparedInput,
  planBatch,
  prepareInputs,
  recordDueExpiries,
  replayPending,
  validEventIds,
} from './ingest-plan';

export type { EventResult, IngestOptions, IngestSummary } from './ingest-plan';

function prepareStatements(sqlite: Database.Database) {
  return {
    insertEvent: sqlite.prepare(INSERT_EVENT_SQL),
    insertRejected: sqlite.prepare(
      `INSERT INTO rejected_events (event_id, received_at, source, code, path, message, raw)
       VALUES (@eventId, @receivedAt, @source, @code, @path, @message, @raw)`,
    ),
    upsertTeam: sqlite.prepare(UPSERT_TEAM_SQL),
    upsertAgent: sqlite.prepare(UPSERT_AGENT_SQL),
    updateOutcome: sqlite.prepare('UPDATE events SET applied = ?, anomaly = ? WHERE id = ?'),
    upsertRequest: sqlite.prepare(UPSERT_REQUEST_SQL),
  };
}

type Statements = ReturnType<typeof prepareStatements> & {
  /** UPDATEs of a projection's changed columns, by their list (see writeProjection). */
  updates: Map<string, Database.Statement>;
};

/** Distinct lists of changed columns kept as prepared UPDATEs; past it, the full upsert. */
const MAX_UPDATE_SHAPES = 64;
const statementCache = new WeakMap<Database.Database, Statements>();

function statementsFor(db: Db): Statements {
  let statements = statementCache.get(db.$client);
  if (!statements) {
    statements = { ...prepareStatements(db.$client), updates: new Map() };
    statementCache.set(db.$client, statements);
  }
  return statements;
}

/**
 * The one write path (SPEC §1–2). Validates each event, dedupes by id (duplicate vs conflict),
 * stores accepted events and rejected bodies, replays every affected request and updates its
 * projection, all in one IMMEDIATE transaction: when this returns, everything accepted is committed.
 * On PostgreSQL: ingestPreparedPostgres (app/write/ingest.pg.server.ts), the same plan and replay.
 */
export async function ingestEvents(
  db: Db,
  inputs: readonly unknown[],
  source: EventSource,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const now = options.now ?? Date.now();
  return await ingestPrepared(db, prepareInputs(inputs, now), source, { ...options, now });
}

/**
 * ingestEvents of inputs already checked and put in their stored forms by prepareInputs at
 * `options.now` (POST /api/v1/events has that done by a worker thread: app/write/ingest-prepare.ts).
 */
export async function ingestPrepared(
  db: Db,
  prepared: readonly PreparedInput[],
  source: EventSource,
  options: IngestOptions & { now: number },
): Promise<IngestSummary> {
  if (onPostgres(db)) return ingestPreparedPostgres(db, prepared, source, options);
  const { now } = options;
  const statements = statementsFor(db);
  return await writeTransaction(db, async () => {
    // Read under the write lock: the TTL recorded with an event is the one in force when it is accepted.
    const settings = options.settings ?? (await getExpirySettings(db));
    // One read for the whole batch: the stored hash of every id it carries.
    const known = storedHashes(db.$client, validEventIds(prepared));
    const plan = planBatch(prepared, known, settings, source, now);
    for (const row of plan.rejected) statements.insertRejected.run(row);
    for (const team of plan.teams) statements.upsertTeam.run(team.id, team.name, now);
    for (const agent of plan.agents) statements.upsertAgent.run(agent.id, agent.name, agent.teamId, now, agent.seenAt);
    // The replay input and the current projection of every touched request, one read each; the
    // rollup cells the batch moves are written once each at the end (db/rollup-deltas.ts).
    const requestIds = [...plan.pending.keys()];
    const stored = storedEventsByRequest(db.$client, requestIds);
    const current = projectionRows(db.$client, requestIds);
    const replays = replayPending(plan, stored, settings, now);
    await recordDueExpiries(
      replays,
      plan,
      stored,
      settings,
      now,
      (ids) => new Set(storedHashes(db.$client, ids).keys()),
    );
    const rollups = new RollupDeltaSums();
    let inserted = 0;
    for (const [requestId, replayed] of replays) {
      for (const row of replayed.inserts) statements.insertEvent.run(...eventInsertValues(row));
      inserted += replayed.inserts.length;
      for (const update of replayed.updates) statements.updateOutcome.run(update.applied, update.anomaly, update.id);
      if (replayed.projection) {
        writeProjection(db.$client, statements, current.get(requestId), replayed.projection, now);
        rollups.add(current.get(requestId) ?? null, replayed.projection);
      }
    }
    rollups.flush(db.$client);
    addReceipts(db.$client, {
      receivedAt: now,
      accepted: inserted,
      rejectedCodes: plan.rejected.map((row) => row.code),
    });
    return plan.summary;
  });
}

/**
 * Stores a request's projection. A stored one gets an UPDATE of the columns that changed (and
 * updated_at), not an upsert of all of them: SQLite rewrites the entry of every index over a column
 * an UPDATE sets, changed or not, and a status change touches few of the 17 indexes of
 * payment_requests. Each entry rewritten is a page dirtied at a random place of its index, written
 * to the WAL at commit and checkpointed later (issue 14: at 1M requests, a batch of 1,000 events
 * wrote about 1,900 pages).
 */
function writeProjection(
  sqlite: Database.Database,
  statements: Statements,
  stored: StoredProjection | undefined,
  projection: RequestProjection,
  now: number,
): void {
  const changed = stored
    ? PROJECTION_COLUMNS.filter(([key]) => (stored[key] ?? null) !== (projection[key] ?? null))
    : null;
  if (!changed || (!statements.updates.has(shapeOf(changed)) && statements.updates.size >= MAX_UPDATE_SHAPES)) {
    statements.upsertRequest.run(...PROJECTION_COLUMNS.map(([key]) => projection[key] ?? null), now);
    return;
  }
  const shape = shapeOf(changed);
  let update = statements.updates.get(shape);
  if (!update) {
    const set = [...changed.map(([, column]) => `${column} = ?`), 'updated_at = ?'].join(', ');
    update = sqlite.prepare(`UPDATE payment_requests SET ${set} WHERE id = ?`);
    statements.updates.set(shape, update);
  }
  update.run(...changed.map(([key]) => projection[key] ?? null), now, projection.id);
}

/**
 * A projection's row written whole: every PROJECTION_COLUMNS value, then updated_at, positional
 * (binding 21 parameters by name cost ~2 us a request more: issue 14).
 */
const UPSERT_REQUEST_COLUMNS = [...PROJECTION_COLUMNS.map(([, column]) => column), 'updated_at'];
const UPSERT_REQUEST_SQL = `INSERT INTO payment_requests (${UPSERT_REQUEST_COLUMNS.join(', ')})
  VALUES (${UPSERT_REQUEST_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${UPSERT_REQUEST_COLUMNS.filter((column) => column !== 'id')
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}`;

const shapeOf = (columns: readonly (readonly [string, string])[]) => columns.map(([, column]) => column).join(',');
