import type { EventSource, EventType } from '../domain/lifecycle';
import type { IngestSummary, PreparedInput } from './ingest-plan';

/**
 * What the server's thread tells the ingest writer thread (ingest-writer.server.ts): a batch to
 * store (sent as soon as it is prepared, stored in the order sent), that it holds the database's
 * write turn and may write, or that another writer waits for the turn.
 */
export type ToWriter =
  | { type: 'batch'; id: number; inputs: WireInput[]; source: EventSource; now: number }
  | { type: 'grant' }
  | { type: 'yield' };

/** What it answers: a batch's summary once committed, or its error; or that it has given the turn back. */
export type FromWriter =
  | { type: 'stored'; id: number; summary: IngestSummary }
  | { type: 'failed'; id: number; error: { message: string; code: string | null } }
  | { type: 'yielded' };

/**
 * The most events the writer stores in one transaction when batches wait for it: the API's own
 * bound on a request (SPEC §2), so a group takes no longer than one large batch may.
 */
export const MAX_GROUP_EVENTS = 10_000;

/**
 * Batches waiting in the writer's queue, taken from its head as one transaction's worth: the first
 * always, then each next one of the same source while the events stay within MAX_GROUP_EVENTS.
 * Batches are never waited for: a group is what had already arrived.
 */
export function takeGroup<T extends { source: EventSource; inputs: readonly unknown[] }>(queue: T[]): T[] {
  const first = queue.shift();
  if (!first) return [];
  const group = [first];
  let events = first.inputs.length;
  while (
    queue.length > 0 &&
    queue[0]!.source === first.source &&
    events + queue[0]!.inputs.length <= MAX_GROUP_EVENTS
  ) {
    const batch = queue.shift()!;
    events += batch.inputs.length;
    group.push(batch);
  }
  return group;
}

/**
 * The summary of batches stored as one (their inputs in order) cut back into each batch's: a result
 * per input, in order (planBatch), so each batch gets its own slice and counts.
 */
export function splitSummary(summary: IngestSummary, sizes: readonly number[]): IngestSummary[] {
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (summary.results.length !== total) {
    throw new Error(`a group's summary has ${summary.results.length} results for ${total} inputs`);
  }
  let at = 0;
  return sizes.map((size) => {
    const results = summary.results.slice(at, at + size);
    at += size;
    const counted = (status: string) => results.filter((result) => result.status === status).length;
    return { accepted: counted('accepted'), duplicates: counted('duplicate'), rejected: counted('rejected'), results };
  });
}

/**
 * A prepared input as it crosses to the writer thread: a valid one as a flat array of its strings
 * and numbers (the PlannedEvent, its agent and team on a created event, its stored forms), an
 * invalid one as is. Copying a batch of 1,000 between threads took ~1.5 ms to write and ~2.5 ms to
 * read as nested objects, a quarter of that as flat arrays (scripts/clone-time.ts, issue 14), and
 * the writer's thread is the one ingest waits for.
 */
export type WireInput =
  | readonly [
      id: string,
      type: EventType,
      occurredAt: number,
      requestId: string,
      storedBody: string,
      storedHash: Uint8Array | null,
      agentId: string | null,
      agentName: string | null,
      teamId: string | null,
      teamName: string | null,
    ]
  | PreparedInput;

export function toWire(prepared: readonly PreparedInput[]): WireInput[] {
  return prepared.map((input) => {
    if (!input.validation.ok) return input;
    const { id, type, occurredAt, requestId, details } = input.validation.event;
    const { storedBody, storedHash } = input.stored!;
    const agent = details?.agent;
    return [
      id,
      type,
      occurredAt,
      requestId,
      storedBody,
      // Its own 32 bytes: a Buffer may be a view of a pooled 8 KB one, which a copy would take whole.
      storedHash && new Uint8Array(storedHash),
      agent?.id ?? null,
      agent?.name ?? null,
      agent?.team.id ?? null,
      agent?.team.name ?? null,
    ] as const;
  });
}

export function fromWire(inputs: readonly WireInput[]): PreparedInput[] {
  return inputs.map((input) => {
    if (!Array.isArray(input)) return asBuffers(input as PreparedInput);
    const [id, type, occurredAt, requestId, storedBody, hash, agentId, agentName, teamId, teamName] = input;
    const details =
      agentId === null ? null : { agent: { id: agentId, name: agentName!, team: { id: teamId!, name: teamName! } } };
    const storedHash = hash && Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength);
    return {
      validation: { ok: true, event: { id, type, occurredAt, requestId, details } },
      stored: { storedBody, storedHash },
      rejectedRaw: null,
    };
  });
}

/** A stored hash crosses a thread as a Uint8Array: the writers bind it as a Buffer. */
export function asBuffers(input: PreparedInput): PreparedInput {
  const hash = input.stored?.storedHash;
  if (!hash || Buffer.isBuffer(hash)) return input;
  const bytes = hash as Uint8Array;
  return {
    ...input,
    stored: { ...input.stored!, storedHash: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
  };
}
