import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Db } from '../../../db/client';
import type { Viewer } from '../../domain/access';
import type { Emit } from '../../lib/zip-stream';
import type { Filters } from '../filters';
import type { XlsxWorkbook } from './sheets';

/** What every export writer gets: the query, the caller, and the running row count. */
export interface ExportContext {
  db: Db;
  filters: Filters;
  viewer: Viewer;
  tally: { rows: number };
  now: number;
}

/** How an export stream ended: all rows written, or the reader went away (or it failed). */
export interface ExportOutcome {
  completed: boolean;
  error?: unknown;
}

/**
 * Told how an export ended. A complete export's stream closes only after the promise this returns
 * settles, so a reader that has the last byte knows the export was recorded (the audit row).
 */
export type OnExportEnd = (outcome: ExportOutcome) => void | Promise<void>;

/**
 * Bytes queued for a slow reader before the export stops producing. The server (server.ts) takes
 * a chunk from the stream only once the socket has drained the last, so this is all it holds.
 */
const QUEUE_BYTES = 1 << 20;
const byteStrategy = () => new ByteLengthQueuingStrategy({ highWaterMark: QUEUE_BYTES });

/**
 * A byte stream pulled from a generator of chunks (bytes, or text to encode): each pull runs the
 * generator one step, so nothing is read from the database before the reader asks for it.
 */
export function textChunkStream(
  chunks: Iterator<Uint8Array | string> | AsyncIterator<Uint8Array | string>,
  onEnd: OnExportEnd,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let ended = false;
  const end = async (outcome: ExportOutcome) => {
    if (ended) return;
    ended = true;
    await onEnd(outcome);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // One chunk per event-loop turn: a long export must not starve the server's other requests.
        await new Promise((resolve) => setImmediate(resolve));
        try {
          const next = await chunks.next();
          if (next.done) {
            await end({ completed: true });
            controller.close();
          } else {
            controller.enqueue(typeof next.value === 'string' ? encoder.encode(next.value) : next.value);
          }
        } catch (error) {
          void end({ completed: false, error });
          controller.error(error);
        }
      },
      cancel() {
        void chunks.return?.();
        void end({ completed: false });
      },
    },
    byteStrategy(),
  );
}

/** Resolves when the reader wants more; rejects once it has gone away, so the writer stops. */
export type WaitForDemand = () => Promise<void>;

class ReaderGone extends Error {}

/**
 * An XLSX written with exceljs's streaming WorkbookWriter, as a byte stream. exceljs buffers
 * whatever it is given, so `write` calls `waitForDemand()` between chunks of rows: rows are only
 * produced while the reader keeps up.
 */
export function xlsxStream(
  write: (workbook: XlsxWorkbook, waitForDemand: WaitForDemand) => Promise<void>,
  onEnd: OnExportEnd,
): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let gone = false;
  let blockedWrite: (() => void) | null = null;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const pending = waiters;
    waiters = [];
    for (const resolve of pending) resolve();
    const resume = blockedWrite;
    blockedWrite = null;
    resume?.();
  };
  const hasDemand = () => (controller.desiredSize ?? 0) > 0;

  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (gone) return callback();
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (hasDemand()) callback();
      else blockedWrite = () => callback();
    },
  });

  const waitForDemand: WaitForDemand = async () => {
    // A macrotask turn lets zlib and the zip writer move what was already written along.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (gone) throw new ReaderGone();
      if (!hasDemand()) await new Promise<void>((resolve) => waiters.push(resolve));
      else return;
    }
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        wake();
      },
      cancel() {
        gone = true;
        wake();
      },
    },
    byteStrategy(),
  );

  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false });
  write(workbook, waitForDemand)
    .then(() => workbook.commit())
    .then(
      async () => {
        if (gone) return onEnd({ completed: false });
        await onEnd({ completed: true });
        if (!gone) controller.close();
      },
      (error: unknown) => {
        sink.destroy();
        if (error instanceof ReaderGone) return onEnd({ completed: false });
        onEnd({ completed: false, error });
        if (!gone) controller.error(error);
      },
    );
  return stream;
}

/**
 * A byte stream fed by a writer that hands its chunks to `emit` (ZipStream): `emit` resolves when
 * the reader wants more, and rejects once it has gone away, so the writer stops. The writer starts
 * at once; the stream's queue (QUEUE_BYTES) and the chunk being written are all it gets ahead.
 */
export function emittedStream(write: (emit: Emit) => Promise<void>, onEnd: OnExportEnd): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let gone = false;
  let waiting: (() => void) | null = null;
  const wake = () => {
    const resume = waiting;
    waiting = null;
    resume?.();
  };
  const emit: Emit = async (chunk) => {
    if (gone) throw new ReaderGone();
    controller.enqueue(chunk);
    while (!gone && (controller.desiredSize ?? 0) <= 0) await new Promise<void>((resolve) => (waiting = resolve));
    if (gone) throw new ReaderGone();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull: wake,
      cancel() {
        gone = true;
        wake();
      },
    },
    byteStrategy(),
  );
  write(emit).then(
    async () => {
      if (gone) return onEnd({ completed: false });
      await onEnd({ completed: true });
      if (!gone) controller.close();
    },
    (error: unknown) => {
      if (error instanceof ReaderGone) return onEnd({ completed: false });
      onEnd({ completed: false, error });
      if (!gone) controller.error(error);
    },
  );
  return stream;
}
