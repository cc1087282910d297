import { isJsonObject, maskEventValue } from '../app/domain/card-masking';
import { canonicalJson, sha256Hex } from '../app/lib/canonical-json';
import { canonicalIsoInstant } from '../app/lib/iso-instant';

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
 * stores `{}`. Migration 0013 converts older rows to exactly this layout in SQL.
 *
 * What remains is packed when its shape is a common one (SHAPES): the shape's index then its values
 * in order, as `\u0001shape` followed by `\u001fvalue` for each (a string as it is, another value as
 * `\u001e` and its JSON), or, when a string value holds one of those separators, as the JSON array
 * `[shape, value, ...]`; `{"data":{}}`, the body of most events, is the empty string. Other shapes
 * stay JSON, among them every body whose `data` holds a `reason`, so SQL reading
 * `json_extract(body, '$.data.reason')` (a send failure's) works on the stored form. Older rows
 * keep their layout (JSON, or the array form with `[]` for an empty `data` that came before the
 * compact one); all are read.
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
 * ingest keeps it: `storedBody` and `storedHash`, what the row holds. The content hash is computed
 * here only when something was masked (the row keeps it); otherwise formContentHash gives it from
 * the stored body when a duplicate asks, which is rare: a new event's id has nothing to be compared
 * with (issue 14: hashing every event was ~8% of the server's thread when ingesting). The masked
 * event's JSON text is not kept either: the few readers that want it (a conflict's raw form, a replay
 * of a body that is not compact) rebuild it with eventBody, the same JSON value (writing it for every
 * event, and sending it to the writer thread, was ~2% of a batch: issue 14, session 25).
 */
export function storedForm(input: unknown, columns: EventColumns): StoredForm {
  const masked = maskEventValue(input) as JsonObject;
  const storedBody = storedEventBody(masked, columns);
  // Nothing masked (the same object back): the event is stored as received, no hash to keep.
  if (masked === input) return { storedBody, storedHash: null };
  const hex = sha256Hex(canonicalJson(input));
  return { storedBody, storedHash: contentHashBlob(hex, JSON.stringify(masked), JSON.stringify(input)) };
}

export interface StoredForm {
  storedBody: string;
  storedHash: Buffer | null;
}

/**
 * The content hash in hex (SHA-256 of the canonical JSON of the event as received) of an event in
 * its stored forms: the one kept, or, when nothing was masked, the one of its body rebuilt from the
 * stored form and the event's columns (the event as received, keys perhaps in another order, which
 * canonical JSON does not see).
 */
export function formContentHash(
  form: { storedBody: string; storedHash: Buffer | Uint8Array | null },
  columns: EventColumns,
): string {
  return form.storedHash === null ? bodyContentHash(eventBody(form.storedBody, columns)) : hexOf(form.storedHash);
}

/** The content hash of an event body that is the event as received (JSON text). */
const bodyContentHash = (body: string) => sha256Hex(canonicalJson(JSON.parse(body)));
const hexOf = (bytes: Buffer | Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

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
  return row.content_hash === null ? bodyContentHash(eventBodyOfRow(row)) : hexOf(row.content_hash);
}

/** The occurredAt a body may omit: the column's instant in Date#toISOString form. */
export const canonicalOccurredAt = (occurredAt: number) => new Date(occurredAt).toISOString();

/**
 * Whether a body's occurredAt is canonicalOccurredAt of the column: read by hand when it has
 * toISOString's form (nearly always; no Date made, issue 14), else compared with the one written.
 */
function isCanonicalOccurredAt(value: unknown, occurredAt: number): boolean {
  if (typeof value !== 'string') return false;
  const instant = canonicalIsoInstant(value);
  return instant !== null ? instant === occurredAt : value === canonicalOccurredAt(occurredAt);
}

type JsonObject = Record<string, unknown>;

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
  if (!isJsonObject(request) || request.id !== columns.requestId) {
    throw new Error(`events: the body of ${columns.id} disagrees with its request_id column`);
  }
  const stored: JsonObject = {};
  if (!isCanonicalOccurredAt(body.occurredAt, columns.occurredAt)) stored.occurredAt = body.occurredAt;
  const details: JsonObject = {};
  let anyDetail = false;
  // for...in, not Object.keys: the same own keys in the same order (JSON values: plain objects, whose
  // prototype has no enumerable key), without an array a call. Those arrays were ~1.2 MB of the ~4 MB a 1,000-event body allocates (session 26).
  for (const key in request) {
    if (key === 'id') continue;
    copyKey(details, request, key);
    anyDetail = true;
  }
  if (anyDetail) stored.paymentRequest = details;
  for (const key in body) {
    if (key !== 'id' && key !== 'type' && key !== 'occurredAt' && key !== 'paymentRequest') copyKey(stored, body, key);
  }
  return packed(stored);
}

/**
 * `to[key] = from[key]`, as a property of its own even for `__proto__` (a key JSON.parse makes a
 * property of its own, and an assignment would take for the prototype: the key was lost).
 */
function copyKey(to: JsonObject, from: JsonObject, key: string): void {
  if (key === '__proto__')
    Object.defineProperty(to, key, { value: from[key], enumerable: true, writable: true, configurable: true });
  else to[key] = from[key];
}

/**
 * The common shapes of a stored body (issue 14's disk: at 1M requests a created event's body was
 * 287 bytes, mostly key names): its JSON text with each value that is not an object as LEAF. A row
 * names its shape by index, so the list only grows.
 */
const LEAF = 0;
/** Where a value stands in a shape: a control character, which JSON.stringify always escapes. */
const MARK = '\u0000';
const agent = { id: LEAF, name: LEAF, team: { id: LEAF, name: LEAF } };
const details = { agent, amount: LEAF, currency: LEAF, orderNumber: LEAF, reason: LEAF, channel: LEAF };
const card = { brand: LEAF, last4: LEAF };
const SHAPE_TREES: readonly JsonObject[] = [
  { paymentRequest: { ...details, customer: { phone: LEAF, name: LEAF } }, data: {} },
  { paymentRequest: { ...details, customer: { phone: LEAF } }, data: {} },
  { data: { card, providerReference: LEAF } },
  { data: { providerReference: LEAF } },
  { data: { card } },
  { data: { actorId: LEAF } },
];
const SHAPES: readonly string[] = SHAPE_TREES.map((shape) => skeleton(shape, []));
/** Each shape cut at its values: the text around them. */
const SHAPE_PARTS = SHAPES.map((shape) => shape.split(MARK));
const EMPTY_DATA = '{"data":{}}';
/** How `{"data":{}}` is stored; rows stored before it say `[]`. */
const PACKED_EMPTY_DATA = '';
const OLD_PACKED_EMPTY_DATA = '[]';
/** The compact form's marks (control characters: JSON text never holds them unescaped). */
const COMPACT = '\u0001';
const VALUE = '\u001f';
const NOT_TEXT = '\u001e';

/**
 * The JSON text of an object with every value that is not an object as MARK (pushed to `leaves`),
 * exactly as JSON.stringify spells the rest: key order, escapes.
 */
function skeleton(value: unknown, leaves: unknown[]): string {
  if (!isJsonObject(value)) {
    leaves.push(value);
    return MARK;
  }
  const members: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (child !== undefined) members.push(`${JSON.stringify(key)}:${skeleton(child, leaves)}`);
  }
  return `{${members.join(',')}}`;
}

/** `\u0001shape\u001fvalue...`, or null when a string value holds a mark (then the array form). */
function compact(index: number, leaves: readonly unknown[]): string | null {
  let text = `${COMPACT}${index}`;
  for (const leaf of leaves) {
    if (typeof leaf === 'string') {
      if (leaf.includes(VALUE) || leaf.startsWith(NOT_TEXT)) return null;
      text += VALUE + leaf;
    } else {
      text += VALUE + NOT_TEXT + JSON.stringify(leaf);
    }
  }
  return text;
}

/**
 * Whether `value` has exactly `shape`'s keys in its order, nested alike, with a value that is not
 * an object (nor undefined) at each LEAF, pushed to `leaves` in order: then JSON.stringify(value) is
 * the shape's text with JSON.stringify of each leaf in place (what `filled` writes back), since
 * JSON.stringify writes an object's own keys in that same order. (issue 14: comparing skeletons
 * as text, and checking each packed body by unpacking it, was ~6% of the server's thread.)
 */
function matchesShape(value: unknown, shape: unknown, leaves: unknown[]): boolean {
  if (shape === LEAF) {
    if (value === undefined || isJsonObject(value)) return false;
    leaves.push(value);
    return true;
  }
  if (!isJsonObject(value)) return false;
  const template = shape as JsonObject;
  const expected = keysOf(template);
  let i = 0;
  for (const key in value) {
    if (i >= expected.length || key !== expected[i] || !matchesShape(value[key], template[key], leaves)) return false;
    i += 1;
  }
  return i === expected.length;
}

/** A shape's keys, listed once (the shapes never change). */
const shapeKeys = new WeakMap<JsonObject, readonly string[]>();
function keysOf(template: JsonObject): readonly string[] {
  let keys = shapeKeys.get(template);
  if (!keys) {
    keys = Object.keys(template);
    shapeKeys.set(template, keys);
  }
  return keys;
}

/** Whether an object has no key of its own (for...in: no array made). */
function isEmptyObject(value: JsonObject): boolean {
  for (const _ in value) return false;
  return true;
}

/** `{"data":{}}` exactly. */
const isEmptyData = (stored: JsonObject) => {
  let hasData = false;
  for (const key in stored) {
    if (key !== 'data') return false;
    hasData = true;
  }
  return hasData && isJsonObject(stored.data) && isEmptyObject(stored.data);
};

/** A stored body's text: packed when its shape is one of SHAPES, else JSON. */
function packed(stored: JsonObject): string {
  if (isEmptyData(stored)) return PACKED_EMPTY_DATA;
  for (let index = 0; index < SHAPE_TREES.length; index++) {
    const leaves: unknown[] = [];
    if (matchesShape(stored, SHAPE_TREES[index], leaves)) {
      return compact(index, leaves) ?? JSON.stringify([index, ...leaves]);
    }
  }
  return JSON.stringify(stored);
}

/** A shape's JSON text with its values in place. */
function filled(index: number, leaves: readonly unknown[]): string {
  const parts = SHAPE_PARTS[index];
  if (!parts || parts.length !== leaves.length + 1)
    throw new Error(`events: a stored body names unknown shape ${index}`);
  let text = parts[0]!;
  for (let i = 0; i < leaves.length; i++) text += JSON.stringify(leaves[i]) + parts[i + 1]!;
  return text;
}

/** A stored body's JSON text, packed or not. */
function unpacked(stored: string): string {
  if (stored === PACKED_EMPTY_DATA || stored === OLD_PACKED_EMPTY_DATA) return EMPTY_DATA;
  const first = stored.charCodeAt(0);
  if (first === 1 /* COMPACT */) {
    const [index, ...values] = stored.slice(1).split(VALUE);
    return filled(Number(index), values.map(compactLeaf));
  }
  if (first !== 91 /* [ */) return stored;
  const [index, ...leaves] = JSON.parse(stored) as [number, ...unknown[]];
  return filled(index, leaves);
}

/**
 * A compact stored body as the value JSON.parse would make of its text (without what the columns
 * hold), or null for any other form (the caller parses the body). The ingest writer reads a created
 * event's details this way: parsing the whole body for them was 4% of its thread (issue 14, session 24).
 */
export function storedBodyObject(stored: string): JsonObject | null {
  if (stored.charCodeAt(0) !== 1 /* COMPACT */) return null;
  // values[0] is the mark and the shape's index; the shape's values follow.
  const values = stored.split(VALUE);
  const index = values[0]!.slice(1);
  const tree = SHAPE_TREES[Number(index)];
  if (!tree) throw new Error(`events: a stored body names unknown shape ${index}`);
  const read = { next: 1, index };
  const value = built(tree, values, read);
  if (read.next !== values.length) throw new Error(`events: a stored body has more values than shape ${index}`);
  return value;
}

/** A shape's object with the values from `read.next` on at its leaves (storedBodyObject). */
function built(shape: JsonObject, values: readonly string[], read: { next: number; index: string }): JsonObject {
  const value: JsonObject = {};
  for (const key in shape) {
    const inner = shape[key];
    if (inner !== LEAF) {
      value[key] = built(inner as JsonObject, values, read);
      continue;
    }
    const text = values[read.next++];
    if (text === undefined) throw new Error(`events: a stored body has fewer values than shape ${read.index}`);
    value[key] = compactLeaf(text);
  }
  return value;
}

/**
 * A value of the compact form: a string as it is, another value from NOT_TEXT and its JSON (a plain
 * integer read as a number, the same value JSON.parse gives, without it).
 */
function compactLeaf(text: string): unknown {
  if (!text.startsWith(NOT_TEXT)) return text;
  const json = text.slice(1);
  return json.length <= 15 && PLAIN_INTEGER.test(json) ? Number(json) : JSON.parse(json);
}

const PLAIN_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

const KEPT_OCCURRED_AT = '{"occurredAt":';
const DETAILS = '{"paymentRequest":{';

/** The body as received (masked), JSON text, from its stored form and the row's columns. */
export function eventBody(packedBody: string, columns: EventColumns): string {
  const stored = unpacked(packedBody);
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
