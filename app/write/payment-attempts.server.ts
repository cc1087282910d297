import { randomUUID } from 'node:crypto';
import { type Db, sqlRows, sqlRun, writeTransaction } from '../../db/client';

/**
 * A Pay under way, kept in `payment_attempts` from just before the provider is asked to charge until
 * its outcome is recorded. The claim (app/write/payment-claims.server.ts) cannot serve: a Pay taken
 * over from a stalled instance replaces it and releases it, and finding the link expired it charges
 * nothing, so a successful charge of the stalled one would be left with nothing pointing to it. Each
 * attempt has its own row and deletes only its own: what stays names a charge that may have happened
 * unrecorded (the instance died, stalled, or the provider's call threw).
 */

export interface PaymentAttempt {
  id: string;
  requestId: string;
  idempotencyKey: string;
  startedAt: number;
}

export async function startPaymentAttempt(
  db: Db,
  requestId: string,
  idempotencyKey: string,
  startedAt: number,
): Promise<PaymentAttempt> {
  const attempt = { id: randomUUID(), requestId, idempotencyKey, startedAt };
  await writeTransaction(db, async () => {
    await sqlRun(db, 'INSERT INTO payment_attempts (id, request_id, idempotency_key, started_at) VALUES (?, ?, ?, ?)', [
      attempt.id,
      requestId,
      idempotencyKey,
      startedAt,
    ]);
  });
  return attempt;
}

/** The attempt's outcome is recorded (or it was found to have charged nothing): nothing is left to ask. */
export async function finishPaymentAttempt(db: Db, attemptId: string): Promise<void> {
  await writeTransaction(db, async () => {
    await sqlRun(db, 'DELETE FROM payment_attempts WHERE id = ?', [attemptId]);
  });
}

/**
 * The attempts to ask the provider about at `now`: those started `staleMs` ago or more (their
 * instance would have recorded the outcome by then), and any of a request whose expiry is due (asked
 * before the sweeper records that expiry).
 */
export async function unfinishedPaymentAttempts(db: Db, now: number, staleMs: number): Promise<PaymentAttempt[]> {
  const rows = await sqlRows<{ id: string; request_id: string; idempotency_key: string; started_at: number | string }>(
    db,
    `SELECT a.id, a.request_id, a.idempotency_key, a.started_at FROM payment_attempts a
     WHERE a.started_at <= ? OR EXISTS (SELECT 1 FROM payment_requests r WHERE r.id = a.request_id AND r.expiry_due_at < ?)
     ORDER BY a.started_at, a.id`,
    [now - staleMs, now],
  );
  return rows.map((row) => ({
    id: row.id,
    requestId: row.request_id,
    idempotencyKey: row.idempotency_key,
    startedAt: Number(row.started_at),
  }));
}
