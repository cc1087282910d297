/**
 * Prints db/migrations-pg's custom migration of the metrics rollups (paid-time indexes, plpgsql
 * trigger functions and triggers) from db/metrics-rollups.pg.ts. After the metric table changes:
 * `npx drizzle-kit generate --config drizzle.pg.config.ts --custom --name metrics_rollups_rebuilt`, then
 * `npx tsx scripts/pg-rollup-migration.ts > db/migrations-pg/<that file>` (a rebuild also drops the old
 * triggers first). tests/unit/metrics-rollups-pg.test.ts keeps 0001 equal to this output.
 */
import { rollupMigrationPgSql } from '../db/metrics-rollups.pg';

process.stdout.write(`${rollupMigrationPgSql().join('\n--> statement-breakpoint\n')}\n`);
