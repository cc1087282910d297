import { PassThrough } from 'node:stream';
import { type AppLoadContext, createReadableStreamFromReadable, type EntryContext } from '@remix-run/node';
import { isRouteErrorResponse, RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { closeDb, getDb } from '../db/client';
import { pendingMigrations } from '../db/migration-state';
import { isDatabaseBusyError, POOL_ACQUIRE_TIMEOUT_MS } from '../db/pg-client';
import { NonceProvider } from './components/nonce';
import { closeLiveStreams } from './http/change-feed.server';
import { getEnv } from './lib/env.server';
import type { RequestContext } from './lib/http.server';
import { startExpirySweeper, stopExpirySweeper } from './write/expiry-sweeper.server';
import { startHousekeeping, stopHousekeeping } from './write/housekeeping.server';
import { ingestWriter } from './write/ingest-writer.server';
import { startReportScheduler, stopReportScheduler } from './write/report-scheduler.server';

const ABORT_DELAY = 5_000;

// Validated once at start: production refuses to run without its secrets.
const env = getEnv();

/**
 * Called by server.ts once assertMigrated has let the database through, before it listens: the
 * expiry sweeper, the report scheduler and housekeeping (each once per process), never against a database whose
 * tables are not there yet.
 */
export function startBackgroundWork(): void {
  startExpirySweeper(() => getDb(env.DATABASE_URL), env.EXPIRY_SWEEP_MS);
  startReportScheduler(() => getDb(env.DATABASE_URL), 30_000);
  startHousekeeping(() => getDb(env.DATABASE_URL), env.HOUSEKEEPING_MS, {
    rejectedEventsMs: env.REJECTED_EVENTS_RETENTION_DAYS * 86_400_000,
    rejectedEventsKept: env.REJECTED_EVENTS_KEPT,
  });
}

/**
 * What the server logs of a request's error. A client's mistake the router answers by itself (a POST
 * to a page that takes none is its 405, an unknown path its 404) is not the server's: not logged,
 * where Remix's default printed a stack trace for each. Nor is anything of a request its client left.
 */
export function handleError(error: unknown, { request, context }: { request: Request; context?: unknown }): void {
  // A route error response carries the thrown error itself (not in its public type).
  const thrown = isRouteErrorResponse(error) ? (error as { error?: unknown }).error : undefined;
  if (isDatabaseBusyError(thrown ?? error)) {
    // Answered 503 with Retry-After by server.ts; one line, not a stack for each request of a busy spell.
    if (context) (context as RequestContext).databaseBusy = true;
    if (!request.signal.aborted) {
      console.error(
        `${request.method} ${new URL(request.url).pathname}: no database connection within ${POOL_ACQUIRE_TIMEOUT_MS} ms (503)`,
      );
    }
    return;
  }
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error) && error.status < 500) return;
  console.error(thrown ?? error);
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = typeof loadContext?.cspNonce === 'string' ? loadContext.cspNonce : '';
  // A page without an action refuses a POST (RFC 9110: a 405 says which methods it takes).
  if (responseStatusCode === 405) responseHeaders.set('Allow', 'GET, HEAD');
  const readyEvent = isbot(request.headers.get('user-agent') ?? '') ? 'onAllReady' : 'onShellReady';
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceProvider>,
      {
        nonce,
        [readyEvent]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set('Content-Type', 'text/html; charset=utf-8');
          responseHeaders.set('X-Content-Type-Options', 'nosniff');
          // A route may be stricter (the pay page: no-referrer, its URL is the customer's key).
          if (!responseHeaders.has('Referrer-Policy')) responseHeaders.set('Referrer-Policy', 'same-origin');
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // A client gone before its page was sent is not the server's error (as handleError): each
          // printed "The destination stream closed early" with a stack, any anonymous client could fill the log.
          if (shellRendered && !request.signal.aborted) console.error(error);
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}

/**
 * Called by server.ts on SIGTERM once it stops taking connections: ends live streams (so their
 * connections can close), stops the sweeper and the report scheduler (waiting for a run under way).
 */
export async function stopBackgroundWork(): Promise<void> {
  closeLiveStreams();
  await stopExpirySweeper();
  await stopReportScheduler();
  await stopHousekeeping();
}

/**
 * Called by server.ts before it listens: refuses a database with migrations not yet applied (a
 * fresh file, or one an upgrade has not migrated), naming them and how to apply them. A database
 * that does not answer yet (PostgreSQL still starting) is not refused: the server starts as
 * before and /healthz says 503 until it answers.
 */
export async function assertMigrated(): Promise<void> {
  let pending: string[];
  try {
    pending = await pendingMigrations(getDb(env.DATABASE_URL));
  } catch (error) {
    console.error('Could not check the database migrations at start (serving anyway):', error);
    return;
  }
  if (pending.length === 0) return;
  throw new Error(
    `The database has ${pending.length} migration(s) not applied (${pending[0]}${pending.length > 1 ? ` … ${pending.at(-1)}` : ''}): ` +
      'run `npm start` (it migrates, then serves) or `npx tsx db/migrate.ts` with the same DATABASE_URL first.',
  );
}

/** The last step of a shutdown, once in-flight requests have finished (or the deadline passed). */
export function closeDatabase(): void {
  void ingestWriter.stop();
  closeDb();
}
