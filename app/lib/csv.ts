import { type Options, stringify } from 'csv-stringify/sync';

/**
 * SPEC §4: RFC 4180, CRLF row ends, cells starting with = + - @ tab or CR prefixed with '.
 * quote_record_delimiter must be explicit: with a record_delimiter set, csv-stringify would leave a
 * bare LF inside a cell (a reason typed on two lines) unquoted.
 */
export const CSV_OPTIONS: Options = {
  record_delimiter: '\r\n',
  quote_record_delimiter: true,
  escape_formulas: true,
  eof: true,
};

// A cell csv-stringify would emit unchanged: no quote, comma, CR or LF anywhere, and no first
// character that escape_formulas prefixes (its list includes the full-width = + - @).
const PLAIN_CELL = /^(?:[^"=+\-@\t\r\n,\uFF1D\uFF0B\uFF0D\uFF20][^",\r\n]*)?$/;

/**
 * One CSV cell as csv-stringify writes it: quoted, quotes doubled, formula prefix. Cells it would
 * copy verbatim skip the call, because its per-cell cost alone is below the export's 200,000
 * rows/s goal. tests/unit/export-format.test.ts checks that both paths give the same text.
 */
export function csvCell(cell: string): string {
  return PLAIN_CELL.test(cell) ? cell : stringify([[cell]], CSV_OPTIONS).slice(0, -2);
}

/** One CSV record, with its CRLF. */
export function csvRecord(cells: readonly string[]): string {
  let line = cells.length > 0 ? csvCell(cells[0]!) : '';
  for (let i = 1; i < cells.length; i++) line += `,${csvCell(cells[i]!)}`;
  return `${line}\r\n`;
}

/** The reference path: every record through csv-stringify. */
export function csvRecordsStrict(rows: readonly (readonly string[])[]): string {
  return stringify(rows as string[][], CSV_OPTIONS);
}

/** UTF-8's byte-order mark: Excel on Windows reads a CSV as UTF-8 only when the file starts with it. */
export const UTF8_BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

/** The same bytes with a UTF-8 byte-order mark in front (the "CSV for Excel" download). */
export function withByteOrderMark(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        controller.enqueue(UTF8_BOM);
      },
    }),
  );
}
