import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  encodeCursor,
  type FeedCursor,
  type FeedStart,
  feedHorizon,
  parseCursor,
  readChangesAfterPostgres,
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

/** Commits an event for `requestId` through its own connection, notifying the feed (as ingest does) or not. */
async function commitEvent(requestId: string, notify: boolean): Promise<void> {
  const writer = await client();
  await writer.query('BEGIN');
  await insertEvent(writer, requestId);
  if (notify) await writer.query("SELECT pg_notify('paylink_changes', '')");
  await writer.query('COMMIT');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const requestNumberOf = (id: string) => Number(id.slice('pr_'.length));

/**
 * readChangesPostgres once the horizon has passed what this test committed. The horizon is the
 * whole server's: while `npm test` runs, another file's transaction (another database, another
 * process) may be open for a moment and hold it back, so the read is retried until it delivers.
 */
async function settledRead(start: FeedStart) {
  return await vi.waitFor(
    async () => {
      const read = await readChangesPostgres(db, start);
      expect(read.changes).not.toEqual([]);
      return read;
    },
    { timeout: 20_000, interval: 50 },
  );
}
const requestIds = (changes: readonly RequestChange[]) => changes.map((change) => change.requestId);

/**
 * Waits until the feed of `db` has no catch-up under way: subscribing starts one and returns without
 * waiting for it. A commit made while it reads may be delivered by it, not by what the test is about
 * (a fixed 200 ms for it to end was too short on a loaded machine).
 */
async function feedSettled(): Promise<void> {
  const feeds = (globalThis as { __paylinkPgFeeds?: Map<unknown, { reading: boolean }> }).__paylinkPgFeeds;
  await vi.waitFor(() => expect(feeds?.get(db)?.reading).toBe(false), { timeout: 10_000, interval: 20 });
}

describe.skipIf(!PG_TEST_URL)('the PostgreSQL change feed', () => {
  beforeAll(async () => {
    const name = `paylink_feed_${randomUUID().replaceAll('-', '')}`;
    admin = await connectPostgres(postgresServerUrl('postgres'));
    await admin.query(`CREATE DATABASE "${name}"`);
    url = postgresServerUrl(name);
    db = openPostgresDb(url, { max: 4 }) as PgDb;
    await migratePostgres(db.$pg.pool);
  });
  // A transaction a failed test left open would hold the horizon for every test after it.
  afterEach(async () => {
    for (const connection of opened.splice(0)) await connection.end().catch(() => {});
  });
  afterAll(async () => {
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
    const { changes, next } = await settledRead(start);
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
    const { changes } = await settledRead(start);
    expect(changes.map((change) => change.requestId)).toEqual([kept]);
  });

  it('wakes subscribers on two instances after a commit through a third connection', async () => {
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
        { timeout: 10_000, interval: 20 },
      );
    } finally {
      stopA();
      stopB();
    }
    // Unsubscribing the last listener closes each instance's LISTEN connection.
    await vi.waitFor(
      async () => {
        const { rows } = await admin.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = $1 AND query LIKE 'LISTEN paylink_changes%'`,
          [new URL(url).pathname.slice(1)],
        );
        expect(rows[0].n).toBe(0);
      },
      { timeout: 15_000, interval: 50 },
    );
    await closeDatabase(other);
  });

  it('live: delivers a commit ahead of an open transaction with a lower seq, then that one, each once', async () => {
    const [early, late, after] = [await newRequest(), await newRequest(), await newRequest()];
    const seen: RequestChange[] = [];
    const stop = await subscribeToChangesPostgres(db, (changes) => seen.push(...changes));
    try {
      const slow = await client();
      await slow.query('BEGIN');
      await insertEvent(slow, early);
      const slowTx = (await slow.query('SELECT pg_current_xact_id()::text AS tx')).rows[0].tx as string;
      await commitEvent(late, true);

      await vi.waitFor(() => expect(requestIds(seen)).toEqual([late]), { timeout: 10_000, interval: 20 });
      // Its SSE id does not pass the transaction still open: a client resuming from it loses nothing.
      const lateCursor = parseCursor(seen[0]!.cursor) as { tx: string; seq: number };
      expect(BigInt(lateCursor.tx)).toBeLessThanOrEqual(BigInt(slowTx));

      await slow.query("SELECT pg_notify('paylink_changes', '')");
      await slow.query('COMMIT');
      await vi.waitFor(() => expect(requestIds(seen)).toEqual([late, early]), { timeout: 10_000, interval: 20 });

      // The cursor passes both (a later commit settles them): neither comes again.
      await commitEvent(after, true);
      await vi.waitFor(() => expect(requestIds(seen)).toEqual([late, early, after]), { timeout: 10_000, interval: 20 });
      await sleep(1300);
      expect(requestIds(seen)).toEqual([late, early, after]);

      // A client that resumes from the id `late` came with gets `early` (and `late` again), not a gap.
      // (With a transaction of another test file open on the server, the cursor sits further back and
      // requests of this file's earlier tests come again first: repeats, never a later one.)
      const resumed = requestIds(await readChangesAfterPostgres(db, lateCursor));
      expect(resumed.slice(0, -3).every((id) => requestNumberOf(id) < requestNumberOf(early))).toBe(true);
      expect(resumed.slice(-3)).toEqual([early, late, after]);
    } finally {
      stop();
    }
  });

  it('live: a write transaction open in another database of the server does not hold the feed back', async () => {
    const [first, second] = [await newRequest(), await newRequest()];
    const seen: RequestChange[] = [];
    const stop = await subscribeToChangesPostgres(db, (changes) => seen.push(...changes));
    const elsewhere = await connectPostgres(postgresServerUrl('postgres'));
    opened.push(elsewhere);
    try {
      await elsewhere.query('BEGIN');
      const held = (await elsewhere.query('SELECT pg_current_xact_id()::text AS tx')).rows[0].tx as string;
      // `second` is in progress when `first` is delivered, and commits while the horizon is still held.
      const slow = await client();
      await slow.query('BEGIN');
      await insertEvent(slow, second);
      // Held back, neither would come before the finally's ROLLBACK: the bounds only say "does not
      // hang" (2 s each was a speed goal beside another worker and PostgreSQL on two cores).
      await commitEvent(first, true);
      await vi.waitFor(() => expect(requestIds(seen)).toEqual([first]), { timeout: 10_000, interval: 20 });
      await slow.query("SELECT pg_notify('paylink_changes', '')");
      await slow.query('COMMIT');
      await vi.waitFor(() => expect(requestIds(seen)).toEqual([first, second]), { timeout: 10_000, interval: 20 });
      // The horizon was held all along (here, or further back by another test file's transaction):
      // the settled read alone would have delivered neither.
      expect(BigInt((await feedHorizon(db)).tx)).toBeLessThanOrEqual(BigInt(held));
    } finally {
      await elsewhere.query('ROLLBACK');
      stop();
    }
  });

  it('live: the notification is what wakes the feed, not the poll', async () => {
    const [quiet, loud] = [await newRequest(), await newRequest()];
    const seen: RequestChange[] = [];
    const stop = await subscribeToChangesPostgres(db, (changes) => seen.push(...changes), { pollMs: 60_000 });
    try {
      await feedSettled();
      await commitEvent(quiet, false);
      await sleep(700);
      expect(seen).toEqual([]);
      const started = Date.now();
      await commitEvent(loud, true);
      // A "does not hang" bound: without the notification the next look is the poll's, a minute on.
      await vi.waitFor(() => expect(requestIds(seen)).toEqual([quiet, loud]), { timeout: 10_000, interval: 10 });
      console.info(`change feed: notification to delivery ${Date.now() - started} ms`);
    } finally {
      stop();
    }
  });

  it('live: a commit nobody notified arrives by the poll (every second)', async () => {
    const requestId = await newRequest();
    const seen: RequestChange[] = [];
    const stop = await subscribeToChangesPostgres(db, (changes) => seen.push(...changes));
    try {
      await feedSettled();
      await commitEvent(requestId, false);
      // Nothing but the poll looks again: the bound only says "does not hang" (2 s was a speed goal).
      await vi.waitFor(() => expect(requestIds(seen)).toEqual([requestId]), { timeout: 10_000, interval: 20 });
    } finally {
      stop();
    }
  });

  it('resume: commits above an open transaction come with a cursor before it', async () => {
    const [early, late] = [await newRequest(), await newRequest()];
    const start = await feedHorizon(db);
    const slow = await client();
    await slow.query('BEGIN');
    await insertEvent(slow, early);
    const slowTx = BigInt((await slow.query<{ tx: string }>('SELECT pg_current_xact_id()::text AS tx')).rows[0]!.tx);
    await commitEvent(late, false);
    // Only this test's requests: with another test file's transaction open, the horizon (and `start`)
    // sit further back and earlier tests' requests come too.
    const resumed = (await readChangesAfterPostgres(db, start)).filter((change) =>
      [early, late].includes(change.requestId),
    );
    expect(resumed.map((change) => change.requestId)).toEqual([late]);
    // The cursor is the horizon of the read: at or before the open transaction, not past `start`'s.
    // It is `start` itself unless another file's transaction, open then, ended before the read (a
    // run once saw it so): then it is a later horizon, still at or before the open one.
    const cursor = parseCursor(resumed[0]!.cursor) as FeedCursor;
    const tx = BigInt(cursor.tx);
    expect({ seq: cursor.seq, afterStart: tx >= BigInt(start.tx), atOrBeforeOpen: tx <= slowTx }).toEqual({
      seq: 0,
      afterStart: true,
      atOrBeforeOpen: true,
    });
    await slow.query('COMMIT');
    const again = requestIds(await readChangesAfterPostgres(db, parseCursor(resumed[0]!.cursor)!));
    expect(again.filter((id) => [early, late].includes(id))).toEqual([early, late]);
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
    const { changes } = await settledRead({ afterSeq: seq - 1 });
    expect(changes.map((change) => [change.requestId, change.seq])).toEqual([[requestId, seq]]);
  });

  it('pages in transaction-id order, not in the order of the ids as text (99 < 100)', async () => {
    // Set by hand below any real transaction (all settled): across 9 -> 10, as 999999 -> 1000000
    // in production, text order would put 10 first and a page of one would then pass 8 and 9.
    const byTx = new Map<string, string>();
    for (const tx of ['8', '9', '10']) {
      const requestId = await newRequest();
      byTx.set(tx, requestId);
      await db.$pg.query(
        `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, body, tx)
         VALUES ($1, $2, 'payment_request.sent', 0, 0, 'api', '{}', $3::xid8)`,
        [`evt_${++eventNumber}`, requestId, tx],
      );
    }
    const read: string[] = [];
    let cursor: FeedCursor = { tx: '7', seq: 0 };
    for (let page = 0; page < 3; page++) {
      const { changes, next } = await readChangesPostgres(db, cursor, 1);
      read.push(...requestIds(changes));
      if (!next) break;
      cursor = next;
    }
    expect(read).toEqual([byTx.get('8'), byTx.get('9'), byTx.get('10')]);
    expect(cursor.tx).toBe('10');
  });
});
