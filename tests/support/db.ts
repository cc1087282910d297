import { randomUUID } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeDb, type Db, getDb, onPostgres, openDatabase, openPostgresDb, sqlRows } from '../../db/client';
import { connectPostgres } from '../../db/pg-client';
import { ON_POSTGRES } from '../../db/tables';
import { BASE_DB, TEST_TMP } from './paths';
import { POSTGRES_TEMPLATE, postgresServerUrl, TEST_DATABASE_PREFIX } from './postgres';

/**
 * A fresh migrated database for one test, on the engine this vitest project runs on: a copy of the
 * base SQLite file, or on PostgreSQL (DATABASE_URL postgres://, the `postgres` project) a database
 * created from the migrated template. `file` is the file path or the database URL.
 */
export async function createTestDb(): Promise<{ db: Db; file: string }> {
  if (ON_POSTGRES) return createPostgresTestDb();
  const file = join(TEST_TMP, `${randomUUID()}.db`);
  copyFileSync(BASE_DB, file);
  return { db: openDatabase(file), file };
}

async function createPostgresTestDb(): Promise<{ db: Db; file: string }> {
  const name = `${TEST_DATABASE_PREFIX}${randomUUID().replaceAll('-', '')}`;
  const admin = await connectPostgres(postgresServerUrl('postgres'));
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${POSTGRES_TEMPLATE}"`);
  } finally {
    await admin.end();
  }
  const file = postgresServerUrl(name);
  return { db: openPostgresDb(file, { max: 4 }), file };
}

/**
 * Raw SQL for a test's own checks, on either engine: `?` placeholders (rewritten to $1, $2 … on
 * PostgreSQL), rows as plain objects.
 */
export async function queryRows<Row = Record<string, unknown>>(
  db: Db,
  text: string,
  ...params: unknown[]
): Promise<Row[]> {
  return await sqlRows<Row>(db, text, params);
}

/** The first row of queryRows, or undefined. */
export async function queryRow<Row = Record<string, unknown>>(
  db: Db,
  text: string,
  ...params: unknown[]
): Promise<Row | undefined> {
  return (await queryRows<Row>(db, text, ...params))[0];
}

/**
 * Empties a PostgreSQL test database back to what createTestDb gives (every table of the template is
 * empty): for tests that need a fresh database per property run, where CREATE DATABASE costs most
 * of a run. Sequences restart too, so event seq numbers start over.
 */
export async function emptyPostgresTestDb(db: Db): Promise<void> {
  if (!onPostgres(db)) throw new Error('emptyPostgresTestDb: not a PostgreSQL database');
  const tables = (await db.$pg.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) as {
    tablename: string;
  }[];
  await db.$pg.query(`TRUNCATE ${tables.map(({ tablename }) => `"${tablename}"`).join(', ')} RESTART IDENTITY`);
}

/** Closes a test's database (its pool, on PostgreSQL). */
export async function closeTestDb(db: Db): Promise<void> {
  if (onPostgres(db)) await db.$pg.pool.end();
  else if (db.$client.open) db.$client.close();
}

/**
 * A fresh migrated database that the app's own `getDb()` opens, for routes and loaders called in
 * process: DATABASE_URL names it until `restore` closes that connection and puts the variable back.
 */
export async function createProcessTestDb(): Promise<{ db: Db; restore: () => Promise<void> }> {
  const saved = process.env.DATABASE_URL;
  const fresh = await createTestDb();
  await closeTestDb(fresh.db);
  process.env.DATABASE_URL = fresh.file;
  return {
    db: getDb(),
    restore: async () => {
      await closeDb();
      process.env.DATABASE_URL = saved;
    },
  };
}
