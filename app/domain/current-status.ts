import { isTerminal, type Status } from './lifecycle';

/**
 * The status a request has at `now`. The projection can trail expiry by up to one sweep
 * (SPEC §1 records it within 10 s): a non-terminal request past its expiresAt is already expired,
 * and commands must treat it so (no cancel, no charge after expiry).
 */
export function currentStatus(status: Status, expiresAt: number | null, now: number): Status {
  return !isTerminal(status) && expiresAt !== null && expiresAt < now ? 'expired' : status;
}
