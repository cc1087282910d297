/** The PostgreSQL server the `postgres` vitest project runs on (PG_TEST_URL), and its databases. */
import { createHash } from 'node:crypto';

/**
 * The checkout's own key (a hash of its folder): two checkouts (git worktrees) running vitest on one
 * cluster each have their own template and test databases, and the setup's cleanup of an earlier
 * run drops only its own checkout's databases, never those of a run going on in the other.
 */
const CHECKOUT_KEY = createHash('sha256').update(process.cwd()).digest('hex').slice(0, 8);

export const POSTGRES_TEMPLATE = `paylink_template_${CHECKOUT_KEY}`;
/** Every test database createTestDb makes starts with this. */
export const TEST_DATABASE_PREFIX = `paylink_t_${CHECKOUT_KEY}_`;

/** PG_TEST_URL with another database name. */
export function postgresServerUrl(database: string): string {
  const base = process.env.PG_TEST_URL;
  if (!base)
    throw new Error('PG_TEST_URL is not set (scripts/pg-cluster.sh start; PG_TEST_URL=$(scripts/pg-cluster.sh url))');
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
