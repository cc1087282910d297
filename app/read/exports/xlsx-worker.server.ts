import { Worker } from 'node:worker_threads';
import { onPostgres } from '../../../db/client';
import { getEnv } from '../../lib/env.server';
import { filterRange } from '../filters';
import { exportRequestQuery } from './rows.server';
import type { ExportContext, ExportOutcome, OnExportEnd } from './streams.server';
import { rangeHoldsAtLeast, workerBundle } from './worker-bundle.server';
import type { FromXlsxWorker, ToXlsxWorker, XlsxWorkerData } from './worker-protocol';

/**
 * Large payment-requests.xlsx exports, written by a worker thread.
 *
 * Building a million rows' XML takes seconds of one core (and zlib more on libuv's pool): in the
 * server's thread it would hold its event loop a slice at a time for all that while. One worker
 * (payment-requests-xlsx.worker.ts) reads the rows on its own read-only connection and writes the
 * whole workbook; this thread computes the summary sheet's KPIs (the metrics engine), then only
 * hands the worker's zipped chunks to the response. The worker may be XLSX_WORKER_CREDITS chunks
 * ahead of the download, then waits: memory stays bounded however slow the reader.
 *
 * Small exports (fewer than MIN_ROWS requests by the sentAt index) stay in the server's thread,
 * where they start sooner; so do all of them when the bundle has not been built, for in-memory
 * databases, and beyond MAX_LIVE_WORKERS XLSX threads at once.
 */

const BUNDLE = 'workers/payment-requests-xlsx.cjs';
const MIN_ROWS = 5_000;
const MAX_LIVE_WORKERS = 2;
let liveWorkers = 0;
let started = 0;
/** Chunks the workers sent that wait in this thread for their readers. */
let queuedChunks = 0;

/**
 * XLSX export threads alive now and started since the process began, and the chunks (of
 * CHUNK_BYTES each but an export's last) they sent that wait here for a reader (for tests and
 * diagnostics).
 */
export function xlsxWorkerStats(): { liveWorkers: number; started: number; queuedChunks: number } {
  return { liveWorkers, started, queuedChunks };
}

export interface XlsxWorkerOptions {
  /** 0 keeps the export in the server's thread. */
  workers?: number;
  /** Below this many requests in the range the export stays in the server's thread. */
  minRows?: number;
}

/** payment-requests.xlsx as a byte stream written by a worker thread, or null when it should stay in the server's thread. */
export async function workerPaymentRequestsXlsx(
  context: ExportContext,
  onEnd: OnExportEnd,
  options: XlsxWorkerOptions = {},
): Promise<ReadableStream<Uint8Array> | null> {
  const { db, filters, viewer, tally } = context;
  if (options.workers === 0 || liveWorkers >= MAX_LIVE_WORKERS || (!onPostgres(db) && db.$client.memory)) return null;
  const file = workerBundle(BUNDLE, getEnv().XLSX_WORKER_FILE);
  const range = filterRange(filters);
  // The thread's place is taken before the await: exports that start at once all saw room, and all
  // started a thread (7 of 14 stalled downloads at once, MAX_LIVE_WORKERS 2).
  liveWorkers += 1;
  let holds: boolean;
  try {
    holds = !!file && (await rangeHoldsAtLeast(db, options.minRows ?? MIN_ROWS, range.start, range.end));
  } catch (error) {
    liveWorkers -= 1;
    throw error;
  }
  if (!file || !holds) {
    liveWorkers -= 1;
    return null;
  }

  // On PostgreSQL the worker opens a pool of its own to the same URL and reads the rows from a cursor.
  const query = onPostgres(db) ? { sql: '', params: [] } : exportRequestQuery(db, filters, viewer);
  const workerData: XlsxWorkerData = {
    file: onPostgres(db) ? db.$pg.url : db.$client.name,
    sql: query.sql,
    params: query.params,
    filters,
    viewer,
    now: context.now,
  };
  const worker = new Worker(file, {
    workerData,
    // The writer holds one block of XML and one being deflated: a small heap keeps the server's memory flat.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
  });
  started += 1;

  const queue: FromXlsxWorker[] = [];
  let waiting: ((message: FromXlsxWorker) => void) | null = null;
  const deliver = (message: FromXlsxWorker) => {
    const resolveWaiting = waiting;
    waiting = null;
    if (resolveWaiting) resolveWaiting(message);
    else {
      queue.push(message);
      if (message.type === 'chunk') queuedChunks += 1;
    }
  };
  const next = (): Promise<FromXlsxWorker> => {
    const queued = queue.shift();
    if (queued?.type === 'chunk') queuedChunks -= 1;
    return queued ? Promise.resolve(queued) : new Promise((resolve) => (waiting = resolve));
  };
  let exited = false;
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ type: 'error', message: error.stack ?? error.message }));
  worker.on('exit', (code) => {
    exited = true;
    liveWorkers -= 1;
    deliver({ type: 'error', message: `XLSX export worker exited early (code ${code})` });
  });

  let ended = false;
  const end = async (outcome: ExportOutcome) => {
    if (!exited) void worker.terminate();
    queuedChunks -= queue.filter((message) => message.type === 'chunk').length;
    queue.length = 0;
    if (ended) return;
    ended = true;
    await onEnd(outcome);
  };
  const credit: ToXlsxWorker = { type: 'credit' };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const message = await next();
          if (ended) return;
          if (message.type === 'chunk') {
            tally.rows = message.rows;
            controller.enqueue(new Uint8Array(message.bytes));
            worker.postMessage(credit);
          } else if (message.type === 'done') {
            tally.rows = message.rows;
            await end({ completed: true });
            controller.close();
          } else throw new Error(`XLSX export worker failed: ${message.message}`);
        } catch (error) {
          if (ended) return;
          void end({ completed: false, error });
          controller.error(error);
        }
      },
      cancel() {
        void end({ completed: false });
      },
    },
    // The worker's credits are the buffer; the stream itself holds one chunk.
    new CountQueuingStrategy({ highWaterMark: 1 }),
  );
}
