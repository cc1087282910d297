import { defineConfig } from 'drizzle-kit';

// PostgreSQL migrations from db/schema.pg.ts (issue 13): `npm run db:generate:pg`. Generating needs no
// server; the URL is only for drizzle-kit's push/studio/migrate against a cluster (scripts/pg-cluster.sh url).
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.pg.ts',
  out: './db/migrations-pg',
  dbCredentials: { url: process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:55432/paylink_test' },
});
