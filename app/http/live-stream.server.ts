import { getDb } from '../../db/client';
import type { Viewer } from '../domain/access';
import { getEnv } from '../lib/env.server';
import { apiError, singleParam } from '../lib/http.server';
import {
  type RequestChange,
  readChangesSince,
  registerLiveStream,
  subscribeToChanges,
  visibleChanges,
} from './change-feed.server';

const HEARTBEAT_MS = 15_000;
/**
 * Bytes still queued for a client when the next batch of changes (or heartbeat) comes. The server
 * takes from the stream only as the socket drains, so a client this far behind a second later is
 * not reading: it is disconnected, and on reconnecting resumes from Last-Event-ID.
 */
const QUEUE_LIMIT = 64 * 1024;
/**
 * A poll's batch (up to 5,000 changes, ~900 KB of text) is written to a client's queue this many
 * changes at a time, as the client reads: a client's memory is at most QUEUE_LIMIT plus one chunk
 * (~20 KB), however large the batch. (It was queued whole: 100 silent clients held 70 MB once ingest
 * ran at 5,000 events a second, 1,000 of them, the default cap, would have held ~900 MB.)
 */
const CHUNK_CHANGES = 100;

/**
 * Server-Sent Events (SPEC §4): every status change the caller may see, as `event: change` with
 * the request's current status. `Last-Event-ID` resumes after a reconnect without losing changes.
 * Capped per user (429) and in all (503). Used by /api/v1/stream and the agent panel's /embed/stream.
 *
 * A stream outlives the check its request passed: before each heartbeat `recheck` gives the caller
 * as they are now. Their new scope applies from then on (a supervisor's team taken away); a caller
 * gone (signed out, timed out, token revoked, deactivated), or a check that fails, ends the stream;
 * a client that reconnects resumes from Last-Event-ID if it still may.
 */
export function changeStreamResponse(
  signedIn: Viewer,
  request: Request,
  recheck: () => Promise<Viewer | null>,
): Response {
  let viewer = signedIn;
  const env = getEnv();
  const encoder = new TextEncoder();
  // `after` for a client that cannot send Last-Event-ID; given twice it is refused whichever wins.
  const after = singleParam(new URL(request.url).searchParams, 'after', 'invalid_parameter');
  const lastEventId = (request.headers.get('last-event-id') ?? after ?? '').slice(0, 64);

  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cleanup = () => {};
  let ended = false;
  const end = (how: 'close' | 'drop') => {
    if (ended) return;
    ended = true;
    cleanup();
    try {
      if (how === 'close') controller.close();
      else controller.error(new Error('Live-update client is not reading'));
    } catch {
      // already closed or cancelled
    }
  };

  const registered = registerLiveStream(
    {
      userId: viewer.userId,
      close: () => end('close'),
      queuedBytes: () =>
        ended || controller === undefined ? 0 : QUEUE_LIMIT - (controller.desiredSize ?? QUEUE_LIMIT),
    },
    { perUser: env.LIVE_STREAMS_PER_USER, total: env.LIVE_STREAMS_TOTAL },
  );
  if (registered === 'per_user') {
    return apiError(429, 'too_many_streams', 'Too many live-update connections for this user; close one first', {
      headers: { 'Retry-After': '10' },
    });
  }
  if (registered === 'total') {
    return apiError(503, 'overloaded', 'Too many live-update connections; retry shortly', {
      headers: { 'Retry-After': '10' },
    });
  }

  // Checked before a batch, not within it: a burst (up to one poll's 5,000 changes) is taken
  // whole, since nobody could have read it yet, and written to the queue a chunk at a time as the
  // client reads (pump, called again by the stream's pull).
  const keepingUp = () => (controller.desiredSize ?? 0) >= 0;
  const send = (text: string) => {
    if (!ended) controller.enqueue(encoder.encode(text));
  };
  let pending: RequestChange[] = [];
  let next = 0;
  const pump = () => {
    while (!ended && next < pending.length && (controller.desiredSize ?? 0) > 0) {
      const chunk = pending.slice(next, next + CHUNK_CHANGES);
      next += chunk.length;
      send(chunk.map((change) => `id: ${change.cursor}\nevent: change\ndata: ${JSON.stringify(change)}\n\n`).join(''));
    }
    if (next >= pending.length) {
      pending = [];
      next = 0;
    }
  };
  const sendChanges = (changes: RequestChange[]) => {
    const visible = visibleChanges(viewer, changes);
    if (visible.length === 0 || ended) return;
    // Still writing the last batch, or its queue still full: the client is not reading.
    if (pending.length > 0 || !keepingUp()) {
      end('drop');
      return;
    }
    pending = visible;
    pump();
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async start(c) {
        controller = c;
        let checking = false;
        const beat = async () => {
          if (!keepingUp()) return end('drop');
          if (checking) return; // the last check still runs: this beat is skipped, not queued
          checking = true;
          try {
            const now = await recheck();
            if (now === null) return end('close');
            viewer = now;
            send(': heartbeat\n\n');
          } catch (error) {
            console.error('Live stream: could not check its caller again; closing it', error);
            end('close');
          } finally {
            checking = false;
          }
        };
        const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
        let unsubscribe = () => {};
        cleanup = () => {
          clearInterval(heartbeat);
          unsubscribe();
          registered();
        };
        const subscribed = await subscribeToChanges(sendChanges);
        // The client may have gone while the feed was joined: leave nothing subscribed behind it.
        if (ended) {
          subscribed();
          return;
        }
        unsubscribe = subscribed;
        send('retry: 3000\n: connected\n\n');
        if (lastEventId !== '' && lastEventId !== '0') sendChanges(await readChangesSince(getDb(), lastEventId));
      },
      pull() {
        pump();
      },
      // The server cancels the body when the socket closes, whether or not request.signal aborted.
      cancel() {
        end('close');
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: QUEUE_LIMIT }),
  );
  // Aborted already (the client left while the caller was being checked): Remix then throws this
  // response away without cancelling its body, so nothing may stay registered or subscribed.
  if (request.signal.aborted) end('close');
  else request.signal.addEventListener('abort', () => end('close'), { once: true });

  return new Response(stream, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    },
  });
}
