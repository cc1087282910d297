import { type Db, onPostgres, sqlRows } from './client';
import sqliteJournal from './migrations/meta/_journal.json';
import postgresJournal from './migrations-pg/meta/_journal.json';

/**
 * The migrations a database has not applied yet, by tag (oldest first), read as drizzle's migrator
 * reads them: each journal entry newer than the last `created_at` recorded in its table (no table:
 * none applied). The server checks this before it listens (`npm start` migrates first; a bare
 * `node build/server.js` on a new or older database would otherwise answer /healthz and fail every
 * request that reads a missing table).
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const postgres = onPostgres(db);
  const table = postgres ? 'drizzle.__drizzle_migrations' : '__drizzle_migrations';
  const [exists] = await sqlRows<{ present: number | boolean | null }>(
    db,
    postgres
      ? "SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present"
      : "SELECT count(*) AS present FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'",
  );
  let last = 0;
  if (exists?.present) {
    const [row] = await sqlRows<{ last: number | string | null }>(db, `SELECT max(created_at) AS last FROM ${table}`);
    last = Number(row?.last ?? 0);
  }
  const journal = postgres ? postgresJournal : sqliteJournal;
  return journal.entries.filter((entry) => entry.when > last).map((entry) => entry.tag);
}
