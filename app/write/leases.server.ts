import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Db, sqlRows, sqlRun, writeTransaction } from '../../db/client';

/**
 * Work that must run once across every app instance on the database (issue 13): the expiry sweeper
 * and the report scheduler. A lease is a row of `leases` naming the instance that does the work
 * until `expires_at`; its holder renews it on every tick, and any other instance takes it over once
 * it has expired (the holder died, or stalled longer than the lease). Plain SQL that SQLite and
 * PostgreSQL both accept (an upsert whose update only applies to the holder or to an expired row).
 */

const globalForLeases = globalThis as unknown as { __paylinkLeaseHolder?: string };

/** This process's holder id: random per process start (kept across dev rebuilds), host and pid for the reader. */
export function processHolder(): string {
  globalForLeases.__paylinkLeaseHolder ??= `${hostname()}:${process.pid}:${randomUUID()}`;
  return globalForLeases.__paylinkLeaseHolder;
}

/** A lease of a few ticks, never under LEASE_FLOOR_MS (so a slow tick does not hand it over). */
export const LEASE_TICKS = 3;
export const LEASE_FLOOR_MS = 5_000;

export function leaseMsFor(intervalMs: number): number {
  return Math.max(LEASE_TICKS * intervalMs, LEASE_FLOOR_MS);
}

/**
 * Parameters: name, holder, expires_at (now + ttl), now. The update applies only to the holder's own
 * row or an expired one; otherwise the row stays as it is. Not `RETURNING`: when the update's WHERE
 * is false neither engine returns a row, so the holder is read back (LEASE_HOLDER_SQL) in the same
 * transaction. tests/postgres runs these two statements on PostgreSQL.
 */
export const LEASE_UPSERT_SQL = `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`;
export const LEASE_HOLDER_SQL = 'SELECT holder FROM leases WHERE name = ?';

/**
 * Takes the lease `name` for `holder` until `now + ttlMs` when it is free, expired or already this
 * holder's (a renewal). True when this holder has it afterwards.
 */
export async function tryLease(
  db: Db,
  name: string,
  holder: string,
  ttlMs: number,
  now = Date.now(),
): Promise<boolean> {
  return await writeTransaction(db, async () => {
    await sqlRun(db, LEASE_UPSERT_SQL, [name, holder, now + ttlMs, now]);
    const [row] = await sqlRows<{ holder: string }>(db, LEASE_HOLDER_SQL, [name]);
    return row?.holder === holder;
  });
}

/**
 * At a clean stop: gives the lease up so another instance takes it at its next tick. (Also the end of
 * every pay or decline's claim: a write like any other, so it waits its turn; on the bare connection
 * SQLite's busy wait held the event loop while the ingest writer committed.)
 */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await writeTransaction(db, async () => {
    await sqlRun(db, 'DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
  });
}

/**
 * A named lease as one instance's ticking job holds it: its holder (this process unless a test
 * names one), its length (leaseMsFor the tick interval) and its clock, bound once.
 */
export function jobLease(
  name: string,
  intervalMs: number,
  options: { holder?: string; now?: () => number } = {},
): { take(db: Db, now?: number): Promise<boolean>; release(db: Db): Promise<void>; now(): number } {
  const holder = options.holder ?? processHolder();
  const clock = options.now ?? Date.now;
  const leaseMs = leaseMsFor(intervalMs);
  return {
    take: (db, now = clock()) => tryLease(db, name, holder, leaseMs, now),
    release: (db) => releaseLease(db, name, holder),
    now: clock,
  };
}
