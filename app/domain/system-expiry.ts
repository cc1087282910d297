import { createHash } from 'node:crypto';
import { firstWithoutCardNumber } from './card-masking';

/** A deterministic id for the system `expired` event at expiresAt, so concurrent sweepers record one expiry once. */
export function systemExpiryEventId(requestId: string, expiresAt: number): string {
  return firstWithoutCardNumber((attempt) => {
    const seed = attempt === 0 ? `${requestId}@${expiresAt}` : `${requestId}@${expiresAt}#${attempt}`;
    return `sys_exp_${createHash('sha256').update(seed).digest('hex').slice(0, 32)}`;
  });
}

/**
 * The system `expired` event that records a request's expiry at expiresAt (SPEC §1: source `system`,
 * occurredAt = expiresAt), as the sweeper and the write path's own due expiries send it.
 */
export function systemExpiryEvent(requestId: string, expiresAt: number) {
  return {
    id: systemExpiryEventId(requestId, expiresAt),
    type: 'payment_request.expired' as const,
    occurredAt: new Date(expiresAt).toISOString(),
    paymentRequest: { id: requestId },
    data: {},
  };
}
