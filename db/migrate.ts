import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { databaseUrlFromEnv } from '../app/lib/env.server';
import { type Db, openDatabase } from './client';
import { isPostgresUrl, migratePostgres, openPostgres, redactUrl } from './pg-client';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export function migrateDatabase(db: Db, migrationsFolder = MIGRATIONS_FOLDER): void {
  migrate(db, { migrationsFolder });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const url = databaseUrlFromEnv();
  if (isPostgresUrl(url)) {
    // db/migrations-pg, from the same schema description (db/schema.pg.ts) by drizzle-kit.
    const pool = openPostgres(url, { max: 1 });
    await migratePostgres(pool);
    await pool.end();
    console.log(`Migrated ${redactUrl(url)}`);
  } else {
    const db = openDatabase(url);
    migrateDatabase(db);
    db.$client.close();
    console.log(`Migrated ${url}`);
  }
}
