import { type Db, getDb, onPostgres } from '../../db/client';
import { canSee, type Viewer } from '../domain/access';
import { STATUS_LABELS, type Status } from '../domain/lifecycle';
import {
  parseCursor,
  postgresListenerCount,
  readChangesAfterPostgres,
  subscribeToChangesPostgres,
} from './change-feed.pg.server';

/** One request whose events changed, as live views receive it. */
export interface RequestChange {
  /** The highest events.seq behind this change. */
  seq: number;
  /**
   * Where a reader resumes after this change (SSE id, Last-Event-ID): the seq on SQLite (one writer:
   * seq order is commit order), `<transaction>.<seq>` on PostgreSQL (change-feed.pg.server.ts).
   */
  cursor: string;
  requestId: string;
  agentId: string;
  teamId: string;
  status: Status;
  statusLabel: string;
  expiresAt: number | null;
}

type Listener = (changes: RequestChange[]) => void;

const POLL_MS = 1000;
const MAX_PER_POLL = 5000;

interface Feed {
  cursor: number;
  listeners: Set<Listener>;
  timer: NodeJS.Timeout | null;
  /** A poll is under way: the next tick skips rather than read the same changes twice. */
  polling: boolean;
}

const globalForFeed = globalThis as unknown as { __paylinkFeed?: Feed };

/**
 * Requests touched by events after the cursor `after` (a change's `cursor`, or a seq), with their
 * current projection (orphans excluded). An unreadable cursor reads nothing.
 */
export async function readChangesSince(db: Db, after: number | string, limit = MAX_PER_POLL): Promise<RequestChange[]> {
  if (onPostgres(db)) {
    const cursor = parseCursor(String(after));
    return cursor ? readChangesAfterPostgres(db, cursor, limit) : [];
  }
  const afterSeq = Number(after);
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) return [];
  const rows = db.$client
    .prepare<
      [number, number],
      { seq: number; id: string; agent_id: string; team_id: string; status: Status; expires_at: number | null }
    >(
      `SELECT max(e.seq) AS seq, r.id, r.agent_id, r.team_id, r.status, r.expires_at
       FROM (SELECT seq, request_id FROM events WHERE seq > ? ORDER BY seq LIMIT ?) e
       JOIN payment_requests r ON r.id = e.request_id
       GROUP BY r.id ORDER BY seq`,
    )
    .all(afterSeq, limit);
  return rows.map((row) => ({
    seq: row.seq,
    cursor: String(row.seq),
    requestId: row.id,
    agentId: row.agent_id,
    teamId: row.team_id,
    status: row.status,
    statusLabel: STATUS_LABELS[row.status],
    expiresAt: row.expires_at,
  }));
}

export async function currentSeq(db: Db): Promise<number> {
  return (db.$client.prepare('SELECT coalesce(max(seq), 0) AS seq FROM events').get() as { seq: number }).seq;
}

/**
 * Polls the events table once per process and fans changes out to subscribers. Polling the
 * database (not an in-process bus) also carries changes written by other processes: the CLI
 * import, a second server.
 */
export async function subscribeToChanges(listener: Listener): Promise<() => void> {
  const db = getDb();
  if (onPostgres(db)) return subscribeToChangesPostgres(db, listener);
  globalForFeed.__paylinkFeed ??= { cursor: 0, listeners: new Set(), timer: null, polling: false };
  const active = globalForFeed.__paylinkFeed;
  if (active.listeners.size === 0) active.cursor = await currentSeq(getDb());
  active.listeners.add(listener);
  active.timer ??= setInterval(() => {
    if (active.polling) return;
    active.polling = true;
    readChangesSince(getDb(), active.cursor)
      .then((changes) => {
        if (changes.length === 0) return;
        active.cursor = Math.max(...changes.map((change) => change.seq));
        for (const notify of active.listeners) notify(changes);
      })
      .catch((error) => console.error('Change feed poll failed', error))
      .finally(() => {
        active.polling = false;
      });
  }, POLL_MS);
  return () => {
    active.listeners.delete(listener);
    if (active.listeners.size === 0 && active.timer) {
      clearInterval(active.timer);
      active.timer = null;
    }
  };
}

export function visibleChanges(viewer: Viewer, changes: readonly RequestChange[]): RequestChange[] {
  return changes.filter((change) => canSee(viewer, change));
}

/** Listeners currently subscribed to the feed (one per open live stream). */
export function changeListenerCount(): number {
  return (globalForFeed.__paylinkFeed?.listeners.size ?? 0) + postgresListenerCount();
}

interface LiveStream {
  userId: string;
  /** Ends the stream for good: flushes what is queued, unsubscribes, stops its heartbeat. */
  close(): void;
  /** Bytes written for this client that its socket has not taken yet. */
  queuedBytes(): number;
}

const globalForStreams = globalThis as unknown as { __paylinkLiveStreams?: Set<LiveStream> };

function liveStreams(): Set<LiveStream> {
  globalForStreams.__paylinkLiveStreams ??= new Set();
  return globalForStreams.__paylinkLiveStreams;
}

export interface LiveStreamLimits {
  perUser: number;
  total: number;
}

/**
 * Registers an SSE connection, or says which cap refuses it: each user may hold `perUser` streams
 * and the process `total` (finding 1: 200 stalled clients took the server down). The returned
 * function unregisters it.
 */
export function registerLiveStream(stream: LiveStream, limits: LiveStreamLimits): (() => void) | 'per_user' | 'total' {
  const streams = liveStreams();
  if (streams.size >= limits.total) return 'total';
  let mine = 0;
  for (const other of streams) if (other.userId === stream.userId) mine += 1;
  if (mine >= limits.perUser) return 'per_user';
  streams.add(stream);
  return () => {
    streams.delete(stream);
  };
}

export function liveStreamCount(): number {
  return liveStreams().size;
}

/** Bytes held in this process for all live-update clients together (bounded per client by design). */
export function liveStreamQueuedBytes(): number {
  let total = 0;
  for (const stream of liveStreams()) total += stream.queuedBytes();
  return total;
}

/** At shutdown: ends every live stream so its connection can close. */
export function closeLiveStreams(): void {
  for (const stream of [...liveStreams()]) stream.close();
}
