import { type Db, onPostgres, sqlRows } from '../../db/client';
import { chooseSystemExpiryIds, systemExpiryEvent } from '../domain/system-expiry';
import { inValues } from '../read/query-compiler.server';
import { prepareInputs } from './ingest-plan';
import { ingestWriter } from './ingest-writer.server';
import { jobLease } from './leases.server';
import { reconcilePayments } from './payment-reconcile.server';
import { startPeriodicJob, stopPeriodicJob } from './periodic-job.server';

export const EXPIRY_SWEEP_BATCH = 1000;

/**
 * Records every due expiry as a system `expired` event (SPEC §1), through the one write path, in
 * batches of EXPIRY_SWEEP_BATCH. Returns how many were recorded. `keepGoing` is asked before each
 * batch after the first (the sweeper renews its lease there: a long backlog blocks the event loop,
 * so its timer cannot) and the sweep stops when it says no. First the provider is asked about the
 * Pays left unfinished (reconcilePayments): those of the due requests, and any gone stale, so a
 * customer charged by an instance that died is recorded paid, not expired.
 */
export async function runExpirySweep(
  db: Db,
  now = Date.now(),
  keepGoing: () => boolean | Promise<boolean> = () => true,
): Promise<number> {
  await reconcilePayments(db, now);
  let recorded = 0;
  for (;;) {
    const rows = await sqlRows<{ id: string; expiry_due_at: number }>(
      db,
      'SELECT id, expiry_due_at FROM payment_requests WHERE expiry_due_at < ? ORDER BY expiry_due_at LIMIT ?',
      [now, EXPIRY_SWEEP_BATCH],
    );
    if (rows.length === 0) return recorded;
    // Each under the first of its ids no event holds yet (a sender may have taken one: without this a
    // full batch of those would be rejected as conflicts at every tick, and stall every expiry behind it).
    const due = new Map(rows.map((row) => [row.id, row.expiry_due_at]));
    const ids = await chooseSystemExpiryIds(due, storedEventIds(db));
    const events = rows.map((row) => systemExpiryEvent(row.id, row.expiry_due_at, ids.get(row.id)));
    // Stored by the ingest writer thread where there is one (SQLite), as the API's batches: a backlog's
    // transactions of 1,000 expiries do not hold the event loop.
    const summary = await ingestWriter.write(db, prepareInputs(events, now), 'system', now);
    recorded += summary.accepted;
    if (summary.accepted === 0 || rows.length < EXPIRY_SWEEP_BATCH || !(await keepGoing())) return recorded;
  }
}

/** The lease that makes one instance on the database the sweeper (app/write/leases.server.ts). */
export const EXPIRY_SWEEPER_LEASE = 'expiry-sweeper';

export interface ExpirySweeper {
  /**
   * Takes or renews the lease, then sweeps if this instance holds it (renewing it between batches,
   * stopping if it was lost): how many it recorded, null when it does not hold it.
   */
  tick(): Promise<number | null>;
  /** Gives the lease up (a clean stop), so another instance sweeps from its next tick. */
  release(): Promise<void>;
}

/**
 * One instance's sweeper: every tick renews the lease (a few ticks long, leaseMsFor), and only the
 * holder sweeps. If the holder dies, another instance takes over once its lease has run out. Should
 * two ever sweep at once (a holder stalled past its lease), they still record each expiry once: the
 * system event ids are deterministic. `holder` and `now` are for tests.
 */
export function createExpirySweeper(
  getDb: () => Db,
  intervalMs: number,
  options: { holder?: string; now?: () => number } = {},
): ExpirySweeper {
  const lease = jobLease(EXPIRY_SWEEPER_LEASE, intervalMs, options);
  return {
    async tick() {
      const db = getDb();
      const now = lease.now();
      if (!(await lease.take(db, now))) return null;
      return await runExpirySweep(db, now, () => lease.take(db));
    },
    async release() {
      await lease.release(getDb());
    },
  };
}

const EXPIRY_SWEEP_JOB = 'Expiry sweep';

/** Starts the in-process sweeper once per process; it sweeps while it holds the lease. */
export function startExpirySweeper(getDb: () => Db, intervalMs: number): void {
  const sweeper = createExpirySweeper(getDb, intervalMs);
  startPeriodicJob(
    EXPIRY_SWEEP_JOB,
    intervalMs,
    () => sweeper.tick(),
    () => sweeper.release(),
  );
}

/**
 * At shutdown: no further sweeps, the one in flight (if any) is waited for, and the lease is
 * released so another instance takes over at its next tick rather than after the lease.
 */
export function stopExpirySweeper(): Promise<void> {
  return stopPeriodicJob(EXPIRY_SWEEP_JOB);
}

/**
 * Which of these event ids a stored event holds, other than a system expiry. An expiry's candidate ids
 * name its request and time, so a system expiry under one is that very expiry, recorded since this sweep
 * read the request due (by another instance's sweep or batch, one stalled past its lease): sent again
 * under that id it is a duplicate. Counted as held, the next candidate recorded the expiry a second time.
 */
const storedEventIds = (db: Db) => async (ids: string[]) => {
  const { sql, params } = inValues('id', ids, { arrays: onPostgres(db) });
  const text = `SELECT id FROM events WHERE ${sql} AND NOT (source = 'system' AND type = 'payment_request.expired')`;
  return new Set((await sqlRows<{ id: string }>(db, text, params)).map((row) => row.id));
};
