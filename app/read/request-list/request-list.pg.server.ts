import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type Db, type PostgresHandle, postgresReadTransaction } from '../../../db/client';
import { agents, paymentRequests, teams } from '../../../db/tables';
import type { Viewer } from '../../domain/access';
import { CHANNELS, STATUSES } from '../../domain/lifecycle';
import type { Filters } from '../filters';
import { compileQuery, listCondition, type ReadQuery } from '../query-compiler.server';
import { compareOwners } from './by-name.server';
import { compareValues, orderBy, segmentsAfter, segmentsFromStart } from './keyset.server';
import {
  type ColumnSort,
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
 * there is no index steering (INDEXED BY): each keyset segment is one ordered query that an index
 * returns in order, without a sort. NULLs sort lowest as on SQLite because no read mixes NULL and
 * set values of a column it orders by (see Group); text compares by code point when the database's
 * collation is C or C.UTF-8 (docs/postgres.md). The name sorts walk the agents (teams) in name
 * order, status and channel their values, each one's requests in (sentAt, id) order. One page, and
 * the look past its ends, read one REPEATABLE READ snapshot.
 */

type PostgresDb = Db & { $pg: PostgresHandle };
type PageRow = Awaited<ReturnType<typeof selectRows>>[number];

/** Up to `count` rows in `direction` after the boundary, segment by segment (keyset.server.ts). */
async function readSegments(
  db: PostgresDb,
  segments: readonly (SQL | undefined)[],
  where: SQL | undefined,
  columns: readonly RequestColumn[],
  direction: SortOrder,
  count: number,
): Promise<PageRow[]> {
  const rows: PageRow[] = [];
  for (const segment of segments) {
    const found = await selectRows(db, and(segment, where))
      .orderBy(...orderBy(columns, direction))
      .limit(count - rows.length);
    rows.push(...found);
    if (rows.length >= count) break;
  }
  return rows;
}

/**
 * A sort by columns of payment_requests alone whose reads an index returns in order: each segment's
 * first column is all NULL or all set (keyset.server.ts), the others are never NULL.
 */
function readColumnSort(
  db: PostgresDb,
  where: SQL | undefined,
  columns: readonly RequestColumn[],
  direction: SortOrder,
  boundary: RowKey | null,
  count: number,
): Promise<PageRow[]> {
  const segments = boundary ? segmentsAfter(columns, boundary, direction) : segmentsFromStart(columns, direction);
  const wheres = segments.map((s) => s.where);
  return readSegments(db, wheres, where, columns, direction, count);
}

/**
 * The sorts that go on with sentAt after their leading key (status, channel, agent, team) read one
 * value of that key at a time, its NULL sentAts and its others apart: then every read is one index
 * range already in order ((status, sent_at, id), (agent_id, sent_at, id)...), with PostgreSQL's own
 * NULL placement, which never shows within a read. (Ordering by sent_at NULLS FIRST instead would
 * match no index: each page would sort every row of its scope.)
 */
interface Group {
  /** The sort's values before sentAt: [status], or [name, owner id]. */
  key: KeyValue[];
  where: SQL;
}

type CompareKeys = (a: KeyValue[], b: KeyValue[]) => number;

/** Index of the first group at or after `key` in reading order. */
function firstFrom(groups: readonly Group[], key: KeyValue[], compare: CompareKeys, direction: SortOrder): number {
  const sign = direction === 'asc' ? 1 : -1;
  let low = 0;
  let high = groups.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sign * compare(groups[middle]!.key, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

const SENT_AT = LIST_SORTS.sentAt;

/** Up to `count` rows after the boundary, group by group (`groups` ascending), each in (sentAt, id) order. */
async function readGroups(
  db: PostgresDb,
  groups: readonly Group[],
  compare: CompareKeys,
  where: SQL | undefined,
  direction: SortOrder,
  boundary: RowKey | null,
  count: number,
): Promise<PageRow[]> {
  const ordered = direction === 'asc' ? groups : [...groups].reverse();
  const width = groups[0]?.key.length ?? 0;
  const boundaryKey = boundary ? boundary.values.slice(0, width) : null;
  const whole = segmentsFromStart(SENT_AT, direction).map((s) => s.where);
  const rest = boundary
    ? segmentsAfter(SENT_AT, { values: [boundary.values[width] ?? null], id: boundary.id }, direction).map(
        (s) => s.where,
      )
    : [];
  const rows: PageRow[] = [];
  for (let i = boundaryKey ? firstFrom(ordered, boundaryKey, compare, direction) : 0; i < ordered.length; i++) {
    const group = ordered[i]!;
    const segments = boundaryKey && compare(group.key, boundaryKey) === 0 ? rest : whole;
    const found = await readSegments(db, segments, and(group.where, where), SENT_AT, direction, count - rows.length);
    rows.push(...found);
    if (rows.length >= count) break;
  }
  return rows;
}

/** The values of status and channel in SQLite's (byte) order: the domain's whole lists. */
const WALKED_VALUES = {
  status: { column: paymentRequests.status, values: [...STATUSES].sort(compareValues) },
  channel: { column: paymentRequests.channel, values: [...CHANNELS].sort(compareValues) },
} as const;
type WalkedSort = keyof typeof WALKED_VALUES;
const isWalked = (sort: ListSort): sort is WalkedSort => sort in WALKED_VALUES;

/** The values to walk: those the status (channel) filter allows, not an empty read for each other. */
function valueGroups(sort: WalkedSort, query: ReadQuery): Group[] {
  const { column, values } = WALKED_VALUES[sort];
  const only: readonly string[] | null =
    sort === 'status' ? (query.filters.status.length > 0 ? query.filters.status : null) : query.allowed.channel;
  return values
    .filter((value) => !only || only.includes(value))
    .map((value) => ({ key: [value], where: eq(column, value) }));
}

const compareFirst: CompareKeys = (a, b) => compareValues(a[0]!, b[0]!);

const OWNER = {
  agent: { table: agents, column: paymentRequests.agentId },
  team: { table: teams, column: paymentRequests.teamId },
} as const;

/**
 * The agents with requests in these teams: a skip-scan of (team_id, agent_id, ...), one seek per
 * pair, so a supervisor's sort=agent walks their own agents and not every agent of the organisation
 * (an empty read each). The order of the walk is compareOwners', not this one's.
 */
async function agentsWithRequestsIn(db: PostgresDb, teamIds: readonly string[]): Promise<Set<string>> {
  const rows = (await db.$pg.query(
    `WITH RECURSIVE pairs(team, agent) AS (
       SELECT t.team, (SELECT min(agent_id) FROM payment_requests WHERE team_id = t.team)
       FROM unnest($1::text[]) AS t(team)
       UNION ALL
       SELECT team, (SELECT min(agent_id) FROM payment_requests WHERE team_id = pairs.team AND agent_id > pairs.agent)
       FROM pairs WHERE agent IS NOT NULL
     )
     SELECT DISTINCT agent FROM pairs WHERE agent IS NOT NULL`,
    [teamIds],
  )) as { agent: string }[];
  return new Set(rows.map((row) => row.agent));
}

/** The agents (teams) the scope allows, in name order (then id), as the SQLite walk orders them. */
async function ownerGroups(db: PostgresDb, sort: NameSort, query: ReadQuery): Promise<Group[]> {
  const { table, column } = OWNER[sort];
  const allowed = sort === 'agent' ? query.allowed.agent : query.allowed.team;
  const rows = await db
    .select({ id: table.id, name: table.name })
    .from(table)
    .where(allowed ? inArray(table.id, allowed.length > 0 ? [...allowed] : ['']) : undefined);
  const teamIds = sort === 'agent' && !allowed ? query.allowed.team : null;
  const only = teamIds ? await agentsWithRequestsIn(db, teamIds) : null;
  return rows
    .filter((owner) => !only || only.has(owner.id))
    .sort(compareOwners)
    .map((owner) => ({ key: [owner.name, owner.id], where: eq(column, owner.id) }));
}

const compareOwnerKeys: CompareKeys = (a, b) =>
  compareOwners({ name: a[0] as string, id: a[1] as string }, { name: b[0] as string, id: b[1] as string });

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
    const groups = isNameSort(sort)
      ? await ownerGroups(db, sort, query)
      : isWalked(sort)
        ? valueGroups(sort, query)
        : null;
    const compare = isNameSort(sort) ? compareOwnerKeys : compareFirst;
    const read = (direction: SortOrder, boundary: RowKey | null, count: number) =>
      groups
        ? readGroups(db, groups, compare, where, direction, boundary, count)
        : readColumnSort(db, where, LIST_SORTS[sort as ColumnSort], direction, boundary, count);
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
