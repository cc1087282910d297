import { and, asc, desc, eq, gt, isNotNull, isNull, lt, type SQL } from 'drizzle-orm';
import { paymentRequests } from '../../../db/tables';
import { column, type KeyValue, type RequestColumn, type RowKey, type SortOrder } from './options.server';

// Keyset paging over columns of payment_requests: the order, and the rows after a boundary row as
// index ranges. Shared by the column sorts (requests-list.server.ts) and, within one agent or team,
// by the name sorts (request-list-by-name.server.ts).

export const ID_COLUMN = column('id', 'text');

/**
 * Order: the sort columns then id, all in one direction; NULL sorts lowest (SQLite's own order:
 * first ascending, last descending), so every sort lines up with a plain index read either way.
 */
export function orderBy(columns: readonly RequestColumn[], direction: SortOrder): SQL[] {
  const by = direction === 'asc' ? asc : desc;
  return [...columns, ID_COLUMN].map((c) => by(paymentRequests[c.field]));
}

/** Rows of one read, one index range; `leadingNonNull` when the first sort column is never NULL in it. */
export interface Segment {
  where: SQL | undefined;
  leadingNonNull: boolean;
}

/** Rows whose value of one column comes after `value`, as index ranges in reading order. */
function after(c: RequestColumn, value: KeyValue, direction: SortOrder): { where: SQL; nonNull: boolean }[] {
  const target = paymentRequests[c.field];
  if (direction === 'asc') return [{ where: value === null ? isNotNull(target) : gt(target, value), nonNull: true }];
  if (value === null) return [];
  const below = { where: lt(target, value), nonNull: true };
  return c.nullable ? [below, { where: isNull(target), nonNull: false }] : [below];
}

function same(c: RequestColumn, value: KeyValue): SQL {
  const target = paymentRequests[c.field];
  return value === null ? isNull(target) : eq(target, value);
}

/** The whole list: NULLs of a nullable first column apart, so the rest can take bounds. */
export function segmentsFromStart(columns: readonly RequestColumn[], direction: SortOrder): Segment[] {
  const first = columns[0]!;
  if (!first.nullable) return [{ where: undefined, leadingNonNull: true }];
  const target = paymentRequests[first.field];
  const nulls = { where: isNull(target), leadingNonNull: false };
  const values = { where: isNotNull(target), leadingNonNull: true };
  return direction === 'asc' ? [nulls, values] : [values, nulls];
}

/**
 * Everything after a boundary row, split into segments that each are one index range and that
 * follow each other in order: ties on every column (then id after), ties on all but the last...,
 * then the first column after. Reading them in turn until the page is full never scans skipped
 * rows, however deep the page, NULLs included.
 */
export function segmentsAfter(columns: readonly RequestColumn[], boundary: RowKey, direction: SortOrder): Segment[] {
  const all = [...columns, ID_COLUMN];
  const key = [...boundary.values, boundary.id];
  const segments: Segment[] = [];
  for (let depth = all.length - 1; depth >= 0; depth--) {
    const ties = all.slice(0, depth).map((c, index) => same(c, key[index]!));
    for (const range of after(all[depth]!, key[depth]!, direction)) {
      // Below the first column the ties fix it: NULL or not as the boundary's value is.
      const leadingNonNull = depth > 0 ? key[0] !== null : range.nonNull;
      segments.push({ where: and(...ties, range.where), leadingNonNull });
    }
  }
  return segments;
}

/** SQLite's order of two key values: NULL lowest, numbers by value, text by code unit (ASCII ids). */
export function compareValues(a: KeyValue, b: KeyValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
