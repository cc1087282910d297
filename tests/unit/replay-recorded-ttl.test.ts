import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../app/domain/lifecycle';
import {
  type ExpirySettings,
  linkTtlOf,
  type ReplayEvent,
  type ReplayResult,
  replayEvents,
} from '../../app/domain/replay';
import { ev, MINUTE, SETTINGS, type ShortType, sys, T0 } from './replay-helpers';

function replay(events: readonly ReplayEvent[], now: number, settings = SETTINGS): ReplayResult {
  const result = replayEvents(events, settings, now);
  if (result === null) throw new Error('expected a replay result, got null (orphan)');
  return result;
}

const OTHER: ExpirySettings = { ttlUnopenedMs: 30 * MINUTE, ttlOpenedMs: 1 * MINUTE };

describe('linkTtlOf: the TTL recorded with an accepted event (SPEC §1 Expiry)', () => {
  it('is the unopened TTL for sent and send_failed, the opened TTL for opened, null for the rest', () => {
    const recorded = Object.fromEntries(EVENT_TYPES.map((type) => [type, linkTtlOf(type, OTHER)]));
    expect(recorded).toEqual({
      'payment_request.created': null,
      'payment_request.sent': 30 * MINUTE,
      'payment_request.send_failed': 30 * MINUTE,
      'payment_request.opened': 1 * MINUTE,
      'payment_request.payment_failed': null,
      'payment_request.paid': null,
      'payment_request.declined': null,
      'payment_request.expired': null,
      'payment_request.canceled': null,
      'payment_request.cancel_rejected': null,
    });
  });
});

describe('the replay uses the TTL recorded with each event, not its settings', () => {
  it('a sent with a recorded 2 minutes expires 2 minutes after it, whatever the settings say', () => {
    const result = replay([ev('c', 'created', T0), ev('s', 'sent', T0 + MINUTE, 'api', 2 * MINUTE)], T0 + 60 * MINUTE);
    expect(result.state).toMatchObject({ status: 'expired', expiresAt: T0 + 3 * MINUTE, closedAt: T0 + 3 * MINUTE });
    expect(result.unrecordedExpiryAt).toBe(T0 + 3 * MINUTE);
  });

  it('a send_failed starts its own recorded TTL', () => {
    const events = [ev('c', 'created', T0), ev('f', 'send_failed', T0 + MINUTE, 'api', 20 * MINUTE)];
    expect(replay(events, T0 + 10 * MINUTE).state).toMatchObject({
      status: 'send_failed',
      expiresAt: T0 + 21 * MINUTE,
    });
  });

  it('a link sent under one TTL and opened under another: each event keeps its own', () => {
    const events = [
      ev('c', 'created', T0),
      ev('s', 'sent', T0 + MINUTE, 'api', 5 * MINUTE),
      // Under the settings' 5 minutes this open (at +5 min) is in time either way; under a later
      // 2-minute setting the link would have expired at +3 min, which a recorded 5 minutes prevents.
      ev('o', 'opened', T0 + 5 * MINUTE, 'api', 10 * MINUTE),
    ];
    const short: ExpirySettings = { ttlUnopenedMs: 2 * MINUTE, ttlOpenedMs: 30 * MINUTE };
    expect(replay(events, T0 + 6 * MINUTE, short).state).toMatchObject({
      status: 'opened',
      openedAt: T0 + 5 * MINUTE,
      expiresAt: T0 + 15 * MINUTE,
    });
  });

  it('paid 14 minutes after an open recorded with 15 stays paid under a 10-minute setting (issue #10)', () => {
    const events = [
      ev('c', 'created', T0),
      ev('s', 'sent', T0 + MINUTE, 'api', 5 * MINUTE),
      ev('o', 'opened', T0 + 4 * MINUTE, 'api', 15 * MINUTE),
      ev('p', 'paid', T0 + 18 * MINUTE),
      ev('r', 'cancel_rejected', T0 + 20 * MINUTE),
    ];
    const result = replay(events, T0 + 20 * MINUTE, { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 10 * MINUTE });
    expect(result.state).toMatchObject({ status: 'paid', paidAt: T0 + 18 * MINUTE, closedAt: T0 + 18 * MINUTE });
    expect(result.outcomes.get('p')).toEqual({ applied: true, anomaly: null });
  });

  it('an event without a recorded TTL (stored before they were recorded) falls back to the settings', () => {
    const events = [ev('c', 'created', T0), ev('s', 'sent', T0 + MINUTE)];
    expect(replay(events, T0 + 2 * MINUTE).state.expiresAt).toBe(T0 + 6 * MINUTE);
    expect(replay(events, T0 + 2 * MINUTE, OTHER).state.expiresAt).toBe(T0 + 31 * MINUTE);
  });

  it('a system expiry at the recorded time is the record of it; at the settings’ time it is void', () => {
    const events = [
      ev('c', 'created', T0),
      ev('s', 'sent', T0 + MINUTE, 'api', 2 * MINUTE),
      sys('x_recorded', T0 + 3 * MINUTE),
      sys('x_settings', T0 + 6 * MINUTE),
    ];
    const result = replay(events, T0 + 60 * MINUTE);
    expect(result.outcomes.get('x_recorded')).toEqual({ applied: true, anomaly: null });
    expect(result.outcomes.get('x_settings')).toEqual({ applied: false, anomaly: 'void' });
    expect(result.unrecordedExpiryAt).toBeNull();
  });
});

// Histories whose link-starting events all carry a recorded TTL (as ingest stores them from now on).
const STEPS: ShortType[] = ['sent', 'send_failed', 'opened', 'payment_failed', 'paid', 'declined', 'cancel_rejected'];
const recordedHistoryArb = fc
  .array(
    fc.record({
      type: fc.constantFrom(...STEPS),
      offsetMinutes: fc.integer({ min: 0, max: 90 }),
      ttlMinutes: fc.integer({ min: 1, max: 30 }),
    }),
    { maxLength: 8 },
  )
  .map((steps) => [
    ev('c', 'created', T0),
    ...steps.map((step, i) =>
      ev(
        `e${i}`,
        step.type,
        T0 + step.offsetMinutes * MINUTE,
        'api',
        linkTtlOf(`payment_request.${step.type}`, {
          ttlUnopenedMs: step.ttlMinutes * MINUTE,
          ttlOpenedMs: step.ttlMinutes * MINUTE,
        }),
      ),
    ),
  ]);
const settingsArb: fc.Arbitrary<ExpirySettings> = fc.record({
  ttlUnopenedMs: fc.integer({ min: 1, max: 30 }).map((minutes) => minutes * MINUTE),
  ttlOpenedMs: fc.integer({ min: 1, max: 30 }).map((minutes) => minutes * MINUTE),
});

describe('with every TTL recorded, a settings change rewrites nothing', () => {
  it('any two settings give the same state, outcomes and expiry to record', () => {
    fc.assert(
      fc.property(
        recordedHistoryArb,
        settingsArb,
        settingsArb,
        fc.integer({ min: 0, max: 120 }),
        (events, a, b, nowMinutes) => {
          const now = T0 + nowMinutes * MINUTE;
          expect(replay(events, now, a)).toEqual(replay(events, now, b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any delivery order gives the same result', () => {
    fc.assert(
      fc.property(
        recordedHistoryArb.chain((events) =>
          fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }).map((shuffled) => ({
            events,
            shuffled,
          })),
        ),
        settingsArb,
        ({ events, shuffled }, settings) => {
          const now = T0 + 100 * MINUTE;
          expect(replay(shuffled, now, settings)).toEqual(replay(events, now, settings));
        },
      ),
      { numRuns: 300 },
    );
  });
});
