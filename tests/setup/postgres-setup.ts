import { connectPostgres, migratePostgres } from '../../db/pg-client';
import { POSTGRES_TEMPLATE, postgresServerUrl, TEST_DATABASE_PREFIX } from '../support/postgres';

/**
 * For the vitest project that runs on PostgreSQL: one migrated template database, which every test
 * database is created from (CREATE DATABASE … TEMPLATE: a file copy, not the migrations again), and
 * no test database left from an earlier run in this checkout (another checkout's, maybe in use, stay).
 */
export default async function setup() {
  const admin = await connectPostgres(postgresServerUrl('postgres'));
  try {
    const stale = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR datname = $2',
      [TEST_DATABASE_PREFIX, POSTGRES_TEMPLATE],
    );
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${POSTGRES_TEMPLATE}"`);
  } finally {
    await admin.end();
  }
  const template = await connectPostgres(postgresServerUrl(POSTGRES_TEMPLATE));
  try {
    await migratePostgres(template);
  } finally {
    await template.end();
  }
}
