import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, migratePostgres, openPostgres } from '../../db/pg-client';
import { postgresServerUrl } from '../support/postgres';

// Two instances started at once on one database (`npm start` on each migrates, then serves), issue 13.
// Runs only with PG_TEST_URL:
//   scripts/pg-cluster.sh start && PG_TEST_URL=$(scripts/pg-cluster.sh url) npx vitest run tests/postgres

const PG_TEST_URL = process.env.PG_TEST_URL;
if (!PG_TEST_URL) {
  console.log('tests/postgres/migrate-instances.test.ts skipped: PG_TEST_URL is not set (scripts/pg-cluster.sh url)');
}

const JOURNAL = JSON.parse(readFileSync(new URL('../../db/migrations-pg/meta/_journal.json', import.meta.url), 'utf8'))
  .entries as unknown[];

describe.skipIf(!PG_TEST_URL)('PostgreSQL migrations from two instances at once', () => {
  let admin: pg.Client;
  const databases: string[] = [];

  beforeAll(async () => {
    admin = await connectPostgres(PG_TEST_URL!);
  });
  afterAll(async () => {
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('apply every migration once; neither instance fails', async () => {
    for (let round = 0; round < 3; round++) {
      const name = `paylink_migrate_t_${randomUUID().replaceAll('-', '')}`;
      await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE 'C.UTF-8'`);
      databases.push(name);
      // As db/migrate.ts opens it: a pool of one connection per instance.
      const pools = [
        openPostgres(postgresServerUrl(name), { max: 1 }),
        openPostgres(postgresServerUrl(name), { max: 1 }),
      ];
      try {
        const outcomes = await Promise.allSettled(pools.map((pool) => migratePostgres(pool)));
        expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
        const { rows } = await pools[0]!.query<{ n: number; hashes: number }>(
          'SELECT count(*)::int AS n, count(DISTINCT hash)::int AS hashes FROM drizzle.__drizzle_migrations',
        );
        expect(rows).toEqual([{ n: JOURNAL.length, hashes: JOURNAL.length }]);
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
    }
  });
});
