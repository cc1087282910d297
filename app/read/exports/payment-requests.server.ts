import type { Status } from '../../domain/lifecycle';
import { secondsToPay } from '../../domain/metrics';
import { currencyExponent } from '../../domain/money';
import { wallClockConverter } from '../../lib/zoned-time';
import { maskPhoneForExport } from './cells';
import { PAYMENT_REQUEST_COLUMNS, PaymentRequestsCsvWriter } from './payment-requests-csv.server';
import { exportNames, exportRequestRows } from './rows.server';
import { addDataSheet, DATE_TIME_FORMAT, moneyFormat, writeSummarySheet } from './sheets.server';
import { type ExportContext, type ExportOutcome, textChunkStream, xlsxStream } from './streams.server';

const WIDTHS = [18, 14, 12, 22, 12, 16, 10, 9, 12, 15, 22, 22, 22, 22, 14, 36, 16];
/** Rows an XLSX export writes between checks that its reader keeps up. */
const CHUNK_ROWS = 250;
const DATE_COLUMNS = new Set(['created_at', 'sent_at', 'opened_at', 'closed_at']);

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

/** payment-requests.csv: one row per request in S, streamed a chunk of rows per read. */
export function paymentRequestsCsv(context: ExportContext, onEnd: (outcome: ExportOutcome) => void) {
  return textChunkStream(csvChunks(context), onEnd);
}

const MAX_SHEET_ROWS = 1_000_000;

/** payment-requests.xlsx: a summary sheet (KPIs of the range), then the rows with typed cells. */
export function paymentRequestsXlsx(context: ExportContext, onEnd: (outcome: ExportOutcome) => void) {
  const { db, filters, viewer, tally } = context;
  return xlsxStream(async (workbook, waitForDemand) => {
    writeSummarySheet(workbook, context, 'Payment requests');
    const columns = PAYMENT_REQUEST_COLUMNS.map((header, index) => ({
      header,
      width: WIDTHS[index]!,
      numFmt: DATE_COLUMNS.has(header) ? DATE_TIME_FORMAT : undefined,
    }));
    // Excel stops at 1,048,576 rows a sheet: longer exports go on to 'Payment requests 2', ...
    let sheetNumber = 1;
    let sheetRows = 0;
    let sheet = addDataSheet(workbook, 'Payment requests', columns);
    const wallClock = wallClockConverter(filters.tz);
    const date = (ms: number | null) => (ms === null ? null : wallClock(ms));
    const names = exportNames(db);
    for (const row of exportRequestRows(db, filters, viewer)) {
      const [
        id,
        orderNumber,
        agentId,
        teamId,
        channel,
        currency,
        amount,
        status,
        createdAt,
        sentAt,
        openedAt,
        closedAt,
        paidAt,
        reason,
        phone,
      ] = row;
      if (sheetRows === MAX_SHEET_ROWS) {
        sheet.commit();
        sheetNumber += 1;
        sheetRows = 0;
        sheet = addDataSheet(workbook, `Payment requests ${sheetNumber}`, columns);
      }
      sheetRows += 1;
      const added = sheet.addRow([
        id,
        orderNumber,
        agentId,
        names.agents.get(agentId) ?? '',
        teamId,
        names.teams.get(teamId) ?? '',
        channel,
        currency,
        amount / 10 ** currencyExponent(currency),
        status,
        date(createdAt),
        date(sentAt),
        date(openedAt),
        date(closedAt),
        secondsToPay({ status: status as Status, sentAt, paidAt }),
        reason,
        maskPhoneForExport(phone),
      ]);
      added.getCell(9).numFmt = moneyFormat(currency);
      added.commit();
      tally.rows += 1;
      if (tally.rows % CHUNK_ROWS === 0) await waitForDemand(sheet);
    }
    sheet.commit();
  }, onEnd);
}
