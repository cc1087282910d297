import type { Status } from '../domain/lifecycle';
import { secondsToPay } from '../domain/metrics';
import { currencyExponent, formatMinorUnits } from '../domain/money';
import { csvCell, csvRecord } from '../lib/csv';
import { maskPhoneForExport, secondsCell } from '../lib/export-cells';
import { isoFormatter, wallClockConverter } from '../lib/zoned-time';
import { exportNames, exportRequestRows } from '../queries/export-rows.server';
import { addDataSheet, DATE_TIME_FORMAT, moneyFormat, writeSummarySheet } from './export-sheets.server';
import {
  ByteChunker,
  type ExportContext,
  type ExportOutcome,
  textChunkStream,
  xlsxStream,
} from './export-streams.server';

/** SPEC §4, in this order. */
export const PAYMENT_REQUEST_COLUMNS = [
  'request_id',
  'order_number',
  'agent_id',
  'agent_name',
  'team_id',
  'team_name',
  'channel',
  'currency',
  'amount',
  'status',
  'created_at',
  'sent_at',
  'opened_at',
  'closed_at',
  'seconds_to_pay',
  'reason',
  'customer_phone',
] as const;

const WIDTHS = [18, 14, 12, 22, 12, 16, 10, 9, 12, 15, 22, 22, 22, 22, 14, 36, 16];
/** Rows an XLSX export writes between checks that its reader keeps up. */
const CHUNK_ROWS = 250;
const DATE_COLUMNS = new Set(['created_at', 'sent_at', 'opened_at', 'closed_at']);

/** agent_id,agent_name,team_id,team_name as CSV, made once per agent and team, not per row. */
function ownerCells(names: ReturnType<typeof exportNames>): (agentId: string, teamId: string) => string {
  const cache = new Map<string, string>();
  return (agentId, teamId) => {
    const key = `${agentId}\u0000${teamId}`;
    let cells = cache.get(key);
    if (cells === undefined) {
      cells = csvRecord([agentId, names.agents.get(agentId) ?? '', teamId, names.teams.get(teamId) ?? '']).slice(0, -2);
      cache.set(key, cells);
    }
    return cells;
  };
}

function* csvChunks({ db, filters, viewer, tally }: ExportContext): Generator<Uint8Array, void, undefined> {
  const iso = isoFormatter(filters.tz);
  const time = (ms: number | null) => (ms === null ? '' : iso(ms));
  const owners = ownerCells(exportNames(db));
  const chunker = new ByteChunker();
  chunker.add(csvRecord(PAYMENT_REQUEST_COLUMNS));
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
    // Codes, timestamps, decimals and the mask are ours and never need quoting; everything
    // else (ids may start with '-', names and text are free) goes through csvCell. An array
    // join per row makes one flat string, quick to encode (a template literal leaves a rope).
    const full = chunker.add(
      [
        csvCell(id),
        csvCell(orderNumber),
        owners(agentId, teamId),
        channel,
        currency,
        formatMinorUnits(amount, currency),
        status,
        time(createdAt),
        time(sentAt),
        time(openedAt),
        time(closedAt),
        secondsCell(secondsToPay({ status: status as Status, sentAt, paidAt })),
        csvCell(reason),
        `${maskPhoneForExport(phone)}\r\n`,
      ].join(','),
    );
    tally.rows += 1;
    if (full) yield full;
  }
  const last = chunker.take();
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
