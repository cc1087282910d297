import type Database from 'better-sqlite3';
import { type StoredHashRow, storedContentHash } from '../../db/event-rows';
import type { RollupRow } from '../../db/rollup-deltas';
import type { RequestProjection } from '../domain/projection';

/** The columns of a projection row, as (property, column) pairs: what the writer stores. */
export const PROJECTION_COLUMNS = [
  ['id', 'id'],
  ['agentId', 'agent_id'],
  ['teamId', 'team_id'],
  ['amount', 'amount'],
  ['currency', 'currency'],
  ['channel', 'channel'],
  ['orderNumber', 'order_number'],
  ['reason', 'reason'],
  ['customerName', 'customer_name'],
  ['customerPhone', 'customer_phone'],
  ['status', 'status'],
  ['createdAt', 'created_at'],
  ['sentAt', 'sent_at'],
  ['openedAt', 'opened_at'],
  ['paidAt', 'paid_at'],
  ['closedAt', 'closed_at'],
  ['expiresAt', 'expires_at'],
  ['expiryDueAt', 'expiry_due_at'],
  ['sendFailures', 'send_failures'],
  ['lastEventAt', 'last_event_at'],
] as const satisfies readonly (readonly [keyof RequestProjection, string])[];

/** A stored projection row: every projected column (a RollupRow too). */
export type StoredProjection = RequestProjection & RollupRow;

const PROJECTION_SELECT = PROJECTION_COLUMNS.map(([key, column]) => `${column} AS ${key}`).join(', ');

/**
 * The reads an ingest batch needs, one query each for the whole batch (issue 14) instead of one per
 * event or per request: the stored hashes of the batch's event ids (dedupe), the stored events of
 * every request the batch touches (the replay's input) and their current projection rows (what the
 * rollup deltas subtract). Each takes the ids as one JSON array parameter.
 */

export interface StoredEventRow {
  request_id: string;
  id: string;
  type: string;
  occurred_at: number;
  source: string;
  applied: number;
  anomaly: string | null;
  body: string;
  link_ttl_ms: number | null;
}

function prepareBatchReads(sqlite: Database.Database) {
  return {
    hashes: sqlite.prepare<[string], StoredHashRow>(
      'SELECT id, type, occurred_at, request_id, body, content_hash FROM events WHERE id IN (SELECT value FROM json_each(?))',
    ),
    events: sqlite.prepare<[string], StoredEventRow>(
      `SELECT request_id, id, type, occurred_at, source, applied, anomaly, body, link_ttl_ms FROM events
       WHERE request_id IN (SELECT value FROM json_each(?))`,
    ),
    projections: sqlite.prepare<[string], StoredProjection>(
      `SELECT ${PROJECTION_SELECT} FROM payment_requests WHERE id IN (SELECT value FROM json_each(?))`,
    ),
  };
}

type BatchReads = ReturnType<typeof prepareBatchReads>;
const cache = new WeakMap<Database.Database, BatchReads>();

function readsFor(sqlite: Database.Database): BatchReads {
  let reads = cache.get(sqlite);
  if (!reads) {
    reads = prepareBatchReads(sqlite);
    cache.set(sqlite, reads);
  }
  return reads;
}

/** The content hash (hex) of each of these event ids that is stored (db/event-rows.ts: a BLOB, or rebuilt from the body). */
export function storedHashes(sqlite: Database.Database, ids: readonly string[]): Map<string, string> {
  const hashes = new Map<string, string>();
  if (ids.length === 0) return hashes;
  for (const row of readsFor(sqlite).hashes.all(JSON.stringify(ids))) hashes.set(row.id, storedContentHash(row));
  return hashes;
}

/** The stored events of each of these requests (requests without any are absent). */
export function storedEventsByRequest(
  sqlite: Database.Database,
  requestIds: readonly string[],
): Map<string, StoredEventRow[]> {
  const byRequest = new Map<string, StoredEventRow[]>();
  if (requestIds.length === 0) return byRequest;
  for (const row of readsFor(sqlite).events.all(JSON.stringify(requestIds))) {
    const list = byRequest.get(row.request_id);
    if (list) list.push(row);
    else byRequest.set(row.request_id, [row]);
  }
  return byRequest;
}

/**
 * The stored projection of each of these requests that has one, every column: the rollup deltas
 * subtract it, and the writer updates only the columns that differ from it.
 */
export function projectionRows(
  sqlite: Database.Database,
  requestIds: readonly string[],
): Map<string, StoredProjection> {
  const rows = new Map<string, StoredProjection>();
  if (requestIds.length === 0) return rows;
  for (const row of readsFor(sqlite).projections.all(JSON.stringify(requestIds))) rows.set(row.id, row);
  return rows;
}
