import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const env = {
  NODE_ENV: 'test' as const,
  WEBHOOK_SECRET: 'whsec_dGVzdC1zZWNyZXQtZm9yLXZpdGVzdC1vbmx5',
  SESSION_SECRET: 'test-session-secret-for-vitest-only-0123456789',
  // The lowest cost: fixtures hash fast. Tests of hashing itself set the production cost (17) explicitly.
  PASSWORD_HASH_COST: '10',
};

/**
 * The test files that run on PostgreSQL too (issue 13): written against the engine-neutral helpers
 * (createTestDb, queryRows, addUser), they run a second time in the `postgres` project when
 * PG_TEST_URL names a server (.ci/run starts one). Every integration and reliability file is here
 * but those that test SQLite's own machinery: checkpointer (its WAL), event-rows-migration (its
 * migration 0013), payment-request-indexes, ingestion-health-reads and requests-list-periods (its
 * query plans), rollup-deltas.property (against its former triggers), seed-bulk (the bulk generator
 * writes SQLite files), event-codes (its table's definition), ingest-writer-thread (its writer
 * thread), requests-list-search-thread (its search thread),
 * rollup-pending and rollups-packed (its rollup tables), many-agents (its 32,766 variables a
 * statement); and ingest-prepare-worker, which reads no database. tests/postgres/ holds the
 * PostgreSQL-only checks.
 */
export const BOTH_ENGINES = [
  'tests/integration/pay-time-sub-bins.test.ts',
  'tests/integration/accounts.test.ts',
  'tests/integration/idempotency-keys.test.ts',
  'tests/reliability/sweeper-failover.test.ts',
  'tests/reliability/slow-clients-pool.test.ts',
  'tests/reliability/export-trickle.test.ts',
  'tests/reliability/pool-exhaustion.test.ts',
  'tests/integration/report-file-store.test.ts',
  'tests/integration/report-schedules.test.ts',
  'tests/integration/kept-file-deletion.test.ts',
  'tests/integration/report-actions.test.ts',
  'tests/integration/customer-payment.test.ts',
  'tests/integration/payment-reconcile.test.ts',
  'tests/integration/payment-request-commands.test.ts',
  'tests/integration/requests-list-engines.test.ts',
  'tests/integration/requests-list-by-name.test.ts',
  'tests/integration/requests-list-by-name.property.test.ts',
  'tests/integration/filter-options.test.ts',
  'tests/integration/agent-choices.test.ts',
  'tests/integration/leaderboard-pages.test.ts',
  'tests/integration/leaderboard-few-links.test.ts',
  'tests/integration/metrics.test.ts',
  'tests/integration/metrics-oracle-zones.test.ts',
  'tests/integration/metrics.property.test.ts',
  'tests/integration/metrics-consistency.test.ts',
  'tests/integration/ingest-instances.test.ts',
  'tests/integration/ingest.test.ts',
  'tests/integration/leases.test.ts',
  'tests/integration/exports-engines.test.ts',
  'tests/integration/export-worker-engines.test.ts',
  'tests/integration/seed-cli.test.ts',
  'tests/integration/admin.test.ts',
  'tests/integration/password-change.test.ts',
  'tests/integration/temporary-password.test.ts',
  'tests/integration/team-names.test.ts',
  'tests/integration/password-hashing.test.ts',
  'tests/integration/agent-console-send.test.ts',
  'tests/integration/access-matrix.test.ts',
  'tests/integration/filters-everywhere.test.ts',
  'tests/integration/server.test.ts',
  'tests/integration/server-migrations.test.ts',
  'tests/integration/ingest-hostile.test.ts',
  'tests/integration/ingest-link-ttl.test.ts',
  'tests/integration/live-stream.test.ts',
  'tests/integration/card-data-storage.test.ts',
  'tests/integration/cli.test.ts',
  'tests/integration/events-api.test.ts',
  'tests/integration/payment-requests-api.test.ts',
  'tests/integration/dotted-ids.test.ts',
  'tests/integration/money-totals.test.ts',
  'tests/integration/spreadsheet-digits.test.ts',
  'tests/integration/metrics-api.test.ts',
  'tests/integration/requests-list.test.ts',
  'tests/integration/exports.test.ts',
  'tests/integration/backup-verify.test.ts',
  'tests/integration/unbounded-growth.test.ts',
  'tests/reliability/fuzz.test.ts',
  'tests/reliability/sigkill.test.ts',
  'tests/reliability/report-scheduler-failover.test.ts',
  'tests/reliability/silent-live-clients.test.ts',
  'tests/reliability/slow-export-reader.test.ts',
  'tests/reliability/slow-uploads.test.ts',
  'tests/reliability/acceptance-two-instances.test.ts',
];

const PG_TEST_URL = process.env.PG_TEST_URL;

export default defineConfig({
  resolve: { alias: { '~': fileURLToPath(new URL('./app', import.meta.url)) } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one on these 2-core machines. Two halve the
    // run (`npx vitest run` with both engines: 441 s with two, about 12 min with one; the files spend
    // much of their time waiting on servers, child processes and fsync).
    maxWorkers: 2,
    // Each worker process runs file after file with the modules it has loaded (app, drizzle, remix,
    // exceljs …) instead of a new process importing them again for every file: the suite is
    // CPU-bound on these two cores, and the ~140 forks and imports were about a fifth of it.
    // `--project sqlite`: 191 s -> 141 s; `--project postgres`: 216 s -> 174 s. A file that changes
    // process-wide state puts it back (process.env in env.test, password-hashing and live-stream;
    // the fake timers in leases; the env cache by resetEnvCache). A file that cannot share a process
    // goes into a project of its own with isolate: true.
    isolate: false,
    // Three workers were slower than two (`--project postgres`: 216 s -> 265 s): the cores are busy.
    projects: [
      {
        extends: true as const,
        test: {
          name: 'sqlite',
          include: [
            'tests/unit/**/*.test.ts',
            'tests/integration/**/*.test.ts',
            'tests/reliability/**/*.test.ts',
            'tests/postgres/**/*.test.ts',
          ],
          globalSetup: ['tests/setup/global-setup.ts'],
          env: { ...env, DATABASE_URL: 'tmp/tests/unused.db' },
        },
      },
      ...(PG_TEST_URL
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: BOTH_ENGINES,
                globalSetup: ['tests/setup/postgres-setup.ts'],
                // db/tables.ts picks PostgreSQL's tables from this; test databases come from createTestDb.
                env: { ...env, DATABASE_URL: PG_TEST_URL },
              },
            },
          ]
        : []),
    ],
  },
});
