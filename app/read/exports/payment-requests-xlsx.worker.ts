import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { closeDatabase, type Db, openPostgresDb } from '../../../db/client';
import { registerPackedCounts } from '../../../db/packed-counts';
import { isPostgresUrl } from '../../../db/pg-client';
import * as schema from '../../../db/schema';
import { getMetricsSummary } from '../metrics/metrics.server';
import { writePaymentRequestsXlsx } from './payment-requests-xlsx';
import { type ExportRequestRow, exportNames, exportRequestRowsPostgres, readExportNames } from './rows.server';
import { type FromXlsxWorker, type ToXlsxWorker, XLSX_WORKER_CREDITS, type XlsxWorkerData } from './worker-protocol';

/**
 * payment-requests.xlsx written off the server's thread (app/read/exports/xlsx-worker.server.ts):
 * the sheet XML is built here and deflated on libuv's pool, and the zipped bytes go to the
 * server's thread as transferred chunks of 64 KB. At most XLSX_WORKER_CREDITS chunks are in
 * flight: the writer waits for a credit back before the next, so a slow download holds this
 * thread (and the database cursor), not the server's memory.
 * Built to build/workers/ by `npm run build:workers`.
 */

const data = workerData as XlsxWorkerData;
const port = parentPort!;
const post = (message: FromXlsxWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

let credits = XLSX_WORKER_CREDITS;
let onCredit: (() => void) | null = null;
const tally = { rows: 0 };

port.on('message', (message: ToXlsxWorker) => {
  if (message.type !== 'credit') return;
  credits += 1;
  const resume = onCredit;
  onCredit = null;
  resume?.();
});

async function emit(chunk: Uint8Array): Promise<void> {
  while (credits <= 0) await new Promise<void>((resolve) => (onCredit = resolve));
  credits -= 1;
  // ZipStream's chunks own their memory; a view into a larger buffer is copied before it moves.
  const owned = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
  const bytes = (owned ? chunk.buffer : chunk.slice().buffer) as ArrayBuffer;
  post({ type: 'chunk', bytes, rows: tally.rows }, [bytes]);
}

/**
 * On PostgreSQL: one connection of this thread's own (its queries run one after another; closed
 * when the export ends, fails or the thread is terminated), the rows from a REPEATABLE READ cursor
 * (exportRequestRowsPostgres), the summary and names read beside it, as the server's thread does.
 */
async function mainPostgres(): Promise<void> {
  const db = openPostgresDb(data.file, { max: 1 });
  try {
    const { filters, viewer, now } = data;
    const summary = { filters, scope: viewer.scope, now, metrics: await getMetricsSummary(db, filters, viewer) };
    const names = await readExportNames(db);
    await writePaymentRequestsXlsx(emit, exportRequestRowsPostgres(db, filters, viewer), names, summary, tally);
    post({ type: 'done', rows: tally.rows });
  } finally {
    await closeDatabase(db);
  }
}

async function main(): Promise<void> {
  if (isPostgresUrl(data.file)) return await mainPostgres();
  const reader = new Database(data.file, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  reader.pragma('cache_size = -16384');
  // The summary sheet's metrics sum the rollups' packed counts.
  registerPackedCounts(reader);
  const db = drizzle(reader, { schema }) as Db;
  try {
    // One snapshot for the summary, the names and the rows, however long the download takes.
    reader.exec('BEGIN');
    const { filters, viewer, now } = data;
    const summary = { filters, scope: viewer.scope, now, metrics: await getMetricsSummary(db, filters, viewer) };
    const names = exportNames(db);
    const rows = reader
      .prepare(data.sql)
      .raw()
      .iterate(...data.params) as IterableIterator<ExportRequestRow>;
    await writePaymentRequestsXlsx(emit, rows, names, summary, tally);
    post({ type: 'done', rows: tally.rows });
  } finally {
    if (reader.inTransaction) reader.exec('ROLLBACK');
    reader.close();
  }
}

main().then(
  () => port.close(),
  (error: unknown) => {
    post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    port.close();
  },
);
