import { PassThrough } from 'node:stream';
import { createReadableStreamFromReadable, type EntryContext } from '@remix-run/node';
import { RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { getDb } from '../db/client';
import { getEnv } from './lib/env.server';
import { startExpirySweeper } from './write/expiry-sweeper.server';
import { startReportScheduler } from './write/report-scheduler.server';

const ABORT_DELAY = 5_000;

// Validated once at start: production refuses to run without its secrets.
const env = getEnv();
startExpirySweeper(() => getDb(env.DATABASE_URL), env.EXPIRY_SWEEP_MS);
startReportScheduler(() => getDb(env.DATABASE_URL), 30_000);

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
) {
  const readyEvent = isbot(request.headers.get('user-agent') ?? '') ? 'onAllReady' : 'onShellReady';
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} />,
      {
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
          if (shellRendered) console.error(error);
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}
