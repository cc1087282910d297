import type { PaymentRequestDetails } from '../app/domain/event-schema';
import { type EventType, type Status, TRANSITIONS } from '../app/domain/lifecycle';
import { currencyExponent } from '../app/domain/money';
import { systemExpiryEvent } from '../app/domain/system-expiry';
import { customerFor, DAY_OF_WEEK_WEIGHT, HOUR_OF_DAY_WEIGHT, localAmount, TEAMS } from './catalog';
import { planLifecycle, type SeedAgent } from './lifecycle';
import { createRandom, type Random } from './random';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SeedOptions {
  requests: number;
  days: number;
  seed: number;
  /** The end of the generated period, epoch ms: nothing happens after it. */
  now: number;
  ttlUnopenedMs: number;
  ttlOpenedMs: number;
  /** A batch is yielded once it holds at least this many events (default 5,000). */
  batchEvents?: number;
}

/** A SPEC §2 event as a sender would post it. */
export interface SeedEvent {
  id: string;
  type: EventType;
  occurredAt: string;
  paymentRequest: { id: string } | PaymentRequestDetails;
  data: Record<string, unknown>;
}

/**
 * Whole requests only: every event of a request is in the batch that holds its created event.
 * `systemEvents` are the recorded expiries, to be ingested with source `system` after `events`.
 * `outcomes` is each request's status as the generator intends the replay to give it.
 */
export interface SeedBatch {
  events: SeedEvent[];
  systemEvents: SeedEvent[];
  outcomes: { requestId: string; status: Status }[];
}

function assertCount(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Each agent's own propensities around their team's, and their shift. */
export function createAgents(random: Random): SeedAgent[] {
  return TEAMS.flatMap((team) =>
    team.agents.map(([id, name]) => {
      const payRate = Math.min(0.92, team.payRate * random.between(0.9, 1.08));
      return {
        id,
        name,
        team,
        openRate: Math.min(0.95, team.openRate * random.between(0.95, 1.04)),
        payRate,
        declineRate: Math.min(0.97 - payRate, team.declineRate * random.between(0.7, 1.35)),
        cancelRate: team.cancelRate * random.between(0.6, 1.5),
        paymentFailureRate: team.paymentFailureRate * random.between(0.7, 1.3),
        volume: team.volume * random.between(0.55, 1.5),
        shiftStart: random.pick([7, 8, 9, 9, 10, 12]),
        worksWeekends: random.chance(0.4),
      };
    }),
  );
}

/** Request volume of each hour of the period: weekday × hour of day × a day's noise × slow growth. */
function hourlyWeights(random: Random, start: number, hours: number): Float64Array {
  const dayNoise = Array.from({ length: Math.ceil(hours / 24) + 1 }, () => random.between(0.85, 1.15));
  const weights = new Float64Array(hours);
  for (let h = 0; h < hours; h++) {
    const middle = new Date(start + h * HOUR + HOUR / 2);
    weights[h] =
      DAY_OF_WEEK_WEIGHT[middle.getUTCDay()]! *
      HOUR_OF_DAY_WEIGHT[middle.getUTCHours()]! *
      dayNoise[Math.floor(h / 24)]! *
      (0.92 + (0.16 * h) / hours);
  }
  return weights;
}

function agentWeights(agents: readonly SeedAgent[], at: number): number[] {
  const date = new Date(at);
  const hour = date.getUTCHours();
  const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
  return agents.map((agent) => {
    if (weekend && !agent.worksWeekends) return agent.volume * 0.03;
    const onShift = hour >= agent.shiftStart && hour < agent.shiftStart + 9;
    return agent.volume * (onShift ? 1 : 0.08);
  });
}

function pickIndex(random: Random, weights: readonly number[], total: number): number {
  let target = random.next() * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Deterministic demo data (SPEC §7): `requests` payment requests created over the `days` days
 * ending at `now`, with seasonality, per-agent skill and every outcome of SPEC §1. Pure: the same
 * options give the same events, byte for byte. Yields batches so a million requests never sit in
 * memory at once. Time of day is UTC (the organisation's default time zone).
 */
export function* generateSeedEvents(options: SeedOptions): Generator<SeedBatch> {
  assertCount('requests', options.requests, 1);
  assertCount('days', options.days, 1);
  assertCount('seed', options.seed, 0, 0xffffffff);
  assertCount('now', options.now, 0);
  assertCount('ttlUnopenedMs', options.ttlUnopenedMs, 1);
  assertCount('ttlOpenedMs', options.ttlOpenedMs, 1);
  const { requests, seed, now } = options;
  const batchEvents = options.batchEvents ?? 5000;
  const ttl = { ttlUnopenedMs: options.ttlUnopenedMs, ttlOpenedMs: options.ttlOpenedMs };

  const random = createRandom(seed);
  const agents = createAgents(random);
  const hours = options.days * 24;
  const start = now - options.days * DAY;
  const weights = hourlyWeights(random, start, hours);
  let totalWeight = 0;
  for (const weight of weights) totalWeight += weight;

  let requestNumber = 0;
  let eventNumber = 0;
  let cumulative = 0;
  let batch: SeedBatch = { events: [], systemEvents: [], outcomes: [] };

  for (let h = 0; h < hours; h++) {
    const planned = Math.round((requests * cumulative) / totalWeight);
    cumulative += weights[h]!;
    const count = Math.round((requests * cumulative) / totalWeight) - planned;
    if (count === 0) continue;

    const hourStart = start + h * HOUR;
    const byAgent = agentWeights(agents, hourStart);
    const agentTotal = byAgent.reduce((sum, weight) => sum + weight, 0);
    const times = Array.from({ length: count }, () => hourStart + Math.floor(random.next() * HOUR)).sort(
      (a, b) => a - b,
    );

    for (const createdAt of times) {
      requestNumber += 1;
      const agent = agents[pickIndex(random, byAgent, agentTotal)]!;
      const requestId = `pr_${seed}_${requestNumber}`;
      const nextEventId = () => `evt_${seed}_${++eventNumber}`;
      const request = generateRequest(random, agent, requestId, requestNumber, createdAt, ttl, now, nextEventId);
      batch.events.push(...request.events);
      if (request.systemExpiry) batch.systemEvents.push(request.systemExpiry);
      batch.outcomes.push({ requestId, status: request.status });
      if (batch.events.length >= batchEvents) {
        yield batch;
        batch = { events: [], systemEvents: [], outcomes: [] };
      }
    }
  }
  if (batch.outcomes.length > 0) yield batch;
}

function generateRequest(
  random: Random,
  agent: SeedAgent,
  requestId: string,
  requestNumber: number,
  createdAt: number,
  ttl: { ttlUnopenedMs: number; ttlOpenedMs: number },
  now: number,
  nextEventId: () => string,
): { events: SeedEvent[]; systemExpiry: SeedEvent | null; status: Status } {
  const { team } = agent;
  const currency = random.weighted(team.currencies);
  const [reason, lowestUsd, highestUsd] = random.pick(team.products);
  const amount = localAmount(
    random,
    random.logUniform(lowestUsd, highestUsd),
    currency,
    currencyExponent(currency),
    team.shopPrices,
  );
  const channel = random.weighted(team.channels);
  const customer = customerFor(random, currency);

  const events: SeedEvent[] = [
    {
      id: nextEventId(),
      type: 'payment_request.created',
      occurredAt: new Date(createdAt).toISOString(),
      paymentRequest: {
        id: requestId,
        agent: { id: agent.id, name: agent.name, team: { id: team.id, name: team.name } },
        amount,
        currency,
        orderNumber: `SO-${100_000 + requestNumber}`,
        reason,
        channel,
        customer,
      },
      data: {},
    },
  ];

  // Cut at now: the rest of the life has not happened yet, so the request stays in flight.
  const plan = planLifecycle(random, agent, channel, createdAt, ttl);
  let status: Status = 'created';
  for (const step of plan.steps) {
    if (step.at > now) break;
    status = TRANSITIONS[step.type].to ?? status;
    const occurredAt = new Date(step.at).toISOString();
    events.push({ id: nextEventId(), type: step.type, occurredAt, paymentRequest: { id: requestId }, data: step.data });
  }

  // The replay expires a request only when expiresAt is before now (an event at expiresAt is in time).
  if (!plan.expires || plan.expiresAt === null || plan.expiresAt >= now) return { events, systemExpiry: null, status };
  const systemExpiry: SeedEvent = systemExpiryEvent(requestId, plan.expiresAt);
  return { events, systemExpiry, status: 'expired' };
}
