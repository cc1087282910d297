import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { getEnv } from '../lib/env.server';
import { workerBundle } from '../read/exports/worker-bundle.server';
import type { EventsBody } from './events-body';
import { type BodyPreparation, type PrepareReply, type PrepareRequest, prepareEventsBody } from './ingest-prepare';
import { asBuffers } from './ingest-writer';

/**
 * Ingest preparation off the server's thread (issue 14). Reading a body into events, validating,
 * hashing, masking and packing them took about a fifth of the server's thread at 1M requests (20 ms
 * a body of 1,000 events), on the thread that also holds SQLite's write transaction. Bodies of at
 * least MIN_WORKER_BYTES go to INGEST_WORKERS worker threads (default: the cores but one, at least
 * one, at most 4), each to the one with the fewest waiting, unless the caller keeps one here (the
 * route does while SQLite's writer is idle); smaller ones (the agent console's single events) are
 * prepared here, where a round trip would cost more than it saves. A worker that fails, exits or
 * outlives a body's deadline is dropped (a new one starts with the next body) and what it held is
 * prepared here: no body is lost to it. Without the built bundle (`npm run build:workers`)
 * everything is prepared here.
 */

const BUNDLE = 'workers/ingest-prepare.cjs';
export const MIN_WORKER_BYTES = 16 * 1024;

interface PoolWorker {
  worker: Worker;
  waiting: Map<number, (reply: PrepareReply | null) => void>;
}

export interface PreparePoolOptions {
  /** The built worker, or null to prepare everything in this thread. */
  file: () => string | null;
  /** Worker threads wanted (0: none). */
  workers: () => number;
  /**
   * How long a body may wait for its worker (default DEADLINE_MS): past it the worker is stopped as
   * stuck and what it held is prepared in this thread.
   */
  deadlineMs?: number;
}

/** A 10 MB body takes well under a second to prepare; a queue of MAX_IN_FLIGHT of them a few. */
const DEADLINE_MS = 30_000;

export class PreparePool {
  private readonly pool: PoolWorker[] = [];
  private nextId = 0;
  private inWorkers = 0;

  constructor(private readonly options: PreparePoolOptions) {}

  /** Bodies prepared by workers so far, and workers alive (for tests and diagnostics). */
  stats(): { preparedInWorkers: number; workers: number } {
    return { preparedInWorkers: this.inWorkers, workers: this.pool.length };
  }

  /**
   * A body's preparation (ingest-prepare.ts) at `now`, from a worker thread when it is large enough
   * and one is available, else from this thread. The same result either way.
   */
  async prepare(
    body: EventsBody,
    contentType: string,
    now: number,
    options: { inThread?: boolean } = {},
  ): Promise<BodyPreparation> {
    const size = typeof body === 'string' ? body.length : body.byteLength;
    const entry = size >= MIN_WORKER_BYTES && !options.inThread ? this.pick() : null;
    if (!entry) return prepareEventsBody(body, contentType, now);
    const id = ++this.nextId;
    let deadline: NodeJS.Timeout | undefined;
    const reply = await new Promise<PrepareReply | null>((resolve) => {
      // A worker with bodies to answer keeps the process up until it has; an idle one does not.
      if (entry.waiting.size === 0) entry.worker.ref();
      entry.waiting.set(id, resolve);
      const request: PrepareRequest = { id, body, contentType, now };
      entry.worker.postMessage(request);
      // Stopping it settles every body it holds (exit: null), each then prepared here.
      deadline = setTimeout(() => void entry.worker.terminate(), this.options.deadlineMs ?? DEADLINE_MS);
    });
    clearTimeout(deadline);
    // The worker failed on this body or is gone: this thread prepares it, as without workers.
    if (!reply || 'error' in reply) return prepareEventsBody(body, contentType, now);
    this.inWorkers += 1;
    return reply.result.ok ? { ok: true, prepared: reply.result.prepared.map(asBuffers) } : reply.result;
  }

  /** Stops the workers (tests; a server's exit does not wait for them). */
  async stop(): Promise<void> {
    await Promise.all(this.pool.splice(0).map((entry) => entry.worker.terminate()));
  }

  private pick(): PoolWorker | null {
    const wanted = this.options.workers();
    if (wanted === 0) return null;
    if (this.pool.length < wanted) {
      const file = this.options.file();
      if (!file) return null;
      this.pool.push(this.start(file));
    }
    return this.pool.reduce((best, entry) => (entry.waiting.size < best.waiting.size ? entry : best));
  }

  private start(file: string): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(file), waiting: new Map() };
    const drop = () => {
      const at = this.pool.indexOf(entry);
      if (at >= 0) this.pool.splice(at, 1);
      for (const settle of entry.waiting.values()) settle(null);
      entry.waiting.clear();
    };
    entry.worker.on('message', (reply: PrepareReply) => {
      const settle = entry.waiting.get(reply.id);
      entry.waiting.delete(reply.id);
      if (entry.waiting.size === 0) entry.worker.unref();
      settle?.(reply);
    });
    entry.worker.on('error', (error) => {
      console.error(`ingest preparation worker failed: ${error.message}`);
      drop();
      void entry.worker.terminate();
    });
    entry.worker.on('exit', drop);
    entry.worker.unref();
    return entry;
  }
}

/** The server's pool: INGEST_WORKERS threads (default: the cores but one, 1 to 4) of the built worker. */
export const ingestPreparePool = new PreparePool({
  file: () => workerBundle(BUNDLE, getEnv().INGEST_WORKER_FILE),
  workers: () => getEnv().INGEST_WORKERS ?? Math.min(4, Math.max(1, availableParallelism() - 1)),
});
