import type { Channel, EventType } from '../app/domain/lifecycle';
import type { ExpirySettings } from '../app/domain/replay';
import {
  CHANNEL_BEHAVIOUR,
  PAYMENT_FAILURE_REASONS,
  SANDBOX_CARDS,
  SEND_FAILURE_REASONS,
  type TeamProfile,
} from './catalog';
import type { Random } from './random';

const SECOND = 1000;

/** One agent: their team, their own propensities around the team's, and their shift. */
export interface SeedAgent {
  id: string;
  name: string;
  team: TeamProfile;
  openRate: number;
  payRate: number;
  declineRate: number;
  cancelRate: number;
  paymentFailureRate: number;
  volume: number;
  /** Local hour the 9-hour shift starts. */
  shiftStart: number;
  worksWeekends: boolean;
}

export interface Step {
  type: EventType;
  at: number;
  data: Record<string, unknown>;
}

/**
 * A request's whole planned life after `created`, in time order, ignoring `now`. When it ends by
 * expiring, `expiresAt` is the time the replay expires it (SPEC §1) and `expires` is true.
 */
export interface Plan {
  steps: Step[];
  expiresAt: number | null;
  expires: boolean;
}

/**
 * A time after `from`: at least `minMs` later, exponentially spread with `meanMs`, and never after
 * `deadline`, so every step stays inside the link's lifetime (SPEC §1 Expiry).
 */
function after(random: Random, from: number, minMs: number, meanMs: number, deadline: number): number {
  const room = deadline - from;
  if (room <= minMs) return Math.round(from + Math.max(1, room / 2));
  return Math.round(from + minMs + random.truncatedExponential(meanMs, room - minMs));
}

/** Plans one request's lifecycle: send (with failures and retries), cancel, open, pay, decline or expire. */
export function planLifecycle(
  random: Random,
  agent: SeedAgent,
  channel: Channel,
  createdAt: number,
  ttl: ExpirySettings,
): Plan {
  const steps: Step[] = [];
  const add = (type: string, at: number, data: Record<string, unknown> = {}) => {
    steps.push({ type: `payment_request.${type}` as EventType, at, data });
    return at;
  };
  const ends = (expiresAt: number | null, expires: boolean): Plan => ({
    steps: steps.sort((a, b) => a.at - b.at),
    expiresAt,
    expires,
  });
  const behaviour = CHANNEL_BEHAVIOUR[channel];

  let at = Math.round(createdAt + random.between(0.8, 6) * SECOND);
  for (let failures = 0; random.chance(failures === 0 ? behaviour.sendFailRate : 0.12); failures++) {
    const failedAt = add('send_failed', at, { reason: random.pick(SEND_FAILURE_REASONS) });
    const deadline = failedAt + ttl.ttlUnopenedMs - SECOND;
    const next = random.next();
    if (next < 0.08) {
      add('canceled', after(random, failedAt, 5 * SECOND, 40 * SECOND, deadline));
      return ends(null, false);
    }
    if (next < 0.2) return ends(failedAt + ttl.ttlUnopenedMs, true);
    at = after(random, failedAt, 8 * SECOND, 40 * SECOND, deadline);
  }

  const sentAt = add('sent', at);
  let expiresAt = sentAt + ttl.ttlUnopenedMs;
  if (random.chance(agent.cancelRate)) {
    add('canceled', after(random, sentAt, 8 * SECOND, 60 * SECOND, expiresAt - SECOND));
    return ends(null, false);
  }

  const openChance = Math.min(0.98, (agent.openRate * behaviour.openFactor) / (1 - agent.cancelRate));
  if (!random.chance(openChance)) {
    // Rarely the customer pays or declines from the message preview without an open event.
    const direct = random.next();
    if (direct >= 0.05) return ends(expiresAt, true);
    const closedAt = after(random, sentAt, 20 * SECOND, 60 * SECOND, expiresAt - SECOND);
    if (direct < 0.03) add('paid', closedAt, paidData(random));
    else add('declined', closedAt);
    return ends(null, false);
  }

  const openedAt = add(
    'opened',
    after(random, sentAt, 2 * SECOND, behaviour.meanOpenSeconds * SECOND, expiresAt - SECOND),
  );
  expiresAt = openedAt + ttl.ttlOpenedMs;
  const outcome = random.weighted([
    ['paid', agent.payRate],
    ['declined', agent.declineRate],
    ['expired', 1 - agent.payRate - agent.declineRate],
  ] as const);

  let last = openedAt;
  const failureChance = outcome === 'paid' ? agent.paymentFailureRate : outcome === 'declined' ? 0.15 : 0.3;
  if (random.chance(failureChance)) {
    const reason = () => ({ reason: random.pick(PAYMENT_FAILURE_REASONS) });
    last = add(
      'payment_failed',
      after(random, openedAt, 15 * SECOND, 45 * SECOND, openedAt + ttl.ttlOpenedMs / 2),
      reason(),
    );
    if (random.chance(0.25)) {
      last = add(
        'payment_failed',
        after(random, last, 10 * SECOND, 30 * SECOND, openedAt + ttl.ttlOpenedMs * 0.75),
        reason(),
      );
    }
  }
  const closedAt =
    outcome === 'expired'
      ? expiresAt
      : after(random, last, 10 * SECOND, (outcome === 'paid' ? 70 : 35) * SECOND, expiresAt - SECOND);
  if (random.chance(0.02)) {
    add('cancel_rejected', after(random, openedAt, 3 * SECOND, 20 * SECOND, closedAt - SECOND), {
      reason: 'already_opened',
    });
  }
  if (outcome === 'expired') return ends(expiresAt, true);
  add(outcome, closedAt, outcome === 'paid' ? paidData(random) : {});
  return ends(null, false);
}

function paidData(random: Random): Record<string, unknown> {
  return {
    card: { ...random.weighted(SANDBOX_CARDS) },
    providerReference: `sbx_${random.alphanumeric(24)}`,
  };
}
