import { getDb } from '../../db/client';
import type { Viewer } from '../domain/access';
import { readChangesSince, subscribeToChanges, visibleChanges } from './change-feed.server';

const HEARTBEAT_MS = 15_000;

/**
 * Server-Sent Events (SPEC §4): every status change the viewer may see, as `event: change` with
 * the request's current status. `Last-Event-ID` resumes after a reconnect without losing changes.
 */
export function changeStreamResponse(viewer: Viewer, request: Request): Response {
  const encoder = new TextEncoder();
  const lastEventId = Number(
    request.headers.get('last-event-id') ?? new URL(request.url).searchParams.get('after') ?? '',
  );

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      const sendChanges = (changes: ReturnType<typeof readChangesSince>) => {
        for (const change of visibleChanges(viewer, changes)) {
          send(`id: ${change.seq}\nevent: change\ndata: ${JSON.stringify(change)}\n\n`);
        }
      };
      send('retry: 3000\n: connected\n\n');
      if (Number.isSafeInteger(lastEventId) && lastEventId > 0) sendChanges(readChangesSince(getDb(), lastEventId));
      const unsubscribe = subscribeToChanges(sendChanges);
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), HEARTBEAT_MS);
      const cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
      };
      request.signal.addEventListener('abort', () => {
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    },
  });

  return new Response(stream, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    },
  });
}
