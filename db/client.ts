import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { databaseUrlFromEnv, sqliteCacheMbFromEnv } from '../app/lib/env.server';
import { type Checkpointer, startCheckpointer } from './checkpointer';
import { registerPackedCounts } from './packed-counts';
import { isPostgresUrl, openPostgres } from './pg-client';
import * as schema from './schema';
import * as pgSchema from './schema.pg';

/**
 * The database handle every module takes. Typed as drizzle's SQLite database: on PostgreSQL it is
 * drizzle's node-postgres database over the same tables (db/tables.ts), whose awaited queries give
 * the same rows; `$pg` is set there, and `$client` (better-sqlite3's, for the SQL still written for
 * SQLite alone) throws, naming the code path not yet ported.
 */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database; $pg?: PostgresHandle };

/** What a PostgreSQL Db carries besides drizzle: the pool, and the client of the transaction held. */
export interface PostgresHandle {
  /** The URL the pool connects to (a worker thread opens its own pool with it). */
  url: string;
  pool: pg.Pool;
  /** The transaction's client when the calling chain is inside writeTransaction, else the pool. */
  queryable(): pg.Pool | pg.PoolClient;
  /** Raw SQL ($1, $2 … placeholders) on queryable(): for what drizzle's builder does not say. */
  query<Row extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
}

export interface OpenOptions {
  /** FULL (default) fsyncs every commit: a 200 means the events survive a power cut too. */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** The page cache's bound in MB; SQLITE_CACHE_MB (default 512) when not given. */
  cacheMb?: number;
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  // Read before anything is opened: a refused SQLITE_CACHE_MB leaves no connection or folder behind.
  const cacheMb = options.cacheMb ?? sqliteCacheMbFromEnv();
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  // Bound the WAL: checkpoint every ~4 MB and truncate the file back after a checkpoint.
  sqlite.pragma('wal_autocheckpoint = 1000');
  sqlite.pragma('journal_size_limit = 67108864');
  sqlite.pragma(`cache_size = -${cacheMb * 1024}`);
  sqlite.pragma('temp_store = MEMORY');
  // The rollups' packed counts are written and summed by these functions (db/packed-counts.ts).
  registerPackedCounts(sqlite);
  return drizzle(sqlite, { schema }) as Db;
}

/**
 * A PostgreSQL Db. drizzle is given a router for a client: each query goes to the client of the
 * transaction the calling chain holds (writeTransaction), or else to the pool (any connection, in
 * autocommit), so module code runs the same inside and outside a transaction.
 */
export function openPostgresDb(url: string, options: { max?: number } = {}): Db {
  const pool = openPostgres(url, options);
  const held = new AsyncLocalStorage<pg.PoolClient>();
  const queryable = () => held.getStore() ?? pool;
  const router = { query: (...args: unknown[]) => (queryable().query as (...a: unknown[]) => unknown)(...args) };
  const db = drizzlePostgres(router as unknown as pg.Pool, { schema: pgSchema });
  const handle: PostgresHandle & { held: AsyncLocalStorage<pg.PoolClient> } = {
    url,
    pool,
    held,
    queryable,
    async query(text, values) {
      return (await queryable().query(text, values)).rows;
    },
  };
  const sqliteOnly = new Proxy(
    {},
    {
      get(_, property) {
        throw new Error(`db.$client.${String(property)} is SQLite's: this code path is not ported to PostgreSQL yet`);
      },
    },
  );
  Object.defineProperty(db, '$client', { value: sqliteOnly });
  Object.defineProperty(db, '$pg', { value: handle });
  return db as unknown as Db;
}

/** Whether db runs on PostgreSQL (then db.$pg is its handle). */
export function onPostgres(db: Db): db is Db & { $pg: PostgresHandle } {
  return db.$pg !== undefined;
}

/** Rows an awaited insert, update or delete changed: `changes` on SQLite, `rowCount` on PostgreSQL. */
export function changesOf(result: unknown): number {
  const { changes, rowCount } = result as { changes?: number; rowCount?: number | null };
  return changes ?? rowCount ?? 0;
}

/** On PostgreSQL: BEGIN on a client of the pool, fn with that client held for its call chain, COMMIT. */
async function postgresTransaction<T>(handle: PostgresHandle, fn: () => T | Promise<T>, begin = 'BEGIN'): Promise<T> {
  const { held } = handle as PostgresHandle & { held: AsyncLocalStorage<pg.PoolClient> };
  if (held.getStore()) return fn();
  const client = await handle.pool.connect();
  let broken: unknown;
  try {
    await client.query(begin);
    const result = await held.run(client, fn);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError;
    }
    throw error;
  } finally {
    // A client whose ROLLBACK failed is in an unknown state: the pool destroys it instead of reusing it.
    client.release(broken instanceof Error ? broken : undefined);
  }
}

/** The write transaction the current async call chain holds, per connection. */
const heldTransactions = new AsyncLocalStorage<Database.Database>();
/**
 * The tail of each database's queue of write transactions in this process, by file (by connection
 * for an in-memory database). By file, not by connection: a second connection's BEGIN IMMEDIATE to
 * the same file would wait for the lock synchronously (busy_timeout), blocking the very thread that
 * must finish the first transaction; queued here, it waits without blocking.
 */
const writeQueues = new Map<string | Database.Database, Promise<void>>();
/** A connection's queue: by its file (resolved), or the connection itself for an in-memory database. */
const queueKey = (client: Database.Database) => (client.memory ? client : resolve(client.name));

/**
 * Runs fn in a BEGIN IMMEDIATE transaction (writers take the lock up front instead of failing
 * mid-way) and resolves with its result once committed; rolls back and rejects when fn throws.
 * fn may be async: the connection is held for this call chain until fn settles, so a second
 * write transaction on the same connection waits its turn instead of joining this one. A call made
 * inside fn (same call chain) runs within the transaction already open.
 */
export async function writeTransaction<T>(db: Db, fn: () => T | Promise<T>): Promise<T> {
  if (db.$pg) return postgresTransaction(db.$pg, fn);
  const client = db.$client;
  if (heldTransactions.getStore() === client) return fn();
  return await holdWriteTurn(db, () =>
    heldTransactions.run(client, async () => {
      client.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await fn();
        client.prepare('COMMIT').run();
        return result;
      } catch (error) {
        if (client.inTransaction) client.prepare('ROLLBACK').run();
        throw error;
      }
    }),
  );
}

/**
 * Waits for this SQLite database's turn in the process's queue of write transactions and holds it
 * while fn runs: what writeTransaction does before its BEGIN. For a writer on another connection of
 * this process (the ingest writer thread, app/write/ingest-writer.server.ts), so that no
 * writeTransaction here waits for SQLite's lock synchronously (busy_timeout) while it writes.
 * `onWaiter` is told once, while fn holds the turn, that another writer waits for it (at once if one
 * already queued behind it): a holder that keeps the turn while idle gives it up then.
 */
export async function holdWriteTurn<T>(
  db: Db,
  fn: () => Promise<T>,
  options: { onWaiter?: () => void } = {},
): Promise<T> {
  const key = queueKey(db.$client);
  const holder = waiterListeners.get(key);
  if (holder) {
    waiterListeners.delete(key);
    holder();
  }
  const previous = writeQueues.get(key);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous ? previous.then(() => mine) : mine;
  writeQueues.set(key, tail);
  if (previous) await previous;
  const { onWaiter } = options;
  if (onWaiter) {
    if (writeQueues.get(key) !== tail) onWaiter();
    else waiterListeners.set(key, onWaiter);
  }
  try {
    return await fn();
  } finally {
    if (onWaiter && waiterListeners.get(key) === onWaiter) waiterListeners.delete(key);
    release();
    // The last in the queue leaves no entry behind.
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  }
}

/** The holder of a database's write turn that wants to hear of a writer queued behind it (holdWriteTurn). */
const waiterListeners = new Map<string | Database.Database, () => void>();

/** Whether an error is SQLite's "the database is locked" (another connection holds it past busy_timeout). */
export function isSqliteBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * Whether a write transaction holds, or waits for, this SQLite database's connection right now
 * (false on PostgreSQL, where writers do not queue on one connection).
 */
export function sqliteWriterBusy(db: Db): boolean {
  if (db.$pg) return false;
  return writeQueues.has(queueKey(db.$client));
}

/**
 * On PostgreSQL: fn in one read-only REPEATABLE READ transaction (one snapshot for every query it
 * makes through db), on a client held for its call chain. (SQLite's readers keep their synchronous
 * better-sqlite3 transactions.)
 */
export async function postgresReadTransaction<T>(
  db: Db & { $pg: PostgresHandle },
  fn: () => T | Promise<T>,
): Promise<T> {
  return postgresTransaction(db.$pg, fn, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
}

const globalForDb = globalThis as unknown as {
  __paylinkDb?: { file: string; db: Db; checkpointer: Checkpointer | null };
};

/** Opens DATABASE_URL's database: a PostgreSQL pool for a postgres:// URL, else the SQLite file. */
export function openDatabaseUrl(url: string): Db {
  return isPostgresUrl(url) ? openPostgresDb(url) : openDatabase(url);
}

/** Closes a Db's connection (SQLite) or pool (PostgreSQL). */
export async function closeDatabase(db: Db): Promise<void> {
  if (db.$pg) await db.$pg.pool.end();
  else if (db.$client.open) db.$client.close();
}

/** The process-wide connection for DATABASE_URL (kept across dev rebuilds). */
export function getDb(file = databaseUrlFromEnv()): Db {
  const current = globalForDb.__paylinkDb;
  if (current && current.file === file) return current.db;
  if (current) void closeProcessDb(current);
  const db = openDatabaseUrl(file);
  // SQLite's checkpoints run on a worker thread of this process, not in the writer's commits (db/checkpointer.ts).
  const checkpointer = onPostgres(db) || file === ':memory:' ? null : startCheckpointer(db.$client, file);
  globalForDb.__paylinkDb = { file, db, checkpointer };
  return db;
}

async function closeProcessDb({ db, checkpointer }: { db: Db; checkpointer: Checkpointer | null }): Promise<void> {
  // The writer's connection first, synchronously (SQLite): a shutdown may exit right after this call.
  const closing = closeDatabase(db);
  await checkpointer?.stop();
  await closing;
}

/** At shutdown: closes the process-wide connection (a later getDb() would open it again). */
export async function closeDb(): Promise<void> {
  const current = globalForDb.__paylinkDb;
  if (!current) return;
  globalForDb.__paylinkDb = undefined;
  await closeProcessDb(current);
}

/** The first row of a query's result, or undefined: `.get()` spelled so that it reads the same on either engine. */
export function first<T>(rows: readonly T[]): T | undefined {
  return rows[0];
}

const postgresText = new Map<string, string>();

/** `?` placeholders as PostgreSQL's $1, $2 … (the SQL written here has no `?` inside a literal). */
export function numberedPlaceholders(text: string): string {
  let numbered = postgresText.get(text);
  if (numbered === undefined) {
    let index = 0;
    numbered = text.replace(/\?/g, () => `$${++index}`);
    if (postgresText.size < 1000) postgresText.set(text, numbered);
  }
  return numbered;
}

/**
 * Raw SQL that both engines accept, with `?` placeholders: its rows. For the statements drizzle's
 * builder does not say (an upsert's conditional update, a subquery join); on PostgreSQL it runs on
 * the transaction's client when the caller holds one.
 */
export async function sqlRows<Row = Record<string, unknown>>(
  db: Db,
  text: string,
  params: readonly unknown[] = [],
): Promise<Row[]> {
  if (db.$pg) return (await db.$pg.query(numberedPlaceholders(text), [...params])) as Row[];
  return db.$client.prepare(text).all(...params) as Row[];
}

/** Raw SQL that both engines accept (see sqlRows), run for its effect: the rows it changed. */
export async function sqlRun(db: Db, text: string, params: readonly unknown[] = []): Promise<number> {
  if (db.$pg) {
    const result = await db.$pg.queryable().query(numberedPlaceholders(text), [...params]);
    return result.rowCount ?? 0;
  }
  return db.$client.prepare(text).run(...params).changes;
}
