import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type Db, holdWriteTurn, onPostgres } from '../../db/client';
import type { EventSource } from '../domain/lifecycle';
import { getEnv } from '../lib/env.server';
import { workerBundle } from '../read/exports/worker-bundle.server';
import { ingestPrepared } from './ingest.server';
import type { IngestSummary, PreparedInput } from './ingest-plan';
import { type FromWriter, type ToWriter, toWire } from './ingest-writer';

/**
 * SQLite's ingest transactions off the server's thread (issue 14). better-sqlite3 runs a
 * transaction synchronously: while a batch of 1,000 events was stored (~30 ms at 1M requests) the
 * event loop could neither read the next body nor check it, so the server used one core while the
 * other was a third idle. A writer thread with its own connection to the same file now stores the
 * API's batches (ingestPrepared, unchanged), while the server's thread reads, verifies and prepares
 * the next body. Each batch is sent to the writer as soon as it is prepared.
 *
 * One writer at a time: the writer writes only while it holds the database's write turn in this
 * process (holdWriteTurn), which this thread asks for on its behalf. It keeps the turn from batch to
 * batch, with no round trip here, until a write transaction of this thread queues for it: then it
 * gives it back after the batch under way (at least one a grant), and asks again for what it still
 * holds. So this thread's write transactions never wait for SQLite's lock synchronously (busy_timeout,
 * on the event loop), and neither side starves.
 *
 * A writer that fails, exits, or holds a batch past the deadline is stopped, and what it held is
 * stored in this thread: SQLite rolled back what the writer had not committed (its connection
 * closes with the thread), and what it had committed comes back as duplicates, so nothing accepted
 * is lost. After a failure the next writer starts no sooner than RESTART_AFTER_MS later. Without the
 * built bundle (`npm run build:workers`), on PostgreSQL (its transactions already run off this
 * thread), for an in-memory database or with INGEST_WRITER_THREAD=0, batches are stored here.
 */

const BUNDLE = 'workers/ingest-writer.cjs';
/** A batch of 10,000 events into 1M requests takes about a second; SQLite's busy_timeout is 5 s. */
const DEADLINE_MS = 60_000;
const RESTART_AFTER_MS = 10_000;

/** A batch's answer: its summary, or its error. */
type BatchReply = Exclude<FromWriter, { type: 'yielded' }>;

interface Writer {
  worker: Worker;
  db: Db;
  file: string;
  waiting: Map<number, (reply: BatchReply | null) => void>;
  /** The database's write turn, for the writer: not held, being waited for, or held (end gives it back). */
  turn: 'none' | 'asked' | 'held';
  endTurn: (() => void) | null;
  exited: boolean;
}

export interface IngestWriterOptions {
  /** The built worker, or null to write in this thread. */
  bundle: () => string | null;
  enabled: () => boolean;
  /** How long a batch may take before its writer is stopped as stuck (default DEADLINE_MS). */
  deadlineMs?: number;
}

export class IngestWriter {
  private writer: Writer | null = null;
  private nextId = 0;
  private written = 0;
  private failedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: IngestWriterOptions) {}

  /** Batches the writer thread has stored so far, and whether one runs (tests, diagnostics). */
  stats(): { writtenByThread: number; running: boolean } {
    return { writtenByThread: this.written, running: this.writer !== null };
  }

  /** Whether db's batches go to the writer thread (starting it if need be). */
  usesThread(db: Db): boolean {
    return this.writerFor(db) !== null;
  }

  /** ingestPrepared, by the writer thread where there is one for this database: the same result either way. */
  async write(db: Db, prepared: readonly PreparedInput[], source: EventSource, now: number): Promise<IngestSummary> {
    const writer = this.writerFor(db);
    if (!writer) return ingestPrepared(db, prepared, source, { now });
    const reply = await this.send(writer, prepared, source, now);
    // The writer is gone: whatever it had not committed was rolled back with its connection.
    if (!reply) return ingestPrepared(db, prepared, source, { now });
    if (reply.type === 'failed') {
      throw Object.assign(new Error(reply.error.message), { code: reply.error.code ?? undefined });
    }
    this.written += 1;
    return reply.summary;
  }

  /** Stops the writer thread (shutdown, tests); a later write starts another. */
  async stop(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    await writer?.worker.terminate();
  }

  /**
   * Sends a batch at once (it waits in the writer's queue, there as soon as the one before commits),
   * and asks for the write turn for the writer unless it has it: once granted the writer keeps it,
   * batch after batch with no round trip to this thread, until a write transaction here queues for it.
   */
  private send(writer: Writer, prepared: readonly PreparedInput[], source: EventSource, now: number) {
    const id = ++this.nextId;
    const deadlineMs = this.options.deadlineMs ?? DEADLINE_MS;
    let deadline: NodeJS.Timeout | undefined;
    return new Promise<BatchReply | null>((settle) => {
      // A writer with a batch keeps the process up until it has answered; an idle one does not.
      if (writer.waiting.size === 0) writer.worker.ref();
      writer.waiting.set(id, settle);
      const message: ToWriter = { type: 'batch', id, inputs: toWire(prepared), source, now };
      writer.worker.postMessage(message);
      this.askTurn(writer);
      // Stopping it settles every batch it holds (exit: null), each then stored in this thread.
      deadline = setTimeout(() => {
        console.error(`ingest writer thread held a batch past ${deadlineMs} ms: stopped`);
        this.failedAt = Date.now();
        void writer.worker.terminate();
      }, deadlineMs);
    }).finally(() => clearTimeout(deadline));
  }

  private askTurn(writer: Writer): void {
    if (writer.turn !== 'none' || writer.exited) return;
    writer.turn = 'asked';
    void holdWriteTurn(
      writer.db,
      () =>
        new Promise<void>((end) => {
          if (writer.exited) return end();
          writer.turn = 'held';
          writer.endTurn = end;
          writer.worker.postMessage({ type: 'grant' } satisfies ToWriter);
        }),
      { onWaiter: () => writer.worker.postMessage({ type: 'yield' } satisfies ToWriter) },
    );
  }

  private endTurn(writer: Writer): void {
    const end = writer.endTurn;
    writer.turn = 'none';
    writer.endTurn = null;
    end?.();
  }

  private writerFor(db: Db): Writer | null {
    if (onPostgres(db) || db.$client.memory || !this.options.enabled()) return null;
    const file = resolve(db.$client.name);
    if (this.writer && this.writer.file !== file) void this.stop();
    if (this.writer) return this.writer;
    if (Date.now() - this.failedAt < RESTART_AFTER_MS) return null;
    const bundle = this.options.bundle();
    if (!bundle) return null;
    this.writer = this.start(bundle, db, file);
    return this.writer;
  }

  private start(bundle: string, db: Db, file: string): Writer {
    const writer: Writer = {
      worker: new Worker(bundle, { workerData: { file } }),
      db,
      file,
      waiting: new Map(),
      turn: 'none',
      endTurn: null,
      exited: false,
    };
    writer.worker.on('message', (reply: FromWriter) => {
      if (reply.type === 'yielded') {
        this.endTurn(writer);
        // Batches it still holds wait for the turn again, behind the writer that asked for it.
        if (writer.waiting.size > 0) this.askTurn(writer);
        return;
      }
      const settle = writer.waiting.get(reply.id);
      writer.waiting.delete(reply.id);
      if (writer.waiting.size === 0) writer.worker.unref();
      settle?.(reply);
    });
    writer.worker.on('error', (error) => {
      console.error(`ingest writer thread failed: ${error instanceof Error ? error.message : String(error)}`);
      this.failedAt = Date.now();
    });
    // After its connection has closed: the turn is given back, and what it held is settled null, to
    // be stored in this thread.
    writer.worker.on('exit', () => {
      writer.exited = true;
      if (this.writer === writer) this.writer = null;
      this.endTurn(writer);
      for (const settle of writer.waiting.values()) settle(null);
      writer.waiting.clear();
    });
    writer.worker.unref();
    return writer;
  }
}

/** The server's writer: for an SQLite file, unless INGEST_WRITER_THREAD=0. */
export const ingestWriter = new IngestWriter({
  bundle: () => workerBundle(BUNDLE, undefined),
  enabled: () => getEnv().INGEST_WRITER_THREAD !== '0',
});
