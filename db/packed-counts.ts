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

/**
 * Adds the counts of a packed text into `into` (PACKED_COLUMNS order); throws on text it did not write.
 * Never reads past the text's end: `charCodeAt` out of range (NaN) took V8 off its fast path, and a
 * 90-day leaderboard at 10M requests sums 12,092 texts (6.6 -> 2.7 ms; docs/performance.md, session 28).
 */
export function addPacked(text: string, into: number[]): void {
  const length = text.length;
  let i = 0;
  while (i < length) {
    const letter = text.charCodeAt(i);
    const index = letter < 128 ? INDEX_OF_CODE[letter]! : -1;
    if (index < 0) throw new Error(`packed counts: ${JSON.stringify(text)} is not packed counts`);
    i += 1;
    let code = i < length ? text.charCodeAt(i) : 0;
    const negative = code === 45; /* - */
    if (negative) {
      i += 1;
      code = i < length ? text.charCodeAt(i) : 0;
    }
    if (code < 48 || code > 57) {
      if (negative) throw new Error(`packed counts: ${JSON.stringify(text)} is not packed counts`);
      into[index]! += 1;
      continue;
    }
    let value = 0;
    do {
      value = value * 10 + (code - 48);
      i += 1;
      code = i < length ? text.charCodeAt(i) : 0;
    } while (code >= 48 && code <= 57);
    into[index]! += negative ? -value : value;
  }
}

/**
 * counts_add of two texts as packCounts writes them (each count once, in PACKED_COLUMNS order; no 0,
 * no 1 written, no leading zero; here at most 15 digits, so every sum is a safe integer): the counts
 * only one of them has are copied as they are, the others summed, with no row of counts unpacked and
 * packed again. Null when either text is not in that form: the caller then unpacks and packs them
 * (the same text when both are; its error when one is not packed counts).
 */
export function addPackedTexts(a: string, b: string): string | null {
  const readerA = new CountReader(a);
  const readerB = new CountReader(b);
  let text = '';
  for (;;) {
    if (!readerA.fill() || !readerB.fill()) return null;
    const placeA = readerA.place;
    const placeB = readerB.place;
    if (placeA < 0 && placeB < 0) return text;
    if (placeB < 0 || (placeA >= 0 && placeA < placeB)) {
      text += readerA.take();
    } else if (placeA < 0 || placeB < placeA) {
      text += readerB.take();
    } else {
      const value = readerA.value + readerB.value;
      if (value !== 0) text += value === 1 ? LETTERS[placeA] : `${LETTERS[placeA]}${value}`;
      readerA.take();
      readerB.take();
    }
  }
}

/** One text's counts read in turn for addPackedTexts: the one held (place -1: none) and its text. */
class CountReader {
  place = -1;
  value = 0;
  private start = 0;
  private end = 0;
  private last = -1;

  constructor(private readonly text: string) {}

  /** Reads the next count unless one is held or the text is done; false when it is not in packCounts' order. */
  fill(): boolean {
    if (this.place >= 0 || this.end >= this.text.length) return true;
    this.start = this.end;
    this.end = readCount(this.text, this.end);
    // Not a count, or a count before the last one read or the same again: not packCounts' form.
    if (this.end < 0 || read.place <= this.last) return false;
    this.place = this.last = read.place;
    this.value = read.value;
    return true;
  }

  /** The held count as written, which it lets go. */
  take(): string {
    this.place = -1;
    return this.text.slice(this.start, this.end);
  }
}

/** The count readCount read last. */
const read = { place: -1, value: 0 };

/**
 * Reads the count starting at `i` of `text` into `read` and returns where it ends; -1 when it is not
 * written as packCounts writes a count of at most 15 digits.
 */
function readCount(text: string, i: number): number {
  const length = text.length;
  const code = i < length ? text.charCodeAt(i) : 0;
  const place = code < 128 ? INDEX_OF_CODE[code]! : -1;
  if (place < 0) return -1;
  let at = i + 1;
  // Within the text only, as in addPacked.
  let next = at < length ? text.charCodeAt(at) : 0;
  const negative = next === 45; /* - */
  if (negative) {
    at += 1;
    next = at < length ? text.charCodeAt(at) : 0;
  }
  const first = at;
  let value = 0;
  while (next >= 48 && next <= 57) {
    value = value * 10 + (next - 48);
    at += 1;
    next = at < length ? text.charCodeAt(at) : 0;
  }
  const digits = at - first;
  if (digits === 0) {
    if (negative) return -1;
    value = 1;
  } else if (digits > 15 || text.charCodeAt(first) === 48 /* 0 */ || (!negative && value === 1)) return -1;
  read.place = place;
  read.value = negative ? -value : value;
  return at;
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
    const added = addPackedTexts(typeof a === 'string' ? a : '', typeof b === 'string' ? b : '');
    if (added !== null) return added;
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
