/** The PostgreSQL server the `postgres` vitest project runs on (PG_TEST_URL), and its databases. */

export const POSTGRES_TEMPLATE = 'paylink_template';

/** PG_TEST_URL with another database name. */
export function postgresServerUrl(database: string): string {
  const base = process.env.PG_TEST_URL;
  if (!base)
    throw new Error('PG_TEST_URL is not set (scripts/pg-cluster.sh start; PG_TEST_URL=$(scripts/pg-cluster.sh url))');
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
