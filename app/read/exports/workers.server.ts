import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { onPostgres } from '../../../db/client';
import { getEnv } from '../../lib/env.server';
import { exportNames, exportRequestSliceQuery } from './rows.server';
import type { ExportContext, ExportOutcome, OnExportEnd } from './streams.server';
import { rangeHoldsAtLeast, workerBundle } from './worker-bundle.server';
import {
  CANCELLED,
  creditSlot,
  type ExportWorkerData,
  type FromWorker,
  type ToWorker,
  WORKER_CREDITS,
} from './worker-protocol';

/**
 * Large payment-requests.csv exports, written by worker threads.
 *
 * One thread formats about 160,000 rows a second, and most of that time goes to reading rows out
 * of SQLite and building their text. So a large export is cut into slices of sentAt (about 2,000
 * requests each, found by walking the pr_sent_idx index) and W workers each read and format every
 * W-th slice on their own read-only connection. The server's thread only hands their chunks to
 * the response, slice after slice, so the file is byte for byte the one the single-threaded
 * writer makes (tests/integration/export-workers.test.ts).
 *
 * - One snapshot: every worker opens its read transaction, then reports the last event sequence
 *   number it sees. Every change to a request comes with a new event, so equal numbers are the
 *   same data. Otherwise they begin again; after a few tries, one worker writes the whole file.
 * - Bounded memory: a worker may have WORKER_CREDITS chunks (about 1 MB) that the response has
 *   not taken yet, and then waits on a shared counter until it has.
 * - Small exports (fewer than MIN_ROWS requests in the range) stay in the server's thread, where
 *   they start sooner; so do exports beyond MAX_LIVE_WORKERS threads at once, and every export
 *   when the worker bundle has not been built.
 */

const BUNDLE = 'workers/payment-requests-csv.cjs';
/** Requests in the range below which starting threads costs more than it saves. */
const MIN_ROWS = 20_000;
const SLICE_ROWS = 2_000;
const SNAPSHOT_TRIES = 5;
/** Export threads alive at once, across all exports. */
const MAX_LIVE_WORKERS = 4;
let liveWorkers = 0;
/** Chunks the workers have sent that no response has taken yet, across all exports. */
let queuedChunks = 0;

/** What export workers hold right now (for tests and diagnostics). */
export function exportWorkerStats(): { liveWorkers: number; queuedChunks: number } {
  return { liveWorkers, queuedChunks };
}

export interface ExportWorkerOptions {
  /** Threads for this export (default: EXPORT_WORKERS, else the cores, at most 4); 0 keeps it in the server's thread. */
  workers?: number;
  /** Below this many requests in the range the export stays in the server's thread. */
  minRows?: number;
  sliceRows?: number;
}

function defaultWorkers(): number {
  return getEnv().EXPORT_WORKERS ?? Math.min(4, availableParallelism());
}

type Message = FromWorker | { type: 'exit'; code: number };

/**
 * payment-requests.csv as a byte stream written by worker threads, or null when this export should
 * run in the server's thread (see above).
 */
export async function parallelPaymentRequestsCsv(
  context: ExportContext,
  onEnd: OnExportEnd,
  options: ExportWorkerOptions = {},
): Promise<ReadableStream<Uint8Array> | null> {
  const { db, filters, viewer, tally } = context;
  const wanted = Math.min(options.workers ?? defaultWorkers(), MAX_LIVE_WORKERS - liveWorkers);
  // On PostgreSQL the export reads a cursor in the server's thread (exportRequestRowsPostgres).
  if (wanted < 1 || onPostgres(db) || db.$client.memory) return null;
  const file = workerBundle(BUNDLE, getEnv().EXPORT_WORKER_FILE);
  if (!file) return null;
  const query = exportRequestSliceQuery(db, filters, viewer);
  if (!(await rangeHoldsAtLeast(db, options.minRows ?? MIN_ROWS, query.start, query.end))) return null;

  const names = exportNames(db);
  const signals = new Int32Array(new SharedArrayBuffer(4 * (1 + wanted)));
  const queues: Message[][] = [];
  const waiting: ((message: Message) => void)[] = [];
  const workers: Worker[] = [];
  let stopped = false;
  for (let index = 0; index < wanted; index++) {
    Atomics.store(signals, creditSlot(index), WORKER_CREDITS);
    const workerData: ExportWorkerData = {
      file: db.$client.name,
      query,
      sliceRows: options.sliceRows ?? SLICE_ROWS,
      agents: [...names.agents],
      teams: [...names.teams],
      timeZone: filters.tz,
      index,
      signals: signals.buffer as SharedArrayBuffer,
    };
    const worker = new Worker(file, {
      workerData,
      // A worker holds a few chunks and one row at a time: small heaps keep the server's memory flat.
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
    });
    liveWorkers += 1;
    queues.push([]);
    const deliver = (message: Message) => {
      if (stopped) return;
      if (message.type === 'chunk') queuedChunks += 1;
      const resolveWaiting = waiting[index];
      if (resolveWaiting) {
        delete waiting[index];
        resolveWaiting(message);
      } else queues[index]!.push(message);
    };
    worker.on('message', deliver);
    worker.on('error', (error) => deliver({ type: 'error', message: error.stack ?? error.message }));
    worker.on('exit', (code) => {
      liveWorkers -= 1;
      deliver({ type: 'exit', code });
    });
    workers.push(worker);
  }

  const next = (index: number): Promise<Message> => {
    const queued = queues[index]!.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => (waiting[index] = resolve));
  };
  const tell = (index: number, message: ToWorker) => workers[index]!.postMessage(message);
  const tellAll = (message: ToWorker) => {
    for (const worker of workers) worker.postMessage(message);
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    Atomics.store(signals, CANCELLED, 1);
    for (let index = 0; index < wanted; index++) Atomics.notify(signals, creditSlot(index));
    for (const worker of workers) void worker.terminate();
    for (const queue of queues) {
      queuedChunks -= queue.filter((message) => message.type === 'chunk').length;
      queue.length = 0;
    }
  };
  let ended = false;
  const end = async (outcome: ExportOutcome) => {
    stop();
    if (ended) return;
    ended = true;
    await onEnd(outcome);
  };

  /** Waits for a message of one type from every worker; any other answer is a failure. */
  const fromAll = async <T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>[]> => {
    const answers = await Promise.all(workers.map((_, index) => next(index)));
    const wrong = answers.find((answer) => answer.type !== type);
    if (wrong) throw workerFailure(wrong);
    return answers as Extract<Message, { type: T }>[];
  };

  /** Agrees a snapshot; resolves to the number of workers that write. */
  const started = (async () => {
    await fromAll('ready');
    tellAll({ type: 'begin' });
    for (let attempt = 1; ; attempt++) {
      const seqs = (await fromAll('snapshot')).map((answer) => answer.seq);
      if (seqs.every((seq) => seq === seqs[0])) {
        tellAll({ type: 'go', workers: wanted });
        return wanted;
      }
      if (attempt === SNAPSHOT_TRIES) {
        tell(0, { type: 'go', workers: 1 });
        for (let index = 1; index < wanted; index++) tell(index, { type: 'stop' });
        return 1;
      }
      tellAll({ type: 'again' });
    }
  })();
  started.catch(() => {});

  let slice = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const writing = await started;
          for (;;) {
            const index = slice % writing;
            const message = await next(index);
            if (message.type === 'chunk') {
              queuedChunks -= 1;
              Atomics.add(signals, creditSlot(index), 1);
              Atomics.notify(signals, creditSlot(index));
              tally.rows += message.rows;
              controller.enqueue(new Uint8Array(message.bytes, 0, message.length));
              return;
            }
            if (message.type === 'slice-end' && message.slice === slice) slice += 1;
            else if (message.type === 'done' && message.slices === slice) {
              await end({ completed: true });
              return controller.close();
            } else throw workerFailure(message);
          }
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
    // The workers' credits are the buffer; the stream itself holds one chunk.
    new CountQueuingStrategy({ highWaterMark: 1 }),
  );
}

function workerFailure(message: Message): Error {
  if (message.type === 'error') return new Error(`Export worker failed: ${message.message}`);
  if (message.type === 'exit') return new Error(`Export worker exited early (code ${message.code})`);
  return new Error(`Export worker sent ${message.type} out of turn`);
}
