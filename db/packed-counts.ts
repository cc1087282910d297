import type Database from 'better-sqlite3';
import { PAID_AMOUNT_COLUMN, ROLLUP_COLUMNS } from '../app/domain/metric-table';

/**
 * The rollups' counts packed into one TEXT column on SQLite (issue 14, disk; migration 0027).
 *
 * A rollup row kept 42 counts (the SPEC §3 counts, send failures and 32 time-to-pay bins) as
 * integer columns, nearly all 0 or 1: each still took a byte of the record header, 42 bytes a row,
 * ~1 row a request. Packed, a row stores only its non-zero counts: a letter naming the count, then
 * its value in decimal when it is not 1 ("ABCY" is sent, opened, paid and bin 15 once each;
 * "A12B3" twelve sent, three opened). Deltas may be negative ("A-1"). The empty text is all zero.
 *
 * SQLite sums them with the functions registerPackedCounts adds to a connection (counts_sum, an
 * aggregate, reads one TEXT a row: 4 times faster than 41 sum() columns, measured). PostgreSQL keeps
 * one bigint column a count (db/schema.pg.ts): its rows are not packed.
 */

/** The counts packed, in the rollup tables' column order: every value column but the amount. */
export const PACKED_COLUMNS: readonly string[] = ROLLUP_COLUMNS.map((column) => column.name).filter(
  (name) => name !== PAID_AMOUNT_COLUMN.name,
);

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
if (PACKED_COLUMNS.length > LETTERS.length) throw new Error(`${PACKED_COLUMNS.length} counts: more than the letters`);

/** A count's place in PACKED_COLUMNS by the letter's char code (-1: not a letter of ours). */
const INDEX_OF_CODE: Int8Array = (() => {
  const index = new Int8Array(128).fill(-1);
  for (let i = 0; i < PACKED_COLUMNS.length; i++) index[LETTERS.charCodeAt(i)] = i;
  return index;
})();

/** The packed text of counts in PACKED_COLUMNS order (zeros left out; '' when all are zero). */
export function packCounts(values: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === 0) continue;
    if (!Number.isSafeInteger(value)) throw new RangeError(`count ${PACKED_COLUMNS[i]} is ${value}, not an integer`);
    text += value === 1 ? LETTERS[i] : `${LETTERS[i]}${value}`;
  }
  return text;
}

/**
 * packCounts of the counts `values[from[j]]` at PACKED_COLUMNS places `places[j]` (ascending), every
 * other count zero: the same text, without the whole row of counts.
 */
export function packSome(values: ArrayLike<number>, from: readonly number[], places: readonly number[]): string {
  let text = '';
  for (let j = 0; j < from.length; j++) {
    const value = values[from[j]!]!;
    if (value === 0) continue;
    const i = places[j]!;
    if (!Number.isSafeInteger(value)) throw new RangeError(`count ${PACKED_COLUMNS[i]} is ${value}, not an integer`);
    text += value === 1 ? LETTERS[i] : `${LETTERS[i]}${value}`;
  }
  return text;
}

/** Adds the counts of a packed text into `into` (PACKED_COLUMNS order); throws on text it did not write. */
export function addPacked(text: string, into: number[]): void {
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    const index = code < 128 ? INDEX_OF_CODE[code]! : -1;
    if (index < 0) throw new Error(`packed counts: ${JSON.stringify(text)} is not packed counts`);
    i += 1;
    let negative = false;
    if (text.charCodeAt(i) === 45 /* - */) {
      negative = true;
      i += 1;
    }
    let value = 0;
    let digits = 0;
    for (let digit = text.charCodeAt(i) - 48; digit >= 0 && digit <= 9; digit = text.charCodeAt(i) - 48) {
      value = value * 10 + digit;
      digits += 1;
      i += 1;
    }
    if (negative && digits === 0) throw new Error(`packed counts: ${JSON.stringify(text)} is not packed counts`);
    into[index]! += digits === 0 ? 1 : negative ? -value : value;
  }
}

/** The counts of a packed text, in PACKED_COLUMNS order. */
export function unpackCounts(text: string): number[] {
  const values = new Array<number>(PACKED_COLUMNS.length).fill(0);
  addPacked(text, values);
  return values;
}

/**
 * The SQL functions of packed counts, added to an SQLite connection (db/client.ts does for every
 * connection it opens; a connection without them cannot write or read the rollups):
 * - counts_sum(packed): aggregate, the packed sum (NULL over no rows);
 * - counts_add(a, b): the packed sum of two (NULL counts as '');
 * - counts_pack(v, …): the values of PACKED_COLUMNS, one argument each, packed;
 * - counts_get(packed, i): the value of PACKED_COLUMNS[i].
 */
export function registerPackedCounts(sqlite: Database.Database): void {
  const width = PACKED_COLUMNS.length;
  sqlite.aggregate('counts_sum', {
    start: () => null as number[] | null,
    step: (sums: number[] | null, text: unknown) => {
      const into = sums ?? new Array<number>(width).fill(0);
      if (typeof text === 'string') addPacked(text, into);
      return into;
    },
    result: (sums: number[] | null) => (sums === null ? null : packCounts(sums)),
    deterministic: true,
  });
  sqlite.function('counts_add', { deterministic: true }, (a: unknown, b: unknown) => {
    const sums = new Array<number>(width).fill(0);
    if (typeof a === 'string') addPacked(a, sums);
    if (typeof b === 'string') addPacked(b, sums);
    return packCounts(sums);
  });
  sqlite.function('counts_pack', { deterministic: true, varargs: true }, (...values: unknown[]) => {
    if (values.length !== width) throw new RangeError(`counts_pack takes ${width} values, not ${values.length}`);
    return packCounts(values.map((value) => Number(value ?? 0)));
  });
  // A row's counts are read one by one: the last text unpacked is kept for the next call.
  let lastText = '';
  let lastCounts = unpackCounts('');
  sqlite.function('counts_get', { deterministic: true }, (text: unknown, index: unknown) => {
    const i = Number(index);
    if (!Number.isInteger(i) || i < 0 || i >= width) throw new RangeError(`counts_get: no count ${String(index)}`);
    if (typeof text !== 'string') return 0n;
    if (text !== lastText) {
      lastCounts = unpackCounts(text);
      lastText = text;
    }
    // A BigInt comes back as an INTEGER; a JS number would be a REAL (CAST AS TEXT: '1.0').
    return BigInt(lastCounts[i]!);
  });
}

/** SQL reading one value column of an SQLite rollup row (the amount is a column; a count is in `counts`). */
export function sqliteRollupValueSql(column: string, prefix = ''): string {
  const index = PACKED_COLUMNS.indexOf(column);
  return index < 0 ? `${prefix}${column}` : `counts_get(${prefix}counts, ${index})`;
}
