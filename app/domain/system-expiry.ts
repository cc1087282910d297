import { hash, randomBytes } from 'node:crypto';
import { firstWithoutCardNumber } from './card-masking';

/**
 * An expiry's ids lead with its expiresAt (12 hex digits, ms), then 20 hex digits of a hash or of
 * randomness: 32 hex digits after `sys_exp_` as before, but in time order, so each new expiry's id
 * lands at the tail of events_id_idx (issue 14). A hash alone put each on a random page of the
 * whole index: 225 of the 990 pages a commit of fresh events into a 1M-request database wrote.
 */
const timeHex = (at: number) => Math.max(0, Math.trunc(at)).toString(16).padStart(12, '0').slice(-12);
const idOf = (seed: string, expiresAt: number) =>
  `sys_exp_${timeHex(expiresAt)}${hash('sha256', seed, 'hex').slice(0, 20)}`;

/** A deterministic id for the system `expired` event at expiresAt, so concurrent sweepers record one expiry once. */
export function systemExpiryEventId(requestId: string, expiresAt: number): string {
  return firstWithoutCardNumber((attempt) =>
    idOf(attempt === 0 ? `${requestId}@${expiresAt}` : `${requestId}@${expiresAt}#${attempt}`, expiresAt),
  );
}

/** Ids tried after systemExpiryEventId when an event already holds it (a sender may name an event anything). */
const FALLBACK_IDS = 3;

const fallbackIds = (requestId: string, expiresAt: number) =>
  Array.from({ length: FALLBACK_IDS }, (_, index) =>
    firstWithoutCardNumber((attempt) =>
      idOf(`${requestId}@${expiresAt}~${index + 1}${attempt ? `#${attempt}` : ''}`, expiresAt),
    ),
  );

/** The ids an expiry may be recorded under, in the order they are tried: systemExpiryEventId first. */
export function systemExpiryIdCandidates(requestId: string, expiresAt: number): string[] {
  return [systemExpiryEventId(requestId, expiresAt), ...fallbackIds(requestId, expiresAt)];
}

/**
 * The id each expiry (request id -> expiresAt) is recorded under: its first candidate that no event
 * holds (`stored`: which of these ids a stored event has; `taken`: ids the caller knows are held), so
 * that instances choose alike; past them a random one, which no sender can have taken in advance.
 * Without this a sender that took an expiry's id first (any event may carry any id) would leave it
 * unrecorded and, a sweep batch of them, stall the sweeper. The fallbacks are looked up only for the
 * expiries whose first id is held. (A random id is no longer the same for two sweepers at once, which
 * only a lease holder stalled past its lease allows: the second expiry would land after terminal.)
 */
export async function chooseSystemExpiryIds(
  due: ReadonlyMap<string, number>,
  stored: (ids: string[]) => ReadonlySet<string> | Promise<ReadonlySet<string>>,
  taken: ReadonlySet<string> = new Set(),
): Promise<Map<string, string>> {
  const chosen = new Map<string, string>();
  const held = (ids: string[], found: ReadonlySet<string>) => ids.filter((id) => found.has(id) || taken.has(id));
  const firsts = [...due].map(([requestId, expiresAt]) => systemExpiryEventId(requestId, expiresAt));
  const heldFirsts = new Set(held(firsts, firsts.length > 0 ? await stored(firsts) : new Set()));
  const retry: [string, number][] = [];
  for (const [index, [requestId, expiresAt]] of [...due].entries()) {
    if (heldFirsts.has(firsts[index]!)) retry.push([requestId, expiresAt]);
    else chosen.set(requestId, firsts[index]!);
  }
  if (retry.length === 0) return chosen;
  const fallbacks = retry.map(([requestId, expiresAt]) => fallbackIds(requestId, expiresAt));
  const heldFallbacks = new Set(held(fallbacks.flat(), await stored(fallbacks.flat())));
  for (const [index, [requestId, expiresAt]] of retry.entries()) {
    const free = fallbacks[index]!.find((id) => !heldFallbacks.has(id));
    const random = () => `sys_exp_${timeHex(expiresAt)}${randomBytes(10).toString('hex')}`;
    chosen.set(requestId, free ?? firstWithoutCardNumber(random));
  }
  return chosen;
}

/**
 * The system `expired` event that records a request's expiry at expiresAt (SPEC §1: source `system`,
 * occurredAt = expiresAt), as the sweeper and the write path's own due expiries send it.
 */
export function systemExpiryEvent(
  requestId: string,
  expiresAt: number,
  id = systemExpiryEventId(requestId, expiresAt),
) {
  return {
    id,
    type: 'payment_request.expired' as const,
    occurredAt: new Date(expiresAt).toISOString(),
    paymentRequest: { id: requestId },
    data: {},
  };
}
