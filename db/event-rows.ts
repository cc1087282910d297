import { maskJsonValue } from '../app/domain/card-masking';
import { canonicalJson, sha256Hex } from '../app/lib/canonical-json';

/**
 * How an accepted event is stored in `events` (migration 0013, issue 14's disk): the content hash as
 * its 32 bytes, or nothing when the body gives it back; the body without what the row's own columns
 * already hold.
 *
 * A stored body is the event as received (card numbers masked) minus its `id`, `type` and
 * `paymentRequest.id` (always equal to the id, type and request_id columns), and minus its
 * `occurredAt` when that is the canonical ISO form of the occurred_at column (the common case; any
 * other spelling, such as an offset or no milliseconds, is kept). Key order of what remains:
 * `occurredAt` if kept, then `paymentRequest` (without its id, only when something is left, which
 * is on created events), then the event's other keys in their order; an event with nothing left
 * stores `{}`. `data` stays at `$.data`, so SQL reading `json_extract(body, '$.data.…')` works on
 * the stored form. Migration 0013 converts older rows to exactly this layout in SQL.
 *
 * `eventBody` rebuilds the body every reader saw before (the same JSON value; the rebuilt id, type,
 * occurredAt and paymentRequest come first), so a timeline, the replay and `cli verify` are
 * unchanged. The content hash stays the SHA-256 of the canonical JSON of the event as received, so
 * a duplicate sent after the migration is still recognised.
 */

/** The columns a stored body is completed from. */
export interface EventColumns {
  id: string;
  type: string;
  occurredAt: number;
  requestId: string;
}

/**
 * The stored form of a content hash (SHA-256 in hex, of the canonical JSON of the event as
 * received): its 32 bytes, or null when the body stored is the event as received (`body`, the
 * masked event's JSON, equals `received`, the unmasked one's: nothing was masked). The hash is then
 * the one of the rebuilt body, and storedContentHash computes it when a duplicate asks.
 */
export function contentHashBlob(hex: string, body: string, received: string): Buffer | null {
  return body === received ? null : Buffer.from(hex, 'hex');
}

/**
 * An accepted event (valid, so its id, type, occurredAt and paymentRequest.id are the columns') as
 * ingest needs it: `body`, the masked event's JSON the replay reads; `storedBody` and `storedHash`,
 * what the row keeps. `hash` is the SHA-256 in hex of the canonical JSON of `input`.
 */
export function storedForm(input: unknown, hash: string, columns: EventColumns) {
  const masked = maskJsonValue(input) as JsonObject;
  const body = JSON.stringify(masked);
  return {
    body,
    storedBody: storedEventBody(masked, columns),
    storedHash: contentHashBlob(hash, body, JSON.stringify(input)),
  };
}

/** A stored row as the duplicate check reads it. */
export interface StoredHashRow {
  id: string;
  type: string;
  occurred_at: number;
  request_id: string;
  body: string;
  content_hash: Buffer | Uint8Array | null;
}

/** A stored event's content hash in hex, to compare with a computed one. */
export function storedContentHash(row: StoredHashRow): string {
  const stored = row.content_hash;
  if (stored !== null) return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('hex');
  return sha256Hex(canonicalJson(JSON.parse(eventBodyOfRow(row))));
}

/** The occurredAt a body may omit: the column's instant in Date#toISOString form. */
export const canonicalOccurredAt = (occurredAt: number) => new Date(occurredAt).toISOString();

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The stored body of an accepted event, from the body as it would be stored whole (already masked)
 * and the row's columns. Throws when the body's id, type or paymentRequest.id disagree with the
 * columns: validation makes them equal, and the rebuilt body would otherwise differ.
 */
export function storedEventBody(body: JsonObject, columns: EventColumns): string {
  if (body.id !== columns.id || body.type !== columns.type) {
    throw new Error(`events: the body of ${columns.id} disagrees with its id or type column`);
  }
  const request = body.paymentRequest;
  if (!isObject(request) || request.id !== columns.requestId) {
    throw new Error(`events: the body of ${columns.id} disagrees with its request_id column`);
  }
  const stored: JsonObject = {};
  if (body.occurredAt !== canonicalOccurredAt(columns.occurredAt)) stored.occurredAt = body.occurredAt;
  const { id: _id, ...details } = request;
  if (Object.keys(details).length > 0) stored.paymentRequest = details;
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'id' && key !== 'type' && key !== 'occurredAt' && key !== 'paymentRequest') stored[key] = value;
  }
  return JSON.stringify(stored);
}

const KEPT_OCCURRED_AT = '{"occurredAt":';
const DETAILS = '{"paymentRequest":{';

/** The body as received (masked), JSON text, from its stored form and the row's columns. */
export function eventBody(stored: string, columns: EventColumns): string {
  if (stored.startsWith(KEPT_OCCURRED_AT)) {
    // Rare (a sender's own spelling of the instant): rebuild the value.
    const { occurredAt, paymentRequest, ...rest } = JSON.parse(stored) as JsonObject;
    return JSON.stringify({
      id: columns.id,
      type: columns.type,
      occurredAt,
      paymentRequest: { id: columns.requestId, ...(paymentRequest as JsonObject | undefined) },
      ...rest,
    });
  }
  // The usual layouts, by text alone: `{...rest}` or `{"paymentRequest":{...details},...rest}`.
  const head = `{"id":${JSON.stringify(columns.id)},"type":${JSON.stringify(columns.type)},"occurredAt":"${canonicalOccurredAt(columns.occurredAt)}","paymentRequest":{"id":${JSON.stringify(columns.requestId)}`;
  if (stored.startsWith(DETAILS)) return `${head},${stored.slice(DETAILS.length)}`;
  return stored === '{}' ? `${head}}}` : `${head}},${stored.slice(1)}`;
}

/** A stored row's full body (the columns as SQL names them). */
export function eventBodyOfRow(row: {
  id: string;
  type: string;
  occurred_at: number;
  request_id: string;
  body: string;
}): string {
  return eventBody(row.body, { id: row.id, type: row.type, occurredAt: row.occurred_at, requestId: row.request_id });
}
