import { secondsToPay } from '../../domain/metrics';
import { type XlsxSheetWriter, XlsxStream, type XlsxValue } from '../../lib/xlsx-stream';
import type { Emit } from '../../lib/zip-stream';
import { offsetLookup } from '../../lib/zoned-time';
import { maskPhoneForExport, spreadsheetMoney } from './cells';
import { PAYMENT_REQUEST_COLUMNS } from './payment-requests-csv.server';
import type { ExportNames, ExportRequestRow } from './rows.server';
import { DATE_TIME_FORMAT, moneyFormat, SUMMARY_WIDTHS, type SummaryInput, summaryRows } from './sheets';

/**
 * payment-requests.xlsx, written as SpreadsheetML text into a deflated ZIP (app/lib/xlsx-stream.ts)
 * without I/O: by the server's thread for small exports (payment-requests.server.ts) and by the
 * XLSX export worker for large ones. A summary sheet (KPIs of the range), then the rows with typed
 * cells: numbers, dates in the export's zone, the amount in major units with its currency's format.
 *
 * exceljs built an object per cell and turned each into XML through its style manager, about 50 µs
 * a row; this writes a row's XML as one string (docs/performance.md, "XLSX").
 */

const WIDTHS = [18, 14, 12, 22, 12, 16, 10, 9, 12, 15, 22, 22, 22, 22, 14, 36, 16];
const DATE_COLUMNS = new Set(['created_at', 'sent_at', 'opened_at', 'closed_at']);
/** Excel stops at 1,048,576 rows a sheet: longer exports go on to 'Payment requests 2', ... */
const MAX_SHEET_ROWS = 1_000_000;
const AMOUNT_COLUMN = 8;
const DAY_MS = 86_400_000;
/** 1970-01-01 as an Excel serial (1900 date system), as exceljs counted it. */
const EPOCH_SERIAL = 25569;

async function writeSummary(book: XlsxStream, summary: SummaryInput, title: string): Promise<void> {
  const sheet = await book.sheet('Summary', { columns: SUMMARY_WIDTHS.map((width) => ({ width })) });
  const bold = book.style({ bold: true });
  for (const { values, numFmt, bold: isBold } of summaryRows(summary, title)) {
    if (values.length === 0) {
      sheet.skipRow();
      continue;
    }
    const styles = values.map((_, index) => (isBold ? bold : index === 1 && numFmt ? book.style({ numFmt }) : 0));
    await sheet.row(values, styles, isBold ? bold : 0);
  }
  await sheet.close();
}

/**
 * The whole workbook, out through `emit` (which may wait for the reader: nothing is read from
 * `rows` meanwhile); `tally.rows` counts the rows written.
 */
export async function writePaymentRequestsXlsx(
  emit: Emit,
  rows: Iterable<ExportRequestRow> | AsyncIterable<ExportRequestRow>,
  names: ExportNames,
  summary: SummaryInput,
  tally: { rows: number },
): Promise<void> {
  const book = new XlsxStream(emit, new Date(summary.now));
  await writeSummary(book, summary, 'Payment requests');

  const date = book.style({ numFmt: DATE_TIME_FORMAT });
  const bold = book.style({ bold: true });
  const boldDate = book.style({ bold: true, numFmt: DATE_TIME_FORMAT });
  const isDate = PAYMENT_REQUEST_COLUMNS.map((header) => DATE_COLUMNS.has(header));
  const columns = WIDTHS.map((width, index) => ({ width, style: isDate[index] ? date : 0 }));
  const headerStyles = isDate.map((dated) => (dated ? boldDate : bold));
  const moneyStyles = new Map<string, number>();
  const moneyStyle = (currency: string) => {
    let style = moneyStyles.get(currency);
    if (style === undefined) {
      style = book.style({ numFmt: moneyFormat(currency) });
      moneyStyles.set(currency, style);
    }
    return style;
  };

  let sheetNumber = 1;
  const startSheet = async (name: string): Promise<XlsxSheetWriter> => {
    const next = await book.sheet(name, { columns, frozenHeader: true, autoFilter: true });
    await next.row(PAYMENT_REQUEST_COLUMNS, headerStyles, bold);
    return next;
  };
  let sheet = await startSheet('Payment requests');

  // The wall clock in the export's zone, as wallClockConverter's Date would hold it (Date truncates).
  const offsetAt = offsetLookup(summary.filters.tz);
  const serial = (ms: number | null) =>
    ms === null ? null : EPOCH_SERIAL + Math.trunc(ms + offsetAt(ms) * 60_000) / DAY_MS;
  const values: XlsxValue[] = new Array(PAYMENT_REQUEST_COLUMNS.length);
  const styles = isDate.map((dated) => (dated ? date : 0));
  for await (const row of rows) {
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
    if (sheet.rowNumber > MAX_SHEET_ROWS) {
      await sheet.close();
      sheetNumber += 1;
      sheet = await startSheet(`Payment requests ${sheetNumber}`);
    }
    values[0] = id;
    values[1] = orderNumber;
    values[2] = agentId;
    values[3] = names.agents.get(agentId) ?? '';
    values[4] = teamId;
    values[5] = names.teams.get(teamId) ?? '';
    values[6] = channel;
    values[7] = currency;
    values[AMOUNT_COLUMN] = spreadsheetMoney(amount, currency);
    values[9] = status;
    values[10] = serial(createdAt);
    values[11] = serial(sentAt);
    values[12] = serial(openedAt);
    values[13] = serial(closedAt);
    values[14] = secondsToPay({ status, sentAt, paidAt });
    values[15] = reason;
    values[16] = maskPhoneForExport(phone);
    styles[AMOUNT_COLUMN] = moneyStyle(currency);
    const written = sheet.row(values, styles);
    tally.rows += 1;
    if (written) await written;
  }
  await sheet.close();
  await book.finish();
}
