import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCodePointCollation, connectPostgres, migratePostgres } from '../../db/pg-client';
import { postgresServerUrl } from '../support/postgres';

// The app runs only on a database that orders text by code point, as SQLite does (issue 13): the
// request list's ties by id and its order-number sort compare text in SQL. Runs only with PG_TEST_URL.

const PG_TEST_URL = process.env.PG_TEST_URL;
if (!PG_TEST_URL) {
  console.log('tests/postgres/collation.test.ts skipped: PG_TEST_URL is not set (scripts/pg-cluster.sh start)');
}

describe.skipIf(!PG_TEST_URL)('PostgreSQL: the database collation', () => {
  const suffix = `${process.pid}_${Date.now()}`;
  const databases = { icu: `paylink_icu_${suffix}`, libc: `paylink_c_${suffix}` };
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databases.icu} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
    await admin.query(`CREATE DATABASE ${databases.libc} TEMPLATE template0 LOCALE 'C'`);
  });

  afterAll(async () => {
    for (const name of Object.values(databases)) await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  async function inDatabase<T>(name: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await connectPostgres(postgresServerUrl(name));
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  it('an ICU (en-US) database orders ids unlike SQLite, and migrating it is refused before any change', async () => {
    const ids = ['pr_b', 'PR_c', 'pr-a', 'pr_A', 'pra'];
    const order = `SELECT array_agg(id ORDER BY id) AS ids FROM unnest($1::text[]) AS id`;
    const icu = await inDatabase(databases.icu, async (client) => (await client.query(order, [ids])).rows[0].ids);
    expect(icu).toEqual(['pr_A', 'pr_b', 'PR_c', 'pr-a', 'pra']);
    expect(icu).not.toEqual([...ids].sort());
    await inDatabase(databases.icu, async (client) => {
      await expect(migratePostgres(client)).rejects.toThrow(
        `PostgreSQL database ${databases.icu} orders text by an ICU locale, not by code point as SQLite does`,
      );
      const tables = await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
      expect(tables.rows[0].n).toBe(0);
    });
  });

  it('accepts C, and the test cluster’s C.UTF-8, which order as SQLite does', async () => {
    const ids = ['pr_b', 'PR_c', 'pr-a', 'pr_A', 'pra'];
    await inDatabase(databases.libc, async (client) => {
      await expect(assertCodePointCollation(client)).resolves.toBeUndefined();
      const { rows } = await client.query(`SELECT array_agg(id ORDER BY id) AS ids FROM unnest($1::text[]) AS id`, [
        ids,
      ]);
      expect(rows[0].ids).toEqual(['PR_c', 'pr-a', 'pr_A', 'pr_b', 'pra']);
    });
    await inDatabase('postgres', async (client) => {
      const { rows } = await client.query(`SELECT datcollate FROM pg_database WHERE datname = current_database()`);
      expect(rows[0].datcollate).toBe('C.UTF-8');
      await expect(assertCodePointCollation(client)).resolves.toBeUndefined();
    });
  });
});
