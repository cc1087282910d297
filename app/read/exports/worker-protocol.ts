import type { ExportSliceQuery } from './rows.server';

/**
 * How the server thread and the payment-requests CSV workers talk (app/read/exports/workers.server.ts
 * has the whole picture). Chunks flow one way as transferred ArrayBuffers; the way back is a
 * SharedArrayBuffer of credits, so a worker can wait for its reader without an event loop.
 */

export interface ExportWorkerData {
  /** The database file; each worker opens its own read-only connection. */
  file: string;
  query: ExportSliceQuery;
  /** Index entries of sentAt (before the other filters) in one slice. */
  sliceRows: number;
  agents: [string, string][];
  teams: [string, string][];
  timeZone: string;
  /** This worker's number: it formats the slices whose number modulo the worker count is this. */
  index: number;
  /** Int32Array over it: [cancelled flag, credits of worker 0, credits of worker 1, ...]. */
  signals: SharedArrayBuffer;
}

export type ToWorker =
  /** Open a read transaction and report its snapshot. */
  | { type: 'begin' }
  /** The snapshots differed: roll back and begin again. */
  | { type: 'again' }
  /** Write your slices, out of `workers` in all. */
  | { type: 'go'; workers: number }
  /** Not needed: roll back and exit. */
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  /** The last event sequence number the worker's snapshot holds: equal numbers, equal snapshots. */
  | { type: 'snapshot'; seq: number }
  /** Bytes of the file, and how many rows end in them. */
  | { type: 'chunk'; bytes: ArrayBuffer; length: number; rows: number }
  | { type: 'slice-end'; slice: number }
  /** No slices left; `slices` is how many the export has. */
  | { type: 'done'; slices: number }
  | { type: 'error'; message: string };

/** Chunks (about 64 KB each) a worker may have in flight before it waits for the reader. */
export const WORKER_CREDITS = 16;

/** The signals slot that, set to 1, tells every worker to stop. */
export const CANCELLED = 0;
/** The signals slot of a worker's credits. */
export const creditSlot = (index: number) => 1 + index;

/** What the payment-requests.xlsx worker is given (app/read/exports/xlsx-worker.server.ts). */
export interface XlsxWorkerData {
  /** The SQLite file, or the PostgreSQL URL (the worker then reads the rows from a cursor of its own). */
  file: string;
  /** The export's query (every row of S, in sentAt order) as SQL text and its parameters (SQLite). */
  sql: string;
  params: unknown[];
  /**
   * What the summary sheet is computed from, in the worker (its KPIs by the metrics engine, and the
   * agent and team names, read in the same snapshot as the rows): none of it on the server's thread.
   */
  filters: import('../filters').Filters;
  viewer: import('../../domain/access').Viewer;
  now: number;
}

/** The server's thread took a chunk: the worker may send one more. */
export type ToXlsxWorker = { type: 'credit' };

export type FromXlsxWorker =
  /** Bytes of the file, and the rows written so far. */
  | { type: 'chunk'; bytes: ArrayBuffer; rows: number }
  | { type: 'done'; rows: number }
  | { type: 'error'; message: string };

/** Chunks (CHUNK_BYTES each, app/lib/zip-stream.ts) the XLSX worker may have in flight before it waits for the reader. */
export const XLSX_WORKER_CREDITS = 16;
