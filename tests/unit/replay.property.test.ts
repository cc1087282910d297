import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANOMALIES, type EventType, type Status } from '../../app/domain/lifecycle';
import { type ExpirySettings, type ReplayEvent, type ReplayResult, replayEvents } from '../../app/domain/replay';
import { ev, MINUTE, SECOND, type ShortType, sys, T0 } from './replay-helpers';
import { SPEC_TERMINAL, SPEC_TRANSITIONS } from './spec-tables';

const RUNS = { numRuns: 400 };
const GRID = 30 * SECOND;

const NON_CREATED: ShortType[] = [
  'sent',
  'send_failed',
  'opened',
  'payment_failed',
  'paid',
  'declined',
  'expired',
  'canceled',
  'cancel_rejected',
];

// Plausible histories (in occurredAt order); noise events are added on top.
const PATHS: ShortType[][] = [
  [],
  ['sent'],
  ['sent', 'opened'],
  ['sent', 'paid'],
  ['sent', 'opened', 'paid'],
  ['sent', 'opened', 'payment_failed', 'paid'],
  ['sent', 'opened', 'payment_failed', 'payment_failed', 'declined'],
  ['send_failed', 'sent', 'opened', 'declined'],
  ['send_failed', 'send_failed', 'sent', 'canceled'],
  ['send_failed'],
  ['sent', 'canceled'],
  ['sent', 'cancel_rejected', 'opened', 'cancel_rejected'],
  ['sent', 'opened', 'expired'],
  ['sent', 'opened', 'payment_failed'],
  ['send_failed', 'sent', 'opened', 'payment_failed', 'payment_failed'],
];

const settingsArb: fc.Arbitrary<ExpirySettings> = fc.record({
  ttlUnopenedMs: fc.integer({ min: 1, max: 30 }).map((minutes) => minutes * MINUTE),
  ttlOpenedMs: fc.integer({ min: 1, max: 30 }).map((minutes) => minutes * MINUTE),
});

// Mostly on a 30 s grid so that ties (between events, and with expiresAt) are frequent.
const offsetArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -4, max: 120 }).map((k) => k * GRID) },
  { weight: 1, arbitrary: fc.integer({ min: -MINUTE, max: 60 * MINUTE }) },
);

const noiseArb = fc.record({
  type: fc.constantFrom(...NON_CREATED),
  offset: offsetArb,
  system: fc.boolean(),
});

interface Lifecycle {
  events: ReplayEvent[];
  settings: ExpirySettings;
  now: number;
}

/** A created event, a plausible path with random gaps, random noise, extra created events and system expiries. */
const lifecycleArb: fc.Arbitrary<Lifecycle> = fc
  .record({
    settings: settingsArb,
    createdOffset: offsetArb,
    path: fc.constantFrom(...PATHS),
    // In 30 s steps: short gaps stay inside any TTL, long ones cross them.
    gaps: fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 40 })), {
      minLength: 6,
      maxLength: 6,
    }),
    pathStart: fc.integer({ min: -2, max: 20 }),
    noise: fc.array(noiseArb, { maxLength: 6 }),
    extraCreated: fc.array(offsetArb, { maxLength: 2 }),
    systemExpiries: fc.array(offsetArb, { maxLength: 2 }),
    recordDerivedExpiry: fc.boolean(),
    recordStaleExpiry: fc.boolean(),
    nowAfterLast: fc.oneof(
      fc.integer({ min: -10 * MINUTE, max: MINUTE }),
      fc.integer({ min: -10 * MINUTE, max: 60 * MINUTE }),
    ),
  })
  .map((g) => {
    const events: ReplayEvent[] = [ev('c0', 'created', T0 + g.createdOffset)];
    let at = T0 + g.pathStart * GRID;
    g.path.forEach((type, i) => {
      at += (g.gaps[i] ?? 0) * GRID;
      events.push(ev(`p${i}`, type, at, type === 'expired' ? 'api' : 'provider'));
    });
    g.noise.forEach((noise, i) => {
      const source = noise.type === 'expired' && noise.system ? 'system' : 'api';
      events.push(ev(`n${i}`, noise.type, T0 + noise.offset, source));
    });
    g.extraCreated.forEach((offset, i) => {
      events.push(ev(`c${i + 1}`, 'created', T0 + offset));
    });
    g.systemExpiries.forEach((offset, i) => {
      events.push(sys(`x${i}`, T0 + offset));
    });
    const lastAt = Math.max(...events.map((event) => event.occurredAt));
    const now = lastAt + g.nowAfterLast;

    // A stale record: the expiry of the first sent, as the sweeper would have written it before
    // a late opened (if any) moved expiresAt.
    const firstSent = events.find((event) => event.type === 'payment_request.sent');
    if (g.recordStaleExpiry && firstSent) events.push(sys('xs', firstSent.occurredAt + g.settings.ttlUnopenedMs));
    if (g.recordDerivedExpiry) {
      const derived = replayEvents(events, g.settings, now)?.unrecordedExpiryAt ?? null;
      if (derived !== null) events.push(sys('xd', derived));
    }
    return { events, settings: g.settings, now };
  });

/** The same lifecycle delivered with some events twice (the very same objects, same ids). */
const withDuplicatesArb = lifecycleArb.chain((lifecycle) =>
  fc.array(fc.nat({ max: lifecycle.events.length - 1 }), { maxLength: 4 }).map((indexes) => ({
    ...lifecycle,
    events: [...lifecycle.events, ...indexes.map((i) => lifecycle.events[i] as ReplayEvent)],
  })),
);

function withPermutation(arb: fc.Arbitrary<Lifecycle>) {
  return arb.chain((lifecycle) =>
    fc
      .shuffledSubarray(lifecycle.events, { minLength: lifecycle.events.length, maxLength: lifecycle.events.length })
      .map((permuted) => ({ lifecycle, permuted })),
  );
}

function run({ events, settings, now }: Lifecycle): ReplayResult {
  const result = replayEvents(events, settings, now);
  if (result === null) throw new Error('every generated lifecycle has a created event');
  return result;
}

const isSystemExpiry = (event: ReplayEvent) => event.type === 'payment_request.expired' && event.source === 'system';

describe('replayEvents is invariant to delivery order (SPEC §1 Order)', () => {
  it('any permutation gives the identical state, outcomes and unrecordedExpiryAt', () => {
    fc.assert(
      fc.property(withPermutation(lifecycleArb), ({ lifecycle, permuted }) => {
        const reference = run(lifecycle);
        const other = run({ ...lifecycle, events: permuted });
        expect(other.state).toEqual(reference.state);
        expect(other.outcomes).toEqual(reference.outcomes);
        expect(other.unrecordedExpiryAt).toBe(reference.unrecordedExpiryAt);
      }),
      RUNS,
    );
  });

  it('also with the same event objects delivered twice', () => {
    fc.assert(
      fc.property(withPermutation(withDuplicatesArb), ({ lifecycle, permuted }) => {
        expect(run({ ...lifecycle, events: permuted })).toEqual(run(lifecycle));
        expect(run({ ...lifecycle, events: [...lifecycle.events].reverse() })).toEqual(run(lifecycle));
      }),
      RUNS,
    );
  });
});

describe('invariants of a replayed request', () => {
  it('the status is terminal iff closedAt is set', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const { state } = run(lifecycle);
        expect(SPEC_TERMINAL.includes(state.status)).toBe(state.closedAt !== null);
      }),
      RUNS,
    );
  });

  it('every event has an outcome; applied events carry no anomaly and the others carry one', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const result = run(lifecycle);
        expect([...result.outcomes.keys()].sort()).toEqual(lifecycle.events.map((event) => event.id).sort());
        for (const event of lifecycle.events) {
          const outcome = result.outcomes.get(event.id);
          if (!outcome) throw new Error(`no outcome for ${event.id}`);
          if (outcome.applied) expect(outcome.anomaly).toBeNull();
          else expect(ANOMALIES).toContain(outcome.anomaly);
          // void is for system expiries only, and system expiries are never anything else.
          expect(outcome.anomaly === 'void').toBe(isSystemExpiry(event) && !outcome.applied);
          if (event.type === 'payment_request.cancel_rejected')
            expect(outcome).toEqual({ applied: true, anomaly: null });
        }
        expect(result.outcomes.get(result.state.createdEventId)).toEqual({ applied: true, anomaly: null });
      }),
      RUNS,
    );
  });

  it('timestamps are ordered: sentAt ≤ openedAt ≤ paidAt, sentAt ≤ paidAt, sentAt ≤ closedAt', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const { state } = run(lifecycle);
        const { sentAt, openedAt, paidAt, closedAt } = state;
        if (sentAt !== null && paidAt !== null) expect(sentAt).toBeLessThanOrEqual(paidAt);
        if (sentAt !== null && openedAt !== null) expect(sentAt).toBeLessThanOrEqual(openedAt);
        if (openedAt !== null && paidAt !== null) expect(openedAt).toBeLessThanOrEqual(paidAt);
        if (sentAt !== null && closedAt !== null) expect(sentAt).toBeLessThanOrEqual(closedAt);
        if (paidAt !== null) expect(state.status).toBe('paid');
        if (state.status === 'paid') expect(closedAt).toBe(paidAt);
        if (openedAt !== null) expect(sentAt).not.toBeNull();
      }),
      RUNS,
    );
  });

  it('sentAt, openedAt and paidAt are occurredAt values of applied events of that type', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const result = run(lifecycle);
        const appliedAt = (type: EventType) =>
          lifecycle.events
            .filter((event) => event.type === type && result.outcomes.get(event.id)?.applied)
            .map((event) => event.occurredAt);
        const firstOf = (times: number[]) => (times.length ? Math.min(...times) : null);
        expect(result.state.sentAt).toBe(firstOf(appliedAt('payment_request.sent')));
        expect(result.state.openedAt).toBe(firstOf(appliedAt('payment_request.opened')));
        expect(result.state.paidAt).toBe(firstOf(appliedAt('payment_request.paid')));
        expect(result.state.sendFailures).toBe(appliedAt('payment_request.send_failed').length);
      }),
      RUNS,
    );
  });

  it('an expiry is recorded by exactly one applied expired event, or reported as unrecorded', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const result = run(lifecycle);
        const appliedExpiries = lifecycle.events.filter(
          (event) => event.type === 'payment_request.expired' && result.outcomes.get(event.id)?.applied,
        );
        expect(appliedExpiries.length).toBeLessThanOrEqual(1);
        const { state, unrecordedExpiryAt } = result;
        if (state.status !== 'expired') {
          expect(appliedExpiries).toEqual([]);
          expect(unrecordedExpiryAt).toBeNull();
        } else if (appliedExpiries.length === 1) {
          expect(appliedExpiries[0]?.occurredAt).toBe(state.closedAt);
          expect(unrecordedExpiryAt).toBeNull();
        } else {
          expect(unrecordedExpiryAt).toBe(state.closedAt);
          expect(state.expiresAt).toBe(state.closedAt);
        }
        // Expired only when expiresAt is earlier than a later event or than now.
        const horizon = Math.max(lifecycle.now, ...lifecycle.events.map((event) => event.occurredAt));
        if (state.status === 'expired' && state.expiresAt === state.closedAt) {
          expect(state.closedAt).toBeLessThan(horizon + 1);
        }
      }),
      RUNS,
    );
  });

  it('recording the unrecorded expiry changes nothing but the record (the sweeper is idempotent)', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const result = run(lifecycle);
        fc.pre(result.unrecordedExpiryAt !== null);
        const record = sys('sweeper', result.unrecordedExpiryAt as number);
        const recorded = run({ ...lifecycle, events: [...lifecycle.events, record] });
        expect(recorded.state).toEqual(result.state);
        expect(recorded.outcomes.get('sweeper')).toEqual({ applied: true, anomaly: null });
        expect(recorded.unrecordedExpiryAt).toBeNull();
        for (const [id, outcome] of result.outcomes) expect(recorded.outcomes.get(id)).toEqual(outcome);
      }),
      { numRuns: 200 },
    );
  });

  it('system expiries never change the state: they are derived records', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const withoutRecords = run({
          ...lifecycle,
          events: lifecycle.events.filter((event) => !isSystemExpiry(event)),
        });
        const result = run(lifecycle);
        expect(result.state).toEqual(withoutRecords.state);
        const recorded = lifecycle.events.some(
          (event) => isSystemExpiry(event) && result.outcomes.get(event.id)?.applied,
        );
        expect(result.unrecordedExpiryAt).toBe(recorded ? null : withoutRecords.unrecordedExpiryAt);
      }),
      RUNS,
    );
  });

  it('events that carry an anomaly change nothing: removing them gives the same state', () => {
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        // With `now` after every event, an expiry an anomalous event triggered happens at the end anyway.
        const now = Math.max(lifecycle.now, ...lifecycle.events.map((event) => event.occurredAt));
        const result = run({ ...lifecycle, now });
        const kept = lifecycle.events.filter((event) => result.outcomes.get(event.id)?.applied);
        const clean = run({ ...lifecycle, now, events: kept });
        expect(clean.state).toEqual(result.state);
        expect(clean.unrecordedExpiryAt).toBe(result.unrecordedExpiryAt);
        for (const event of kept) expect(clean.outcomes.get(event.id)).toEqual({ applied: true, anomaly: null });
      }),
      RUNS,
    );
  });

  it('a later now never reopens a request: once terminal, the state stays', () => {
    fc.assert(
      fc.property(lifecycleArb, fc.integer({ min: 0, max: 24 * 60 * MINUTE }), (lifecycle, later) => {
        const result = run(lifecycle);
        fc.pre(result.state.closedAt !== null);
        expect(run({ ...lifecycle, now: lifecycle.now + later }).state).toEqual(result.state);
      }),
      RUNS,
    );
  });
});

// An independent reading of SPEC §1, written from the text and the hand-copied tables, used as an oracle.
function specOracle(events: readonly ReplayEvent[], settings: ExpirySettings, now: number) {
  const tableOrder = Object.keys(SPEC_TRANSITIONS) as EventType[];
  const byTime = (a: ReplayEvent, b: ReplayEvent) =>
    a.occurredAt - b.occurredAt ||
    tableOrder.indexOf(a.type) - tableOrder.indexOf(b.type) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const creations = events.filter((event) => event.type === 'payment_request.created').sort(byTime);
  const first = creations[0];
  if (!first) return null;
  const outcomes: Record<string, string> = { [first.id]: 'applied' };
  for (const other of creations.slice(1)) outcomes[other.id] = 'invalid_transition';

  let status: Status = 'created';
  let expiresAt: number | null = null;
  let closedAt: number | null = null;
  let sentAt: number | null = null;
  let openedAt: number | null = null;
  let paidAt: number | null = null;
  let sendFailures = 0;
  let derivedExpiry: number | null = null;
  const terminal = () => SPEC_TERMINAL.includes(status);
  const expireIfEarlierThan = (time: number) => {
    if (!terminal() && expiresAt !== null && expiresAt < time) {
      status = 'expired';
      closedAt = expiresAt;
      derivedExpiry = expiresAt;
    }
  };

  const rest = events
    .filter((event) => event.type !== 'payment_request.created' && !isSystemExpiry(event))
    .sort(byTime);
  for (const event of rest) {
    expireIfEarlierThan(event.occurredAt);
    const { to, from } = SPEC_TRANSITIONS[event.type];
    if (from === 'any') outcomes[event.id] = 'applied';
    else if (terminal()) outcomes[event.id] = 'after_terminal';
    else if (from === 'first' || !from.includes(status)) outcomes[event.id] = 'invalid_transition';
    else {
      outcomes[event.id] = 'applied';
      status = to as Status;
      const t = event.occurredAt;
      if (status === 'sent') {
        sentAt ??= t;
        expiresAt = t + settings.ttlUnopenedMs;
      } else if (status === 'send_failed') {
        sendFailures++;
        expiresAt = t + settings.ttlUnopenedMs;
      } else if (status === 'opened') {
        openedAt ??= t;
        expiresAt = t + settings.ttlOpenedMs;
      } else if (status === 'paid') paidAt = t;
      if (terminal()) closedAt = t;
    }
  }
  expireIfEarlierThan(now);

  const records = events.filter(isSystemExpiry).sort(byTime);
  const record = records.find((event) => event.occurredAt === derivedExpiry);
  for (const event of records) outcomes[event.id] = event === record ? 'applied' : 'void';
  return {
    state: {
      status,
      createdAt: first.occurredAt,
      sentAt,
      openedAt,
      paidAt,
      closedAt,
      expiresAt,
      sendFailures,
      createdEventId: first.id,
    },
    outcomes,
    unrecordedExpiryAt: derivedExpiry !== null && !record ? derivedExpiry : null,
  };
}

describe('replayEvents agrees with an independent reading of SPEC §1', () => {
  it('same state, outcomes and unrecordedExpiryAt as the oracle', () => {
    fc.assert(
      fc.property(lifecycleArb, ({ events, settings, now }) => {
        const result = run({ events, settings, now });
        const expected = specOracle(events, settings, now);
        expect(result.state).toEqual(expected?.state);
        expect(Object.fromEntries([...result.outcomes].map(([id, o]) => [id, o.anomaly ?? 'applied']))).toEqual(
          expected?.outcomes,
        );
        expect(result.unrecordedExpiryAt).toBe(expected?.unrecordedExpiryAt);
      }),
      { numRuns: 1000 },
    );
  });

  it('the generator reaches every status and every kind of outcome', () => {
    const statuses = new Set<string>();
    const outcomes = new Set<string>();
    let unrecorded = 0;
    fc.assert(
      fc.property(lifecycleArb, (lifecycle) => {
        const result = run(lifecycle);
        statuses.add(result.state.status);
        for (const outcome of result.outcomes.values()) outcomes.add(outcome.anomaly ?? 'applied');
        if (result.unrecordedExpiryAt !== null) unrecorded++;
        if (lifecycle.events.some((e) => isSystemExpiry(e) && result.outcomes.get(e.id)?.applied)) {
          outcomes.add('system-record-applied');
        }
      }),
      { numRuns: 1000, seed: 42 },
    );
    expect([...statuses].sort()).toEqual([
      'canceled',
      'created',
      'declined',
      'expired',
      'opened',
      'paid',
      'payment_failed',
      'send_failed',
      'sent',
    ]);
    expect([...outcomes].sort()).toEqual([
      'after_terminal',
      'applied',
      'invalid_transition',
      'system-record-applied',
      'void',
    ]);
    expect(unrecorded).toBeGreaterThan(0);
  });
});
