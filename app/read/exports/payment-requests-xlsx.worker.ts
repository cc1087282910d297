import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { writePaymentRequestSheets } from './payment-requests-xlsx';
import type { ExportRequestRow } from './rows.server';
import { SHEET_BACKLOG, sheetBacklog, writeSummarySheet } from './sheets';
import { type FromXlsxWorker, type ToXlsxWorker, XLSX_WORKER_CREDITS, type XlsxWorkerData } from './worker-protocol';

/**
 * payment-requests.xlsx written off the server's thread (app/read/exports/xlsx-worker.server.ts):
 * exceljs's streaming writer and zlib run here, and the zipped bytes go to the server's thread as
 * transferred chunks. At most XLSX_WORKER_CREDITS chunks are in flight: the writer waits for a
 * credit back before the next, so a slow download holds this thread, not the server's memory.
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

const sink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    // A copy the size of the chunk, owned and transferred: exceljs's buffers may share a pool.
    const bytes = new Uint8Array(chunk).buffer as ArrayBuffer;
    credits -= 1;
    post({ type: 'chunk', bytes, rows: tally.rows }, [bytes]);
    if (credits > 0) callback();
    else onCredit = () => callback();
  },
});

/** Lets zlib and the zip writer move along; waits while the reader is behind or the sheet's XML piles up. */
async function waitForDemand(sheet: ExcelJS.Worksheet): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  while (credits <= 0 || sheetBacklog(sheet) > SHEET_BACKLOG) {
    await new Promise((resolve) => setTimeout(resolve, credits <= 0 ? 5 : 2));
  }
}

async function main(): Promise<void> {
  const reader = new Database(data.file, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  reader.pragma('cache_size = -16384');
  try {
    const rows = reader
      .prepare(data.sql)
      .raw()
      .iterate(...data.params) as IterableIterator<ExportRequestRow>;
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false });
    writeSummarySheet(workbook, data.summary, 'Payment requests');
    const names = { agents: new Map(data.agents), teams: new Map(data.teams) };
    await writePaymentRequestSheets(workbook, rows, names, data.summary.filters.tz, tally, waitForDemand);
    // Resolves once the zip writer has ended the sink, every chunk posted.
    await workbook.commit();
    post({ type: 'done', rows: tally.rows });
  } finally {
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
