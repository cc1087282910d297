import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type Db, type PostgresHandle, postgresReadTransaction } from '../../../db/client';
import { agents, paymentRequests, teams } from '../../../db/tables';
import type { Viewer } from '../../domain/access';
import type { Filters } from '../filters';
import { compileQuery, listCondition, type ReadQuery } from '../query-compiler.server';
import { compareOwners, type Owner } from './by-name.server';
import { ID_COLUMN, segmentsAfter, segmentsFromStart } from './keyset.server';
import {
  type Cursor,
  decodeCursor,
  encodeCursor,
  isNameSort,
  LIST_SORTS,
  ListOptionError,
  type ListOptions,
  MAX_LIST_LIMIT,
  type NameSort,
  type RequestColumn,
  type RowKey,
  type SortColumn,
  type SortOrder,
} from './options.server';
import { COUNT_CAP, type PaymentRequestPage, selectRows, toListRow } from './request-list.server';

/*
 * The request list on PostgreSQL (issue 13): the same rows, order, cursors and counts as on SQLite
 * (request-list.server.ts), read more simply. PostgreSQL's planner picks the indexes itself, so
 * there is no index steering (INDEXED BY) and no partitioned reads: each keyset segment is one
 * ordered query. NULLs sort lowest as on SQLite (NULLS FIRST ascending, LAST descending); text
 * compares by code point when the database's collation is C or C.UTF-8 (docs/postgres.md). The
 * name sorts walk the agents (teams) in name order, each one's requests in (sentAt, id) order.
 * One page, and the look past its ends, read one REPEATABLE READ snapshot.
 */

type PostgresDb = Db & { $pg: PostgresHandle };
type PageRow = Awaited<ReturnType<typeof selectRows>>[number];

/** Order by the columns then id, NULL lowest in either direction (SQLite's order). */
function orderBy(columns: readonly RequestColumn[], direction: SortOrder): SQL[] {
  return [...columns, ID_COLUMN].map((c) =>
    direction === 'asc'
      ? sql`${paymentRequests[c.field]} asc nulls first`
      : sql`${paymentRequests[c.field]} desc nulls last`,
  );
}

/** Up to `count` rows in `direction` after the boundary, segment by segment (keyset.server.ts). */
async function readColumnSort(
  db: PostgresDb,
  where: SQL | undefined,
  columns: readonly RequestColumn[],
  direction: SortOrder,
  boundary: RowKey | null,
  count: number,
): Promise<PageRow[]> {
  const segments = boundary ? segmentsAfter(columns, boundary, direction) : segmentsFromStart(columns, direction);
  const rows: PageRow[] = [];
  for (const segment of segments) {
    const found = await selectRows(db, and(segment.where, where))
      .orderBy(...orderBy(columns, direction))
      .limit(count - rows.length);
    rows.push(...found);
    if (rows.length >= count) break;
  }
  return rows;
}

const OWNER = {
  agent: { table: agents, column: paymentRequests.agentId },
  team: { table: teams, column: paymentRequests.teamId },
} as const;

/** The agents (teams) the scope allows, in name order (then id), as the SQLite walk orders them. */
async function ownersInNameOrder(db: PostgresDb, sort: NameSort, query: ReadQuery): Promise<Owner[]> {
  const { table } = OWNER[sort];
  const allowed = sort === 'agent' ? query.allowed.agent : query.allowed.team;
  const rows = await db
    .select({ id: table.id, name: table.name })
    .from(table)
    .where(allowed ? inArray(table.id, allowed.length > 0 ? [...allowed] : ['']) : undefined);
  return rows.sort(compareOwners);
}

/** Index of the first owner at or after `boundary` in reading order. */
function firstFrom(owners: Owner[], boundary: Owner, direction: SortOrder): number {
  const sign = direction === 'asc' ? 1 : -1;
  let low = 0;
  let high = owners.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sign * compareOwners(owners[middle]!, boundary) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

const SENT_AT = LIST_SORTS.sentAt;

/** Up to `count` rows of a name sort in `direction` after the boundary: owner by owner. */
async function readNameSort(
  db: PostgresDb,
  sort: NameSort,
  owners: Owner[],
  where: SQL | undefined,
  direction: SortOrder,
  boundary: RowKey | null,
  count: number,
): Promise<PageRow[]> {
  const ordered = direction === 'asc' ? owners : [...owners].reverse();
  const boundaryOwner = boundary ? { name: boundary.values[0] as string, id: boundary.values[1] as string } : null;
  const within = boundary
    ? segmentsAfter(SENT_AT, { values: [boundary.values[2] ?? null], id: boundary.id }, direction).map((s) => s.where)
    : [];
  const rows: PageRow[] = [];
  for (let i = boundaryOwner ? firstFrom(ordered, boundaryOwner, direction) : 0; i < ordered.length; i++) {
    const owner = ordered[i]!;
    const segments = boundaryOwner && compareOwners(owner, boundaryOwner) === 0 ? within : [undefined];
    for (const segment of segments) {
      const found = await selectRows(db, and(eq(OWNER[sort].column, owner.id), segment, where))
        .orderBy(...orderBy(SENT_AT, direction))
        .limit(count - rows.length);
      rows.push(...found);
      if (rows.length >= count) return rows;
    }
  }
  return rows;
}

function keyOf(columns: readonly SortColumn[], row: PageRow): RowKey {
  return { values: columns.map((c) => row[c.field as keyof PageRow] as string | number | null), id: row.id };
}

const flip = (order: SortOrder): SortOrder => (order === 'asc' ? 'desc' : 'asc');

/** listPaymentRequests on PostgreSQL: the same page, cursors and errors. */
export async function listPaymentRequestsPostgres(
  db: PostgresDb,
  filters: Filters,
  viewer: Viewer,
  options: ListOptions,
): Promise<PaymentRequestPage> {
  const { sort, order } = options;
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIST_LIMIT) {
    throw new ListOptionError('limit', `must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  const columns: readonly SortColumn[] = LIST_SORTS[sort];
  const cursor = options.cursor ? decodeCursor(options.cursor, sort, order) : null;
  const backwards = cursor?.direction === 'prev';
  const reading = backwards ? flip(order) : order;
  const query = compileQuery(filters, viewer);
  const where = listCondition(query);

  return await postgresReadTransaction(db, async () => {
    const owners = isNameSort(sort) ? await ownersInNameOrder(db, sort, query) : [];
    const read = (direction: SortOrder, boundary: RowKey | null, count: number) =>
      isNameSort(sort)
        ? readNameSort(db, sort, owners, where, direction, boundary, count)
        : readColumnSort(db, where, LIST_SORTS[sort], direction, boundary, count);
    const fetched = await read(reading, cursor, options.limit + 1);
    const more = fetched.length > options.limit;
    const page = fetched.slice(0, options.limit);
    if (backwards) page.reverse();

    const make = (row: PageRow | undefined, direction: Cursor['direction']) =>
      row ? encodeCursor({ sort, order, direction, ...keyOf(columns, row) }) : null;
    const first = page[0];
    const last = page.at(-1);
    const hasBefore = backwards
      ? more
      : cursor !== null && first !== undefined && (await read(flip(order), keyOf(columns, first), 1)).length > 0;
    const hasAfter = backwards ? last !== undefined && (await read(order, keyOf(columns, last), 1)).length > 0 : more;
    return {
      rows: page.map(toListRow),
      nextCursor: hasAfter ? make(last, 'next') : null,
      prevCursor: hasBefore ? make(first, 'prev') : null,
    };
  });
}

/** countPaymentRequests on PostgreSQL: exact up to COUNT_CAP. */
export async function countPaymentRequestsPostgres(
  db: PostgresDb,
  filters: Filters,
  viewer: Viewer,
): Promise<{ count: number; more: boolean }> {
  const capped = db
    .select({ one: sql<number>`1`.as('one') })
    .from(paymentRequests)
    .where(listCondition(compileQuery(filters, viewer)))
    .limit(COUNT_CAP + 1)
    .as('capped');
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(capped);
  const count = row?.n ?? 0;
  return count > COUNT_CAP ? { count: COUNT_CAP, more: true } : { count, more: false };
}
