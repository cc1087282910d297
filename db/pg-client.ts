import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

/**
 * PostgreSQL connections (issue 13). Timestamps and money are `bigint` there (db/schema.pg.ts, mode
 * 'number'): drizzle maps them, but raw queries get int8 as strings, so every connection made here
 * parses int8 to a number and refuses one beyond 2^53 rather than round it.
 */

const INT8_OID = 20;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function parseInt8(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`int8 ${value} is not a safe integer`);
  return number;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * How long a query waits for a client of the pool, or for a new connection to be made, before it
 * fails (isDatabaseBusyError). pg waits without limit by default: with all 10 clients held (export
 * cursors, a scheduled run, slow statements), every page, API call and event batch queued without an
 * answer. After this it is answered 503 with Retry-After (server.ts, the event API), which a page
 * retries by itself and a sender of events retries as SPEC §2 asks. Five seconds: far above a write
 * transaction's or a request's own queries (milliseconds), below what a person or a client waits.
 */
export const POOL_ACQUIRE_TIMEOUT_MS = 5_000;

/** A pool whose clients read int8 as numbers, and whose callers wait at most `acquireTimeoutMs` for one. */
export function openPostgres(url: string, options: { max?: number; acquireTimeoutMs?: number } = {}): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    types,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.acquireTimeoutMs ?? POOL_ACQUIRE_TIMEOUT_MS,
  });
}

/**
 * One client (for LISTEN, or a test), with the same int8 parsing. Connected, or failed within
 * POOL_ACQUIRE_TIMEOUT_MS: a LISTEN connection that never came left every live stream joining it waiting.
 */
export async function connectPostgres(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: POOL_ACQUIRE_TIMEOUT_MS });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}

/**
 * Whether an error is pg's "no client in time": every client of the pool held past
 * POOL_ACQUIRE_TIMEOUT_MS, or a new connection not made in that time. Nothing of the statement ran.
 * (pg gives these as plain Errors: their messages, pinned by tests/reliability/pool-exhaustion.test.ts.)
 */
export function isDatabaseBusyError(error: unknown): boolean {
  // drizzle wraps a query's error (DrizzleQueryError, "Failed query: …") with pg's as its cause.
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) {
    if (
      at.message === 'timeout exceeded when trying to connect' ||
      at.message === 'Connection terminated due to connection timeout'
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Refuses a database whose default collation does not order text by code point, as SQLite's BINARY
 * does: the request list's cursors, ties by id and order-number sort compare text in SQL and must
 * order it as on SQLite (and as the cursors a client holds were made). libc's C, POSIX and C.UTF-8
 * do, and PostgreSQL 17's builtin provider; en_US.UTF-8 or any ICU locale (case and punctuation
 * weighed apart from letters) do not.
 */
export async function assertCodePointCollation(client: pg.Pool | pg.Client): Promise<void> {
  // datlocprovider exists from PostgreSQL 15 on (before it, always libc): read through jsonb to allow both.
  const { rows } = await client.query<{ name: string; provider: string | null; collate: string }>(
    `SELECT datname AS name, to_jsonb(d) ->> 'datlocprovider' AS provider, datcollate AS collate
     FROM pg_database d WHERE datname = current_database()`,
  );
  const { name, provider, collate } = rows[0]!;
  if (provider === 'b') return;
  if ((provider ?? 'c') === 'c' && /^(C|POSIX)(\.UTF-?8)?$/i.test(collate)) return;
  throw new Error(
    `PostgreSQL database ${name} orders text by ${provider === 'i' ? 'an ICU locale' : collate}, not by code point as SQLite does: ` +
      `create it with CREATE DATABASE ${name} TEMPLATE template0 LOCALE 'C.UTF-8' (docs/postgres.md)`,
  );
}

/** The session-level advisory lock (the two-key space: no request or sign-in lock shares it) that migrations hold. */
const MIGRATION_LOCK = "hashtext('paylink'), hashtext('migrations')";

/**
 * Applies db/migrations-pg (drizzle-kit's, from db/schema.pg.ts) to a code-point-ordered database; safe to repeat.
 * One process at a time: drizzle reads the last migration applied, then applies the ones after it, so two
 * instances started at once (`npm start` on each) both applied the same migrations and one failed at start
 * ("duplicate key value violates unique constraint pg_type_typname_nsp_index"). The one that waited finds
 * them applied.
 */
export async function migratePostgres(pool: pg.Pool | pg.Client): Promise<void> {
  await assertCodePointCollation(pool);
  // One connection for the lock and the migration: a pool of one would otherwise wait for itself.
  const client = pool instanceof pg.Pool ? await pool.connect() : pool;
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      // Resolved here, not at load: the export workers' CommonJS bundles include this module unused.
      await migrate(drizzle(client), { migrationsFolder: fileURLToPath(new URL('./migrations-pg', import.meta.url)) });
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } finally {
    if (client !== pool) (client as pg.PoolClient).release();
  }
}

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
