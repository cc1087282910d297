import { and, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { sentAtBounds, sentPeriodsBetween } from '../../../db/sent-period';
import { paymentRequests } from '../../../db/tables';
import { IN_FLIGHT_STATUSES, type Status } from '../../domain/lifecycle';
import type { Filters } from '../filters';
import { isRanged, listCondition, type ReadQuery } from '../query-compiler.server';
import { type ColumnSort, isNameSort, LIST_SORTS, type ListSort } from './options.server';
import { searchOnThread } from './search-pool.server';

/**
 * How to read a request-list page so that SQLite touches only the rows the page needs. Without
 * statistics SQLite's planner prefers any index that narrows the WHERE clause (a supervisor's
 * teams: 40% of the table) and then sorts everything it found, which costs seconds at a million
 * rows where walking the sort order and stopping after one page costs a millisecond.
 */
export interface ReadPlan {
  /** Read one value of an IN list at a time, each through an index (value, sort columns...), and merge. */
  partition: Partition | null;
  /**
   * sort=amount: read one 30-day period of sent_at at a time (null: the never sent) through
   * PERIOD_AMOUNT_INDEX, whose order within a period is the sort's, and merge (db/sent-period.ts).
   */
  periods: (number | null)[] | null;
  /**
   * Read through this index (INDEXED BY): it is in the sort's order, or with fewRows it finds them.
   * With nullRunIndex it may hold only the rows whose first sort column is not NULL (openedAt's).
   */
  index: string | null;
  /** Bounds the from/to range implies on the first sort column, for rows where it is not NULL. */
  leadingBounds: SQL | undefined;
  /** The requests q matches, when they are few: the page is chosen among them. */
  onlyIds: string[] | null;
  /**
   * sort=agent|team only: the filters pick few rows (q's few matches, in-flight statuses), so read
   * them all through `index` and sort them by name in memory instead of walking the agents (teams).
   */
  fewRows: boolean;
  /**
   * The rows whose first sort column is NULL (the sort's NULL run) are read through this index, by
   * id (NULL_RUN_INDEXES), whenever the read walks the sort's order.
   */
  nullRunIndex: string | null;
}

/**
 * The sorts whose NULL run has an index of its own in id order (partial indexes), read there a page
 * at a time. sentAt's never sent (migration 0025): every other sentAt index holds them as one run of
 * equal keys, which SQLite read whole and sorted by id (6,762 rows at 1M requests, ~100 ms at 10M
 * for a first page). openedAt's never opened (migration 0028): pr_opened_idx holds only the opened.
 */
const NULL_RUN_INDEXES: Partial<Record<ColumnSort, string>> = {
  sentAt: 'pr_never_sent_idx',
  openedAt: 'pr_never_opened_idx',
};

export interface Partition {
  field: 'agentId' | 'teamId' | 'status';
  values: readonly string[];
}

const MAX_PARTITIONS = 32;
/**
 * Filters matching at most `limit` requests are read through the primary key and sorted. An object,
 * so a test can set it to 0 to exercise the plans of many matches on a small database.
 */
export const FEW_MATCHES = { limit: 2000 };
/** A from/to range this short holds few enough rows to read whole and sort. */
const SHORT_RANGE_MS = 3 * 86_400_000;
/** Statuses a request holds only until its link expires (≤ 30 min): always few rows. */
const TRANSIENT_STATUSES: ReadonlySet<Status> = new Set<Status>([...IN_FLIGHT_STATUSES, 'created', 'send_failed']);

interface IndexInfo {
  name: string;
  columns: string[];
  /** A partial index's condition as its CREATE INDEX wrote it (`opened_at IS NOT NULL`), else null. */
  where: string | null;
}
const indexCache = new WeakMap<object, IndexInfo[]>();

/**
 * payment_requests' indexes, read once per connection (they change only by migration, before
 * serving), partial ones with their condition (indexLeadingWith picks one only for rows it holds).
 */
function indexesOf(db: Db): IndexInfo[] {
  let found = indexCache.get(db.$client);
  if (!found) {
    const names = db.$client
      .prepare(
        `SELECT list.name, list.partial, master.sql FROM pragma_index_list('payment_requests') AS list
         LEFT JOIN sqlite_master AS master ON master.type = 'index' AND master.name = list.name`,
      )
      .all() as { name: string; partial: number; sql: string | null }[];
    const columnsOf = db.$client.prepare<[string], { name: string }>(
      'SELECT name FROM pragma_index_info(?) ORDER BY seqno',
    );
    found = names.map(({ name, partial, sql }) => ({
      name,
      columns: columnsOf.all(name).map((c) => c.name),
      where: partial === 1 ? (/\sWHERE\s+(.+)$/is.exec(sql ?? '')?.[1] ?? '') : null,
    }));
    indexCache.set(db.$client, found);
  }
  return found;
}

function hasIndex(db: Db, name: string): boolean {
  return indexesOf(db).some((index) => index.name === name);
}

/**
 * An index whose columns start with `columns` and that holds every row. With `nonNull` (a read of
 * the rows whose first column is not NULL only), one that holds just those will do: pr_opened_idx.
 */
export function indexLeadingWith(
  db: Db,
  columns: readonly string[],
  options: { nonNull?: boolean } = {},
): string | null {
  const holds = (index: IndexInfo) =>
    index.where === null || (options.nonNull === true && index.where === `${columns[0]} IS NOT NULL`);
  const match = indexesOf(db).find(
    (index) => holds(index) && columns.every((column, position) => index.columns[position] === column),
  );
  return match?.name ?? null;
}

/**
 * An IN list of several agents, statuses or teams (as the compiled query allows them), with an index
 * that starts with that column and continues with the sort's (team_id, sent_at for sentAt): one
 * ordered index range per value.
 */
function partitionFor(db: Db, query: ReadQuery, sort: ColumnSort): Partition | null {
  const { allowed, filters } = query;
  const sortColumns = LIST_SORTS[sort].map((c) => paymentRequests[c.field].name);
  const candidates: Partition[] = [
    { field: 'agentId', values: allowed.agent ?? [] },
    { field: 'status', values: filters.status },
    { field: 'teamId', values: allowed.team ?? [] },
  ];
  // The narrowest constraint first; a single value needs no split (SQLite seeks it in order).
  for (const candidate of candidates) {
    const values = [...new Set(candidate.values)];
    const column = paymentRequests[candidate.field].name;
    if (values.length === 1 || (values.length > 0 && sortColumns[0] === column)) return null;
    if (values.length > 1 && values.length <= MAX_PARTITIONS && indexLeadingWith(db, [column, ...sortColumns])) {
      return { field: candidate.field, values };
    }
  }
  return null;
}

const onlyTransientStatuses = (filters: Filters) =>
  filters.status.length > 0 && filters.status.every((status) => TRANSIENT_STATUSES.has(status));

/**
 * Other sorts walk their own index, unless the filters pick so few rows that reading those few
 * through their own index and sorting them is cheaper: in-flight statuses, a range of a few days.
 * That index, or null when the sort's own is walked.
 */
function fewRowsIndexFor(db: Db, query: ReadQuery): string | null {
  if (onlyTransientStatuses(query.filters)) return indexLeadingWith(db, [paymentRequests.status.name]);
  const { start, end } = query;
  if (start !== null && end !== null && end - start <= SHORT_RANGE_MS) {
    return indexLeadingWith(db, [paymentRequests.sentAt.name]);
  }
  return null;
}

/**
 * The index of the sort's NULL run (NULL_RUN_INDEXES). A range is of sent_at: it leaves no never
 * sent, but it does leave never opened, which pr_opened_idx does not hold: they are read by id
 * with a range too, testing it, as they were in (opened_at, id).
 */
function nullRunIndexFor(db: Db, query: ReadQuery, sort: ColumnSort): string | null {
  const index = NULL_RUN_INDEXES[sort];
  if (index === undefined || !hasIndex(db, index)) return null;
  return sort === 'sentAt' && isRanged(query) ? null : index;
}

/**
 * A request's openedAt, closedAt and expiresAt come at or after its sentAt (SPEC §1: opened only
 * from sent; terminal after it; the link expires a TTL after a send or an open), and within the
 * link's lifetime of at most 2 × 30 minutes after it; a day is a wide margin. Reading those sorts
 * from the range's edge, not from the ends of the whole table, keeps a range far in the past cheap.
 */
const FOLLOWS_SENT_AT = new Set(['openedAt', 'closedAt', 'expiresAt']);
const MARGIN_AFTER_RANGE_MS = 86_400_000;

function leadingBoundsFor(query: ReadQuery, sort: ColumnSort): SQL | undefined {
  const first = LIST_SORTS[sort][0]!;
  if (!FOLLOWS_SENT_AT.has(first.field)) return undefined;
  const { start, end } = query;
  const target = paymentRequests[first.field];
  return and(
    start !== null ? gte(target, start) : undefined,
    end !== null ? lt(target, end + MARGIN_AFTER_RANGE_MS) : undefined,
  );
}

/**
 * The ids the list's conditions match, or null when there are more than FEW_MATCHES (a short q
 * such as 'SO-1', a common status). No index serves q's substring, and other filters may leave few
 * rows scattered along any index: this scans what SQLite picks, stopping at the (limit + 1)th
 * match, on the search thread when there is one (search-pool.server.ts). The page is then read
 * from these ids with every condition applied again.
 */
export async function fewMatches(db: Db, query: ReadQuery, signal?: AbortSignal): Promise<string[] | null> {
  const statement = db
    .select({ id: paymentRequests.id })
    .from(paymentRequests)
    .where(listCondition(query))
    .limit(FEW_MATCHES.limit + 1);
  const onThread = await searchOnThread(db, statement.toSQL(), signal);
  const ids = onThread ? onThread.map((row) => row[0] as string) : statement.all().map((row) => row.id);
  return ids.length > FEW_MATCHES.limit ? null : ids;
}

/** What planListRead is given: fewMatches' answer, or undefined when it was not asked (narrows is false). */
export type Matches = string[] | null | undefined;

/**
 * Whether a list read asks fewMatches first: q (no index serves it), or a filter of its own (team,
 * agent, channel, currency, status), which may leave few rows scattered along the sort's index: a
 * walk of it would read the whole index to fill a page (sort=closedAt, channel=sms, currency=KWD,
 * status=canceled: 263 ms at 1M requests, 4.7 s at 10M). The viewer's scope alone does not.
 */
export function narrows(filters: Filters): boolean {
  return (
    Boolean(filters.q) ||
    [filters.team, filters.agent, filters.channel, filters.currency, filters.status].some((values) => values.length > 0)
  );
}

/**
 * sort=agent|team walk the agents (teams) in name order, each one's requests through its own index
 * (request-list-by-name.server.ts), unless the filters pick so few rows that reading them all and
 * sorting them is cheaper than passing every agent whose requests hold none of them.
 */
function planNameRead(db: Db, query: ReadQuery, matches: Matches): ReadPlan {
  const none = { partition: null, periods: null, leadingBounds: undefined };
  const onlyIds = matches ?? null;
  const few = onlyIds
    ? indexLeadingWith(db, [paymentRequests.id.name])
    : onlyTransientStatuses(query.filters)
      ? indexLeadingWith(db, [paymentRequests.status.name])
      : null;
  return { ...none, index: few, onlyIds, fewRows: few !== null, nullRunIndex: null };
}

/** The plan of a list read; `matches`: fewMatches(db, query) when narrows(filters) (found before the read). */
export function planListRead(db: Db, query: ReadQuery, sort: ListSort, matches: Matches): ReadPlan {
  if (narrows(query.filters) && matches === undefined) throw new Error('planListRead: needs fewMatches first');
  if (isNameSort(sort)) return planNameRead(db, query, matches);
  const { filters } = query;
  const leadingBounds = leadingBoundsFor(query, sort);
  const sortColumns = LIST_SORTS[sort].map((c) => paymentRequests[c.field].name);
  if (matches) {
    // Few: look them up by id and sort them.
    const index = indexLeadingWith(db, [paymentRequests.id.name]);
    return {
      partition: null,
      periods: null,
      index,
      leadingBounds,
      onlyIds: matches,
      fewRows: false,
      nullRunIndex: null,
    };
  }
  // Wherever the read walks the sort's order, its NULL run is read apart: the sort's own index then
  // needs to hold only the rest.
  const walk = { partition: null, periods: null, leadingBounds, onlyIds: null, fewRows: false };
  const nullRunIndex = nullRunIndexFor(db, query, sort);
  const ownIndex = indexLeadingWith(db, sortColumns, { nonNull: nullRunIndex !== null });
  if (filters.q) {
    // Many matches of q: walk the sort's index and test each.
    const periods = sort === 'amount' ? periodsOf(db, query) : null;
    return { ...walk, periods, index: ownIndex, nullRunIndex };
  }
  const partition = partitionFor(db, query, sort);
  if (partition) return { ...walk, partition, index: null, nullRunIndex };
  // sentAt has its own indexes alongside every scope (sent_at, team_id+sent_at, agent_id+sent_at).
  if (sort === 'sentAt') return { ...walk, index: null, nullRunIndex };
  // Few rows are read whole through their index, the NULL run among them, and sorted.
  const few = fewRowsIndexFor(db, query);
  if (few) return { ...walk, index: few, nullRunIndex: null };
  // Amount's index leads with the period (no index leads with currency): walk it period by period.
  const periods = sort === 'amount' && ownIndex === null ? periodsOf(db, query) : null;
  return { ...walk, periods, index: ownIndex, nullRunIndex };
}

/** The request list's periods of sent_at: its range's, or with no range every one and the never sent. */
function periodsOf(db: Db, query: ReadQuery): (number | null)[] {
  const { start, end } = query;
  const periods: (number | null)[] = sentPeriodsBetween(
    start ?? Number.NEGATIVE_INFINITY,
    end ?? Number.POSITIVE_INFINITY,
    sentAtBounds(db.$client),
  );
  if (!isRanged(query)) periods.push(null);
  return periods;
}
