import type { EventInsert } from '../../db/event-codes';
import {
  type EventColumns,
  eventBody,
  formContentHash,
  type StoredForm,
  storedBodyObject,
  storedForm,
} from '../../db/event-rows';
import { exceedsJsonDepth, maskCardNumbers, maskEventValue, maskFreeText } from '../domain/card-masking';
import {
  type EventError,
  type EventValidation,
  ID_PATTERN,
  MAX_EVENT_DEPTH,
  type PaymentRequestDetails,
  validateEvent,
} from '../domain/event-schema';
import type { EventSource, EventType } from '../domain/lifecycle';
import { type ProjectionEvent, projectRequest, type RequestProjection } from '../domain/projection';
import { type ExpirySettings, linkTtlOf } from '../domain/replay';
import { chooseSystemExpiryIds, systemExpiryEvent } from '../domain/system-expiry';
import { holdsNul, nulPath } from '../lib/nul-text';
import type { StoredEventRow } from './ingest-batch.server';

/**
 * The write path's pure parts (no I/O), shared by both engines' writers (ingest.server.ts on
 * SQLite, ingest.pg.server.ts on PostgreSQL): each input checked and put in its stored forms, the
 * batch planned against the stored hashes of its ids, and each touched request replayed from its
 * stored events.
 */

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

/**
 * A raw rejected body, masked as a whole: it may hold anything, card numbers and codes included. Text
 * that is not JSON may hold a request's free text anywhere, so it is masked as free text is.
 */
export function maskRawBody(raw: unknown): string {
  return typeof raw === 'string' ? maskFreeText(raw) : (JSON.stringify(maskEventValue(raw)) ?? 'null');
}

/** A rejection as stored: every text in it masked (an unknown key or an id may carry a card number). */
function storedRejection(eventId: string | null, error: EventError, raw: string) {
  return {
    eventId: eventId === null ? null : maskCardNumbers(eventId),
    code: error.code,
    path: maskCardNumbers(error.path),
    message: maskCardNumbers(error.message),
    raw,
  };
}

/**
 * Each input checked (depth first, then validation) and put in the forms it is stored in, before
 * any lock is taken: a valid event's stored body and hash (db/event-rows.ts; its content hash is
 * computed only when it must be kept or compared), an invalid one's masked body as rejected_events
 * keeps it. Nothing here reads the database or the settings,
 * and a PreparedInput is plain data: an ingest preparation worker (app/write/ingest-prepare.ts)
 * makes the same ones off the server's thread.
 */
export interface PreparedInput {
  validation: { ok: true; event: PlannedEvent } | Extract<EventValidation, { ok: false }>;
  /** A valid event's stored forms (its body rebuilt from them is also its raw form in a conflict). */
  stored: StoredForm | null;
  /** An invalid input's raw form in rejected_events. */
  rejectedRaw: string | null;
}

export type { StoredForm };

/**
 * What the writer reads of a valid event once it is prepared (its stored forms hold the rest): its
 * identity, and on a created event the agent and team it names (a batch records their names).
 */
export interface PlannedEvent {
  id: string;
  type: EventType;
  occurredAt: number;
  requestId: string;
  details: { agent: PaymentRequestDetails['agent'] } | null;
}

/** Raw bodies nested deeper than this are not walked to be kept: only the fact is. */
const TOO_DEEP_RAW = JSON.stringify(`[nested deeper than ${MAX_EVENT_DEPTH} levels: not kept]`);

export function prepareInputs(inputs: readonly unknown[], now: number): PreparedInput[] {
  return inputs.map((input) => {
    // Checked before anything that recurses (hashing, validation, masking) can overflow the stack.
    if (exceedsJsonDepth(input, MAX_EVENT_DEPTH)) {
      return { validation: tooDeep(input), stored: null, rejectedRaw: TOO_DEEP_RAW };
    }
    // PostgreSQL's text holds no NUL: refused on either engine, before anything stores a text of it.
    if (holdsNul(input)) {
      return {
        validation: withNul(input),
        stored: null,
        rejectedRaw: maskRawBody(input).replaceAll('\u0000', '\\u0000'),
      };
    }
    const validation = validateEvent(input, now);
    return validation.ok
      ? { validation, stored: storedForm(input, validation.event), rejectedRaw: null }
      : { validation, stored: null, rejectedRaw: maskRawBody(input) };
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
 * the results in input order, the rejections, the teams its events name (each once, as its first event
 * names it), the agents (each once, with the name and team of the newest event naming them, and when
 * that event happened) and the accepted events by request.
 */
export interface BatchPlan {
  summary: IngestSummary;
  rejected: RejectedRow[];
  teams: { id: string; name: string }[];
  agents: { id: string; name: string; teamId: string; seenAt: number }[];
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
  const reject = (raw: string, eventId: string | null, error: EventError) => {
    plan.rejected.push({ receivedAt: now, source, ...storedRejection(eventId, error, raw) });
    summary.rejected += 1;
    summary.results.push({ id: eventId, status: 'rejected', error });
  };
  // An id seen earlier in the batch: its forms and columns, hashed only if the id comes again.
  const earlier = new Map<string, { forms: StoredForm; columns: EventColumns }>();
  const named = new Set<string>();
  const agentAt = new Map<string, BatchPlan['agents'][number]>();
  for (const { validation, stored, rejectedRaw } of prepared) {
    if (!validation.ok) {
      reject(rejectedRaw ?? 'null', validation.eventId, validation.error);
      continue;
    }
    const event = validation.event;
    const forms = stored!;
    const before = earlier.get(event.id);
    const existingHash = before ? formContentHash(before.forms, before.columns) : known.get(event.id);
    if (existingHash !== undefined) {
      if (existingHash === formContentHash(forms, event)) {
        summary.duplicates += 1;
        summary.results.push({ id: event.id, status: 'duplicate' });
      } else {
        reject(eventBody(forms.storedBody, event), event.id, {
          code: 'conflict',
          path: 'id',
          message: `An event with id ${event.id} and different content was already accepted`,
        });
      }
      continue;
    }
    earlier.set(event.id, { forms, columns: event });
    if (event.details) {
      const { agent } = event.details;
      if (!named.has(`team\u0000${agent.team.id}`)) {
        named.add(`team\u0000${agent.team.id}`);
        plan.teams.push({ id: agent.team.id, name: maskCardNumbers(agent.team.name) });
      }
      const seen = agentAt.get(agent.id);
      if (!seen) {
        const row = {
          id: agent.id,
          name: maskCardNumbers(agent.name),
          teamId: agent.team.id,
          seenAt: event.occurredAt,
        };
        agentAt.set(agent.id, row);
        plan.agents.push(row);
      } else if (event.occurredAt > seen.seenAt) {
        Object.assign(seen, { name: maskCardNumbers(agent.name), teamId: agent.team.id, seenAt: event.occurredAt });
      }
    }
    const row = pendingEvent(event, forms, now, source, linkTtlOf(event.type, settings));
    const list = plan.pending.get(event.requestId);
    if (list) list.push(row);
    else plan.pending.set(event.requestId, [row]);
    summary.accepted += 1;
    summary.results.push({ id: event.id, status: 'accepted' });
  }
  return plan;
}

/** An event holding a NUL character (holdsNul): invalid_text at the first one's path. */
function withNul(input: unknown): EventValidation {
  const id = input !== null && typeof input === 'object' ? (input as { id?: unknown }).id : undefined;
  const path = nulPath(input) ?? '';
  return {
    ok: false,
    eventId: typeof id === 'string' && ID_PATTERN.test(id) ? id : null,
    error: { code: 'invalid_text', path, message: `${path}: must not contain a NUL character` },
  };
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
  /** The content hash as stored (db/event-rows.ts). */
  storedHash: Buffer | null;
  /**
   * The body (masked) as the replay reads it: rebuilt from the stored one when read, which only a
   * created event whose stored body is not compact needs (createdDetails).
   */
  readonly body: string;
  /** The body as stored (db/event-rows.ts). */
  storedBody: string;
  linkTtlMs: number | null;
}

/**
 * A valid event of the batch as the replay and the insert take it: its body, which few read, rebuilt
 * from the stored one when read (a getter on the class, not a closure made for each event).
 */
export class FreshEvent implements PendingEvent {
  constructor(
    readonly id: string,
    readonly requestId: string,
    readonly type: EventType,
    readonly occurredAt: number,
    readonly receivedAt: number,
    readonly source: EventSource,
    readonly storedHash: Buffer | null,
    readonly storedBody: string,
    readonly linkTtlMs: number | null,
  ) {}

  get body(): string {
    return eventBody(this.storedBody, this);
  }
}

function pendingEvent(
  event: PlannedEvent,
  forms: StoredForm,
  receivedAt: number,
  source: EventSource,
  linkTtlMs: number | null,
): PendingEvent {
  const { id, requestId, type, occurredAt } = event;
  return new FreshEvent(
    id,
    requestId,
    type,
    occurredAt,
    receivedAt,
    source,
    forms.storedHash,
    forms.storedBody,
    linkTtlMs,
  );
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
  const events: (ProjectionEvent & { storedBody: string })[] = [
    ...stored.map((row) => ({
      id: row.id,
      type: row.type as EventType,
      occurredAt: row.occurred_at,
      source: row.source,
      body: eventBody(row.body, { id: row.id, type: row.type, occurredAt: row.occurred_at, requestId }),
      storedBody: row.body,
      linkTtlMs: row.link_ttl_ms,
    })),
    ...fresh,
  ];
  const projected = projectRequest(requestId, events, settings, now, createdDetails);
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

/**
 * A created event's details read from its compact stored form (db/event-rows.ts: the same value as
 * its body's), undefined for another form (projectRequest then parses the body).
 */
const createdDetails = (event: { storedBody: string }) =>
  storedBodyObject(event.storedBody)?.paymentRequest as PaymentRequestDetails | undefined;

/** What replayRequest gives for one request. */
export type Replay = ReturnType<typeof replayRequest>;

/** Every request the plan touches, replayed from its stored events plus the batch's. */
export function replayPending(
  plan: BatchPlan,
  stored: ReadonlyMap<string, readonly StoredEventRow[]>,
  settings: ExpirySettings,
  now: number,
): Map<string, Replay> {
  const replays = new Map<string, Replay>();
  for (const [requestId, fresh] of plan.pending) {
    replays.set(requestId, replayRequest(requestId, stored.get(requestId) ?? [], fresh, settings, now));
  }
  return replays;
}

/**
 * Records each expiry these replays leave due (SPEC §1: a request the replay expired at an expiresAt
 * before now that no event records yet) in the batch that found it, as the expiry sweeper would do a
 * moment later in a transaction of its own, reading and replaying the request a second time: its
 * system `expired` event (source `system`) is added to the request's new events and the request
 * replayed again. Its id is chosen by chooseSystemExpiryIds (`storedIds`: which of these ids a
 * stored event holds; the batch's own event ids are taken too).
 */
export async function recordDueExpiries(
  replays: Map<string, Replay>,
  plan: BatchPlan,
  stored: ReadonlyMap<string, readonly StoredEventRow[]>,
  settings: ExpirySettings,
  now: number,
  storedIds: (ids: string[]) => ReadonlySet<string> | Promise<ReadonlySet<string>>,
): Promise<void> {
  const due = new Map<string, number>();
  for (const [requestId, { projection }] of replays) {
    const dueAt = projection?.expiryDueAt ?? null;
    if (dueAt !== null && dueAt < now) due.set(requestId, dueAt);
  }
  if (due.size === 0) return;
  const batchIds = new Set<string>();
  for (const fresh of plan.pending.values()) for (const event of fresh) batchIds.add(event.id);
  const ids = await chooseSystemExpiryIds(due, storedIds, batchIds);
  for (const [requestId, dueAt] of due) {
    const id = ids.get(requestId)!;
    const [prepared] = prepareInputs([systemExpiryEvent(requestId, dueAt, id)], now);
    // Always valid (an expiresAt past, from a stored request); were it not, the sweeper's batch would
    // have it rejected: never a reason to fail the events this batch accepted.
    if (!prepared?.validation.ok) continue;
    const valid = prepared.validation.event;
    const expiry = pendingEvent(valid, prepared.stored!, now, 'system', linkTtlOf(valid.type, settings));
    const fresh = [...(plan.pending.get(requestId) ?? []), expiry];
    replays.set(requestId, replayRequest(requestId, stored.get(requestId) ?? [], fresh, settings, now));
  }
}
