import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import { firstWithoutCardNumber } from '../domain/card-masking';
import { ID_PATTERN } from '../domain/event-schema';
import type { EventSource } from '../domain/lifecycle';
import { ingestEvents } from './ingest.server';

/** A fresh event id, for events that happen once by construction. */
export function newEventId(): string {
  return firstWithoutCardNumber(() => `evt_${randomUUID()}`);
}

/** A deterministic event id (idempotency key) that stays within the 64 characters ids may have. */
export function keyedEventId(prefix: string, key: string): string {
  const id = `evt_${prefix}_${key}`;
  return firstWithoutCardNumber((attempt) =>
    attempt === 0 && ID_PATTERN.test(id)
      ? id
      : `evt_${prefix}_${createHash('sha256').update(`${attempt}:${key}`).digest('hex').slice(0, 40)}`,
  );
}

export interface OwnEvent {
  id: string;
  type: string;
  requestId: string;
  data?: Record<string, unknown>;
  /** When it happened, if not at the write's `now` (a charge found later is recorded at its own time). */
  occurredAt?: number;
}

/**
 * Writes events the app itself produces through the one write path (ingestEvents), at `now` (each
 * occurred then unless it says otherwise).
 * They must be accepted or already be there: a rejection is a bug, not user input, so it throws.
 */
export async function writeOwnEvents(
  db: Db,
  events: readonly OwnEvent[],
  source: EventSource,
  now: number,
): Promise<void> {
  assertAccepted(await ingestOwnEvents(db, events, source, now));
}

/** As writeOwnEvents, answering ingestEvents' summary for a caller that expects a rejection it can handle. */
export async function ingestOwnEvents(
  db: Db,
  events: readonly OwnEvent[],
  source: EventSource,
  now: number,
): Promise<Awaited<ReturnType<typeof ingestEvents>>> {
  const bodies = events.map((event) => ({
    id: event.id,
    type: `payment_request.${event.type}`,
    occurredAt: new Date(event.occurredAt ?? now).toISOString(),
    paymentRequest: { id: event.requestId },
    data: event.data ?? {},
  }));
  return await ingestEvents(db, bodies, source, { now });
}

export function assertAccepted(summary: Awaited<ReturnType<typeof ingestEvents>>): void {
  for (const result of summary.results) {
    if (result.status === 'rejected') {
      throw new Error(`Event ${result.id} was rejected: ${result.error.code} at ${result.error.path}`);
    }
  }
}
