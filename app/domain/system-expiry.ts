import { createHash } from 'node:crypto';

/** A deterministic id for the system `expired` event at expiresAt, so concurrent sweepers record one expiry once. */
export function systemExpiryEventId(requestId: string, expiresAt: number): string {
  return `sys_exp_${createHash('sha256').update(`${requestId}@${expiresAt}`).digest('hex').slice(0, 32)}`;
}
