import type { Statement } from 'better-sqlite3';
import { and, fillPlaceholders, type SQL, sql } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from '../../../db/client';
import { agents, paymentRequests, teams } from '../../../db/tables';
import { compareNames } from '../../lib/name-order';
import type { ReadQuery } from '../query-compiler.server';
import { teamAgentsSqlite } from '../team-agents.server';
import { compareValues, orderBy, segmentsAfter } from './keyset.server';
import { type KeyValue, LIST_SORTS, type NameSort, type RowKey, type SortOrder } from './options.server';
import { indexLeadingWith, type ReadPlan } from './plan.server';

/*
 * sort=agent and sort=team: requests in the order of their agent's (team's) NAME, then that agent's
 * id so two agents of one name never interleave, then sentAt (NULL lowest) and the request id.
 *
 * Names live in the small agents and teams tables and can change (an admin renames a team), so
 * they are not copied onto the millions of payment_requests rows: a rename would rewrite a million
 * rows, and no index could hold the order anyway without that copy. Instead each agent's (team's)
 * requests are one index range already in (sent_at, id) order: (agent_id, sent_at, id), (team_id,
 * sent_at, id), or (team_id, agent_id, sent_at, id) for one team and one agent. A page walks the owners
 * (agents or teams, sorted here by name) from the cursor on and reads each owner's range until the
 * page is full: an index seek per owner passed, however deep the page, and no sort of the table.
 *
 * A cursor holds the boundary row's whole key (name, owner id, sentAt, id), so the next page starts
 * right after it in the names as they are now. A row whose key has not changed is never repeated
 * or skipped; the rows of an agent renamed between two pages move to the agent's new place, as a
 * request that changes status moves under sort=status.
 *
 * Every request's agent and team exist in their tables (ingestion creates them, SPEC §2, and only
 * a seed reset deletes them, after the requests), so walking the tables finds every request.
 */

export interface Owner {
  id: string;
  name: string;
}

/** The order of agents (teams) in sort=agent|team: by name, then by id. */
export function compareOwners(a: Owner, b: Owner): number {
  return compareNames(a.name, b.name) || compareValues(a.id, b.id);
}

const OWNER = {
  agent: { table: agents, column: paymentRequests.agentId, other: paymentRequests.teamId },
  team: { table: teams, column: paymentRequests.teamId, other: paymentRequests.agentId },
} as const;

const ownerCache = new WeakMap<object, Map<NameSort, { signature: string; owners: Owner[] }>>();

/**
 * Every agent (team) in name order. The table is read on every page (a rename shows at once), as
 * one JSON text from SQLite; sorting thousands of names with the collator costs milliseconds, so
 * the order is kept per connection for as long as that text is the same.
 */
function ownersInNameOrder(db: Db, sort: NameSort): Owner[] {
  const { table } = OWNER[sort];
  const { signature } = db.get<{ signature: string }>(
    sql`SELECT json_group_array(json_array(${table.id}, ${table.name})) AS signature FROM ${table}`,
  );
  const cached = ownerCache.get(db.$client) ?? new Map();
  ownerCache.set(db.$client, cached);
  const hit = cached.get(sort);
  if (hit?.signature === signature) return hit.owners;
  const rows = JSON.parse(signature) as [id: string, name: string][];
  const owners = rows.map(([id, name]) => ({ id, name })).sort(compareOwners);
  cached.set(sort, { signature, owners });
  return owners;
}

/**
 * Which owners to walk, and for each the values of the other column to read one at a time: a
 * supervisor's teams under sort=agent (through (team_id, agent_id, sent_at, id), one range per
 * team, merged), an agent's own id under sort=team, from the values the compiled query allows. The
 * WHERE clause applies filters and scope in full; this only chooses what to read.
 */
interface Walk {
  owners: Owner[];
  /** Null: each owner's requests are one range. */
  streamsOf: ((owner: Owner) => readonly string[]) | null;
}

function walkFor(db: Db, sort: NameSort, query: ReadQuery): Walk {
  const { agent: agentIds, team: teamIds } = query.allowed;
  const [ownerIds, otherIds] = sort === 'agent' ? [agentIds, teamIds] : [teamIds, agentIds];
  const all = ownersInNameOrder(db, sort);
  const only = ownerIds ? new Set(ownerIds) : null;
  const owners = only ? all.filter((owner) => only.has(owner.id)) : all;
  if (!otherIds) return { owners, streamsOf: null };
  const teamsOf = sort === 'agent' ? teamsOfAgents(db, otherIds) : null;
  if (!teamsOf) return { owners, streamsOf: () => otherIds };
  return { owners: owners.filter((owner) => teamsOf.has(owner.id)), streamsOf: (owner) => teamsOf.get(owner.id)! };
}

/**
 * The agents with requests in these teams, and in which of them: a skip-scan of (team_id,
 * agent_id, ...) costing one seek per pair, so a supervisor's walk passes only their own agents
 * and not every agent of the organisation. Null without that index.
 */
function teamsOfAgents(db: Db, teamIds: readonly string[]): Map<string, string[]> | null {
  const pairs = teamAgentsSqlite(db, teamIds);
  if (!pairs) return null;
  const teamsOf = new Map<string, string[]>();
  for (const { team, agent } of pairs) teamsOf.set(agent, [...(teamsOf.get(agent) ?? []), team]);
  return teamsOf;
}

interface Found {
  id: string;
  sentAt: number | null;
}

const dialect = new SQLiteSyncDialect();
const SENT_AT = LIST_SORTS.sentAt;

/**
 * Reads one owner's requests (one stream's) in (sentAt, id) order, through the index that starts
 * with the owner (and the stream's column). A statement is prepared once per page and run for
 * every owner the page passes, with the owner, the stream value and the count bound.
 */
class RangeReader {
  private readonly statements = new Map<SQL | undefined, { statement: Statement; params: unknown[] }>();
  private readonly index: string | null;

  constructor(
    private readonly db: Db,
    private readonly sort: NameSort,
    private readonly streamed: boolean,
    private readonly where: SQL | undefined,
    private readonly direction: SortOrder,
  ) {
    const leading = streamed ? [paymentRequests.teamId, paymentRequests.agentId] : [OWNER[sort].column];
    this.index = indexLeadingWith(
      db,
      [...leading, paymentRequests.sentAt].map((c) => c.name),
    );
  }

  read(owner: Owner, stream: string | null, segment: SQL | undefined, limit: number): Found[] {
    let prepared = this.statements.get(segment);
    if (!prepared) {
      const query = dialect.sqlToQuery(this.query(segment));
      prepared = { statement: this.db.$client.prepare(query.sql), params: query.params };
      this.statements.set(segment, prepared);
    }
    const values = { owner: owner.id, stream, limit };
    return prepared.statement.all(...fillPlaceholders(prepared.params, values)) as Found[];
  }

  private query(segment: SQL | undefined): SQL {
    const { column, other } = OWNER[this.sort];
    const through = this.index ? sql` INDEXED BY ${sql.identifier(this.index)}` : sql``;
    // The segment (the cursor's bound on sent_at) before the range's: SQLite seeks with the first.
    const conditions = and(
      sql`${column} = ${sql.placeholder('owner')}`,
      this.streamed ? sql`${other} = ${sql.placeholder('stream')}` : undefined,
      segment,
      this.where,
    );
    return sql`SELECT ${paymentRequests.id} AS id, ${paymentRequests.sentAt} AS sentAt
      FROM ${paymentRequests}${through} WHERE ${conditions}
      ORDER BY ${sql.join(orderBy(SENT_AT, this.direction), sql`, `)} LIMIT ${sql.placeholder('limit')}`;
  }
}

function byTime(direction: SortOrder) {
  const sign = direction === 'asc' ? 1 : -1;
  return (a: Found, b: Found) => sign * (compareValues(a.sentAt, b.sentAt) || compareValues(a.id, b.id));
}

/** Index of the first owner at or after `boundary` in reading order (owners sorted that way). */
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

export interface NameRead {
  db: Db;
  sort: NameSort;
  where: SQL | undefined;
  query: ReadQuery;
  plan: ReadPlan;
}

/** Reads ids of up to `count` rows in `direction`, after the boundary when there is one. */
export type IdReader = (direction: SortOrder, boundary: RowKey | null, count: number) => string[];

/**
 * The reader of one page (the page, then the look past its ends): the walk, its statements, or
 * the few rows sorted, are made once and reused.
 */
export function nameReader(read: NameRead): IdReader {
  if (read.plan.fewRows) return fewRowsReader(read);
  let walk: Walk | null = null;
  const ranges = new Map<SortOrder, RangeReader>();
  return (direction, boundary, count) => {
    walk ??= walkFor(read.db, read.sort, read.query);
    const { streamsOf } = walk;
    let reader = ranges.get(direction);
    if (!reader) {
      reader = new RangeReader(read.db, read.sort, streamsOf !== null, read.where, direction);
      ranges.set(direction, reader);
    }
    return walkOwners(walk, reader, direction, boundary, count);
  };
}

function walkOwners(
  walk: Walk,
  ranges: RangeReader,
  direction: SortOrder,
  boundary: RowKey | null,
  count: number,
): string[] {
  const { streamsOf } = walk;
  const owners = direction === 'asc' ? walk.owners : [...walk.owners].reverse();
  const boundaryOwner = boundary ? ownerOf(boundary) : null;
  // Within the boundary's owner: the rows after it, as sentAt/id segments; after it: all.
  const within = boundary
    ? segmentsAfter(SENT_AT, { values: [boundary.values[2] ?? null], id: boundary.id }, direction)
    : [];

  const ids: string[] = [];
  for (let i = boundaryOwner ? firstFrom(owners, boundaryOwner, direction) : 0; i < owners.length; i++) {
    const owner = owners[i]!;
    const segments =
      boundaryOwner && compareOwners(owner, boundaryOwner) === 0 ? within.map((s) => s.where) : [undefined];
    for (const segment of segments) {
      const wanted = count - ids.length;
      const found = streamsOf
        ? streamsOf(owner)
            .flatMap((stream) => ranges.read(owner, stream, segment, wanted))
            .sort(byTime(direction))
            .slice(0, wanted)
        : ranges.read(owner, null, segment, wanted);
      ids.push(...found.map((row) => row.id));
      if (ids.length >= count) return ids;
    }
  }
  return ids;
}

function ownerOf(boundary: RowKey): Owner {
  return { name: boundary.values[0] as string, id: boundary.values[1] as string };
}

interface Keyed {
  owner: Owner;
  sentAt: KeyValue;
  id: string;
}

const compareKeyed = (a: Keyed, b: Keyed) =>
  compareOwners(a.owner, b.owner) || compareValues(a.sentAt, b.sentAt) || compareValues(a.id, b.id);

/**
 * Few rows (q's matches, in-flight statuses): all of them through the plan's index, sorted here
 * once per page (by the owner's place in the name order, then sentAt and id).
 */
function fewRowsReader(read: NameRead): IdReader {
  let sorted: Keyed[] | null = null;
  return (direction, boundary, count) => {
    sorted ??= readFewSorted(read);
    const rows = direction === 'asc' ? sorted : [...sorted].reverse();
    const sign = direction === 'asc' ? 1 : -1;
    const start: Keyed | null = boundary
      ? { owner: ownerOf(boundary), sentAt: boundary.values[2] ?? null, id: boundary.id }
      : null;
    let first = 0;
    if (start) {
      let high = rows.length;
      while (first < high) {
        const middle = (first + high) >> 1;
        if (sign * compareKeyed(rows[middle]!, start) <= 0) first = middle + 1;
        else high = middle;
      }
    }
    return rows.slice(first, first + count).map((row) => row.id);
  };
}

function readFewSorted({ db, sort, where, plan }: NameRead): Keyed[] {
  const owners = ownersInNameOrder(db, sort);
  const rank = new Map(owners.map((owner, index) => [owner.id, index]));
  const rows = db.all<{ id: string; owner: string; sentAt: number | null }>(
    sql`SELECT ${paymentRequests.id} AS id, ${OWNER[sort].column} AS owner, ${paymentRequests.sentAt} AS sentAt
        FROM ${paymentRequests} INDEXED BY ${sql.identifier(plan.index!)} WHERE ${where ?? sql`1`}`,
  );
  const ranked = rows.flatMap((row) => {
    const index = rank.get(row.owner);
    return index === undefined ? [] : [{ index, owner: owners[index]!, sentAt: row.sentAt, id: row.id }];
  });
  ranked.sort((a, b) => a.index - b.index || compareValues(a.sentAt, b.sentAt) || compareValues(a.id, b.id));
  return ranked;
}
