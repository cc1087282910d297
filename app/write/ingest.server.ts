import type Database from 'better-sqlite3';
import { type Db, onPostgres, writeTransaction } from '../../db/client';
import { eventBody, storedForm } from '../../db/event-rows';
import { RollupDeltaSums } from '../../db/rollup-deltas';
import { exceedsJsonDepth, maskCardNumbers, maskJsonValue } from '../domain/card-masking';
import {
  type EventError,
  type EventValidation,
  ID_PATTERN,
  MAX_EVENT_DEPTH,
  validateEvent,
} from '../domain/event-schema';
import type { EventSource, EventType } from '../domain/lifecycle';
import { type ProjectionEvent, projectRequest, type RequestProjection } from '../domain/projection';
import { type ExpirySettings, linkTtlOf } from '../domain/replay';
import { canonicalJson, sha256Hex } from '../lib/canonical-json';
import { getExpirySettings } from '../read/settings.server';
import { ingestEventsPostgres } from './ingest.pg.server';
import { projectionRows, type StoredEventRow, storedEventsByRequest, storedHashes } from './ingest-batch.server';

export type EventResult =
  | { id: string | null; status: 'accepted' | 'duplicate' }
  | { id: string | null; status: 'rejected'; error: EventError };

export interface IngestSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: EventResult[];
}

export interface IngestOptions {
  now?: number;
  /**
   * The TTLs in force (default: read from the settings in the write transaction). Recorded with each
   * accepted sent, send_failed and opened, and the fallback for stored events without a recorded TTL.
   */
  settings?: ExpirySettings;
}

/** A raw rejected body, masked as a whole: it may hold anything, card numbers and codes included. */
export function maskRawBody(raw: unknown): string {
  return typeof raw === 'string' ? maskCardNumbers(raw) : (JSON.stringify(maskJsonValue(raw)) ?? 'null');
}

/** A rejection as stored: every text in it masked (an unknown key or an id may carry a card number). */
function storedRejection(eventId: string | null, error: EventError, input: unknown) {
  return {
    eventId: eventId === null ? null : maskCardNumbers(eventId),
    code: error.code,
    path: maskCardNumbers(error.path),
    message: maskCardNumbers(error.message),
    // Too deep to walk safely: only the fact is kept.
    raw:
      error.code === 'too_deep'
        ? JSON.stringify(`[nested deeper than ${MAX_EVENT_DEPTH} levels: not kept]`)
        : maskRawBody(input),
  };
}

function prepareStatements(sqlite: Database.Database) {
  return {
    insertEvent: sqlite.prepare(
      `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, content_hash, body, applied, anomaly,
         link_ttl_ms)
       VALUES (@id, @requestId, @type, @occurredAt, @receivedAt, @source, @contentHash, @body, @applied, @anomaly,
         @linkTtlMs)`,
    ),
    insertRejected: sqlite.prepare(
      `INSERT INTO rejected_events (event_id, received_at, source, code, path, message, raw)
       VALUES (@eventId, @receivedAt, @source, @code, @path, @message, @raw)`,
    ),
    // A placeholder name (the id a scope gave a team before any event) gives way to the first name an
    // event carries; a name from an event or an admin stays.
    upsertTeam: sqlite.prepare(
      `INSERT INTO teams (id, name, name_source, created_at) VALUES (?, ?, 'event', ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_source = 'event'
       WHERE teams.name_source = 'placeholder'`,
    ),
    insertAgent: sqlite.prepare('INSERT OR IGNORE INTO agents (id, name, team_id, created_at) VALUES (?, ?, ?, ?)'),
    updateOutcome: sqlite.prepare('UPDATE events SET applied = ?, anomaly = ? WHERE id = ?'),
    upsertRequest: sqlite.prepare(
      `INSERT INTO payment_requests (id, agent_id, team_id, amount, currency, channel, order_number, reason,
         customer_name, customer_phone, status, created_at, sent_at, opened_at, paid_at, closed_at, expires_at,
         expiry_due_at, send_failures, last_event_at, updated_at)
       VALUES (@id, @agentId, @teamId, @amount, @currency, @channel, @orderNumber, @reason, @customerName,
         @customerPhone, @status, @createdAt, @sentAt, @openedAt, @paidAt, @closedAt, @expiresAt, @expiryDueAt,
         @sendFailures, @lastEventAt, @updatedAt)
       ON CONFLICT (id) DO UPDATE SET agent_id = excluded.agent_id, team_id = excluded.team_id,
         amount = excluded.amount, currency = excluded.currency, channel = excluded.channel,
         order_number = excluded.order_number, reason = excluded.reason, customer_name = excluded.customer_name,
         customer_phone = excluded.customer_phone, status = excluded.status, created_at = excluded.created_at,
         sent_at = excluded.sent_at, opened_at = excluded.opened_at, paid_at = excluded.paid_at,
         closed_at = excluded.closed_at, expires_at = excluded.expires_at, expiry_due_at = excluded.expiry_due_at,
         send_failures = excluded.send_failures, last_event_at = excluded.last_event_at,
         updated_at = excluded.updated_at`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;
const statementCache = new WeakMap<Database.Database, Statements>();

function statementsFor(db: Db): Statements {
  let statements = statementCache.get(db.$client);
  if (!statements) {
    statements = prepareStatements(db.$client);
    statementCache.set(db.$client, statements);
  }
  return statements;
}

/** Each input checked (depth first, then hash and validation), before any lock is taken. */
export interface PreparedInput {
  input: unknown;
  hash: string;
  validation: EventValidation;
}

export function prepareInputs(inputs: readonly unknown[], now: number): PreparedInput[] {
  return inputs.map((input) => {
    // Checked before anything that recurses (hashing, validation, masking) can overflow the stack.
    if (exceedsJsonDepth(input, MAX_EVENT_DEPTH)) return { input, hash: '', validation: tooDeep(input) };
    return { input, hash: sha256Hex(canonicalJson(input)), validation: validateEvent(input, now) };
  });
}

/** The ids of the valid events of a batch: whose stored hashes the plan needs. */
export function validEventIds(prepared: readonly PreparedInput[]): string[] {
  return prepared.flatMap(({ validation }) => (validation.ok ? [validation.event.id] : []));
}

/** A rejected body as stored in rejected_events. */
export type RejectedRow = ReturnType<typeof storedRejection> & { receivedAt: number; source: EventSource };

/**
 * What a batch writes, decided from the inputs and the stored hashes of their ids alone (no I/O):
 * the results in input order, the rejections, the teams and agents its events name (in order of
 * first appearance) and the accepted events by request.
 */
export interface BatchPlan {
  summary: IngestSummary;
  rejected: RejectedRow[];
  teams: { id: string; name: string }[];
  agents: { id: string; name: string; teamId: string }[];
  pending: Map<string, PendingEvent[]>;
}

export function planBatch(
  prepared: readonly PreparedInput[],
  known: ReadonlyMap<string, string>,
  settings: ExpirySettings,
  source: EventSource,
  now: number,
): BatchPlan {
  const plan: BatchPlan = {
    summary: { accepted: 0, duplicates: 0, rejected: 0, results: [] },
    rejected: [],
    teams: [],
    agents: [],
    pending: new Map(),
  };
  const { summary } = plan;
  const reject = (input: unknown, eventId: string | null, error: EventError) => {
    plan.rejected.push({ receivedAt: now, source, ...storedRejection(eventId, error, input) });
    summary.rejected += 1;
    summary.results.push({ id: eventId, status: 'rejected', error });
  };
  const batchHashes = new Map<string, string>();
  for (const { input, hash, validation } of prepared) {
    if (!validation.ok) {
      reject(input, validation.eventId, validation.error);
      continue;
    }
    const event = validation.event;
    const existingHash = batchHashes.get(event.id) ?? known.get(event.id);
    if (existingHash !== undefined) {
      if (existingHash === hash) {
        summary.duplicates += 1;
        summary.results.push({ id: event.id, status: 'duplicate' });
      } else {
        reject(input, event.id, {
          code: 'conflict',
          path: 'id',
          message: `An event with id ${event.id} and different content was already accepted`,
        });
      }
      continue;
    }
    batchHashes.set(event.id, hash);
    if (event.details) {
      const { agent } = event.details;
      plan.teams.push({ id: agent.team.id, name: maskCardNumbers(agent.team.name) });
      plan.agents.push({ id: agent.id, name: maskCardNumbers(agent.name), teamId: agent.team.id });
    }
    const row: PendingEvent = {
      id: event.id,
      requestId: event.requestId,
      type: event.type,
      occurredAt: event.occurredAt,
      receivedAt: now,
      source,
      contentHash: hash,
      ...storedForm(input, hash, event),
      linkTtlMs: linkTtlOf(event.type, settings),
    };
    const list = plan.pending.get(event.requestId);
    if (list) list.push(row);
    else plan.pending.set(event.requestId, [row]);
    summary.accepted += 1;
    summary.results.push({ id: event.id, status: 'accepted' });
  }
  return plan;
}

/**
 * The one write path (SPEC §1–2). Validates each event, dedupes by id (duplicate vs conflict),
 * stores accepted events and rejected bodies, replays every affected request and updates its
 * projection, all in one IMMEDIATE transaction: when this returns, everything accepted is committed.
 * On PostgreSQL: ingestEventsPostgres (app/write/ingest.pg.server.ts), the same plan and replay.
 */
export async function ingestEvents(
  db: Db,
  inputs: readonly unknown[],
  source: EventSource,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  if (onPostgres(db)) return ingestEventsPostgres(db, inputs, source, options);
  const now = options.now ?? Date.now();
  const statements = statementsFor(db);
  const prepared = prepareInputs(inputs, now);
  return await writeTransaction(db, async () => {
    // Read under the write lock: the TTL recorded with an event is the one in force when it is accepted.
    const settings = options.settings ?? (await getExpirySettings(db));
    // One read for the whole batch: the stored hash of every id it carries.
    const known = storedHashes(db.$client, validEventIds(prepared));
    const plan = planBatch(prepared, known, settings, source, now);
    for (const row of plan.rejected) statements.insertRejected.run(row);
    for (const team of plan.teams) statements.upsertTeam.run(team.id, team.name, now);
    for (const agent of plan.agents) statements.insertAgent.run(agent.id, agent.name, agent.teamId, now);
    // The replay input and the current projection of every touched request, one read each; the
    // rollup cells the batch moves are written once each at the end (db/rollup-deltas.ts).
    const requestIds = [...plan.pending.keys()];
    const stored = storedEventsByRequest(db.$client, requestIds);
    const current = projectionRows(db.$client, requestIds);
    const rollups = new RollupDeltaSums();
    for (const [requestId, fresh] of plan.pending) {
      const replayed = replayRequest(requestId, stored.get(requestId) ?? [], fresh, settings, now);
      for (const row of replayed.inserts) statements.insertEvent.run(row);
      for (const update of replayed.updates) statements.updateOutcome.run(update.applied, update.anomaly, update.id);
      if (replayed.projection) {
        statements.upsertRequest.run({ ...replayed.projection, updatedAt: now });
        rollups.add(current.get(requestId) ?? null, replayed.projection);
      }
    }
    rollups.flush(db.$client);
    return plan.summary;
  });
}

function tooDeep(input: unknown): EventValidation {
  const id = input !== null && typeof input === 'object' ? (input as { id?: unknown }).id : undefined;
  return {
    ok: false,
    eventId: typeof id === 'string' && ID_PATTERN.test(id) ? id : null,
    error: { code: 'too_deep', path: '', message: `An event may nest at most ${MAX_EVENT_DEPTH} levels` },
  };
}

export interface PendingEvent {
  id: string;
  requestId: string;
  type: EventType;
  occurredAt: number;
  receivedAt: number;
  source: string;
  /** SHA-256 in hex, and as stored (db/event-rows.ts). */
  contentHash: string;
  storedHash: Buffer | null;
  /** The body (masked) as the replay reads it, and as stored (db/event-rows.ts). */
  body: string;
  storedBody: string;
  linkTtlMs: number | null;
}

/** A new event's row as inserted: the stored forms, with its outcome in the replay. */
export interface EventInsert {
  id: string;
  requestId: string;
  type: EventType;
  occurredAt: number;
  receivedAt: number;
  source: string;
  contentHash: Buffer | null;
  body: string;
  applied: 0 | 1;
  anomaly: string | null;
  linkTtlMs: number | null;
}

/**
 * Replays one request from its stored events plus the batch's new ones (no I/O): the new events'
 * rows with their outcome, the stored events whose outcome changed, and the projection to write
 * (null for an orphan: nothing is).
 */
export function replayRequest(
  requestId: string,
  stored: readonly StoredEventRow[],
  fresh: readonly PendingEvent[],
  settings: ExpirySettings,
  now: number,
): {
  inserts: EventInsert[];
  updates: { id: string; applied: 0 | 1; anomaly: string | null }[];
  projection: RequestProjection | null;
} {
  const events: ProjectionEvent[] = [
    ...stored.map((row) => ({
      id: row.id,
      type: row.type as EventType,
      occurredAt: row.occurred_at,
      source: row.source,
      body: eventBody(row.body, { id: row.id, type: row.type, occurredAt: row.occurred_at, requestId }),
      linkTtlMs: row.link_ttl_ms,
    })),
    ...fresh,
  ];
  const projected = projectRequest(requestId, events, settings, now);
  const inserts = fresh.map((event): EventInsert => {
    const outcome = projected?.result.outcomes.get(event.id);
    return {
      id: event.id,
      requestId: event.requestId,
      type: event.type,
      occurredAt: event.occurredAt,
      receivedAt: event.receivedAt,
      source: event.source,
      contentHash: event.storedHash,
      body: event.storedBody,
      applied: outcome?.applied ? 1 : 0,
      anomaly: outcome?.anomaly ?? null,
      linkTtlMs: event.linkTtlMs,
    };
  });
  if (!projected) return { inserts, updates: [], projection: null }; // orphans wait for their created event

  const updates: { id: string; applied: 0 | 1; anomaly: string | null }[] = [];
  for (const row of stored) {
    const outcome = projected.result.outcomes.get(row.id)!;
    const applied = outcome.applied ? 1 : 0;
    // Number(): PostgreSQL gives the boolean column as true/false, SQLite as 1/0.
    if (applied !== Number(row.applied) || outcome.anomaly !== row.anomaly) {
      updates.push({ id: row.id, applied, anomaly: outcome.anomaly });
    }
  }
  return { inserts, updates, projection: projected.projection };
}
