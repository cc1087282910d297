import type Database from 'better-sqlite3';
import { maskCardNumbers, maskJsonValue } from '../app/domain/card-masking';
import { type PaymentRequestDetails, parseRfc3339 } from '../app/domain/event-schema';
import type { EventSource } from '../app/domain/lifecycle';
import { type ProjectionEvent, projectRequest } from '../app/domain/projection';
import { type ExpirySettings, linkTtlOf } from '../app/domain/replay';
import { FreshEvent } from '../app/write/ingest-plan';
import type { Db } from '../db/client';
import { eventInsertValues, INSERT_EVENT_SQL } from '../db/event-codes';
import { addReceipts } from '../db/event-receipts';
import { storedForm } from '../db/event-rows';
import { rollupBulkFillSql, rollupClearSql } from '../db/metrics-rollups';
import { UPSERT_AGENT_SQL, UPSERT_TEAM_SQL } from '../db/named-rows';
import { generateSeedEvents, type SeedEvent, type SeedOptions } from './generate';

/**
 * The bulk generator: the same events as `npm run seed` (seed/generate.ts), written straight into
 * an empty database instead of through ingest, for the 1M- and 10M-request bench databases.
 *
 * - events rows are made as ingest makes them (content hash of the canonical JSON, masked body,
 *   the TTL in force), in the order ingest inserts them (a batch's requests, then its system
 *   expiries), with each event's applied/anomaly from the replay of the whole request;
 * - payment_requests rows are the pure projection (app/domain/projection.ts) of each request;
 * - the rollup tables are filled at the end by the set-based backfill (db/metrics-rollups.ts), not
 *   by the triggers: these, and every index on events and payment_requests, are dropped while the
 *   rows go in and created again from their own stored SQL afterwards (a sorted index build is
 *   several times cheaper than millions of random B-tree inserts).
 *
 * tests/integration/seed-bulk.test.ts checks that the result equals ingesting the same events.
 */

export interface BulkProgress {
  requests: number;
  events: number;
  phase: 'rows' | 'rollups' | 'indexes';
}

export interface BulkSummary {
  requests: number;
  events: number;
  /** Milliseconds spent on each phase. */
  timings: { rows: number; rollups: number; indexes: number };
}

/** Rows written per transaction. */
const EVENTS_PER_TRANSACTION = 200_000;

interface EventRow {
  id: string;
  requestId: string;
  type: SeedEvent['type'];
  occurredAt: number;
  receivedAt: number;
  source: EventSource;
  /** The body the replay reads (masked, whole). */
  body: string;
  /** What the row keeps (db/event-rows.ts, as ingest stores it): the hash's bytes or null, the slim body. */
  storedHash: Buffer | null;
  storedBody: string;
  linkTtlMs: number | null;
}

/** An accepted event's row as ingest stores it (app/write/ingest.server.ts), outcome aside. */
function eventRow(input: SeedEvent, source: EventSource, settings: ExpirySettings, now: number): EventRow {
  const occurredAt = parseRfc3339(input.occurredAt);
  if (occurredAt === null) throw new Error(`Generated event ${input.id} has no valid occurredAt`);
  const columns = { id: input.id, type: input.type, occurredAt, requestId: input.paymentRequest.id };
  const { storedBody, storedHash } = storedForm(input, columns);
  // The body the replay reads is rebuilt from the stored one, and only a created event's is read.
  const { id, type, requestId } = columns;
  return new FreshEvent(
    id,
    requestId,
    type,
    occurredAt,
    now,
    source,
    storedHash,
    storedBody,
    linkTtlOf(type, settings),
  );
}

/** What the replay reads of an event (no hash; a body only on created, the one the projection parses). */
function replayRow(input: SeedEvent, source: EventSource, settings: ExpirySettings, now: number): EventRow {
  const occurredAt = parseRfc3339(input.occurredAt);
  if (occurredAt === null) throw new Error(`Generated event ${input.id} has no valid occurredAt`);
  return {
    id: input.id,
    requestId: input.paymentRequest.id,
    type: input.type,
    occurredAt,
    receivedAt: now,
    source,
    body: input.type === 'payment_request.created' ? JSON.stringify(maskJsonValue(input)) : '',
    storedHash: null,
    storedBody: '',
    linkTtlMs: linkTtlOf(input.type, settings),
  };
}

/** The SQL of the triggers and indexes of the tables written here, to drop now and create again later. */
function schemaObjects(sqlite: Database.Database) {
  return sqlite
    .prepare(
      `SELECT type, name, sql FROM sqlite_master
       WHERE type IN ('index', 'trigger') AND tbl_name IN ('events', 'payment_requests') AND sql IS NOT NULL
       ORDER BY type DESC, name`,
    )
    .all() as { type: 'index' | 'trigger'; name: string; sql: string }[];
}

function assertEmpty(sqlite: Database.Database): void {
  const rows = sqlite
    .prepare('SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM payment_requests) AS n')
    .pluck()
    .get() as number;
  if (rows > 0) throw new Error('The bulk generator writes into a database without events or requests: reset it');
}

/**
 * Writes the seed's events, their projection and the rollups into `db`, which must hold no events
 * nor requests. Teams and agents are added as ingest adds them (created at `options.now`).
 */
export function bulkSeed(
  db: Db,
  options: SeedOptions & {
    settings: ExpirySettings;
    /**
     * false: no events rows, only what the reads use (requests, agents, teams, rollups), for the
     * 10M-request metrics database. The projection is the same; only the created event's body is
     * made (masked), the one the projection reads; nothing is hashed.
     */
    events?: boolean;
    onProgress?: (progress: BulkProgress) => void;
  },
): BulkSummary {
  const sqlite = db.$client;
  const { settings, now } = options;
  const writeEvents = options.events ?? true;
  const rowOf = writeEvents ? eventRow : replayRow;
  assertEmpty(sqlite);
  const objects = schemaObjects(sqlite);
  const timings = { rows: 0, rollups: 0, indexes: 0 };

  const insertEvent = sqlite.prepare(INSERT_EVENT_SQL);
  const upsertTeam = sqlite.prepare(UPSERT_TEAM_SQL);
  const upsertAgent = sqlite.prepare(UPSERT_AGENT_SQL);
  const insertRequest = sqlite.prepare(
    `INSERT INTO payment_requests (id, agent_id, team_id, amount, currency, channel, order_number, reason,
       customer_name, customer_phone, status, created_at, sent_at, opened_at, paid_at, closed_at, expires_at,
       expiry_due_at, send_failures, last_event_at, updated_at)
     VALUES (@id, @agentId, @teamId, @amount, @currency, @channel, @orderNumber, @reason, @customerName,
       @customerPhone, @status, @createdAt, @sentAt, @openedAt, @paidAt, @closedAt, @expiresAt, @expiryDueAt,
       @sendFailures, @lastEventAt, @updatedAt)`,
  );

  let started = performance.now();
  for (const object of objects) sqlite.exec(`DROP ${object.type.toUpperCase()} "${object.name}"`);
  let requests = 0;
  let events = 0;
  // Each agent's newest created event (its name and team, as ingest leaves them), written when first
  // seen and again before each COMMIT when a newer one came.
  const agentsSeen = new Map<string, { name: string; teamId: string; seenAt: number }>();
  const moved = new Set<string>();
  const teamsSeen = new Set<string>();
  const commit = () => {
    for (const id of moved) {
      const agent = agentsSeen.get(id)!;
      upsertAgent.run(id, agent.name, agent.teamId, now, agent.seenAt);
    }
    moved.clear();
    sqlite.exec('COMMIT');
  };
  try {
    let open = false;
    let inTransaction = 0;
    for (const batch of generateSeedEvents(options)) {
      if (!open) {
        sqlite.exec('BEGIN');
        open = true;
      }
      // The rows of each request: its own events, then its system expiry.
      const byRequest = new Map<string, EventRow[]>();
      const rows: EventRow[] = [];
      for (const input of batch.events) {
        const row = rowOf(input, 'seed', settings, now);
        rows.push(row);
        const list = byRequest.get(row.requestId);
        if (list) list.push(row);
        else byRequest.set(row.requestId, [row]);
        const agent =
          input.type === 'payment_request.created' ? (input.paymentRequest as PaymentRequestDetails).agent : null;
        if (agent) {
          const seen = agentsSeen.get(agent.id);
          const latest = { name: maskCardNumbers(agent.name), teamId: agent.team.id, seenAt: row.occurredAt };
          if (!teamsSeen.has(agent.team.id)) {
            teamsSeen.add(agent.team.id);
            upsertTeam.run(agent.team.id, maskCardNumbers(agent.team.name), now);
          }
          if (!seen) {
            agentsSeen.set(agent.id, latest);
            upsertAgent.run(agent.id, latest.name, latest.teamId, now, latest.seenAt);
          } else if (latest.seenAt > seen.seenAt) {
            agentsSeen.set(agent.id, latest);
            moved.add(agent.id);
          }
        }
      }
      for (const input of batch.systemEvents) {
        const row = rowOf(input, 'system', settings, now);
        rows.push(row);
        byRequest.get(row.requestId)!.push(row);
      }
      const outcomes = new Map<string, { applied: boolean; anomaly: string | null }>();
      for (const [requestId, list] of byRequest) {
        const projected = projectRequest(requestId, list as ProjectionEvent[], settings, now);
        if (!projected) throw new Error(`Generated request ${requestId} has no created event`);
        for (const [id, outcome] of projected.result.outcomes) outcomes.set(id, outcome);
        insertRequest.run({ ...projected.projection, updatedAt: now });
      }
      // In the order ingest stores them: by request, each request's system expiry after its own events.
      for (const row of writeEvents ? [...byRequest.values()].flat() : []) {
        const outcome = outcomes.get(row.id)!;
        insertEvent.run(
          ...eventInsertValues({
            ...row,
            contentHash: row.storedHash,
            body: row.storedBody,
            applied: outcome.applied ? 1 : 0,
            anomaly: outcome.anomaly ?? null,
          }),
        );
      }
      // Every row is received at `now`, as ingest at that time would record them.
      if (writeEvents) addReceipts(sqlite, { receivedAt: now, accepted: rows.length, rejectedCodes: [] });
      requests += batch.outcomes.length;
      events += rows.length;
      inTransaction += rows.length;
      if (inTransaction >= EVENTS_PER_TRANSACTION) {
        commit();
        open = false;
        inTransaction = 0;
        options.onProgress?.({ requests, events, phase: 'rows' });
      }
    }
    if (open) commit();
    timings.rows = performance.now() - started;

    started = performance.now();
    options.onProgress?.({ requests, events, phase: 'rollups' });
    sqlite.transaction(() => {
      for (const statement of rollupClearSql('sqlite')) sqlite.exec(statement);
      for (const statement of rollupBulkFillSql()) sqlite.exec(statement);
    })();
    timings.rollups = performance.now() - started;
  } finally {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    // Indexes first (the triggers' statements do not need them), then the triggers, as they were.
    started = performance.now();
    options.onProgress?.({ requests, events, phase: 'indexes' });
    for (const object of objects) sqlite.exec(object.sql);
    timings.indexes = performance.now() - started;
  }
  return { requests, events, timings };
}
