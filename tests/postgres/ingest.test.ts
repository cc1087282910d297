import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyProjections } from '../../app/read/projection-check.server';
import { type IngestSummary, ingestEvents } from '../../app/write/ingest.server';
import { type Db, onPostgres, openPostgresDb, type PostgresHandle } from '../../db/client';
import { ROLLUP_TABLES, wideRollupSql } from '../../db/metrics-rollups';
import { rollupBackfillPgSql } from '../../db/metrics-rollups.pg';
import { connectPostgres, migratePostgres } from '../../db/pg-client';
import { closeTestDb, createTestDb, queryRows } from '../support/db';
import { at, created, MINUTE, step, T0 } from '../support/events';

// The write path on PostgreSQL (issue 13) against SQLite's and against itself on two instances.
// Runs only with PG_TEST_URL (the SQLite side is this project's own test database):
//   scripts/pg-cluster.sh start && PG_TEST_URL=$(scripts/pg-cluster.sh url) npx vitest run tests/postgres

const PG_TEST_URL = process.env.PG_TEST_URL;
if (!PG_TEST_URL) {
  console.log(
    'tests/postgres/ingest.test.ts skipped: PG_TEST_URL is not set (scripts/pg-cluster.sh start; PG_TEST_URL=$(scripts/pg-cluster.sh url))',
  );
}

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
type PgDb = Db & { $pg: PostgresHandle };
type Row = Record<string, unknown>;

function databaseUrl(name: string): string {
  const url = new URL(PG_TEST_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A rollup table's rows with their key and non-zero values only; all-zero rows (a cell a request left) dropped. */
function nonZero(table: { key: readonly string[] }, rows: Row[]): Row[] {
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).filter(([k, v]) => table.key.includes(k) || v !== 0)))
    .filter((row) => Object.keys(row).length > table.key.length);
}

/** Every rollup table's rows, in key order, zeros left out. */
async function rollups(db: Db): Promise<Record<string, Row[]>> {
  const all: Record<string, Row[]> = {};
  for (const table of Object.values(ROLLUP_TABLES)) {
    all[table.name] = nonZero(
      table,
      await queryRows<Row>(db, wideRollupSql(table, onPostgres(db) ? 'postgres' : 'sqlite')),
    );
  }
  return all;
}

/** The rollups a backfill from the projections makes, read in a transaction rolled back after. */
async function backfilledRollups(db: PgDb): Promise<Record<string, Row[]>> {
  const client = await db.$pg.pool.connect();
  try {
    await client.query('BEGIN');
    for (const table of Object.values(ROLLUP_TABLES)) await client.query(`DELETE FROM ${table.name}`);
    for (const statement of rollupBackfillPgSql()) await client.query(statement);
    const all: Record<string, Row[]> = {};
    for (const table of Object.values(ROLLUP_TABLES)) {
      const query = `SELECT * FROM ${table.name} ORDER BY ${table.key.join(', ')}`;
      all[table.name] = nonZero(table, (await client.query<Row>(query)).rows);
    }
    return all;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** The stored rows the write path makes, engine differences (booleans) evened out. */
async function storedRows(db: Db, eventOrder: 'seq' | 'id' = 'seq') {
  const events = await queryRows<Row>(
    db,
    `SELECT id, request_id, type, occurred_at, received_at, source, content_hash, body, applied, anomaly, link_ttl_ms
     FROM events ORDER BY ${eventOrder}`,
  );
  return {
    requests: await queryRows(db, 'SELECT * FROM payment_requests ORDER BY id'),
    events: events.map((row): Row => ({ ...row, applied: Number(row.applied) })),
    rejected: await queryRows(
      db,
      'SELECT event_id, received_at, source, code, path, message, raw FROM rejected_events ORDER BY seq',
    ),
    teams: await queryRows(db, 'SELECT * FROM teams ORDER BY id'),
    agents: await queryRows(db, 'SELECT * FROM agents ORDER BY id'),
    rollups: await rollups(db),
  };
}

/** Nested deeper than an event may be (ingest-hostile.test's bomb, small). */
function tooDeep(): unknown {
  let value: unknown = 'x';
  for (let depth = 0; depth < 500; depth++) value = { a: value };
  return { ...step('pr_4', 'opened', 21 * MINUTE), data: value };
}

/** A stream with every case the write path tells apart, in batches with the instant each arrives. */
const STREAM: { now: number; events: unknown[] }[] = [
  {
    now: T0 + 2 * MINUTE,
    events: [
      created('pr_1'),
      step('pr_1', 'sent', MINUTE),
      created('pr_2', 0, { teamId: 'tm_sales', agentId: 'ag_5', agentName: 'Sipho Dlamini', amount: 5000 }),
      step('pr_3', 'sent', MINUTE), // an orphan: its created comes later
      created('pr_1'), // a duplicate within the batch
      { id: 'evt_bad', type: 'payment_request.sent', occurredAt: 'yesterday', paymentRequest: { id: 'pr_1' } },
    ],
  },
  {
    now: T0 + 5 * MINUTE,
    events: [
      step('pr_1', 'paid', 4 * MINUTE),
      step('pr_1', 'opened', 3 * MINUTE), // after the paid that follows it
      created('pr_1'), // a duplicate of a stored event
      { ...step('pr_1', 'sent', MINUTE), occurredAt: at(90_000) }, // a conflict: same id, other content
      step('pr_2', 'sent', 2 * MINUTE),
    ],
  },
  {
    now: T0 + 20 * MINUTE,
    events: [
      created('pr_3', 0, { currency: 'EUR', amount: 777 }), // the orphan's created, late
      step('pr_2', 'opened', 3 * MINUTE),
      step('pr_1', 'opened', 3 * MINUTE), // a duplicate again
      step('pr_1', 'declined', 6 * MINUTE), // after the terminal paid: an anomaly
      step('pr_3', 'opened', 30_000), // before its sent: not allowed from created
    ],
  },
  {
    now: T0 + 21 * MINUTE,
    events: [
      created('pr_4', 0, { agentId: 'ag_9', agentName: 'Lerato', teamId: 'tm_new', teamName: 'New team' }),
      step('pr_4', 'sent', 20 * MINUTE), // a retry after the failure below
      tooDeep(),
      step('pr_4', 'send_failed', 19 * MINUTE, { reason: 'channel down' }),
    ],
  },
];

const counts = (summary: IngestSummary) => [summary.accepted, summary.duplicates, summary.rejected];

/** A deterministic shuffle (a linear congruential generator): the same order every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let index = out.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const other = state % (index + 1);
    [out[index], out[other]] = [out[other]!, out[index]!];
  }
  return out;
}

describe.skipIf(!PG_TEST_URL)('ingestEvents on PostgreSQL', () => {
  const template = `paylink_ingest_${process.pid}_${Date.now()}`;
  const databases: string[] = [];
  const handles: Db[] = [];
  let admin: pg.Client;

  beforeAll(async () => {
    admin = await connectPostgres(PG_TEST_URL!);
    await admin.query(`CREATE DATABASE ${template}`);
    const client = await connectPostgres(databaseUrl(template));
    try {
      await migratePostgres(client);
    } finally {
      await client.end();
    }
  });

  afterEach(async () => {
    for (const db of handles.splice(0)) await closeTestDb(db);
    for (const name of databases.splice(0)) {
      // A pool's end resolves before its server processes have gone: forcing the drop then would
      // terminate a connection the pool is closing (an unhandled 57P01 in the test process).
      for (let wait = 0; wait < 50; wait++) {
        const open = await admin.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (open.rows[0].n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin?.end();
  });

  /** A fresh migrated database and `instances` handles on it, each with its own pool. */
  async function postgresInstances(instances: number): Promise<PgDb[]> {
    const name = `paylink_ingest_t_${randomUUID().replaceAll('-', '')}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    databases.push(name);
    const opened = Array.from({ length: instances }, () => openPostgresDb(databaseUrl(name), { max: 4 }) as PgDb);
    handles.push(...opened);
    return opened;
  }

  async function sqliteDb(): Promise<Db> {
    const { db } = await createTestDb();
    expect(onPostgres(db)).toBe(false);
    handles.push(db);
    return db;
  }

  it('gives the same summaries and stores the same rows as SQLite for the same stream', async () => {
    const sqlite = await sqliteDb();
    const [postgres] = await postgresInstances(1);
    const summaries: IngestSummary[][] = [];
    for (const { now, events } of STREAM) {
      summaries.push([
        await ingestEvents(sqlite, events, 'api', { now, settings }),
        await ingestEvents(postgres!, events, 'api', { now, settings }),
      ]);
    }
    for (const [onSqlite, onPostgres] of summaries) expect(onPostgres).toEqual(onSqlite);
    expect(summaries.map(([summary]) => counts(summary!))).toEqual([
      [4, 1, 1],
      [3, 1, 1],
      [4, 1, 0],
      [3, 0, 1],
    ]);
    expect(summaries[1]![0]!.results[3]).toMatchObject({ id: 'evt_pr_1_sent', status: 'rejected' });

    const expected = await storedRows(sqlite);
    const actual = await storedRows(postgres!);
    expect(actual.requests).toEqual(expected.requests);
    expect(actual.events).toEqual(expected.events);
    expect(actual.rejected).toEqual(expected.rejected);
    expect(actual.teams).toEqual(expected.teams);
    expect(actual.agents).toEqual(expected.agents);
    expect(actual.rollups).toEqual(expected.rollups);

    // What both hold, in brief: the replay's answers for this stream.
    expect(expected.requests.map((row) => [row.id, row.status, row.send_failures])).toEqual([
      ['pr_1', 'paid', 0],
      ['pr_2', 'expired', 0], // opened at 3 min: its 15 minutes were over at 20
      ['pr_3', 'expired', 0], // sent at 1 min, unopened: over at 6
      ['pr_4', 'sent', 1],
    ]);
    expect(expected.events.filter((row) => row.anomaly !== null).map((row) => [row.id, row.anomaly])).toEqual([
      ['evt_pr_3_opened', 'invalid_transition'],
      ['evt_pr_1_declined', 'after_terminal'],
    ]);
    expect(expected.rejected.map((row) => row.code)).toEqual(['invalid_occurred_at', 'conflict', 'too_deep']);
    expect(expected.rollups.metrics_rollup_day!.length).toBeGreaterThan(0);
    expect(actual.rollups).toEqual(await backfilledRollups(postgres!));
  });

  it('serialises two instances per request: every projection equals its replay, no event lost or doubled', async () => {
    const [a, b] = (await postgresInstances(2)) as [PgDb, PgDb];
    const sqlite = await sqliteDb();
    const now = T0 + 60 * MINUTE;
    const all: unknown[] = [];
    let accepted = 0;
    let duplicates = 0;
    let resent = 0;
    for (let round = 0; round < 8; round++) {
      // 16 requests a round over 3 teams, 2 agents and 2 currencies: batches of different
      // requests share rollup cells, and each request's events arrive in any order.
      const events = shuffled(
        Array.from({ length: 16 }, (_, index) => {
          const id = `pr_${round}_${String(index).padStart(2, '0')}`;
          const offset = index * 1000 + round * 20 * 1000;
          const options = {
            teamId: ['tm_a', 'tm_b', 'tm_c'][index % 3]!,
            agentId: `ag_${index % 2}`,
            currency: index % 4 < 2 ? 'USD' : 'ZAR',
            amount: 100 + index,
          };
          const last = index % 3 === 0 ? 'declined' : 'paid';
          return [
            created(id, offset, options),
            step(id, 'sent', offset + MINUTE),
            step(id, 'opened', offset + 2 * MINUTE),
            step(id, last, offset + 3 * MINUTE),
          ];
        }).flat(),
        round + 1,
      );
      all.push(...events);
      const batches: Promise<IngestSummary>[] = [];
      for (let start = 0, n = 0; start < events.length; start += 5, n++) {
        const batch = events.slice(start, start + 5);
        const [first, second] = n % 2 ? [a, b] : [b, a];
        batches.push(ingestEvents(first, batch, 'api', { now, settings }));
        // Every third batch is sent again through the other instance (a client retrying elsewhere).
        if (n % 3 === 0) {
          batches.push(ingestEvents(second, batch, 'api', { now, settings }));
          resent += batch.length;
        }
      }
      for (const summary of await Promise.all(batches)) {
        expect(summary.rejected).toBe(0);
        accepted += summary.accepted;
        duplicates += summary.duplicates;
      }
    }
    expect([accepted, duplicates]).toEqual([8 * 64, resent]);
    expect(resent).toBeGreaterThan(100);
    const stored = await queryRows(
      a,
      "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events WHERE source <> 'system'",
    );
    expect(stored).toEqual([{ n: 8 * 64, ids: 8 * 64 }]);
    // A batch that left a request sent (its opened and last step yet to come) found its expiry long due
    // and recorded it; the later events voided each one (how many depends on the interleaving).
    expect(
      await queryRows(
        a,
        "SELECT count(*) AS n FROM events WHERE source = 'system' AND (applied OR anomaly IS NULL OR anomaly <> 'void')",
      ),
    ).toEqual([{ n: 0 }]);
    expect(await verifyProjections(a, settings)).toEqual({ checked: 8 * 16, different: [] });
    const maintained = await rollups(a);
    expect(maintained).toEqual(await backfilledRollups(a));

    // The same events through one SQLite writer in one batch: the same rows whatever the interleaving.
    await ingestEvents(sqlite, all, 'api', { now, settings });
    const expected = await storedRows(sqlite, 'id');
    const actual = await storedRows(a, 'id');
    expect(actual.requests).toEqual(expected.requests);
    const outcome = (row: Row) => [row.id, row.request_id, row.applied, row.anomaly];
    // All of a request's events in one batch: no expiry was ever due there.
    expect(expected.events.filter((row) => row.source === 'system')).toEqual([]);
    expect(actual.events.filter((row) => row.source !== 'system').map(outcome)).toEqual(expected.events.map(outcome));
    expect(maintained).toEqual(expected.rollups);
    expect(expected.requests.filter((row) => row.status === 'paid')).toHaveLength(8 * 10);
  });

  it('does not lock a team an event already named: a batch of its requests does not wait for another holding it', async () => {
    const [db] = (await postgresInstances(1)) as [PgDb];
    const now = T0 + 3 * MINUTE;
    await ingestEvents(db, [created('pr_1')], 'api', { now, settings });
    const holder = await db.$pg.pool.connect();
    let pending: Promise<IngestSummary> | undefined;
    try {
      await holder.query('BEGIN');
      // The lock another ingest transaction's upsert of the team held until it committed (ON CONFLICT
      // DO UPDATE locks the rows it meets even where its WHERE changes nothing), as an admin's rename does.
      await holder.query(`SELECT 1 FROM teams WHERE id = 'tm_retail' FOR NO KEY UPDATE`);
      pending = ingestEvents(db, [created('pr_2'), step('pr_2', 'sent', MINUTE)], 'api', { now, settings });
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        pending.then((summary) => summary.accepted),
        new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting for the team row'), 10_000))),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe(2);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await pending;
    }
    expect(await queryRows(db, 'SELECT id, name, name_source FROM teams')).toEqual([
      { id: 'tm_retail', name: 'Retail', name_source: 'event' },
    ]);
  });

  it('stores an event id sent through both instances at once once: the other answer is a duplicate', async () => {
    const [a, b] = (await postgresInstances(2)) as [PgDb, PgDb];
    const now = T0 + 3 * MINUTE;
    await ingestEvents(a, [created('pr_1'), created('pr_2', 0, { teamId: 'tm_b' })], 'api', { now, settings });
    for (let round = 0; round < 20; round++) {
      const sent = { ...step('pr_1', 'sent', MINUTE), id: `evt_sent_${round}` };
      const other = { ...step('pr_2', 'send_failed', MINUTE, { reason: 'channel down' }), id: `evt_failed_${round}` };
      // Alone, and in batches holding the pair in opposite orders.
      const [first, second] = await Promise.all([
        ingestEvents(a, round % 2 ? [sent] : [sent, other], 'api', { now, settings }),
        ingestEvents(b, round % 2 ? [sent] : [other, sent], 'api', { now, settings }),
      ]);
      const statusOf = (summary: IngestSummary, id: string) => summary.results.find((r) => r.id === id)!.status;
      expect([statusOf(first, sent.id), statusOf(second, sent.id)].sort()).toEqual(['accepted', 'duplicate']);
      if (round % 2 === 0) {
        expect([statusOf(first, other.id), statusOf(second, other.id)].sort()).toEqual(['accepted', 'duplicate']);
      }
    }
    expect(
      await queryRows(
        a,
        "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events WHERE id LIKE 'evt_sent_%' OR id LIKE 'evt_failed_%'",
      ),
    ).toEqual([{ n: 30, ids: 30 }]);
    expect(await queryRows(a, 'SELECT id, status, send_failures FROM payment_requests ORDER BY id')).toEqual([
      { id: 'pr_1', status: 'sent', send_failures: 0 },
      { id: 'pr_2', status: 'send_failed', send_failures: 10 },
    ]);
    expect(await verifyProjections(a, settings)).toEqual({ checked: 2, different: [] });
    expect(await rollups(a)).toEqual(await backfilledRollups(a));
  });
});
