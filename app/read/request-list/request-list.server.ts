import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type Db, onPostgres } from '../../../db/client';
import { PERIOD_AMOUNT_INDEX, sentPeriodSql } from '../../../db/sent-period';
import { agents, paymentRequests, teams } from '../../../db/tables';
import type { Viewer } from '../../domain/access';
import { isoOrNull, maskPhone } from '../../domain/format';
import { STATUS_LABELS } from '../../domain/lifecycle';
import type { Filters } from '../filters';
import { compileQuery, listCondition, type ReadQuery } from '../query-compiler.server';
import { nameReader } from './by-name.server';
import { compareValues, ID_COLUMN, orderBy, segmentsAfter, segmentsFromStart } from './keyset.server';
import {
  type Cursor,
  decodeCursor,
  encodeCursor,
  isNameSort,
  type KeyValue,
  LIST_SORTS,
  ListOptionError,
  type ListOptions,
  type ListSort,
  MAX_LIST_LIMIT,
  type RequestColumn,
  type RowKey,
  type SortColumn,
  type SortOrder,
} from './options.server';
import { fewMatches, type Matches, narrows, planListRead, type ReadPlan } from './plan.server';
import { countPaymentRequestsPostgres, listPaymentRequestsPostgres } from './request-list.pg.server';
import { countOffThread } from './search-pool.server';

export function selectRows(db: Db, where: SQL | undefined) {
  return db
    .select({
      id: paymentRequests.id,
      status: paymentRequests.status,
      agentId: paymentRequests.agentId,
      agentName: agents.name,
      teamId: paymentRequests.teamId,
      teamName: teams.name,
      amount: paymentRequests.amount,
      currency: paymentRequests.currency,
      channel: paymentRequests.channel,
      orderNumber: paymentRequests.orderNumber,
      customerPhone: paymentRequests.customerPhone,
      createdAt: paymentRequests.createdAt,
      sentAt: paymentRequests.sentAt,
      openedAt: paymentRequests.openedAt,
      closedAt: paymentRequests.closedAt,
      expiresAt: paymentRequests.expiresAt,
    })
    .from(paymentRequests)
    .leftJoin(agents, eq(agents.id, paymentRequests.agentId))
    .leftJoin(teams, eq(teams.id, paymentRequests.teamId))
    .where(where);
}

function selectPage(db: Db, where: SQL | undefined, order: SQL[], limit: number) {
  return selectRows(db, where)
    .orderBy(...order)
    .limit(limit)
    .all();
}

/** The rows of these ids, in this order. */
function selectInOrder(db: Db, ids: string[]): PageRow[] {
  if (ids.length === 0) return [];
  const byId = new Map(
    selectRows(db, inArray(paymentRequests.id, ids))
      .all()
      .map((row) => [row.id, row]),
  );
  return ids.map((id) => byId.get(id)).filter((row) => row !== undefined);
}

/**
 * A page read through a chosen index: the ids first (drizzle cannot write INDEXED BY), then
 * their rows by primary key.
 */
function selectPageThrough(db: Db, index: string, where: SQL | undefined, order: SQL[], limit: number) {
  const ids = db
    .all<{ id: string }>(
      sql`SELECT ${paymentRequests.id} FROM ${paymentRequests} INDEXED BY ${sql.identifier(index)}
          WHERE ${where ?? sql`1`} ORDER BY ${sql.join(order, sql`, `)} LIMIT ${limit}`,
    )
    .map((row) => row.id);
  return ids.length === 0 ? [] : selectPage(db, inArray(paymentRequests.id, ids), order, limit);
}

type PageRow = ReturnType<typeof selectPage>[number];

function rowComparator(columns: readonly RequestColumn[], direction: SortOrder) {
  const sign = direction === 'asc' ? 1 : -1;
  const fields = [...columns, ID_COLUMN].map((c) => c.field as keyof PageRow);
  return (a: PageRow, b: PageRow) => {
    for (const field of fields) {
      const order = compareValues(a[field] as KeyValue, b[field] as KeyValue);
      if (order !== 0) return sign * order;
    }
    return 0;
  };
}

function selectPlanned(
  db: Db,
  where: SQL | undefined,
  columns: readonly RequestColumn[],
  direction: SortOrder,
  plan: ReadPlan,
  limit: number,
): PageRow[] {
  const order = orderBy(columns, direction);
  const { partition, index } = plan;
  if (!partition)
    return index ? selectPageThrough(db, index, where, order, limit) : selectPage(db, where, order, limit);
  const target = paymentRequests[partition.field];
  const rows = partition.values.flatMap((value) => selectPage(db, and(eq(target, value), where), order, limit));
  return rows.sort(rowComparator(columns, direction)).slice(0, limit);
}

/**
 * Rows of a sort whose index leads with the period of sent_at (amount: db/sent-period.ts), after the
 * boundary when there is one: each period's first keys through the index (the sort's columns and
 * id; within a period a run of equal values is short and sorted by id as the index is walked),
 * merged, then the rows of the page's ids. The sort's columns are never NULL, so "after the
 * boundary" is one row-value range, and once `limit` keys are in hand a later period is read only up
 * to the worst of them (a second bound): the periods together step over about the rows one index
 * in the sort's order would.
 */
function selectByPeriod(
  db: Db,
  where: SQL | undefined,
  columns: readonly RequestColumn[],
  direction: SortOrder,
  periods: readonly (number | null)[],
  boundary: RowKey | null,
  limit: number,
): PageRow[] {
  const order = orderBy(columns, direction);
  const keyColumns = [...columns, ID_COLUMN];
  const keys = keyColumns.map(
    (c) => sql`${sql.identifier(paymentRequests[c.field].name)} AS ${sql.identifier(c.field)}`,
  );
  const tuple = sql`(${sql.join(
    keyColumns.map((c) => paymentRequests[c.field]),
    sql`, `,
  )})`;
  const beyond = (values: readonly KeyValue[], operator: '<' | '>') =>
    sql`${tuple} ${sql.raw(operator)} (${sql.join(
      values.map((value) => sql`${value}`),
      sql`, `,
    )})`;
  const after = boundary ? beyond([...boundary.values, boundary.id], direction === 'asc' ? '>' : '<') : sql`1`;
  const period = sql.raw(sentPeriodSql());
  const compare = rowComparator(columns, direction);
  let found: PageRow[] = [];
  for (const value of periods) {
    const worst = found.length >= limit ? found[limit - 1]! : null;
    const better = worst
      ? beyond(
          keyColumns.map((c) => worst[c.field as keyof PageRow] as KeyValue),
          direction === 'asc' ? '<' : '>',
        )
      : sql`1`;
    const rows = db.all<PageRow>(
      sql`SELECT ${sql.join(keys, sql`, `)} FROM ${paymentRequests} INDEXED BY ${sql.identifier(PERIOD_AMOUNT_INDEX)}
          WHERE ${value === null ? sql`${period} IS NULL` : sql`${period} = ${value}`} AND ${after} AND ${better}
            AND ${where ?? sql`1`}
          ORDER BY ${sql.join(order, sql`, `)} LIMIT ${limit}`,
    );
    found = [...found, ...rows].sort(compare).slice(0, limit);
  }
  return selectInOrder(
    db,
    found.map((row) => row.id),
  );
}

/** Up to `count` rows in `direction`, after the boundary when there is one. */
function readRows(
  db: Db,
  where: SQL | undefined,
  columns: readonly RequestColumn[],
  direction: SortOrder,
  boundary: RowKey | null,
  count: number,
  plan: ReadPlan,
): PageRow[] {
  if (plan.periods) return selectByPeriod(db, where, columns, direction, plan.periods, boundary, count);
  const segments = boundary ? segmentsAfter(columns, boundary, direction) : segmentsFromStart(columns, direction);
  const rows: PageRow[] = [];
  for (const segment of segments) {
    // The segment first: given two bounds on one column (the cursor and a range), SQLite seeks
    // the index with the first one written.
    const bounds = segment.leadingNonNull ? plan.leadingBounds : undefined;
    const segmentWhere = and(segment.where, bounds, where);
    const left = count - rows.length;
    // The NULL run (never sent, never opened) by id through its own index, in every partition at once.
    rows.push(
      ...(!segment.leadingNonNull && plan.nullRunIndex
        ? selectPageThrough(db, plan.nullRunIndex, segmentWhere, orderBy(columns, direction), left)
        : selectPlanned(db, segmentWhere, columns, direction, plan, left)),
    );
    if (rows.length >= count) break;
  }
  return rows;
}

function keyOf(columns: readonly SortColumn[], row: PageRow): RowKey {
  return { values: columns.map((c) => row[c.field as keyof PageRow] as KeyValue), id: row.id };
}

const flip = (order: SortOrder): SortOrder => (order === 'asc' ? 'desc' : 'asc');

export function toListRow(row: PageRow) {
  const status = row.status;
  return {
    id: row.id,
    status,
    statusLabel: STATUS_LABELS[status],
    agent: { id: row.agentId, name: row.agentName ?? row.agentId },
    team: { id: row.teamId, name: row.teamName ?? row.teamId },
    amount: row.amount,
    currency: row.currency,
    channel: row.channel,
    orderNumber: row.orderNumber,
    customer: { phone: maskPhone(row.customerPhone) },
    createdAt: isoOrNull(row.createdAt),
    sentAt: isoOrNull(row.sentAt),
    openedAt: isoOrNull(row.openedAt),
    closedAt: isoOrNull(row.closedAt),
    expiresAt: isoOrNull(row.expiresAt),
  };
}

export type PaymentRequestListRow = ReturnType<typeof toListRow>;

export interface PaymentRequestPage {
  rows: PaymentRequestListRow[];
  /** The page after this one, or null at the end. */
  nextCursor: string | null;
  /** The page before this one, or null at the start. */
  prevCursor: string | null;
}

type Reader = (direction: SortOrder, boundary: RowKey | null, count: number) => PageRow[];

/** Reads rows of a sort in order from a boundary: its own index for a column, the name walk for agent/team. */
function readerFor(db: Db, sort: ListSort, query: ReadQuery, matches: Matches): Reader {
  const plan = planListRead(db, query, sort, matches);
  const where = and(listCondition(query), plan.onlyIds ? inArray(paymentRequests.id, plan.onlyIds) : undefined);
  if (isNameSort(sort)) {
    const readIds = nameReader({ db, sort, where, query, plan });
    return (direction, boundary, count) => selectInOrder(db, readIds(direction, boundary, count));
  }
  const columns: readonly RequestColumn[] = LIST_SORTS[sort];
  return (direction, boundary, count) => readRows(db, where, columns, direction, boundary, count, plan);
}

/**
 * One page of the requests the viewer may see (SPEC §4–5), filtered server-side, sorted by an
 * allowlisted key with the id as tie-breaker, paged by keyset: a cursor names the boundary row,
 * so a page costs the same at any depth and rows never repeat or go missing between pages.
 */
export async function listPaymentRequests(
  db: Db,
  filters: Filters,
  viewer: Viewer,
  options: ListOptions,
): Promise<PaymentRequestPage> {
  if (onPostgres(db)) return listPaymentRequestsPostgres(db, filters, viewer, options);
  const { sort, order } = options;
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIST_LIMIT) {
    throw new ListOptionError('limit', `must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  const columns: readonly SortColumn[] = LIST_SORTS[sort];
  const cursor = options.cursor ? decodeCursor(options.cursor, sort, order) : null;
  const backwards = cursor?.direction === 'prev';
  const reading = backwards ? flip(order) : order;

  const query = compileQuery(filters, viewer);
  // The filters' matches first, when they may be few, off this thread when it can be (fewMatches).
  const matches = narrows(filters) ? await fewMatches(db, query, options.signal) : undefined;
  // One read transaction: the page and the look beyond its ends see one snapshot, so a request
  // or a rename committed meanwhile cannot make them disagree (and a cursor's name is the one
  // the page was sorted by).
  return db.$client.transaction(() => {
    const read = readerFor(db, sort, query, matches);
    const fetched = read(reading, cursor, options.limit + 1);
    const more = fetched.length > options.limit;
    const page = fetched.slice(0, options.limit);
    if (backwards) page.reverse();

    const make = (row: PageRow | undefined, direction: Cursor['direction']) =>
      row ? encodeCursor({ sort, order, direction, ...keyOf(columns, row) }) : null;
    const first = page[0];
    const last = page.at(-1);
    // The far side of the page: more rows in reading direction were counted; the near side has
    // rows when one exists beyond the page's first row going the other way.
    const hasBefore = backwards
      ? more
      : cursor !== null && first !== undefined && read(flip(order), keyOf(columns, first), 1).length > 0;
    const hasAfter = backwards ? last !== undefined && read(order, keyOf(columns, last), 1).length > 0 : more;
    return {
      rows: page.map(toListRow),
      nextCursor: hasAfter ? make(last, 'next') : null,
      prevCursor: hasBefore ? make(first, 'prev') : null,
    };
  })();
}

/** Counting stops here: past it the footer says "more than 10,000" rather than read every matching row. */
export const COUNT_CAP = 10_000;

/** How many requests the list's filters match, exactly up to COUNT_CAP (`more` past it), so a count never reads a million rows. */
export async function countPaymentRequests(
  db: Db,
  filters: Filters,
  viewer: Viewer,
  signal?: AbortSignal,
): Promise<{ count: number; more: boolean }> {
  if (onPostgres(db)) return countPaymentRequestsPostgres(db, filters, viewer);
  const capped = db
    .select({ one: sql<number>`1`.as('one') })
    .from(paymentRequests)
    .where(listCondition(compileQuery(filters, viewer)))
    .limit(COUNT_CAP + 1)
    .as('capped');
  // Up to COUNT_CAP + 1 rows, each tested against every filter (q: all the others leave): on the
  // search thread when there is one (filters matching few rows read a whole index to find them).
  const count = await countOffThread(db, db.select({ n: sql<number>`count(*)` }).from(capped), signal);
  return count > COUNT_CAP ? { count: COUNT_CAP, more: true } : { count, more: false };
}
