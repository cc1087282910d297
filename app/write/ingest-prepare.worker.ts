import { parentPort } from 'node:worker_threads';
import { type PrepareReply, type PrepareRequest, prepareEventsBody } from './ingest-prepare';

/**
 * An ingest preparation worker (built to build/workers/ingest-prepare.cjs): answers each body with
 * its preparation, in the order asked. A failure is answered too: the server then prepares that
 * body in its own thread, as it would without workers.
 */
parentPort!.on('message', ({ id, body, contentType, now }: PrepareRequest) => {
  let reply: PrepareReply;
  try {
    reply = { id, result: prepareEventsBody(body, contentType, now) };
  } catch (error) {
    reply = { id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  parentPort!.postMessage(reply);
});
