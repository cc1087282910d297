import { type Db, onPostgres } from '../../../db/client';
import type { Viewer } from '../../domain/access';
import type { Filters } from '../filters';
import { agentsCsv, agentsXlsx } from './agents.server';
import { CONTENT_TYPES, type ExportFormat, type ExportReport, exportFileName } from './cells';
import { takeExportCursor } from './cursor-slots.server';
import { paymentRequestsCsv, paymentRequestsXlsx } from './payment-requests.server';
import { type ProgressRule, requireReaderProgress } from './reader-progress.server';
import type { ExportOutcome } from './streams.server';
import { type ExportWorkerOptions, parallelPaymentRequestsCsv } from './workers.server';
import { workerPaymentRequestsXlsx } from './xlsx-worker.server';

export interface ExportRequest {
  report: ExportReport;
  format: ExportFormat;
  filters: Filters;
  viewer: Viewer;
  /**
   * A download paced by its client (HTTP): on PostgreSQL a payment-requests export read in this
   * thread then takes one of EXPORT_CURSORS slots (waiting a little for one), or createExport throws
   * ExportsBusyError.
   */
  capped?: boolean;
  /** The client's request: one that leaves while waiting for a slot stops waiting. */
  signal?: AbortSignal;
  /**
   * For a capped download: the least it must take in a window (reader-progress.server.ts), else it is
   * ended and what it holds (a cursor and its slot, a worker thread, a read snapshot) given back.
   */
  progress?: ProgressRule;
  /** How long a capped download waits for a cursor slot (EXPORT_SLOT_WAIT_MS). */
  slotWaitMs?: number;
}

export interface ExportResult extends ExportOutcome {
  rows: number;
}

export interface ExportStream {
  stream: ReadableStream<Uint8Array>;
  fileName: string;
  contentType: string;
  /** Rows written so far (for tests and progress). */
  rowsSoFar: () => number;
}

/**
 * Starts an export: a byte stream that reads the database only as fast as it is consumed.
 * `onEnd` runs once, when the last byte is written or the reader gave up; a complete stream closes
 * only after what it returns has settled.
 */
export async function createExport(
  db: Db,
  input: ExportRequest,
  onEnd: (result: ExportResult) => void | Promise<void>,
  now = Date.now(),
  workerOptions: ExportWorkerOptions = {},
): Promise<ExportStream> {
  const { report, format, filters, viewer } = input;
  const tally = { rows: 0 };
  // Taken before anything is read; given back when the export ends, or here when it does not read
  // the pool's cursor after all (an XLSX worker has a connection of its own; the agents report none).
  const release =
    input.capped && report === 'payment-requests' && onPostgres(db)
      ? await takeExportCursor(input.signal, input.slotWaitMs)
      : () => {};
  const end = (outcome: ExportOutcome) => {
    release();
    return onEnd({ ...outcome, rows: tally.rows });
  };
  const context = { db, filters, viewer, tally, now };
  let stream: ReadableStream<Uint8Array>;
  try {
    if (report === 'payment-requests' && format === 'csv') {
      stream = (await parallelPaymentRequestsCsv(context, end, workerOptions)) ?? paymentRequestsCsv(context, end);
    } else if (report === 'payment-requests') {
      const worker = await workerPaymentRequestsXlsx(context, end, workerOptions);
      if (worker) release();
      stream = worker ?? paymentRequestsXlsx(context, end);
    } else {
      stream = format === 'csv' ? agentsCsv(context, end) : agentsXlsx(context, end);
    }
  } catch (error) {
    release();
    throw error;
  }
  return {
    // Any download paced by its client, not only one holding a cursor: on SQLite a trickler held a worker
    // thread and a read snapshot (the WAL cannot be checkpointed past it) just as long.
    stream: input.capped ? requireReaderProgress(stream, input.progress) : stream,
    fileName: exportFileName(report, format, filters, now),
    contentType: CONTENT_TYPES[format],
    rowsSoFar: () => tally.rows,
  };
}

/** The filters as the audit log keeps them: only what was set. */
export function filtersForAudit(filters: Filters): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(filters).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)),
  );
}
