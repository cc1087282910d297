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
