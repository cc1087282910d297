import { type Db, onPostgres, sqlRun } from '../../db/client';

/**
 * Within a write transaction, before it reads the request to decide: waits for any other
 * transaction deciding on the same request (PostgreSQL runs them side by side; the lock is the one
 * the ingest takes per request, app/write/ingest.pg.server.ts, so the events written next take it
 * again at no cost). On SQLite the write transaction alone already runs one at a time.
 */
export async function lockRequestForDecision(db: Db, requestId: string): Promise<void> {
  if (onPostgres(db)) await sqlRun(db, `SELECT pg_advisory_xact_lock(${requestLockKey('?')})`, [requestId]);
}

/** The advisory lock key of a request id (an SQL expression of `idSql`): the ingest and the deciders must agree. */
export const requestLockKey = (idSql: string) => `hashtextextended(${idSql}, 0)`;

/**
 * Within a write transaction: waits for any other transaction holding the same `key` (PostgreSQL's
 * advisory lock, released at its end), so a read-then-write on what the key names (a count before an
 * insert, a first-in-window mark) is not raced by another instance. On SQLite the write transaction
 * alone already runs one at a time.
 */
export async function lockKeyForTransaction(db: Db, key: string): Promise<void> {
  if (onPostgres(db)) await sqlRun(db, 'SELECT pg_advisory_xact_lock(hashtext(?))', [key]);
}
