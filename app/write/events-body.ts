import { isUtf8 } from 'node:buffer';

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

/**
 * A body as it arrived (bytes) or as text. The server reads bytes: a 1,000-event body decoded whole
 * was one ~450 KB string (two bytes a character as soon as one name is not Latin-1), allocated in
 * the large-object space, then split: 0.85 ms of the event loop. Decoded a line at a time: 0.12 ms,
 * in small, short-lived strings (docs/performance.md, session 28).
 */
export type EventsBody = string | Uint8Array;

/** One event object, a JSON array of events, or NDJSON (SPEC §2). */
export function parseEventsBody(body: EventsBody, contentType: string): unknown[] {
  const isNdjson = /application\/(x-)?ndjson/i.test(contentType);
  // Text (tests, scripts) is read as its UTF-8 bytes: one way through, the server's.
  const bytes = typeof body === 'string' ? Buffer.from(body) : asBuffer(body);
  if (!isUtf8(bytes)) throw new BodyError('invalid_body', 'The body is not valid UTF-8');
  let items: unknown[];
  if (isNdjson) {
    // Lines numbered as `text.split('\n')` numbers them; a 0x0A byte is never inside a UTF-8 sequence.
    const size = bytes.byteLength;
    items = [];
    let line = 0;
    for (let start = 0; start <= size; line += 1) {
      const newline = bytes.indexOf(10, start);
      const end = newline < 0 ? size : newline;
      const json = bytes.toString('utf8', start, end).trim();
      start = end + 1;
      if (!json) continue;
      try {
        items.push(JSON.parse(json));
      } catch {
        throw new BodyError('invalid_body', `Line ${line + 1} is not valid JSON`);
      }
    }
  } else {
    const text = bytes.toString('utf8');
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
  // No events (`[]`, NDJSON of blank lines) is a batch like any other: 200 with no results (SPEC §2).
  if (items.length > MAX_EVENTS_PER_REQUEST) {
    throw new BodyError('too_many_events', `At most ${MAX_EVENTS_PER_REQUEST} events per request`);
  }
  return items;
}

/** A Buffer over the same bytes (a worker receives a plain Uint8Array). */
function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
