import type ExcelJS from 'exceljs';
import { secondsToPay } from '../../domain/metrics';
import { currencyExponent } from '../../domain/money';
import { wallClockConverter } from '../../lib/zoned-time';
import { maskPhoneForExport } from './cells';
import { PAYMENT_REQUEST_COLUMNS } from './payment-requests-csv.server';
import type { ExportNames, ExportRequestRow } from './rows.server';
import { addDataSheet, DATE_TIME_FORMAT, moneyFormat, type XlsxWorkbook } from './sheets';

/**
 * The data sheets of payment-requests.xlsx, without I/O: written in the server's thread for small
 * exports (payment-requests.server.ts) and by the XLSX export worker for large ones.
 */

const WIDTHS = [18, 14, 12, 22, 12, 16, 10, 9, 12, 15, 22, 22, 22, 22, 14, 36, 16];
/** Rows written between checks that the reader keeps up. */
const CHUNK_ROWS = 250;
const DATE_COLUMNS = new Set(['created_at', 'sent_at', 'opened_at', 'closed_at']);
/** Excel stops at 1,048,576 rows a sheet: longer exports go on to 'Payment requests 2', ... */
const MAX_SHEET_ROWS = 1_000_000;
const AMOUNT_COLUMN = 8;

const COLUMNS = PAYMENT_REQUEST_COLUMNS.map((header, index) => ({
  header,
  width: WIDTHS[index]!,
  numFmt: DATE_COLUMNS.has(header) ? DATE_TIME_FORMAT : undefined,
}));

type CellValue = string | number | Date | null;
const kindOf = (value: CellValue) =>
  value === null ? 'null' : typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : 'date';

/**
 * One style object per column, kind of value and (amounts) currency, shared by every cell like it.
 * exceljs gives each new cell a style object of its own and turns it into XML to find its style
 * id, per cell; a shared object is looked up once (its WeakMap). The first cell of each kind takes
 * the same path as before, so the style ids, and the file, are the same.
 */
function sharedStyles(): (column: number, value: CellValue, currency: string) => Partial<ExcelJS.Style> {
  const styles = new Map<string, Partial<ExcelJS.Style>>();
  return (column, value, currency) => {
    const key = column === AMOUNT_COLUMN ? `${column}:${currency}` : `${column}:${kindOf(value)}`;
    let style = styles.get(key);
    if (!style) {
      const numFmt = column === AMOUNT_COLUMN ? moneyFormat(currency) : COLUMNS[column]!.numFmt;
      style = numFmt ? { numFmt } : {};
      styles.set(key, style);
    }
    return style;
  };
}

/**
 * Writes every row into 'Payment requests' sheets (typed cells: numbers, dates in the export's
 * zone, the amount in major units with its currency's format), waiting for the reader every
 * CHUNK_ROWS rows; `tally.rows` counts them.
 */
export async function writePaymentRequestSheets(
  workbook: XlsxWorkbook,
  rows: Iterable<ExportRequestRow>,
  names: ExportNames,
  timeZone: string,
  tally: { rows: number },
  waitForDemand: (sheet: ExcelJS.Worksheet) => Promise<void>,
): Promise<void> {
  let sheetNumber = 1;
  let sheetRows = 0;
  let sheet = addDataSheet(workbook, 'Payment requests', COLUMNS);
  const wallClock = wallClockConverter(timeZone);
  const date = (ms: number | null) => (ms === null ? null : wallClock(ms));
  const styleOf = sharedStyles();
  for (const row of rows) {
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
      sheet = addDataSheet(workbook, `Payment requests ${sheetNumber}`, COLUMNS);
    }
    sheetRows += 1;
    const values: CellValue[] = [
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
      secondsToPay({ status, sentAt, paidAt }),
      reason,
      maskPhoneForExport(phone),
    ];
    const added = sheet.addRow(values);
    for (let column = 0; column < values.length; column++) {
      added.getCell(column + 1).style = styleOf(column, values[column]!, currency);
    }
    added.commit();
    tally.rows += 1;
    if (tally.rows % CHUNK_ROWS === 0) await waitForDemand(sheet);
  }
  sheet.commit();
}
