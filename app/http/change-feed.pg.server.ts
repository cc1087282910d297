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
 * migration 0008), and a catch-up reads, in (tx, seq) order, only events of transactions older than
 * every transaction still in progress (pg_snapshot_xmin): those are all committed (or rolled back,
 * and invisible), so nothing can commit behind the cursor later. Ingest notifies paylink_changes
 * at commit; each process LISTENs on one connection of its own and catches up on every
 * notification, and once a second in case one was missed.
 */

/** A position in commit order: the writing transaction's id (xid8, as decimal text) and the event's seq. */
export interface FeedCursor {
  tx: string;
  seq: number;
}

type PostgresDb = Db & { $pg: PostgresHandle };

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
export function parseCursor(text: string): FeedCursor | { afterSeq: number } | null {
  const match = /^(\d{1,20})\.(\d{1,15})$/.exec(text);
  if (match) return { tx: match[1]!, seq: Number(match[2]) };
  const seq = Number(text);
  return /^\d{1,15}$/.test(text) && seq > 0 ? { afterSeq: seq } : null;
}

/** Where a new subscriber starts: after every transaction that has finished. */
export async function feedHorizon(db: PostgresDb): Promise<FeedCursor> {
  const [row] = await db.$pg.query<{ tx: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS tx');
  return { tx: row!.tx, seq: 0 };
}

/**
 * The requests touched by events after `after` in commit order (orphans excluded), with their
 * current projection, and the cursor to read from next (the last event read, even when none of
 * its requests has a projection yet).
 */
export async function readChangesPostgres(
  db: PostgresDb,
  after: FeedCursor | { afterSeq: number },
  limit = MAX_PER_READ,
): Promise<{ changes: RequestChange[]; next: FeedCursor | null }> {
  const page =
    'afterSeq' in after
      ? await db.$pg.query<{ tx: string; seq: number; request_id: string }>(
          `SELECT tx::text AS tx, seq, request_id FROM events
           WHERE seq > $1 AND tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx, seq LIMIT $2`,
          [after.afterSeq, limit],
        )
      : await db.$pg.query<{ tx: string; seq: number; request_id: string }>(
          `SELECT tx::text AS tx, seq, request_id FROM events
           WHERE (tx, seq) > ($1::xid8, $2::bigint) AND tx < pg_snapshot_xmin(pg_current_snapshot())
           ORDER BY tx, seq LIMIT $3`,
          [after.tx, after.seq, limit],
        );
  if (page.length === 0) return { changes: [], next: null };
  // Each request once, at the position of its last event in the page.
  const lastOf = new Map<string, { tx: string; seq: number }>();
  for (const row of page) {
    lastOf.delete(row.request_id);
    lastOf.set(row.request_id, { tx: row.tx, seq: row.seq });
  }
  const rows = await db.$pg.query<{
    id: string;
    agent_id: string;
    team_id: string;
    status: Status;
    expires_at: number | null;
  }>('SELECT id, agent_id, team_id, status, expires_at FROM payment_requests WHERE id = ANY($1::text[])', [
    [...lastOf.keys()],
  ]);
  const projections = new Map(rows.map((row) => [row.id, row]));
  const changes: RequestChange[] = [];
  for (const [requestId, position] of lastOf) {
    const row = projections.get(requestId);
    if (!row) continue;
    changes.push({
      seq: position.seq,
      cursor: encodeCursor(position),
      requestId,
      agentId: row.agent_id,
      teamId: row.team_id,
      status: row.status,
      statusLabel: STATUS_LABELS[row.status],
      expiresAt: row.expires_at,
    });
  }
  const last = page[page.length - 1]!;
  return { changes, next: { tx: last.tx, seq: last.seq } };
}

type Listener = (changes: RequestChange[]) => void;

interface Feed {
  db: PostgresDb;
  cursor: FeedCursor;
  listeners: Set<Listener>;
  timer: NodeJS.Timeout | null;
  listener: pg.Client | null;
  /** A catch-up is under way; `again` asks it to read once more when it ends. */
  reading: boolean;
  again: boolean;
  stopped: boolean;
  /** Settles once the starting cursor (feedHorizon) is known. */
  ready: Promise<void>;
}

/** The feed of each database handle (one per process in production; tests open several). */
const globalForFeed = globalThis as unknown as { __paylinkPgFeeds?: Map<PostgresDb, Feed> };
const feeds = () => (globalForFeed.__paylinkPgFeeds ??= new Map());

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
      for (;;) {
        const { changes, next } = await readChangesPostgres(feed.db, feed.cursor);
        if (!next || feed.stopped) break;
        feed.cursor = next;
        if (changes.length > 0) for (const notify of feed.listeners) notify(changes);
      }
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

/** subscribeToChanges on PostgreSQL: changes committed through any instance, within about a second. */
export async function subscribeToChangesPostgres(db: PostgresDb, listener: Listener): Promise<() => void> {
  let active = feeds().get(db);
  if (!active) {
    const feed: Feed = {
      db,
      cursor: { tx: '0', seq: 0 },
      listeners: new Set(),
      timer: null,
      listener: null,
      reading: false,
      again: false,
      stopped: false,
      ready: Promise.resolve(),
    };
    feed.ready = feedHorizon(db).then(
      (cursor) => {
        feed.cursor = cursor;
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
  if (active.stopped) return subscribeToChangesPostgres(db, listener);
  active.listeners.add(listener);
  active.timer ??= setInterval(() => {
    void listen(active);
    void catchUp(active);
  }, POLL_MS);
  await listen(active);
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
