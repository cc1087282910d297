/**
 * The tables the app queries, of the engine this process runs on: `db/schema.pg.ts` when
 * DATABASE_URL is a postgres:// URL, else `db/schema.ts` (SQLite). Chosen once, when the process
 * loads this module. Typed as the SQLite tables: the two schemas are column for column the same
 * (tests/unit/schema-pg-parity.test.ts) and no column uses a mode whose values differ between them,
 * so one query text and one row type serve both engines. Migrations and drizzle-kit keep reading
 * the schema files themselves.
 */
import * as sqlite from './schema';
import * as postgres from './schema.pg';

/** Whether DATABASE_URL names a PostgreSQL server (the same test as db/pg-client.ts, without loading the driver). */
export const ON_POSTGRES = /^postgres(ql)?:\/\//i.test(process.env.DATABASE_URL ?? '');

const tables = (ON_POSTGRES ? postgres : sqlite) as unknown as typeof sqlite;

export const {
  teams,
  agents,
  users,
  userTeams,
  apiTokens,
  events,
  eventReceipts,
  paymentRequests,
  rejectedEvents,
  rejectionCodes,
  settings,
  sessions,
  loginFailures,
  signInSlots,
  auditLog,
  payLinks,
  requestConversations,
  outboundMessages,
  scheduledReports,
  reportFiles,
  leases,
  sandboxCharges,
  paymentAttempts,
  metricsRollup15m,
  metricsRollupDay,
  metricsRollupAgentDay,
  metricsRollupAgentChannelDay,
  idempotencyKeys,
} = tables;
