import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { ROLES } from '../app/domain/access';
import { ANOMALIES, CHANNELS, EVENT_SOURCES, EVENT_TYPES, STATUSES } from '../app/domain/lifecycle';
import { NAME_SOURCES } from '../app/domain/name-source';
import { STORED_EVENT_SOURCES, STORED_EVENT_TYPES, textOfCodeSql } from './event-codes';
import { ROLLUP_TABLES, type RollupTable } from './metrics-rollups';
import { PERIOD_AMOUNT_INDEX, sentPeriodSql } from './sent-period';

// Timestamps are UTC epoch milliseconds (integers) everywhere.

export const teams = sqliteTable('teams', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  nameSource: text('name_source', { enum: NAME_SOURCES }).notNull().default('event'),
  createdAt: integer('created_at').notNull(),
});

export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id),
    createdAt: integer('created_at').notNull(),
    /**
     * When the newest event that named the agent happened: its name and team are that event's (an
     * agent moves teams; a late, older event does not move them back). 0 until an event names them.
     */
    seenAt: integer('seen_at').notNull().default(0),
  },
  (t) => [index('agents_team_idx').on(t.teamId)],
);

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').unique(),
  role: text('role', { enum: ROLES }).notNull(),
  passwordHash: text('password_hash'),
  /** For agents: the agent identity their requests carry. */
  agentId: text('agent_id').references(() => agents.id),
  /** Service users exist only to own API tokens. */
  isService: integer('is_service', { mode: 'boolean' }).notNull().default(false),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  /** Set when an admin invites the person or resets their password: they must choose their own before anything else. */
  mustChangePassword: integer('must_change_password', { mode: 'boolean' }).notNull().default(false),
  /** While the password is an admin's temporary one: when it stops working (epoch ms); null otherwise. */
  temporaryPasswordExpiresAt: integer('temporary_password_expires_at'),
  /** IANA zone the user reads times in; null means the organisation's. */
  timezone: text('timezone'),
  lastLoginAt: integer('last_login_at'),
  createdAt: integer('created_at').notNull(),
});

/** Teams a supervisor supervises (and the team scope of service users). */
export const userTeams = sqliteTable(
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

export const apiTokens = sqliteTable('api_tokens', {
  id: text('id').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  /** SHA-256 of the token; the token itself is shown once and never stored. */
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: integer('created_at').notNull(),
  lastUsedAt: integer('last_used_at'),
  revokedAt: integer('revoked_at'),
});

/** Every accepted event, as received (card numbers masked), with its replay outcome. */
export const events = sqliteTable(
  'events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    requestId: text('request_id').notNull(),
    /** The type as stored: its code in STORED_EVENT_TYPES (db/event-codes.ts); `type` reads it as text. */
    typeCode: integer('type_code').notNull(),
    occurredAt: integer('occurred_at').notNull(),
    receivedAt: integer('received_at').notNull(),
    /** The source as stored: its code in STORED_EVENT_SOURCES; `source` reads it as text. */
    sourceCode: integer('source_code').notNull(),
    /**
     * SHA-256 of the canonical JSON as received, before masking: the idempotency check, as its 32
     * bytes. Null when the stored body gives the event back as received (nothing was masked): the
     * hash is then computed from it when a duplicate needs it (db/event-rows.ts).
     */
    contentHash: blob('content_hash', { mode: 'buffer' }),
    /**
     * The event as received, card numbers masked, without what the columns hold (id, type,
     * paymentRequest.id, a canonical occurredAt): db/event-rows.ts stores and rebuilds it.
     */
    body: text('body').notNull(),
    applied: integer('applied', { mode: 'boolean' }).notNull().default(false),
    anomaly: text('anomaly', { enum: ANOMALIES }),
    /**
     * The link TTL in force when the event was accepted, in ms, on sent, send_failed and opened: the
     * replay uses it, so a TTL change does not re-time links already running. Null on other types
     * and on events accepted before migration 0011 (those fall back to the current settings).
     */
    linkTtlMs: integer('link_ttl_ms'),
    /** Virtual (computed on read, not stored): the writers give type_code and source_code. */
    type: text('type', { enum: EVENT_TYPES })
      .notNull()
      .generatedAlwaysAs(sql.raw(textOfCodeSql('type_code', STORED_EVENT_TYPES)), { mode: 'virtual' }),
    source: text('source', { enum: EVENT_SOURCES })
      .notNull()
      .generatedAlwaysAs(sql.raw(textOfCodeSql('source_code', STORED_EVENT_SOURCES)), { mode: 'virtual' }),
  },
  // A request's events by request_id (then seq, the rowid every index entry ends with): a request
  // has a handful, sorted by occurred_at in memory. events_unapplied_idx holds only the events no
  // replay applied (orphans waiting for their created, voided ones): the ingestion-health page finds
  // orphans there instead of walking every event.
  (t) => [
    uniqueIndex('events_id_idx').on(t.id),
    index('events_request_idx').on(t.requestId),
    index('events_unapplied_idx').on(t.requestId).where(sql`applied = false`),
  ],
);

/**
 * Events accepted per minute of receipt (`minute`: UTC epoch ms of its start), added to by every
 * batch that stores events, in its transaction. The ingestion-health page reads its last hour here
 * instead of counting events by received_at (no index; a walk of every event). Rows older than a day
 * are deleted by the writers (db/event-receipts.ts).
 */
export const eventReceipts = sqliteTable(
  'event_receipts',
  {
    minute: integer('minute').notNull(),
    events: integer('events').notNull(),
    /** Events rejected in that minute (migration 0026): the page's rejected per minute and in the last day. */
    rejected: integer('rejected').notNull().default(0),
  },
  // A table-level key: still SQLite's rowid (an INTEGER column alone), and no default, as on PostgreSQL.
  (t) => [primaryKey({ columns: [t.minute] })],
);

/** The projection: each request's state as the replay of its events gives it. */
export const paymentRequests = sqliteTable(
  'payment_requests',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id').notNull(),
    teamId: text('team_id').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    orderNumber: text('order_number').notNull(),
    reason: text('reason').notNull(),
    customerName: text('customer_name'),
    customerPhone: text('customer_phone').notNull(),
    status: text('status', { enum: STATUSES }).notNull(),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
    openedAt: integer('opened_at'),
    paidAt: integer('paid_at'),
    closedAt: integer('closed_at'),
    expiresAt: integer('expires_at'),
    /** Set while the replay expired the request and no system expired event records it yet. */
    expiryDueAt: integer('expiry_due_at'),
    sendFailures: integer('send_failures').notNull().default(0),
    lastEventAt: integer('last_event_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    // Keyset pages of /requests for each sortable column (measured at 1M requests: 0.4-2 s a page
    // without). A page orders by the sort's columns then id. Where ties are rare (millisecond times
    // within a scope; the never-sent's NULL sent_at, under 1% of rows) the index stops at the time:
    // every entry ends with the rowid anyway, and SQLite sorts each run of equal values by id as it
    // walks ("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY"), stopping with the page. Migration 0021
    // took the id out of these eight: 70 bytes a request at 1M, list pages within 20 ms p95 (issue 14,
    // docs/performance.md). openedAt's NULL run is 17% of rows (never opened): migration 0028 split
    // it off by id (pr_never_opened_idx below, read by the list as the never sent are), so the opened
    // need no id either (26.0 -> 12.5 + 3.4 bytes a request at 1M). Amount leads with the 30-day
    // period of sent_at (migration 0022, db/sent-period.ts): in amount order alone each new request
    // landed on a random page of the whole index; the list reads each period of its range and merges.
    // It kept the id while a price's run of ties spanned all history (thousands); within a period a
    // run is short (at most ~170 requests at 1M a year), so migration 0023 took it out: 13 bytes a
    // request, list pages as fast.
    index('pr_sent_idx').on(t.sentAt),
    index('pr_team_sent_idx').on(t.teamId, t.sentAt),
    index('pr_agent_sent_idx').on(t.agentId, t.sentAt),
    index('pr_created_idx').on(t.createdAt),
    index('pr_order_idx').on(t.orderNumber),
    index('pr_expiry_due_idx').on(t.expiryDueAt).where(sql`expiry_due_at IS NOT NULL`),
    index('pr_status_sent_idx').on(t.status, t.sentAt),
    index('pr_channel_sent_idx').on(t.channel, t.sentAt),
    index(PERIOD_AMOUNT_INDEX).on(sql.raw(sentPeriodSql()), t.currency, t.amount),
    index('pr_closed_idx').on(t.closedAt),
    index('pr_expires_idx').on(t.expiresAt),
    index('pr_opened_idx').on(t.openedAt).where(sql`opened_at IS NOT NULL`),
    index('pr_team_agent_sent_idx').on(t.teamId, t.agentId, t.sentAt),
    // The never sent (sent_at NULL: canceled or failed before a send, under 1% of rows) apart, each
    // in the order a reader needs (migration 0025): every sentAt index holds them as one run of
    // equal keys, which a reader had to read whole and sort (the list's first page by sentAt
    // ascending sorted all of them; the agent console read all of an agent's).
    index('pr_never_sent_idx').on(t.id).where(sql`sent_at IS NULL`),
    index('pr_agent_never_sent_idx').on(t.agentId, t.createdAt).where(sql`sent_at IS NULL`),
    // The never opened (opened_at NULL) by id: the list by openedAt's NULL run a page at a time. SQLite
    // only: PostgreSQL keeps pr_opened_idx (opened_at, id) whole (tests/unit/schema-pg-parity.test.ts).
    index('pr_never_opened_idx').on(t.id).where(sql`opened_at IS NULL`),
  ],
);

/** Rejected events, raw body (masked) and error, for the ingestion-health page. */
export const rejectedEvents = sqliteTable(
  'rejected_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    eventId: text('event_id'),
    receivedAt: integer('received_at').notNull(),
    source: text('source').notNull(),
    code: text('code').notNull(),
    path: text('path').notNull(),
    message: text('message').notNull(),
    raw: text('raw').notNull(),
  },
  // A code's rejected events newest first (the page's filter): rejected_code_idx, not a walk of all.
  (t) => [index('rejected_received_idx').on(t.receivedAt), index('rejected_code_idx').on(t.code, t.seq)],
);

/**
 * How many events were rejected with each code, ever (migration 0026): the ingestion-health page's
 * codes. Grouping rejected_events by code read every rejected event (with its raw body) on each view,
 * and one sender of bad events makes millions. The writers add each batch's in its transaction.
 */
export const rejectionCodes = sqliteTable('rejection_codes', {
  code: text('code').primaryKey(),
  events: integer('events').notNull(),
});

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** Browser sessions: the cookie holds a random id; only its SHA-256 is stored. */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    /** Absolute end, whatever the activity. */
    expiresAt: integer('expires_at').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Failed sign-ins, per account and per address, for throttling. */
export const loginFailures = sqliteTable(
  'login_failures',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    /** 'account:<email>' or 'ip:<address>'. */
    key: text('key').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('login_failures_key_idx').on(t.key, t.at)],
);

/**
 * A slowed account's next free sign-in turn (epoch ms): each slowed attempt reserves the turn
 * SLOWED_ATTEMPT_MS after the last one reserved, in the database, so the pace holds across every
 * app instance (app/write/sign-in-throttle.server.ts).
 */
export const signInSlots = sqliteTable('sign_in_slots', {
  account: text('account').primaryKey(),
  nextAt: integer('next_at').notNull(),
});

/** Security-relevant actions (issue: audit log). */
export const auditLog = sqliteTable(
  'audit_log',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    actorUserId: text('actor_user_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    target: text('target'),
    details: text('details').notNull().default('{}'),
    ip: text('ip'),
  },
  (t) => [index('audit_at_idx').on(t.at), index('audit_action_idx').on(t.action, t.at)],
);

/** The customer's link: an unguessable token, never the request id. */
export const payLinks = sqliteTable('pay_links', {
  token: text('token').primaryKey(),
  requestId: text('request_id').notNull().unique(),
  createdAt: integer('created_at').notNull(),
});

/**
 * The chat conversation a request was sent from (the embedded agent panel's `conversationId`). A
 * side table, like pay_links: payment_requests is the replay's projection of events, and this is
 * context from the sending console, not part of the request's lifecycle.
 */
export const requestConversations = sqliteTable(
  'request_conversations',
  {
    requestId: text('request_id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('request_conversations_conversation_idx').on(t.conversationId, t.createdAt)],
);

/** Messages handed to a channel adapter (the sandbox channel records them here). */
export const outboundMessages = sqliteTable(
  'outbound_messages',
  {
    id: text('id').primaryKey(),
    requestId: text('request_id').notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    text: text('text').notNull(),
    status: text('status', { enum: ['delivered', 'failed'] }).notNull(),
    failureReason: text('failure_reason'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('outbound_request_idx').on(t.requestId)],
);

export const scheduledReports = sqliteTable('scheduled_reports', {
  id: text('id').primaryKey(),
  ownerUserId: text('owner_user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  /** 'payment-requests' or 'agents'. */
  report: text('report').notNull(),
  format: text('format', { enum: ['csv', 'xlsx'] }).notNull(),
  cadence: text('cadence', { enum: ['daily', 'weekly', 'monthly'] }).notNull(),
  /** Local time of day in `timezone`, 'HH:MM'. */
  runAt: text('run_at').notNull(),
  timezone: text('timezone').notNull(),
  /** Shared filters (SPEC §3) other than from/to, as JSON. */
  filters: text('filters').notNull().default('{}'),
  nextRunAt: integer('next_run_at').notNull(),
  lastRunAt: integer('last_run_at'),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  createdAt: integer('created_at').notNull(),
});

export const reportFiles = sqliteTable(
  'report_files',
  {
    id: text('id').primaryKey(),
    scheduleId: text('schedule_id').references(() => scheduledReports.id, { onDelete: 'set null' }),
    ownerUserId: text('owner_user_id').notNull(),
    fileName: text('file_name').notNull(),
    path: text('path').notNull(),
    format: text('format').notNull(),
    rows: integer('rows').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: integer('created_at').notNull(),
    /**
     * The owner's scope when the run made it (JSON of app/domain/access.ts's Scope): the file is served
     * only while their scope still covers it. NULL for files made before migration 0030 (and PostgreSQL's
     * 0016): served only to a scope that covers everything.
     */
    scope: text('scope'),
  },
  (t) => [index('report_files_owner_idx').on(t.ownerUserId, t.createdAt)],
);

/**
 * Work that runs once across every app instance on the database (the expiry sweeper, the report
 * scheduler): the instance named by `holder` does it until `expires_at`; it renews each tick, and
 * another instance takes the lease over once it has expired (its holder died or stalled).
 */
export const leases = sqliteTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

/**
 * The sandbox card provider's own record of its successful charges, by the idempotency key the app
 * sends with each charge (app/write/payments/sandbox-provider.server.ts): a charge under a key that
 * already succeeded answers this one again instead of charging twice. It stands for a real
 * provider's servers. Never a card number or code: the brand and last four digits only.
 */
export const sandboxCharges = sqliteTable('sandbox_charges', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  providerReference: text('provider_reference').notNull().unique(),
  amount: integer('amount').notNull(),
  currency: text('currency').notNull(),
  cardBrand: text('card_brand').notNull(),
  cardLast4: text('card_last4').notNull(),
  chargedAt: integer('charged_at').notNull(),
});

/**
 * A customer's Pay under way: written before the provider is asked to charge, deleted once its
 * outcome (`paid` or `payment_failed`) is recorded. A row left behind is an attempt whose instance
 * stalled or died between the two (or whose charge call threw): the provider may hold a charge the
 * app never recorded, so app/write/payment-reconcile.server.ts asks it by the idempotency key.
 */
export const paymentAttempts = sqliteTable(
  'payment_attempts',
  {
    id: text('id').primaryKey(),
    requestId: text('request_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    startedAt: integer('started_at').notNull(),
  },
  (t) => [index('payment_attempts_request_idx').on(t.requestId)],
);

/**
 * Metrics rollups (SPEC §3 counts per UTC cell and dimensions, with a time-to-pay histogram), kept
 * equal to the aggregate of payment_requests by the writer (and the delete trigger): see
 * db/metrics-rollups.ts. Stored WITHOUT ROWID (set in the migration): rows live in their primary-key
 * order. Since migration 0027 the counts are packed in one TEXT column (db/packed-counts.ts: most are
 * zero); PostgreSQL keeps a column each (db/schema.pg.ts).
 */
function rollupValueColumns() {
  return {
    counts: text('counts').notNull().default(''),
    paid_amount: integer('paid_amount').notNull().default(0),
  };
}

function rollupTable(table: RollupTable) {
  const keyColumns = {
    bucket: integer('bucket').notNull(),
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
  return sqliteTable(table.name, { ...used, ...rollupValueColumns() }, (t) => [
    primaryKey({
      name: `${table.name}_pk`,
      columns: table.key.map((column) => (t as Record<string, unknown>)[byName[column]]) as [never, ...never[]],
    }),
  ]);
}

export const metricsRollup15m = rollupTable(ROLLUP_TABLES.quarterHour);
export const metricsRollupDay = rollupTable(ROLLUP_TABLES.day);
export const metricsRollupAgentDay = rollupTable(ROLLUP_TABLES.agentDay);
export const metricsRollupAgentChannelDay = rollupTable(ROLLUP_TABLES.agentChannelDay);

/**
 * Idempotency-Key of POST /api/v1/payment-requests (and the agent console's send form), per user,
 * kept 24 h: the request it created and the response it got, replayed to a retry of the same body.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** SHA-256 of the canonical JSON of the request body: a retry must send the same. */
    bodyHash: text('body_hash').notNull(),
    requestId: text('request_id').notNull(),
    /** Null while the first request is in flight (the link not yet handed to the channel). */
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
