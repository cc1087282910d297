import { createHash } from 'node:crypto';
import { firstWithoutCardNumber } from './card-masking';

/** A deterministic id for the system `expired` event at expiresAt, so concurrent sweepers record one expiry once. */
export function systemExpiryEventId(requestId: string, expiresAt: number): string {
  return firstWithoutCardNumber((attempt) => {
    const seed = attempt === 0 ? `${requestId}@${expiresAt}` : `${requestId}@${expiresAt}#${attempt}`;
    return `sys_exp_${createHash('sha256').update(seed).digest('hex').slice(0, 32)}`;
  });
}
