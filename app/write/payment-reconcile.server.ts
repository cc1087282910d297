import type { Db } from '../../db/client';
import { getPaymentRequestRow } from '../read/payment-request.server';
import { paidTime, recordPaid } from './customer-payment.server';
import { finishPaymentAttempt, type PaymentAttempt, unfinishedPaymentAttempts } from './payment-attempts.server';
import { PAYMENT_CLAIM_STALE_MS } from './payment-claims.server';
import { type PaymentProvider, sandboxProvider } from './payments/sandbox-provider.server';

export interface ReconcileOptions {
  /** The provider's lookup by idempotency key (the sandbox's unless a test stands in for another). */
  findCharge?: PaymentProvider['findCharge'];
}

/**
 * Money taken is never lost: a Pay whose instance stalled or died after the provider charged and
 * before `paid` was written leaves its attempt (app/write/payment-attempts.server.ts). The sweeper
 * asks the provider about each such attempt by its idempotency key, before recording the expiry of
 * its request and, for attempts older than PAYMENT_CLAIM_STALE_MS, at every tick. A charge found is
 * recorded as `paid` through the one write path at the charge's time, so a charge made before the
 * link expired wins over the expiry (SPEC §1: a late `paid` that occurred before an `expired` wins),
 * even one already recorded. No charge: a stale attempt charged nothing (the provider's call times out
 * before PAYMENT_CLAIM_STALE_MS) and is dropped; a recent one is left to its instance. Returns how
 * many `paid` it recorded.
 */
export async function reconcilePayments(db: Db, now: number, options: ReconcileOptions = {}): Promise<number> {
  let recorded = 0;
  for (const attempt of await unfinishedPaymentAttempts(db, now, PAYMENT_CLAIM_STALE_MS)) {
    try {
      if ((await reconcileAttempt(db, attempt, now, options)) === 'recorded') recorded += 1;
    } catch (error) {
      // The provider did not answer: asked again at the next tick. The expiry is recorded meanwhile;
      // a charge found later still wins over it.
      console.error(`Payment reconcile of ${attempt.requestId} failed`, error);
    }
  }
  return recorded;
}

async function reconcileAttempt(
  db: Db,
  attempt: PaymentAttempt,
  now: number,
  { findCharge = sandboxProvider.findCharge }: ReconcileOptions,
): Promise<'recorded' | 'already_recorded' | 'no_charge' | 'pending'> {
  const charge = await findCharge(db, attempt.idempotencyKey);
  if (!charge) {
    if (attempt.startedAt > now - PAYMENT_CLAIM_STALE_MS) return 'pending';
    await finishPaymentAttempt(db, attempt.id);
    return 'no_charge';
  }
  const row = await getPaymentRequestRow(db, attempt.requestId);
  const paidAt = paidTime(charge.chargedAt, attempt.startedAt, row?.expiresAt ?? null);
  const outcome = await recordPaid(db, attempt.requestId, charge, paidAt, now);
  await finishPaymentAttempt(db, attempt.id);
  return outcome;
}
