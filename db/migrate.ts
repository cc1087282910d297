import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { databaseUrlFromEnv } from '../app/lib/env.server';
import { type Db, openDatabase } from './client';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export function migrateDatabase(db: Db, migrationsFolder = MIGRATIONS_FOLDER): void {
  migrate(db, { migrationsFolder });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = databaseUrlFromEnv();
  const db = openDatabase(file);
  migrateDatabase(db);
  db.$client.close();
  console.log(`Migrated ${file}`);
}
