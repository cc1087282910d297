import type Database from 'better-sqlite3';
import { type StoredHashRow, storedContentHash } from '../../db/event-rows';
import { ROLLUP_ROW_SQL, type RollupRow } from '../../db/rollup-deltas';

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
    projections: sqlite.prepare<[string], RollupRow & { id: string }>(
      `SELECT id, ${ROLLUP_ROW_SQL} FROM payment_requests WHERE id IN (SELECT value FROM json_each(?))`,
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

/** The current projection row (its rollup columns) of each of these requests that has one. */
export function projectionRows(sqlite: Database.Database, requestIds: readonly string[]): Map<string, RollupRow> {
  const rows = new Map<string, RollupRow>();
  if (requestIds.length === 0) return rows;
  for (const { id, ...row } of readsFor(sqlite).projections.all(JSON.stringify(requestIds))) rows.set(id, row);
  return rows;
}
