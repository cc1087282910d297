import { EVENT_SOURCES, EVENT_TYPES, type EventSource, type EventType } from '../app/domain/lifecycle';

/**
 * An event's type and source as SQLite stores them (issue 14, migration 0020): a small integer each
 * (`type_code`, `source_code`: one byte, or none for 0 and 1), and `type` and `source` as VIRTUAL
 * columns computed from them, which take no space. Every read (`WHERE type = 'payment_request.paid'`,
 * drizzle's `events.type`) is unchanged; the writers give the codes. PostgreSQL 15 has no virtual
 * columns: there `type` and `source` stay plain text and the codes are STORED columns computed from
 * them, so both schemas keep the same columns (db/schema.pg.ts).
 *
 * Append-only: a code, once given, keeps its meaning, since rows hold it. The codes are the
 * positions in EVENT_TYPES and EVENT_SOURCES as they stood when migration 0020 wrote them into the
 * generated columns; tests/integration/event-codes.test.ts pins them (and the schema's definition
 * to these lists), so reordering either list fails there: a new type or source goes at the end,
 * with a migration that redefines the generated columns on both engines.
 */
export const STORED_EVENT_TYPES: readonly EventType[] = EVENT_TYPES;
export const STORED_EVENT_SOURCES: readonly EventSource[] = EVENT_SOURCES;

const codes = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((value, code) => [value, code])) as Record<T, number>;

export const EVENT_TYPE_CODES: Record<EventType, number> = codes(STORED_EVENT_TYPES);
export const EVENT_SOURCE_CODES: Record<EventSource, number> = codes(STORED_EVENT_SOURCES);

const quoted = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** `CASE column WHEN 0 THEN 'first' ... END`: the text of a code (NULL for an unknown one). */
export function textOfCodeSql(column: string, values: readonly string[]): string {
  return `CASE ${column} ${values.map((value, code) => `WHEN ${code} THEN ${quoted(value)}`).join(' ')} END`;
}

/** `CASE column WHEN 'first' THEN 0 ... END`: the code of a text (NULL for an unknown one). */
export function codeOfTextSql(column: string, values: readonly string[]): string {
  return `CASE ${column} ${values.map((value, code) => `WHEN ${quoted(value)} THEN ${code}`).join(' ')} END`;
}

/**
 * The INSERT of an accepted event into SQLite's events table (ingest and the bulk generator), its
 * parameters positional in eventInsertValues' order (binding 11 parameters by name cost ~1.2 us an
 * event more: issue 14); type and source as text, stored as their codes. An unknown type or source
 * gives a NULL code, which NOT NULL refuses.
 */
export const INSERT_EVENT_SQL = `INSERT INTO events (id, request_id, type_code, occurred_at, received_at, source_code,
    content_hash, body, applied, anomaly, link_ttl_ms)
  VALUES (?, ?, ${codeOfTextSql('?', STORED_EVENT_TYPES)}, ?, ?, ${codeOfTextSql('?', STORED_EVENT_SOURCES)}, ?, ?, ?, ?, ?)`;

/** A new event's row as inserted (both engines' writers): the stored forms, with its outcome in the replay. */
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

/** INSERT_EVENT_SQL's parameters, in its order. */
export const eventInsertValues = (row: EventInsert) =>
  [
    row.id,
    row.requestId,
    row.type,
    row.occurredAt,
    row.receivedAt,
    row.source,
    row.contentHash,
    row.body,
    row.applied,
    row.anomaly,
    row.linkTtlMs,
  ] as const;
