import { BodyError, type EventsBody, parseEventsBody } from './events-body';
import { type PreparedInput, prepareInputs } from './ingest-plan';

/**
 * A POST /api/v1/events body made ready for the writer, with no I/O: read into events (SPEC §2),
 * each checked, masked and put in its stored forms (prepareInputs). The server's thread
 * hands large bodies to a worker thread that runs this (ingest-prepare-pool.server.ts), so the
 * writer's thread keeps only the database work; the result is plain data either way.
 */
export type BodyPreparation = { ok: true; prepared: PreparedInput[] } | { ok: false; code: string; message: string };

export function prepareEventsBody(body: EventsBody, contentType: string, now: number): BodyPreparation {
  let inputs: unknown[];
  try {
    inputs = parseEventsBody(body, contentType);
  } catch (error) {
    if (error instanceof BodyError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
  return { ok: true, prepared: prepareInputs(inputs, now) };
}

/** A request to a preparation worker, and its answer. */
export interface PrepareRequest {
  id: number;
  body: EventsBody;
  contentType: string;
  now: number;
}

export type PrepareReply = { id: number; result: BodyPreparation } | { id: number; error: string };
