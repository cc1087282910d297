import type { Db } from '../../db/client';
import { systemExpiryEventId } from '../domain/system-expiry';
import { ingestEvents } from './ingest.server';

const BATCH = 1000;

/**
 * Records every due expiry as a system `expired` event (SPEC §1), through the one write path.
 * Returns how many were recorded.
 */
export function runExpirySweep(db: Db, now = Date.now()): number {
  const due = db.$client.prepare<[number, number], { id: string; expiry_due_at: number }>(
    'SELECT id, expiry_due_at FROM payment_requests WHERE expiry_due_at < ? ORDER BY expiry_due_at LIMIT ?',
  );
  let recorded = 0;
  for (;;) {
    const rows = due.all(now, BATCH);
    if (rows.length === 0) return recorded;
    const events = rows.map((row) => ({
      id: systemExpiryEventId(row.id, row.expiry_due_at),
      type: 'payment_request.expired',
      occurredAt: new Date(row.expiry_due_at).toISOString(),
      paymentRequest: { id: row.id },
      data: {},
    }));
    const summary = ingestEvents(db, events, 'system', { now });
    recorded += summary.accepted;
    if (summary.accepted === 0 || rows.length < BATCH) return recorded;
  }
}

const globalForSweeper = globalThis as unknown as { __paylinkSweeper?: NodeJS.Timeout };

/** Starts the in-process sweeper once per process. */
export function startExpirySweeper(getDb: () => Db, intervalMs: number): void {
  if (globalForSweeper.__paylinkSweeper) return;
  globalForSweeper.__paylinkSweeper = setInterval(() => {
    try {
      runExpirySweep(getDb());
    } catch (error) {
      console.error('Expiry sweep failed', error);
    }
  }, intervalMs);
  globalForSweeper.__paylinkSweeper.unref();
}

/** At shutdown: no further sweeps (a sweep runs synchronously, so none is ever half-done). */
export function stopExpirySweeper(): void {
  clearInterval(globalForSweeper.__paylinkSweeper);
  globalForSweeper.__paylinkSweeper = undefined;
}
