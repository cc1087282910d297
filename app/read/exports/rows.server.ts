import Database from 'better-sqlite3';
import { and, count, countDistinct, gte, is, lt, Placeholder, type SQL, sql } from 'drizzle-orm';
import { type Db, onPostgres } from '../../../db/client';
import { agents, paymentRequests, teams } from '../../../db/tables';
import type { Viewer } from '../../domain/access';
import type { Status } from '../../domain/lifecycle';
import type { Filters } from '../filters';
import { compileQuery, requestCondition } from '../query-compiler.server';
import { countOffThread } from '../request-list/search-pool.server';

/**
 * One request of S as the export reads it (SPEC §4 columns, before formatting), positional: at a
 * million rows, an object per row costs more garbage collection than the CSV line itself.
 */
export type ExportRequestRow = [
  id: string,
  orderNumber: string,
  agentId: string,
  teamId: string,
  channel: string,
  currency: string,
  amount: number,
  status: Status,
  createdAt: number,
  sentAt: number,
  openedAt: number | null,
  closedAt: number | null,
  paidAt: number | null,
  reason: string,
  customerPhone: string,
];

// The payment-requests export is a request list of S: status and q filter it too (SPEC §3).
const conditionsFor = (filters: Filters, viewer: Viewer) =>
  requestCondition(compileQuery(filters, viewer), { range: 'sentAt', list: true });

/**
 * How many rows the payment-requests export of these filters has. The /reports page's counts read
 * every request of the range (a year at 10M requests: 0.5 s here, 5.6 s for the distinct agents):
 * countOffThread runs them on the search thread.
 */
export async function countExportRequests(db: Db, filters: Filters, viewer: Viewer): Promise<number> {
  const statement = db.select({ n: count() }).from(paymentRequests).where(conditionsFor(filters, viewer));
  return await countOffThread(db, statement);
}

/** How many agents have at least one request in S (the rows of the agents export). */
export async function countExportAgents(db: Db, filters: Filters, viewer: Viewer): Promise<number> {
  // countDistinct maps the count to a number: PostgreSQL's count is an int8, read by drizzle as text.
  const statement = db
    .select({ n: countDistinct(paymentRequests.agentId) })
    .from(paymentRequests)
    .where(requestCondition(compileQuery(filters, viewer), { range: 'sentAt', list: false }));
  return await countOffThread(db, statement);
}

/** Agent and team names by id. */
export interface ExportNames {
  agents: Map<string, string>;
  teams: Map<string, string>;
}

/** exportNames on either engine (the sync form is for SQLite connections: the export workers'). */
export async function readExportNames(db: Db): Promise<ExportNames> {
  if (!onPostgres(db)) return exportNames(db);
  const [agentRows, teamRows] = await Promise.all([
    db.select({ id: agents.id, name: agents.name }).from(agents),
    db.select({ id: teams.id, name: teams.name }).from(teams),
  ]);
  return {
    agents: new Map(agentRows.map((row) => [row.id, row.name])),
    teams: new Map(teamRows.map((row) => [row.id, row.name])),
  };
}

/** Agent and team names by id: small tables, read once per export instead of joined per row. */
export function exportNames(db: Db): ExportNames {
  return {
    agents: new Map(
      db
        .select({ id: agents.id, name: agents.name })
        .from(agents)
        .all()
        .map((row) => [row.id, row.name]),
    ),
    teams: new Map(
      db
        .select({ id: teams.id, name: teams.name })
        .from(teams)
        .all()
        .map((row) => [row.id, row.name]),
    ),
  };
}

/**
 * A connection of the export's own: its iterator stays open while the export waits for its reader,
 * which would block every other query on the shared connection; and its read transaction gives
 * the whole file one consistent snapshot however long the download takes.
 */
function openExportReader(db: Db): Database.Database {
  const file = db.$client.name;
  if (file === ':memory:' || db.$client.memory) return db.$client;
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  reader.pragma('cache_size = -16384');
  return reader;
}

/** The columns of ExportRequestRow, in its order; sentAt order, ties by id (the pr_sent_idx index). */
function selectExportRows(db: Db, where: SQL | undefined) {
  return db
    .select({
      id: paymentRequests.id,
      orderNumber: paymentRequests.orderNumber,
      agentId: paymentRequests.agentId,
      teamId: paymentRequests.teamId,
      channel: paymentRequests.channel,
      currency: paymentRequests.currency,
      amount: paymentRequests.amount,
      status: paymentRequests.status,
      createdAt: paymentRequests.createdAt,
      sentAt: paymentRequests.sentAt,
      openedAt: paymentRequests.openedAt,
      closedAt: paymentRequests.closedAt,
      paidAt: paymentRequests.paidAt,
      reason: paymentRequests.reason,
      customerPhone: paymentRequests.customerPhone,
    })
    .from(paymentRequests)
    .where(where)
    .orderBy(paymentRequests.sentAt, paymentRequests.id);
}

/** A bound value of a query, or a slot the runner fills: the sentAt bounds of one slice. */
export type SliceParam = unknown | { slot: 'lo' | 'hi' };

/** The export's query for the rows of S with lo <= sentAt < hi, as SQL text and its parameters. */
export interface ExportSliceQuery {
  sql: string;
  params: SliceParam[];
  /** S's own sentAt range (epoch ms, end exclusive), null where open. */
  start: number | null;
  end: number | null;
}

/**
 * The export's query cut into slices of sentAt, for workers that each read alternate slices on
 * their own connection (app/read/exports/workers.server.ts): the same columns and order as
 * exportRequestRows, so the slices joined in order are its rows.
 */
export function exportRequestSliceQuery(db: Db, filters: Filters, viewer: Viewer): ExportSliceQuery {
  const compiled = compileQuery(filters, viewer);
  const where = and(
    requestCondition(compiled, { range: 'sentAt', list: true }),
    gte(paymentRequests.sentAt, sql.placeholder('lo')),
    lt(paymentRequests.sentAt, sql.placeholder('hi')),
  );
  const query = selectExportRows(db, where).toSQL();
  const { start, end } = compiled;
  return {
    sql: query.sql,
    params: query.params.map((param) => (is(param, Placeholder) ? { slot: param.name as 'lo' | 'hi' } : param)),
    start,
    end,
  };
}

/** The export's query for every row of S (exportRequestRows'), as SQL text and its parameters, for a worker to run. */
export function exportRequestQuery(db: Db, filters: Filters, viewer: Viewer): { sql: string; params: unknown[] } {
  const query = selectExportRows(db, conditionsFor(filters, viewer)).toSQL();
  return { sql: query.sql, params: query.params };
}

/**
 * The requests of S in sentAt order, one at a time from one streaming query: nothing is read
 * before the export asks for it, and a million rows are never held at once. Rows are handed out
 * singly, not in arrays, so that little is alive when the young generation is collected: what is,
 * gets promoted, and old-space garbage is what grows the server's memory during a long export.
 */
export function* exportRequestRows(
  db: Db,
  filters: Filters,
  viewer: Viewer,
): Generator<ExportRequestRow, void, undefined> {
  const query = selectExportRows(db, conditionsFor(filters, viewer)).toSQL();
  const reader = openExportReader(db);
  try {
    // raw(): arrays in the order of the select above.
    const rows = reader
      .prepare(query.sql)
      .raw()
      .iterate(...query.params) as IterableIterator<ExportRequestRow>;
    yield* rows;
  } finally {
    if (reader !== db.$client) reader.close();
  }
}

/** Rows fetched from the PostgreSQL cursor per round trip. */
const FETCH_ROWS = 2000;

/**
 * exportRequestRows on PostgreSQL: a server-side cursor on a client of its own, in a read-only
 * REPEATABLE READ transaction (one consistent snapshot however long the download takes), fetched
 * FETCH_ROWS at a time as the export asks for rows, so memory stays bounded. Closing the generator
 * early (the reader went away) rolls back and gives the client back.
 */
export async function* exportRequestRowsPostgres(
  db: Db,
  filters: Filters,
  viewer: Viewer,
): AsyncGenerator<ExportRequestRow, void, undefined> {
  if (!onPostgres(db)) throw new Error('exportRequestRowsPostgres needs a PostgreSQL Db');
  const query = selectExportRows(db, conditionsFor(filters, viewer)).toSQL();
  const client = await db.$pg.pool.connect();
  let finished = false;
  let broken: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`DECLARE export_rows NO SCROLL CURSOR FOR ${query.sql}`, query.params);
    for (;;) {
      const { rows } = await client.query<ExportRequestRow>({
        text: `FETCH ${FETCH_ROWS} FROM export_rows`,
        rowMode: 'array',
      });
      if (rows.length === 0) break;
      yield* rows;
    }
    await client.query('COMMIT');
    finished = true;
  } finally {
    if (!finished) {
      try {
        await client.query('ROLLBACK');
      } catch (error) {
        broken = error as Error;
      }
    }
    client.release(broken);
  }
}
