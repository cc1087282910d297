import { type Db, onPostgres, sqlRows, sqlRun, writeTransaction } from '../../db/client';
import { inValues } from '../read/query-compiler.server';
import { IDEMPOTENCY_KEY_TTL_MS } from './idempotency-keys.server';
import { jobLease } from './leases.server';
import { startPeriodicJob, stopPeriodicJob } from './periodic-job.server';
import { purgeExpiredSessions } from './sessions.server';
import { THROTTLE_WINDOW_MS } from './sign-in-throttle.server';

/**
 * Rows deleted per statement: a long backlog (a sender's million rejected events past their time)
 * goes in short write transactions, never one that holds the writers (or, on SQLite, the event loop:
 * 1,000 rejected events of 1 KB take ~10 ms there, 5,000 took 26–49 ms), with the event loop free
 * between them.
 */
export const HOUSEKEEPING_BATCH = 1000;

/**
 * Bytes of raw bodies deleted per statement: a rejected event's body may be up to the 10 MB body limit,
 * and freeing one reads its whole chain of overflow pages, so a batch of 1,000 such bodies would hold
 * the event loop for seconds. A batch stops before this many (always at least one row).
 */
export const HOUSEKEEPING_BATCH_BYTES = 16 * 1024 * 1024;

/** An expired lease (a pay claim whose instance died) is deleted this long after it ran out. */
const EXPIRED_LEASE_KEPT_MS = 60 * 60 * 1000;

export interface Retention {
  /** Rejected events older than this are deleted (REJECTED_EVENTS_RETENTION_DAYS). */
  rejectedEventsMs: number;
  /** At most this many rejected events are kept, the newest (REJECTED_EVENTS_KEPT). */
  rejectedEventsKept: number;
}

export interface HousekeepingCounts {
  sessions: number;
  idempotencyKeys: number;
  loginFailures: number;
  signInSlots: number;
  leases: number;
  rejectedEvents: number;
}

/**
 * Deletes what has no use any more and would otherwise stay for ever: sessions no cookie can open,
 * idempotency keys past their 24 h, sign-in counts and refusal marks past the throttle window, slowed
 * accounts' turns already past, leases run out an hour ago, and rejected events past their retention
 * or beyond the newest REJECTED_EVENTS_KEPT. (Until session 38 sessions went only when someone signed
 * in, keys only when one was claimed, sign-in counts only at a failure; turns and rejected events
 * never.) `keepGoing` is asked between batches (the lease's renewal). Returns how many of each went.
 */
export async function runHousekeeping(
  db: Db,
  now: number,
  retention: Retention,
  keepGoing: () => boolean | Promise<boolean> = () => true,
): Promise<HousekeepingCounts> {
  const run = async (text: string, params: unknown[]) => await writeTransaction(db, () => sqlRun(db, text, params));
  const counts: HousekeepingCounts = {
    sessions: await purgeExpiredSessions(db, now),
    idempotencyKeys: await run('DELETE FROM idempotency_keys WHERE created_at <= ?', [now - IDEMPOTENCY_KEY_TTL_MS]),
    loginFailures: await run('DELETE FROM login_failures WHERE at < ?', [now - THROTTLE_WINDOW_MS]),
    signInSlots: await run('DELETE FROM sign_in_slots WHERE next_at < ?', [now]),
    leases: await run('DELETE FROM leases WHERE expires_at < ?', [now - EXPIRED_LEASE_KEPT_MS]),
    rejectedEvents: 0,
  };
  const inBatches = async (where: string, order: string, params: unknown[]) => {
    for (;;) {
      // octet_length reads the stored size, not the body (both engines).
      const rows = await sqlRows<{ seq: number | string; bytes: number | string }>(
        db,
        `SELECT seq, octet_length(raw) AS bytes FROM rejected_events WHERE ${where} ORDER BY ${order} LIMIT ?`,
        [...params, HOUSEKEEPING_BATCH],
      );
      const batch = withinBytes(rows, HOUSEKEEPING_BATCH_BYTES).map((row) => Number(row.seq));
      if (batch.length === 0) return true;
      const deleted = inValues('seq', batch, { arrays: onPostgres(db) });
      counts.rejectedEvents += await run(`DELETE FROM rejected_events WHERE ${deleted.sql}`, deleted.params);
      if (batch.length === rows.length && rows.length < HOUSEKEEPING_BATCH) return true;
      await new Promise((resolve) => setImmediate(resolve));
      if (!(await keepGoing())) return false;
    }
  };
  const finished = await inBatches('received_at < ?', 'received_at', [now - retention.rejectedEventsMs]);
  if (!finished) return counts;
  // The newest kept: the seq of the first one beyond them, and every one up to it goes.
  const [beyond] = await sqlRows<{ seq: number }>(
    db,
    'SELECT seq FROM rejected_events ORDER BY seq DESC LIMIT 1 OFFSET ?',
    [retention.rejectedEventsKept],
  );
  if (beyond) await inBatches('seq <= ?', 'seq', [Number(beyond.seq)]);
  return counts;
}

/** The first rows whose bytes stay under `budget` (the first row whatever its size). */
export function withinBytes<T extends { bytes: number | string }>(rows: readonly T[], budget: number): T[] {
  let total = 0;
  let taken = 0;
  for (const row of rows) {
    total += Number(row.bytes);
    if (taken > 0 && total > budget) break;
    taken += 1;
  }
  return rows.slice(0, taken);
}

/** The lease that makes one instance on the database the housekeeper (app/write/leases.server.ts). */
export const HOUSEKEEPING_LEASE = 'housekeeping';
const HOUSEKEEPING_JOB = 'Housekeeping';

/**
 * Runs housekeeping every `intervalMs`, once per process, on the instance holding its lease (any
 * instance may run it: every statement is a plain delete of what is past, so two at once delete each
 * row once). One run at a time; a long one renews the lease between batches.
 */
export function startHousekeeping(getDb: () => Db, intervalMs: number, retention: Retention): void {
  const lease = jobLease(HOUSEKEEPING_LEASE, intervalMs);
  const tick = async () => {
    const db = getDb();
    const now = lease.now();
    if (!(await lease.take(db, now))) return;
    await runHousekeeping(db, now, retention, () => lease.take(db));
  };
  startPeriodicJob(HOUSEKEEPING_JOB, intervalMs, tick, () => lease.release(getDb()));
}

/** At shutdown: no further runs, the one in flight waited for, the lease released. */
export function stopHousekeeping(): Promise<void> {
  return stopPeriodicJob(HOUSEKEEPING_JOB);
}
