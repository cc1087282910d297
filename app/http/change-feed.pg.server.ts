import type pg from 'pg';
import type { Db, PostgresHandle } from '../../db/client';
import { connectPostgres } from '../../db/pg-client';
import { STATUS_LABELS, type Status } from '../domain/lifecycle';
import { CHANGES_CHANNEL } from '../write/ingest.pg.server';
import type { RequestChange } from './change-feed.server';

/**
 * The live feed on PostgreSQL (issue 13), where several instances write at once and `seq` is not
 * commit order: a transaction holding seq 10 may commit after one holding seq 11, so a reader of
 * "seq > last seen" would skip 10. Each event records the transaction that wrote it (events.tx,
 * migration 0008). A reader's cursor moves, in (tx, seq) order, only over events of transactions
 * older than every transaction still in progress (pg_snapshot_xmin): those have all committed (or
 * rolled back, and are invisible), so nothing can commit behind the cursor later.
 *
 * That horizon is the whole cluster's: one write transaction left open anywhere on the server,
 * in any database, holds it back for as long as it runs. So transactions above the horizon that
 * have already committed are delivered at once ("ahead"), whole, and remembered until the cursor
 * passes them, so they are not delivered again; a change delivered ahead carries the cursor as it
 * stands, never beyond a transaction still in progress, and a client that resumes from it may see
 * that change again (the current status, so harmlessly) but never misses one.
 *
 * Ingest notifies paylink_changes at commit; each process LISTENs on one connection of its own and
 * catches up on every notification, and once a second in case one was missed.
 */

/** A position in commit order: the writing transaction's id (xid8, as decimal text) and the event's seq. */
export interface FeedCursor {
  tx: string;
  seq: number;
}

/** Where a read starts: a cursor, or a plain seq (every event after it, whatever its transaction). */
export type FeedStart = FeedCursor | { afterSeq: number };

type PostgresDb = Db & { $pg: PostgresHandle };

interface EventRow {
  tx: string;
  seq: number;
  request_id: string;
}

const POLL_MS = 1000;
const MAX_PER_READ = 5000;

/** The cursor as an SSE event id: `<tx>.<seq>`. */
export function encodeCursor(cursor: FeedCursor): string {
  return `${cursor.tx}.${cursor.seq}`;
}

/**
 * A Last-Event-ID: `<tx>.<seq>` from this feed, or a plain seq (a client of the SQLite feed, or a
 * hand-written `after=`): then every event with a higher seq, whatever its transaction.
 */
export function parseCursor(text: string): FeedStart | null {
  const match = /^(\d{1,20})\.(\d{1,15})$/.exec(text);
  if (match) return { tx: match[1]!, seq: Number(match[2]) };
  const seq = Number(text);
  return /^\d{1,15}$/.test(text) && seq > 0 ? { afterSeq: seq } : null;
}

const startText = (start: FeedStart) => ('afterSeq' in start ? String(start.afterSeq) : encodeCursor(start));

/** Where a new subscriber starts: after every transaction that has finished. */
export async function feedHorizon(db: PostgresDb): Promise<FeedCursor> {
  const [row] = await db.$pg.query<{ tx: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS tx');
  return { tx: row!.tx, seq: 0 };
}

/**
 * Where a feed starts, from one snapshot: the horizon, the transactions above it that have
 * already committed (seen: not the feed's to deliver), and the snapshot itself.
 */
async function feedStart(db: PostgresDb): Promise<{ cursor: FeedCursor; ahead: Set<string>; snapshot: string }> {
  const [row] = await db.$pg.query<{ tx: string; ahead: string[]; snapshot: string }>(
    `WITH s AS (SELECT pg_current_snapshot() AS now)
     SELECT pg_snapshot_xmin(s.now)::text AS tx, s.now::text AS snapshot,
       array(SELECT DISTINCT tx::text FROM events WHERE tx >= pg_snapshot_xmin(s.now)) AS ahead
     FROM s`,
  );
  return { cursor: { tx: row!.tx, seq: 0 }, ahead: new Set(row!.ahead), snapshot: row!.snapshot };
}

/** Bound values and the condition "after `start`" over events.tx and .seq, from fixed SQL only. */
function afterCondition(start: FeedStart, first: number): { sql: string; values: unknown[] } {
  return 'afterSeq' in start
    ? { sql: `events.seq > $${first}`, values: [start.afterSeq] }
    : { sql: `(events.tx, events.seq) > ($${first}::xid8, $${first + 1}::bigint)`, values: [start.tx, start.seq] };
}

// Rows carry tx as text (xid8 has no JavaScript type), so every ORDER BY names events.tx: a bare
// `tx` would sort by that text ('1000' before '999'), and a page cut there would skip rows.

/** Events after `after` of transactions that can no longer be in progress, in commit order. */
function readSettled(db: PostgresDb, after: FeedStart, limit: number): Promise<EventRow[]> {
  const condition = afterCondition(after, 2);
  return db.$pg.query<EventRow>(
    `SELECT events.tx::text AS tx, events.seq, events.request_id FROM events
     WHERE ${condition.sql} AND events.tx < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY events.tx, events.seq LIMIT $1`,
    [limit, ...condition.values],
  );
}

/**
 * Events after `after` of transactions above the horizon that have committed (visible, and not
 * this reader's: it writes nothing), and this read's snapshot. With `since` (an earlier read's
 * snapshot), only transactions that had not committed by then: those are at or above its xmax or
 * among its in-progress ones, which an index on (tx, seq) finds without reading what was read
 * before, however long the horizon is held. Whole transactions only: a cut page drops the
 * transaction it cut (the settled read delivers it, and any left unread, later).
 */
async function readAhead(
  db: PostgresDb,
  after: FeedStart,
  since: string | null,
  limit: number,
): Promise<{ rows: EventRow[]; snapshot: string }> {
  const condition = afterCondition(after, 3);
  const unseen =
    since === null
      ? '$1::pg_snapshot IS NULL'
      : `(events.tx >= pg_snapshot_xmax($1::pg_snapshot)
          OR events.tx = ANY(array(SELECT pg_snapshot_xip($1::pg_snapshot))))`;
  const page = await db.$pg.query<{ snapshot: string; tx: string | null; seq: number; request_id: string }>(
    `WITH s AS (SELECT pg_current_snapshot() AS now)
     SELECT s.now::text AS snapshot, ahead.tx, ahead.seq, ahead.request_id
     FROM s LEFT JOIN LATERAL (
       SELECT events.tx::text AS tx, events.seq, events.request_id FROM events
       WHERE events.tx >= pg_snapshot_xmin(s.now) AND ${unseen} AND ${condition.sql}
       ORDER BY events.tx, events.seq LIMIT $2
     ) ahead ON true`,
    [since, limit + 1, ...condition.values],
  );
  const snapshot = page[0]!.snapshot;
  const rows = page.filter((row): row is typeof row & { tx: string } => row.tx !== null);
  if (rows.length <= limit) return { rows, snapshot };
  const cut = rows[limit]!.tx;
  return { rows: rows.slice(0, limit).filter((row) => row.tx !== cut), snapshot };
}

/**
 * The requests behind `rows` with their current projection (orphans excluded), each once, at
 * its last row and with that row's cursor.
 */
async function toChanges(db: PostgresDb, rows: readonly (EventRow & { cursor: string })[]): Promise<RequestChange[]> {
  if (rows.length === 0) return [];
  const lastOf = new Map<string, { seq: number; cursor: string }>();
  for (const row of rows) {
    lastOf.delete(row.request_id);
    lastOf.set(row.request_id, { seq: row.seq, cursor: row.cursor });
  }
  const projected = await db.$pg.query<{
    id: string;
    agent_id: string;
    team_id: string;
    status: Status;
    expires_at: number | null;
  }>('SELECT id, agent_id, team_id, status, expires_at FROM payment_requests WHERE id = ANY($1::text[])', [
    [...lastOf.keys()],
  ]);
  const projections = new Map(projected.map((row) => [row.id, row]));
  const changes: RequestChange[] = [];
  for (const [requestId, position] of lastOf) {
    const row = projections.get(requestId);
    if (!row) continue;
    changes.push({
      seq: position.seq,
      cursor: position.cursor,
      requestId,
      agentId: row.agent_id,
      teamId: row.team_id,
      status: row.status,
      statusLabel: STATUS_LABELS[row.status],
      expiresAt: row.expires_at,
    });
  }
  return changes;
}

/**
 * The requests touched by events after `after` in commit order, up to the horizon, and the cursor
 * to read from next (the last event read, even when none of its requests has a projection yet, or
 * its transaction is in `delivered`: those were delivered ahead and are passed over).
 */
export async function readChangesPostgres(
  db: PostgresDb,
  after: FeedStart,
  limit = MAX_PER_READ,
  delivered: ReadonlySet<string> = new Set(),
): Promise<{ changes: RequestChange[]; next: FeedCursor | null }> {
  const page = await readSettled(db, after, limit);
  if (page.length === 0) return { changes: [], next: null };
  const fresh = page.filter((row) => !delivered.has(row.tx));
  const changes = await toChanges(
    db,
    fresh.map((row) => ({ ...row, cursor: encodeCursor(row) })),
  );
  const last = page[page.length - 1]!;
  return { changes, next: { tx: last.tx, seq: last.seq } };
}

/**
 * For a client resuming from its Last-Event-ID: every committed change after `after`, those up to
 * the horizon in commit order, then those already committed above it with the cursor where the
 * first part ended (a resume from there may repeat them, never pass a transaction in progress).
 */
export async function readChangesAfterPostgres(
  db: PostgresDb,
  after: FeedStart,
  limit = MAX_PER_READ,
): Promise<RequestChange[]> {
  const settled = await readSettled(db, after, limit);
  const last = settled[settled.length - 1];
  const resumeAt = last ? encodeCursor(last) : startText(after);
  const { rows: ahead } = await readAhead(db, after, null, limit);
  return toChanges(db, [
    ...settled.map((row) => ({ ...row, cursor: encodeCursor(row) })),
    ...ahead.map((row) => ({ ...row, cursor: resumeAt })),
  ]);
}

type Listener = (changes: RequestChange[]) => void;

interface Feed {
  db: PostgresDb;
  cursor: FeedCursor;
  /** Committed transactions above the cursor whose events were delivered ahead of it (or before the feed began). */
  ahead: Set<string>;
  /** The snapshot of the last read ahead: what had committed by then has been read. */
  aheadSnapshot: string | null;
  listeners: Set<Listener>;
  timer: NodeJS.Timeout | null;
  listener: pg.Client | null;
  /** The LISTEN connection being made, if one is. */
  connecting: Promise<void> | null;
  /** A catch-up is under way; `again` asks it to read once more when it ends. */
  reading: boolean;
  again: boolean;
  stopped: boolean;
  /** Settles once the starting cursor (feedStart) is known. */
  ready: Promise<void>;
}

/** The feed of each database handle (one per process in production; tests open several). */
const globalForFeed = globalThis as unknown as { __paylinkPgFeeds?: Map<PostgresDb, Feed> };
const feeds = () => (globalForFeed.__paylinkPgFeeds ??= new Map());

function deliver(feed: Feed, changes: RequestChange[]): void {
  if (changes.length > 0) for (const notify of feed.listeners) notify(changes);
}

/** Moves the cursor up to the horizon, passing over what was delivered ahead. */
async function catchUpSettled(feed: Feed): Promise<void> {
  for (;;) {
    const { changes, next } = await readChangesPostgres(feed.db, feed.cursor, MAX_PER_READ, feed.ahead);
    if (!next || feed.stopped) return;
    feed.cursor = next;
    // Read in tx order: every event of a transaction below the cursor's is behind it for good.
    for (const tx of feed.ahead) if (BigInt(tx) < BigInt(next.tx)) feed.ahead.delete(tx);
    deliver(feed, changes);
  }
}

/** Delivers, without waiting for the horizon, transactions that have committed above it since the last look. */
async function catchUpAhead(feed: Feed): Promise<void> {
  const { rows, snapshot } = await readAhead(feed.db, feed.cursor, feed.aheadSnapshot, MAX_PER_READ);
  if (feed.stopped) return;
  feed.aheadSnapshot = snapshot;
  for (const row of rows) feed.ahead.add(row.tx);
  const cursor = encodeCursor(feed.cursor);
  const changes = await toChanges(
    feed.db,
    rows.map((row) => ({ ...row, cursor })),
  );
  deliver(feed, changes);
}

async function catchUp(feed: Feed): Promise<void> {
  if (feed.reading) {
    feed.again = true;
    return;
  }
  feed.reading = true;
  try {
    await feed.ready;
    do {
      feed.again = false;
      await catchUpSettled(feed);
      if (!feed.stopped) await catchUpAhead(feed);
    } while (feed.again && !feed.stopped);
  } catch (error) {
    console.error('Change feed catch-up failed', error);
  } finally {
    feed.reading = false;
  }
}

/** One LISTEN connection per process; on error it is dropped and made again at the next poll. */
async function listen(feed: Feed): Promise<void> {
  if (feed.listener || feed.stopped) return;
  // Subscribers that join at once (and the poll) wait for the one connection being made: each
  // making its own left all but the last open, unclosed, for the life of the process.
  feed.connecting ??= connectListener(feed).finally(() => {
    feed.connecting = null;
  });
  await feed.connecting;
}

async function connectListener(feed: Feed): Promise<void> {
  const url = (feed.db.$pg.pool.options as { connectionString?: string }).connectionString;
  if (!url) return;
  try {
    const client = await connectPostgres(url);
    if (feed.stopped) {
      await client.end();
      return;
    }
    feed.listener = client;
    client.on('notification', () => void catchUp(feed));
    client.on('error', (error) => {
      console.error('Change feed LISTEN connection failed', error);
      if (feed.listener === client) feed.listener = null;
      void client.end().catch(() => {});
    });
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
  } catch (error) {
    console.error('Change feed could not LISTEN', error);
  }
}

/**
 * subscribeToChanges on PostgreSQL: changes committed through any instance, as soon as the commit
 * notifies, and within `pollMs` (1 s; set by the feed's first subscriber) if a notification is lost.
 */
export async function subscribeToChangesPostgres(
  db: PostgresDb,
  listener: Listener,
  options: { pollMs?: number } = {},
): Promise<() => void> {
  let active = feeds().get(db);
  if (!active) {
    const feed: Feed = {
      db,
      cursor: { tx: '0', seq: 0 },
      ahead: new Set(),
      aheadSnapshot: null,
      listeners: new Set(),
      timer: null,
      listener: null,
      connecting: null,
      reading: false,
      again: false,
      stopped: false,
      ready: Promise.resolve(),
    };
    feed.ready = feedStart(db).then(
      (start) => {
        feed.cursor = start.cursor;
        feed.ahead = start.ahead;
        feed.aheadSnapshot = start.snapshot;
      },
      (error: unknown) => {
        // The next subscriber tries again.
        if (feeds().get(db) === feed) feeds().delete(db);
        throw error;
      },
    );
    feeds().set(db, feed);
    active = feed;
  }
  await active.ready;
  // The last subscriber left while this one waited: start afresh.
  if (active.stopped) return subscribeToChangesPostgres(db, listener, options);
  active.listeners.add(listener);
  active.timer ??= setInterval(() => {
    void listen(active);
    void catchUp(active);
  }, options.pollMs ?? POLL_MS);
  await listen(active);
  // What committed between the starting snapshot and LISTEN notified nobody here.
  void catchUp(active);
  return () => {
    active.listeners.delete(listener);
    if (active.listeners.size > 0) return;
    active.stopped = true;
    if (active.timer) clearInterval(active.timer);
    active.timer = null;
    const client = active.listener;
    active.listener = null;
    void client?.end().catch(() => {});
    if (feeds().get(db) === active) feeds().delete(db);
  };
}

/** Listeners subscribed to this process's PostgreSQL feed. */
export function postgresListenerCount(): number {
  let count = 0;
  for (const feed of feeds().values()) count += feed.listeners.size;
  return count;
}
