import { onPostgres } from '../../../db/client';
import { PaymentRequestsCsvWriter } from './payment-requests-csv.server';
import { writePaymentRequestsXlsx } from './payment-requests-xlsx';
import { exportNames, exportRequestRows, exportRequestRowsPostgres, readExportNames } from './rows.server';
import { summaryInput } from './sheets.server';
import { type ExportContext, emittedStream, type OnExportEnd, textChunkStream } from './streams.server';

function* csvChunks({ db, filters, viewer, tally }: ExportContext): Generator<Uint8Array, void, undefined> {
  const writer = new PaymentRequestsCsvWriter(exportNames(db), filters.tz);
  const header = writer.header();
  if (header) yield header;
  for (const row of exportRequestRows(db, filters, viewer)) {
    const full = writer.add(row);
    tally.rows += 1;
    if (full) yield full;
  }
  const last = writer.flush();
  if (last) yield last;
}

/** csvChunks on PostgreSQL: the rows come from a cursor (exportRequestRowsPostgres), a fetch at a time. */
async function* postgresCsvChunks({ db, filters, viewer, tally }: ExportContext): AsyncGenerator<Uint8Array> {
  const writer = new PaymentRequestsCsvWriter(await readExportNames(db), filters.tz);
  const header = writer.header();
  if (header) yield header;
  for await (const row of exportRequestRowsPostgres(db, filters, viewer)) {
    const full = writer.add(row);
    tally.rows += 1;
    if (full) yield full;
  }
  const last = writer.flush();
  if (last) yield last;
}

/** payment-requests.csv: one row per request in S, streamed a chunk of rows per read. */
export function paymentRequestsCsv(context: ExportContext, onEnd: OnExportEnd) {
  return textChunkStream(onPostgres(context.db) ? postgresCsvChunks(context) : csvChunks(context), onEnd);
}

/** payment-requests.xlsx in the server's thread: a summary sheet (KPIs of the range), then the rows with typed cells. */
export function paymentRequestsXlsx(context: ExportContext, onEnd: OnExportEnd) {
  const { db, filters, viewer, tally } = context;
  return emittedStream(async (emit) => {
    const rows = onPostgres(db)
      ? exportRequestRowsPostgres(db, filters, viewer)
      : exportRequestRows(db, filters, viewer);
    return writePaymentRequestsXlsx(emit, rows, await readExportNames(db), await summaryInput(context), tally);
  }, onEnd);
}
