/**
 * The body of POST /api/v1/events read into events (SPEC §2), with no I/O: the server's thread and
 * the ingest preparation workers (ingest-prepare.ts) share it.
 */

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_EVENTS_PER_REQUEST = 10_000;

export class BodyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One event object, a JSON array of events, or NDJSON (SPEC §2). */
export function parseEventsBody(text: string, contentType: string): unknown[] {
  const isNdjson = /application\/(x-)?ndjson/i.test(contentType);
  let items: unknown[];
  if (isNdjson) {
    items = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (!line) continue;
      try {
        items.push(JSON.parse(line));
      } catch {
        throw new BodyError('invalid_body', `Line ${i + 1} is not valid JSON`);
      }
    }
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BodyError('invalid_body', 'The body is not valid JSON (send NDJSON as application/x-ndjson)');
    }
    if (Array.isArray(parsed)) items = parsed;
    else if (parsed !== null && typeof parsed === 'object') items = [parsed];
    else throw new BodyError('invalid_body', 'The body must be an event object or an array of events');
  }
  if (items.length === 0) throw new BodyError('invalid_body', 'The body holds no events');
  if (items.length > MAX_EVENTS_PER_REQUEST) {
    throw new BodyError('too_many_events', `At most ${MAX_EVENTS_PER_REQUEST} events per request`);
  }
  return items;
}
