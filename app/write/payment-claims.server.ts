import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Db, writeTransaction } from '../../db/client';

/**
 * One customer action (pay or decline) per request at a time, across every app instance on the
 * database (issue 13: nothing that guards money lives in one process's memory). The claim is a row
 * of `payment_claims`, taken in a write transaction and deleted when the action ends; a second
 * action on the same request waits for it, then sees what the first one did (paid: not payable).
 * An instance that dies mid-action leaves its claim: after PAYMENT_CLAIM_STALE_MS another takes it
 * over (the sandbox charge answers in milliseconds; a real provider's call must time out before it).
 */

export const PAYMENT_CLAIM_STALE_MS = 30_000;
const RETRY_MS = 25;

/** Takes the request's claim if it is free or stale; true when this holder has it. */
export function tryClaim(db: Db, requestId: string, holder: string, now = Date.now()): boolean {
  return writeTransaction(db, () => {
    db.$client
      .prepare('DELETE FROM payment_claims WHERE request_id = ? AND claimed_at <= ?')
      .run(requestId, now - PAYMENT_CLAIM_STALE_MS);
    return (
      db.$client
        .prepare('INSERT INTO payment_claims (request_id, holder, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
        .run(requestId, holder, now).changes === 1
    );
  });
}

export function releaseClaim(db: Db, requestId: string, holder: string): void {
  db.$client.prepare('DELETE FROM payment_claims WHERE request_id = ? AND holder = ?').run(requestId, holder);
}

/**
 * Runs `task` holding the request's claim, waiting (polling the table, never blocking the event
 * loop) while another action holds it; the wait ends at the latest when that claim goes stale.
 */
export async function withPaymentClaim<T>(db: Db, requestId: string, task: () => Promise<T>): Promise<T> {
  const holder = randomUUID();
  while (!tryClaim(db, requestId, holder)) await sleep(RETRY_MS);
  try {
    return await task();
  } finally {
    releaseClaim(db, requestId, holder);
  }
}
