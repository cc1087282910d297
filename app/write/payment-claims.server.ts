import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/client';
import { releaseLease, tryLease } from './leases.server';

/**
 * One action on a request at a time (a customer's pay or decline, an agent's send retry), across every app instance on the
 * database (issue 13: nothing that guards money lives in one process's memory). The claim is the
 * lease `payment:<request id>` (app/write/leases.server.ts), taken by a holder of its own for the
 * action and released when it ends; a second action on the same request waits for it, then sees
 * what the first one did (paid: not payable). An instance that dies mid-action leaves its lease:
 * after PAYMENT_CLAIM_STALE_MS another takes it over (the sandbox charge answers in milliseconds; a
 * real provider's call must time out before it).
 */

export const PAYMENT_CLAIM_STALE_MS = 30_000;
const RETRY_MS = 25;

export const paymentClaimName = (requestId: string) => `payment:${requestId}`;

/** Takes the request's claim if it is free or stale; true when this holder has it. */
export async function tryClaim(db: Db, requestId: string, holder: string, now = Date.now()): Promise<boolean> {
  return await tryLease(db, paymentClaimName(requestId), holder, PAYMENT_CLAIM_STALE_MS, now);
}

export async function releaseClaim(db: Db, requestId: string, holder: string): Promise<void> {
  await releaseLease(db, paymentClaimName(requestId), holder);
}

/**
 * Runs `task` holding the request's claim, waiting (polling the table, never blocking the event
 * loop) while another action holds it; the wait ends at the latest when that claim goes stale.
 */
export async function withPaymentClaim<T>(db: Db, requestId: string, task: () => Promise<T>): Promise<T> {
  const holder = randomUUID();
  while (!(await tryClaim(db, requestId, holder))) await sleep(RETRY_MS);
  try {
    return await task();
  } finally {
    await releaseClaim(db, requestId, holder);
  }
}
