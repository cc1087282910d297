import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  encodeCursor,
  feedHorizon,
  parseCursor,
  readChangesPostgres,
  subscribeToChangesPostgres,
} from '../../app/http/change-feed.pg.server';
import type { RequestChange } from '../../app/http/change-feed.server';
import { closeDatabase, type Db, openPostgresDb, type PostgresHandle } from '../../db/client';
import { connectPostgres, migratePostgres } from '../../db/pg-client';
import { postgresServerUrl } from '../support/postgres';

// The live feed's commit order on PostgreSQL (issue 13): a row committed late with a lower seq is
// never skipped. Runs only with PG_TEST_URL (scripts/pg-cluster.sh start; PG_TEST_URL=$(… url)).

const PG_TEST_URL = process.env.PG_TEST_URL;
type PgDb = Db & { $pg: PostgresHandle };

let url: string;
let admin: pg.Client;
let db: PgDb;
const opened: pg.Client[] = [];

async function client(): Promise<pg.Client> {
  const connection = await connectPostgres(url);
  opened.push(connection);
  return connection;
}

let requestNumber = 0;
/** A projection row for a new request (the feed joins events to it). */
async function newRequest(): Promise<string> {
  const id = `pr_${++requestNumber}`;
  await db.$pg.query(
    `INSERT INTO payment_requests (id, agent_id, team_id, amount, currency, channel, order_number, reason,
       customer_phone, status, created_at, last_event_at, updated_at)
     VALUES ($1, 'ag_1', 'tm_1', 100, 'USD', 'sms', 'SO-1', 'Shoes', '+15550000000', 'sent', 0, 0, 0)`,
    [id],
  );
  return id;
}

let eventNumber = 0;
const insertEvent = (connection: pg.Client | pg.Pool, requestId: string) =>
  connection.query(
    `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, body)
     VALUES ($1, $2, 'payment_request.sent', 0, 0, 'api', '{}') RETURNING seq`,
    [`evt_${++eventNumber}`, requestId],
  );

describe.skipIf(!PG_TEST_URL)('the PostgreSQL change feed', () => {
  beforeAll(async () => {
    const name = `paylink_feed_${randomUUID().replaceAll('-', '')}`;
    admin = await connectPostgres(postgresServerUrl('postgres'));
    await admin.query(`CREATE DATABASE "${name}"`);
    url = postgresServerUrl(name);
    db = openPostgresDb(url, { max: 4 }) as PgDb;
    await migratePostgres(db.$pg.pool);
  });
  afterAll(async () => {
    for (const connection of opened) await connection.end().catch(() => {});
    await closeDatabase(db);
    await admin?.end();
  });

  it('does not pass a transaction still in progress, and delivers its event once it commits', async () => {
    const [early, late] = [await newRequest(), await newRequest()];
    const start = await feedHorizon(db);
    const slow = await client();
    const fast = await client();
    await slow.query('BEGIN');
    const lowSeq = (await insertEvent(slow, early)).rows[0].seq as number;
    await fast.query('BEGIN');
    const highSeq = (await insertEvent(fast, late)).rows[0].seq as number;
    await fast.query('COMMIT');
    expect(highSeq).toBeGreaterThan(lowSeq);

    // The committed higher seq is held back while the lower one may still commit.
    expect(await readChangesPostgres(db, start)).toEqual({ changes: [], next: null });

    await slow.query('COMMIT');
    const { changes, next } = await readChangesPostgres(db, start);
    expect(changes.map((change) => [change.requestId, change.seq])).toEqual([
      [early, lowSeq],
      [late, highSeq],
    ]);
    expect(changes.map((change) => parseCursor(change.cursor))).toEqual(
      changes.map((change) => ({ tx: change.cursor.split('.')[0], seq: change.seq })),
    );
    expect(next).toEqual(parseCursor(changes[1]!.cursor));
    // Read from there, nothing is delivered twice.
    expect(await readChangesPostgres(db, next!)).toEqual({ changes: [], next: null });
  });

  it('delivers a rolled-back transaction never, and what commits after it in order', async () => {
    const [gone, kept] = [await newRequest(), await newRequest()];
    const start = await feedHorizon(db);
    const aborted = await client();
    await aborted.query('BEGIN');
    await insertEvent(aborted, gone);
    await insertEvent(db.$pg.pool, kept);
    await aborted.query('ROLLBACK');
    const { changes } = await readChangesPostgres(db, start);
    expect(changes.map((change) => change.requestId)).toEqual([kept]);
  });

  it('wakes subscribers on two instances within 2 s of a commit through a third connection', async () => {
    const other = openPostgresDb(url, { max: 2 }) as PgDb;
    const seenA: RequestChange[] = [];
    const seenB: RequestChange[] = [];
    const stopA = await subscribeToChangesPostgres(db, (changes) => seenA.push(...changes));
    const stopB = await subscribeToChangesPostgres(other, (changes) => seenB.push(...changes));
    try {
      const requestId = await newRequest();
      const writer = await client();
      await writer.query('BEGIN');
      await insertEvent(writer, requestId);
      await writer.query("SELECT pg_notify('paylink_changes', '')");
      await writer.query('COMMIT');
      await vi.waitFor(
        () => {
          expect(seenA.map((change) => change.requestId)).toEqual([requestId]);
          expect(seenB.map((change) => change.requestId)).toEqual([requestId]);
        },
        { timeout: 2000, interval: 20 },
      );
    } finally {
      stopA();
      stopB();
    }
    // Unsubscribing the last listener closes each instance's LISTEN connection.
    await vi.waitFor(
      async () => {
        const { rows } = await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN paylink_changes%'",
        );
        expect(rows[0].n).toBe(0);
      },
      { timeout: 5000, interval: 50 },
    );
    await closeDatabase(other);
  });

  it('reads a plain seq (a SQLite-era Last-Event-ID) as every event after it, and refuses garbage', async () => {
    expect(parseCursor('12')).toEqual({ afterSeq: 12 });
    expect(parseCursor('123456789012.34')).toEqual({ tx: '123456789012', seq: 34 });
    expect(encodeCursor({ tx: '123456789012', seq: 34 })).toBe('123456789012.34');
    expect(parseCursor('0')).toBeNull();
    expect(parseCursor('1.2.3')).toBeNull();
    expect(parseCursor("1'; DROP TABLE events")).toBeNull();
    const requestId = await newRequest();
    const seq = (await insertEvent(db.$pg.pool, requestId)).rows[0].seq as number;
    const { changes } = await readChangesPostgres(db, { afterSeq: seq - 1 });
    expect(changes.map((change) => [change.requestId, change.seq])).toEqual([[requestId, seq]]);
  });
});
