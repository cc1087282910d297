import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { ROLES } from '../app/domain/access';
import { ANOMALIES, CHANNELS, EVENT_SOURCES, EVENT_TYPES, STATUSES } from '../app/domain/lifecycle';
import { NAME_SOURCES } from '../app/domain/name-source';
import { codeOfTextSql, STORED_EVENT_SOURCES, STORED_EVENT_TYPES } from './event-codes';
import { ROLLUP_TABLES, type RollupTable, VALUE_COLUMNS } from './metrics-rollups';

/**
 * db/schema.ts for PostgreSQL (issue 13): the same tables, column names, nullability, defaults, keys,
 * indexes and enum value lists, so the app reads one shape of row on either engine. A unit test
 * (tests/unit/schema-pg-parity.test.ts) walks both with getTableConfig and fails on any difference:
 * a change to db/schema.ts must be made here too.
 *
 * Timestamps (UTC epoch ms) and money (minor units) are bigint in mode 'number': every value the
 * app keeps is far inside 2^53 (epoch ms reach 2^53 in the year 287,396; amounts are at most a few
 * billion minor units), the rows keep the `number` types db/schema.ts gives them, and JSON answers
 * need no BigInt handling. mode 'bigint' would make every reader and writer differ by engine.
 * Booleans are boolean (SQLite stores 0/1). Enums are text with the value list in the type, as in
 * SQLite (no CHECK: the two engines accept the same rows); the write path validates them with zod.
 */

const epochMs = (name: string) => bigint(name, { mode: 'number' });
const minorUnits = (name: string) => bigint(name, { mode: 'number' });
/** SQLite's INTEGER PRIMARY KEY AUTOINCREMENT; by default, so a copy can keep the SQLite seq values. */
/** SQLite's blob (mode 'buffer'): bytea, a Buffer both ways (pg-core has no bytea builder). */
const bytes = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const seqColumn = () => bigint('seq', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity();

export const teams = pgTable('teams', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  nameSource: text('name_source', { enum: NAME_SOURCES }).notNull().default('event'),
  createdAt: epochMs('created_at').notNull(),
});

export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id),
    createdAt: epochMs('created_at').notNull(),
    /**
     * When the newest event that named the agent happened: its name and team are that event's (an
     * agent moves teams; a late, older event does not move them back). 0 until an event names them.
     */
    seenAt: epochMs('seen_at').notNull().default(0),
  },
  (t) => [index('agents_team_idx').on(t.teamId)],
);

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').unique(),
  role: text('role', { enum: ROLES }).notNull(),
  passwordHash: text('password_hash'),
  agentId: text('agent_id').references(() => agents.id),
  isService: boolean('is_service').notNull().default(false),
  active: boolean('active').notNull().default(true),
  mustChangePassword: boolean('must_change_password').notNull().default(false),
  temporaryPasswordExpiresAt: epochMs('temporary_password_expires_at'),
  timezone: text('timezone'),
  lastLoginAt: epochMs('last_login_at'),
  createdAt: epochMs('created_at').notNull(),
});

export const userTeams = pgTable(
  'user_teams',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id),
  },
  (t) => [primaryKey({ columns: [t.userId, t.teamId] })],
);

export const apiTokens = pgTable('api_tokens', {
  id: text('id').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: epochMs('created_at').notNull(),
  lastUsedAt: epochMs('last_used_at'),
  revokedAt: epochMs('revoked_at'),
});

export const events = pgTable(
  'events',
  {
    seq: seqColumn(),
    id: text('id').notNull(),
    requestId: text('request_id').notNull(),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    occurredAt: epochMs('occurred_at').notNull(),
    receivedAt: epochMs('received_at').notNull(),
    source: text('source', { enum: EVENT_SOURCES }).notNull(),
    /** SHA-256 of the canonical JSON as received: its 32 bytes, or null (see db/schema.ts). */
    contentHash: bytes('content_hash'),
    body: text('body').notNull(),
    applied: boolean('applied').notNull().default(false),
    anomaly: text('anomaly', { enum: ANOMALIES }),
    /** The link TTL in force when the event was accepted (ms); see db/schema.ts. */
    linkTtlMs: integer('link_ttl_ms'),
    /** SQLite stores these codes and computes type and source (db/event-codes.ts); here the reverse. */
    typeCode: smallint('type_code')
      .notNull()
      .generatedAlwaysAs(sql.raw(codeOfTextSql('type', STORED_EVENT_TYPES))),
    sourceCode: smallint('source_code')
      .notNull()
      .generatedAlwaysAs(sql.raw(codeOfTextSql('source', STORED_EVENT_SOURCES))),
  },
  (t) => [
    uniqueIndex('events_id_idx').on(t.id),
    index('events_request_idx').on(t.requestId),
    index('events_unapplied_idx').on(t.requestId).where(sql`applied = false`),
  ],
);

/** Events accepted per minute of receipt (see db/schema.ts). */
export const eventReceipts = pgTable(
  'event_receipts',
  {
    minute: epochMs('minute').notNull(),
    events: integer('events').notNull(),
    rejected: integer('rejected').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.minute] })],
);

export const paymentRequests = pgTable(
  'payment_requests',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id').notNull(),
    teamId: text('team_id').notNull(),
    amount: minorUnits('amount').notNull(),
    currency: text('currency').notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    orderNumber: text('order_number').notNull(),
    reason: text('reason').notNull(),
    customerName: text('customer_name'),
    customerPhone: text('customer_phone').notNull(),
    status: text('status', { enum: STATUSES }).notNull(),
    createdAt: epochMs('created_at').notNull(),
    sentAt: epochMs('sent_at'),
    openedAt: epochMs('opened_at'),
    paidAt: epochMs('paid_at'),
    closedAt: epochMs('closed_at'),
    expiresAt: epochMs('expires_at'),
    expiryDueAt: epochMs('expiry_due_at'),
    sendFailures: integer('send_failures').notNull().default(0),
    lastEventAt: epochMs('last_event_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [
    index('pr_sent_idx').on(t.sentAt),
    index('pr_team_sent_idx').on(t.teamId, t.sentAt),
    index('pr_agent_sent_idx').on(t.agentId, t.sentAt),
    index('pr_created_idx').on(t.createdAt),
    index('pr_order_idx').on(t.orderNumber),
    index('pr_expiry_due_idx').on(t.expiryDueAt).where(sql`expiry_due_at IS NOT NULL`),
    index('pr_status_sent_idx').on(t.status, t.sentAt),
    index('pr_channel_sent_idx').on(t.channel, t.sentAt),
    index('pr_currency_amount_idx').on(t.currency, t.amount, t.id),
    index('pr_closed_idx').on(t.closedAt),
    index('pr_expires_idx').on(t.expiresAt),
    index('pr_opened_idx').on(t.openedAt, t.id),
    index('pr_team_agent_sent_idx').on(t.teamId, t.agentId, t.sentAt),
    // The never sent (sent_at NULL: canceled or failed before a send, under 1% of rows) apart, each
    // in the order a reader needs (migration 0025): every sentAt index holds them as one run of
    // equal keys, which a reader had to read whole and sort (the list's first page by sentAt
    // ascending sorted all of them; the agent console read all of an agent's).
    index('pr_never_sent_idx').on(t.id).where(sql`sent_at IS NULL`),
    index('pr_agent_never_sent_idx').on(t.agentId, t.createdAt).where(sql`sent_at IS NULL`),
  ],
);

export const rejectedEvents = pgTable(
  'rejected_events',
  {
    seq: seqColumn(),
    eventId: text('event_id'),
    receivedAt: epochMs('received_at').notNull(),
    source: text('source').notNull(),
    code: text('code').notNull(),
    path: text('path').notNull(),
    message: text('message').notNull(),
    raw: text('raw').notNull(),
  },
  (t) => [index('rejected_received_idx').on(t.receivedAt), index('rejected_code_idx').on(t.code, t.seq)],
);

export const rejectionCodes = pgTable('rejection_codes', {
  code: text('code').primaryKey(),
  // All time: a sender of bad events could pass 2^31 in days.
  events: bigint('events', { mode: 'number' }).notNull(),
});

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: epochMs('created_at').notNull(),
    lastSeenAt: epochMs('last_seen_at').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const loginFailures = pgTable(
  'login_failures',
  {
    seq: seqColumn(),
    key: text('key').notNull(),
    at: epochMs('at').notNull(),
  },
  (t) => [index('login_failures_key_idx').on(t.key, t.at)],
);

export const signInSlots = pgTable('sign_in_slots', {
  account: text('account').primaryKey(),
  nextAt: epochMs('next_at').notNull(),
});

export const auditLog = pgTable(
  'audit_log',
  {
    seq: seqColumn(),
    at: epochMs('at').notNull(),
    actorUserId: text('actor_user_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    target: text('target'),
    details: text('details').notNull().default('{}'),
    ip: text('ip'),
  },
  (t) => [index('audit_at_idx').on(t.at), index('audit_action_idx').on(t.action, t.at)],
);

export const payLinks = pgTable('pay_links', {
  token: text('token').primaryKey(),
  requestId: text('request_id').notNull().unique(),
  createdAt: epochMs('created_at').notNull(),
});

export const requestConversations = pgTable(
  'request_conversations',
  {
    requestId: text('request_id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    createdAt: epochMs('created_at').notNull(),
  },
  (t) => [index('request_conversations_conversation_idx').on(t.conversationId, t.createdAt)],
);

export const outboundMessages = pgTable(
  'outbound_messages',
  {
    id: text('id').primaryKey(),
    requestId: text('request_id').notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    text: text('text').notNull(),
    status: text('status', { enum: ['delivered', 'failed'] }).notNull(),
    failureReason: text('failure_reason'),
    createdAt: epochMs('created_at').notNull(),
  },
  (t) => [index('outbound_request_idx').on(t.requestId)],
);

export const scheduledReports = pgTable('scheduled_reports', {
  id: text('id').primaryKey(),
  ownerUserId: text('owner_user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  report: text('report').notNull(),
  format: text('format', { enum: ['csv', 'xlsx'] }).notNull(),
  cadence: text('cadence', { enum: ['daily', 'weekly', 'monthly'] }).notNull(),
  runAt: text('run_at').notNull(),
  timezone: text('timezone').notNull(),
  filters: text('filters').notNull().default('{}'),
  nextRunAt: epochMs('next_run_at').notNull(),
  lastRunAt: epochMs('last_run_at'),
  active: boolean('active').notNull().default(true),
  createdAt: epochMs('created_at').notNull(),
});

export const reportFiles = pgTable(
  'report_files',
  {
    id: text('id').primaryKey(),
    scheduleId: text('schedule_id').references(() => scheduledReports.id, { onDelete: 'set null' }),
    ownerUserId: text('owner_user_id').notNull(),
    fileName: text('file_name').notNull(),
    path: text('path').notNull(),
    format: text('format').notNull(),
    rows: integer('rows').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    createdAt: epochMs('created_at').notNull(),
    /**
     * The owner's scope when the run made it (JSON of app/domain/access.ts's Scope): the file is served
     * only while their scope still covers it. NULL for files made before migration 0030 (and PostgreSQL's
     * 0016): served only to a scope that covers everything.
     */
    scope: text('scope'),
  },
  (t) => [index('report_files_owner_idx').on(t.ownerUserId, t.createdAt)],
);

/** db/schema.ts's leases. */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: epochMs('expires_at').notNull(),
});

/** db/schema.ts's sandboxCharges. */
export const sandboxCharges = pgTable('sandbox_charges', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  providerReference: text('provider_reference').notNull().unique(),
  amount: minorUnits('amount').notNull(),
  currency: text('currency').notNull(),
  cardBrand: text('card_brand').notNull(),
  cardLast4: text('card_last4').notNull(),
  chargedAt: epochMs('charged_at').notNull(),
});

/** db/schema.ts's paymentAttempts. */
export const paymentAttempts = pgTable(
  'payment_attempts',
  {
    id: text('id').primaryKey(),
    requestId: text('request_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    startedAt: epochMs('started_at').notNull(),
  },
  (t) => [index('payment_attempts_request_idx').on(t.requestId)],
);

/**
 * Metrics rollups, kept equal to the aggregate of payment_requests by the plpgsql triggers of
 * db/metrics-rollups.pg.ts (a custom migration creates them). Values are bigint: paid_amount sums money.
 */
function rollupTable(table: RollupTable) {
  const keyColumns = {
    bucket: epochMs('bucket').notNull(),
    teamId: text('team_id').notNull(),
    agentId: text('agent_id').notNull(),
    channel: text('channel').notNull(),
    currency: text('currency').notNull(),
  };
  const byName = {
    bucket: 'bucket',
    team_id: 'teamId',
    agent_id: 'agentId',
    channel: 'channel',
    currency: 'currency',
  } as const;
  const used = Object.fromEntries(table.key.map((column) => [byName[column], keyColumns[byName[column]]]));
  const values = Object.fromEntries(
    VALUE_COLUMNS.map((column) => [column, bigint(column, { mode: 'number' }).notNull().default(0)]),
  );
  return pgTable(table.name, { ...used, ...values }, (t) => [
    primaryKey({
      name: `${table.name}_pk`,
      columns: table.key.map((column) => t[byName[column]]!) as [never, ...never[]],
    }),
  ]);
}

export const metricsRollup15m = rollupTable(ROLLUP_TABLES.quarterHour);
export const metricsRollupDay = rollupTable(ROLLUP_TABLES.day);
export const metricsRollupAgentDay = rollupTable(ROLLUP_TABLES.agentDay);
export const metricsRollupAgentChannelDay = rollupTable(ROLLUP_TABLES.agentChannelDay);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    bodyHash: text('body_hash').notNull(),
    requestId: text('request_id').notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    createdAt: epochMs('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
