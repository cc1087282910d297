import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, STATUSES, type Status } from '../../app/domain/lifecycle';
import {
  compareForReplay,
  isSystemExpiry,
  type ReplayEvent,
  type ReplayResult,
  replayEvents,
} from '../../app/domain/replay';
import { ev, MINUTE, outcomeSummary, SECOND, SETTINGS, type ShortType, sys, T0 } from './replay-helpers';
import { SPEC_TERMINAL, SPEC_TRANSITIONS } from './spec-tables';

function replay(events: readonly ReplayEvent[], now: number, settings = SETTINGS): ReplayResult {
  const result = replayEvents(events, settings, now);
  if (result === null) throw new Error('expected a replay result, got null (orphan)');
  return result;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const created = ev('c', 'created', T0);

describe('orphans (SPEC §1 Orphans)', () => {
  it('returns null without events', () => {
    expect(replayEvents([], SETTINGS, T0)).toBeNull();
  });

  it('returns null while the created event has not arrived, whatever else did', () => {
    const events = [ev('s', 'sent', T0), ev('o', 'opened', T0 + MINUTE), sys('x', T0 + 16 * MINUTE)];
    expect(replayEvents(events, SETTINGS, T0 + 60 * MINUTE)).toBeNull();
  });

  it('applies the stored events once created arrives', () => {
    const events = [ev('s', 'sent', T0 + MINUTE), ev('o', 'opened', T0 + 2 * MINUTE), created];
    const result = replay(events, T0 + 3 * MINUTE);
    expect(result.state.status).toBe('opened');
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', o: 'applied' });
  });
});

describe('a request with only its created event', () => {
  it('is created, never expires, and records its creation', () => {
    const result = replay([created], T0 + 24 * 60 * MINUTE);
    expect(result.state).toEqual({
      status: 'created',
      createdAt: T0,
      sentAt: null,
      openedAt: null,
      paidAt: null,
      closedAt: null,
      expiresAt: null,
      sendFailures: 0,
      createdEventId: 'c',
    });
    expect(result.outcomes).toEqual(new Map([['c', { applied: true, anomaly: null }]]));
    expect(result.unrecordedExpiryAt).toBeNull();
  });
});

describe('transition table: every event type from every status (SPEC §1)', () => {
  // Histories that reach each status well inside every TTL, so no expiry interferes.
  const reach: Record<Status, ReplayEvent[]> = {
    created: [created],
    sent: [created, ev('s', 'sent', T0 + SECOND)],
    send_failed: [created, ev('f', 'send_failed', T0 + SECOND)],
    opened: [created, ev('s', 'sent', T0 + SECOND), ev('o', 'opened', T0 + 2 * SECOND)],
    payment_failed: [
      created,
      ev('s', 'sent', T0 + SECOND),
      ev('o', 'opened', T0 + 2 * SECOND),
      ev('pf', 'payment_failed', T0 + 3 * SECOND),
    ],
    paid: [created, ev('s', 'sent', T0 + SECOND), ev('p', 'paid', T0 + 2 * SECOND)],
    declined: [created, ev('s', 'sent', T0 + SECOND), ev('d', 'declined', T0 + 2 * SECOND)],
    expired: [created, ev('s', 'sent', T0 + SECOND), ev('xa', 'expired', T0 + 2 * SECOND, 'api')],
    canceled: [created, ev('k', 'canceled', T0 + SECOND)],
  };
  const at = T0 + 10 * SECOND;
  const now = at;

  it.each(STATUSES.map((status) => [status]))('the history used for %s reaches it', (status) => {
    const result = replay(reach[status], now);
    expect(result.state.status).toBe(status);
    expect(Object.values(outcomeSummary(result))).toEqual(reach[status].map(() => 'applied'));
  });

  const cases = STATUSES.flatMap((from) =>
    EVENT_TYPES.filter((type) => type !== 'payment_request.created').map((type) => {
      const spec = SPEC_TRANSITIONS[type];
      const allowed = spec.from === 'any' || (Array.isArray(spec.from) && spec.from.includes(from));
      let expected: { outcome: string; status: Status };
      if (spec.from === 'any') expected = { outcome: 'applied', status: from };
      else if (SPEC_TERMINAL.includes(from)) expected = { outcome: 'after_terminal', status: from };
      else if (allowed) expected = { outcome: 'applied', status: spec.to as Status };
      else expected = { outcome: 'invalid_transition', status: from };
      return [from, type.replace('payment_request.', '') as ShortType, expected.outcome, expected.status] as const;
    }),
  );

  it('covers 9 statuses × 9 event types', () => {
    expect(cases).toHaveLength(81);
  });

  it.each(cases)('from %s, %s → %s, status %s', (from, type, outcome, status) => {
    const before = replay(reach[from], now);
    const result = replay([...reach[from], ev('z', type, at)], now);
    expect(outcomeSummary(result).z).toBe(outcome);
    expect(result.state.status).toBe(status);
    if (outcome !== 'applied' || type === 'cancel_rejected') {
      // Neither status nor expiresAt nor anything else changes (SPEC §1 Order).
      expect(result.state).toEqual(before.state);
      expect(result.unrecordedExpiryAt).toBe(before.unrecordedExpiryAt);
    }
  });

  it.each(STATUSES.map((status) => [status]))('from %s, a second created is an invalid transition', (status) => {
    const before = replay(reach[status], now);
    const result = replay([...reach[status], ev('z', 'created', at)], now);
    expect(outcomeSummary(result).z).toBe('invalid_transition');
    expect(result.state).toEqual(before.state);
  });

  it.each(STATUSES.map((status) => [status]))(
    'from %s, a system expired at a time the replay did not derive is void',
    (status) => {
      const before = replay(reach[status], now);
      const result = replay([...reach[status], sys('z', at)], now);
      expect(outcomeSummary(result).z).toBe('void');
      expect(result.state).toEqual(before.state);
      expect(result.unrecordedExpiryAt).toBeNull();
    },
  );

  it('sets the exact timestamps of each applied transition', () => {
    const at1 = T0 + MINUTE;
    const at2 = T0 + 2 * MINUTE;
    const at3 = T0 + 3 * MINUTE;
    const at4 = T0 + 4 * MINUTE;
    const base = { createdAt: T0, createdEventId: 'c' };
    const flow = [created, ev('s', 'sent', at1), ev('o', 'opened', at2), ev('pf', 'payment_failed', at3)];

    expect(replay([created, ev('f', 'send_failed', at1)], at1).state).toEqual({
      ...base,
      status: 'send_failed',
      sentAt: null,
      openedAt: null,
      paidAt: null,
      closedAt: null,
      expiresAt: at1 + 5 * MINUTE,
      sendFailures: 1,
    });
    expect(replay(flow, at3).state).toEqual({
      ...base,
      status: 'payment_failed',
      sentAt: at1,
      openedAt: at2,
      paidAt: null,
      closedAt: null,
      expiresAt: at2 + 15 * MINUTE,
      sendFailures: 0,
    });
    expect(replay([...flow, ev('p', 'paid', at4)], at4).state).toEqual({
      ...base,
      status: 'paid',
      sentAt: at1,
      openedAt: at2,
      paidAt: at4,
      closedAt: at4,
      expiresAt: at2 + 15 * MINUTE,
      sendFailures: 0,
    });
    expect(replay([...flow, ev('d', 'declined', at4)], at4).state).toMatchObject({
      status: 'declined',
      paidAt: null,
      closedAt: at4,
    });
    expect(replay([...flow, ev('xa', 'expired', at4, 'import')], at4).state).toMatchObject({
      status: 'expired',
      closedAt: at4,
      expiresAt: at2 + 15 * MINUTE,
    });
    expect(replay([created, ev('s', 'sent', at1), ev('k', 'canceled', at2)], at2).state).toMatchObject({
      status: 'canceled',
      sentAt: at1,
      closedAt: at2,
      expiresAt: at1 + 5 * MINUTE,
    });
    expect(replay([created, ev('k', 'canceled', at1)], at1).state).toMatchObject({
      status: 'canceled',
      sentAt: null,
      closedAt: at1,
      expiresAt: null,
    });
  });
});

describe('replay order (SPEC §1 Order)', () => {
  it('replays created first whatever its occurredAt', () => {
    const events = [
      ev('o', 'opened', T0 + 3 * MINUTE),
      ev('s', 'sent', T0 + MINUTE),
      ev('c', 'created', T0 + 2 * MINUTE),
    ];
    const result = replay(events, T0 + 4 * MINUTE);
    expect(result.state).toEqual({
      status: 'opened',
      createdAt: T0 + 2 * MINUTE,
      sentAt: T0 + MINUTE,
      openedAt: T0 + 3 * MINUTE,
      paidAt: null,
      closedAt: null,
      expiresAt: T0 + 18 * MINUTE,
      sendFailures: 0,
      createdEventId: 'c',
    });
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', o: 'applied' });
  });

  it('replays by occurredAt, not by delivery order', () => {
    // Delivered: paid before opened before sent. Replayed: sent, opened, paid.
    const events = [
      ev('p', 'paid', T0 + 3 * MINUTE),
      ev('o', 'opened', T0 + 2 * MINUTE),
      ev('s', 'sent', T0 + MINUTE),
      created,
    ];
    const result = replay(events, T0 + 4 * MINUTE);
    expect(result.state).toMatchObject({
      status: 'paid',
      sentAt: T0 + MINUTE,
      openedAt: T0 + 2 * MINUTE,
      paidAt: T0 + 3 * MINUTE,
    });
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', o: 'applied', p: 'applied' });
  });

  it('gives the same result for all 120 delivery orders of five events', () => {
    const events = [
      created,
      ev('f', 'send_failed', T0 + MINUTE),
      ev('s', 'sent', T0 + 2 * MINUTE),
      ev('o', 'opened', T0 + 3 * MINUTE),
      sys('x', T0 + 7 * MINUTE),
    ];
    const now = T0 + 30 * MINUTE;
    const reference = replay(events, now);
    expect(reference.state).toMatchObject({
      status: 'expired',
      closedAt: T0 + 18 * MINUTE,
      expiresAt: T0 + 18 * MINUTE,
    });
    expect(outcomeSummary(reference)).toEqual({ c: 'applied', f: 'applied', s: 'applied', o: 'applied', x: 'void' });
    expect(reference.unrecordedExpiryAt).toBe(T0 + 18 * MINUTE);
    const orders = permutations(events);
    expect(orders).toHaveLength(120);
    for (const order of orders) {
      expect(replay(order, now)).toEqual(reference);
    }
  });

  it('does not reorder the caller’s array', () => {
    const events = [ev('s', 'sent', T0 + MINUTE), created];
    replay(events, T0 + 2 * MINUTE);
    expect(events.map((event) => event.id)).toEqual(['s', 'c']);
  });

  describe('ties at the same occurredAt follow the event table', () => {
    const t = T0 + MINUTE;

    it('sent before opened', () => {
      const result = replay([ev('o', 'opened', t), ev('s', 'sent', t), created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', o: 'applied' });
      expect(result.state).toMatchObject({ status: 'opened', sentAt: t, openedAt: t, expiresAt: t + 15 * MINUTE });
    });

    it('sent before send_failed: the failure lands on sent and is invalid', () => {
      const result = replay([ev('f', 'send_failed', t), ev('s', 'sent', t), created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', f: 'invalid_transition' });
      expect(result.state).toMatchObject({ status: 'sent', sendFailures: 0, expiresAt: t + 5 * MINUTE });
    });

    it('opened before payment_failed before paid', () => {
      const sent = ev('s', 'sent', T0 + SECOND);
      const result = replay(
        [ev('p', 'paid', t), ev('pf', 'payment_failed', t), ev('o', 'opened', t), sent, created],
        t,
      );
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', o: 'applied', pf: 'applied', p: 'applied' });
      expect(result.state).toMatchObject({ status: 'paid', openedAt: t, paidAt: t, closedAt: t });
    });

    it('paid before declined: paid wins', () => {
      const sent = ev('s', 'sent', T0 + SECOND);
      const result = replay([ev('d', 'declined', t), ev('p', 'paid', t), sent, created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', p: 'applied', d: 'after_terminal' });
      expect(result.state).toMatchObject({ status: 'paid', paidAt: t, closedAt: t });
    });

    it('paid before an external expired: paid wins', () => {
      const sent = ev('s', 'sent', T0 + SECOND);
      const result = replay([ev('xa', 'expired', t, 'provider'), ev('p', 'paid', t), sent, created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', p: 'applied', xa: 'after_terminal' });
      expect(result.state.status).toBe('paid');
    });

    it('declined before expired before canceled', () => {
      const sent = ev('s', 'sent', T0 + SECOND);
      const result = replay(
        [ev('k', 'canceled', t), ev('xa', 'expired', t, 'api'), ev('d', 'declined', t), sent, created],
        t,
      );
      expect(outcomeSummary(result)).toEqual({
        c: 'applied',
        s: 'applied',
        d: 'applied',
        xa: 'after_terminal',
        k: 'after_terminal',
      });
      expect(result.state).toMatchObject({ status: 'declined', closedAt: t });
    });

    it('sent before canceled: the request is canceled after being sent', () => {
      const result = replay([ev('k', 'canceled', t), ev('s', 'sent', t), created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', k: 'applied' });
      expect(result.state).toMatchObject({ status: 'canceled', sentAt: t, closedAt: t });
    });

    it('opened before canceled: the cancel is refused by the machine', () => {
      const sent = ev('s', 'sent', T0 + SECOND);
      const result = replay([ev('k', 'canceled', t), ev('o', 'opened', t), sent, created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', o: 'applied', k: 'invalid_transition' });
      expect(result.state.status).toBe('opened');
    });

    it('cancel_rejected last, and never anomalous', () => {
      const result = replay([ev('r', 'cancel_rejected', t), ev('k', 'canceled', t), created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', k: 'applied', r: 'applied' });
      expect(result.state).toMatchObject({ status: 'canceled', closedAt: t });
    });

    it('same type and time: by id, so the order is total', () => {
      const sent = ev('s', 'sent', T0 + SECOND);
      const result = replay([ev('o2', 'opened', t), ev('o1', 'opened', t), sent, created], t);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', o1: 'applied', o2: 'invalid_transition' });
    });
  });
});

describe('compareForReplay', () => {
  it('sorts created first, then occurredAt, then table order, then id', () => {
    const events = [
      ev('r', 'cancel_rejected', T0),
      ev('b', 'opened', T0),
      ev('a', 'opened', T0),
      ev('late-created', 'created', T0 + 9 * MINUTE),
      ev('s', 'sent', T0),
      ev('early', 'paid', T0 - MINUTE),
      ev('early-created', 'created', T0 + MINUTE),
      ev('x', 'expired', T0, 'system'),
    ];
    expect([...events].sort(compareForReplay).map((event) => event.id)).toEqual([
      'early-created',
      'late-created',
      'early',
      's',
      'a',
      'b',
      'x',
      'r',
    ]);
  });

  it('is 0 only for the same id, type and time', () => {
    expect(compareForReplay(ev('a', 'sent', T0), ev('a', 'sent', T0))).toBe(0);
    expect(compareForReplay(ev('a', 'sent', T0), ev('b', 'sent', T0))).toBe(-1);
    expect(compareForReplay(ev('b', 'sent', T0), ev('a', 'sent', T0))).toBe(1);
  });
});

describe('isSystemExpiry', () => {
  it('is an expired event with source system, nothing else', () => {
    expect(isSystemExpiry(sys('x', T0))).toBe(true);
    expect(isSystemExpiry(ev('x', 'expired', T0, 'api'))).toBe(false);
    expect(isSystemExpiry(ev('x', 'expired', T0, 'import'))).toBe(false);
    expect(isSystemExpiry(ev('s', 'sent', T0, 'system'))).toBe(false);
  });
});

describe('expiry inside the replay (SPEC §1 Expiry)', () => {
  const sentAt = T0 + MINUTE;
  const expiresAt = sentAt + 5 * MINUTE; // T0 + 6 min
  const sentFlow = [created, ev('s', 'sent', sentAt)];

  it('sets expiresAt LINK_TTL_UNOPENED after sent', () => {
    expect(replay(sentFlow, sentAt).state.expiresAt).toBe(T0 + 6 * MINUTE);
  });

  it('is not expired when now is exactly expiresAt', () => {
    const result = replay(sentFlow, expiresAt);
    expect(result.state).toMatchObject({ status: 'sent', closedAt: null, expiresAt });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('expires at expiresAt once now is later, and asks for the expiry to be recorded', () => {
    const result = replay(sentFlow, expiresAt + 1);
    expect(result.state).toEqual({
      status: 'expired',
      createdAt: T0,
      sentAt,
      openedAt: null,
      paidAt: null,
      closedAt: expiresAt,
      expiresAt,
      sendFailures: 0,
      createdEventId: 'c',
    });
    expect(result.unrecordedExpiryAt).toBe(expiresAt);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied' });
  });

  it('closes at expiresAt, not at now, however late now is', () => {
    const result = replay(sentFlow, T0 + 10 * 24 * 60 * MINUTE);
    expect(result.state.closedAt).toBe(expiresAt);
    expect(result.unrecordedExpiryAt).toBe(expiresAt);
  });

  it.each([
    ['opened', 'opened'],
    ['paid', 'paid'],
    ['declined', 'declined'],
    ['canceled', 'canceled'],
    ['cancel_rejected', 'expired'],
  ] as const)('an event at exactly expiresAt is still in time: %s → %s', (type, status) => {
    const result = replay([...sentFlow, ev('z', type, expiresAt)], expiresAt + 30 * SECOND);
    expect(outcomeSummary(result).z).toBe('applied');
    expect(result.state.status).toBe(status);
  });

  it('an opened at exactly expiresAt extends the link by LINK_TTL_OPENED', () => {
    const result = replay([...sentFlow, ev('o', 'opened', expiresAt)], expiresAt + 15 * MINUTE);
    expect(result.state).toMatchObject({ status: 'opened', openedAt: expiresAt, expiresAt: expiresAt + 15 * MINUTE });
    expect(result.unrecordedExpiryAt).toBeNull();
    const later = replay([...sentFlow, ev('o', 'opened', expiresAt)], expiresAt + 15 * MINUTE + 1);
    expect(later.state).toMatchObject({ status: 'expired', closedAt: T0 + 21 * MINUTE });
    expect(later.unrecordedExpiryAt).toBe(T0 + 21 * MINUTE);
  });

  it.each([['opened'], ['paid'], ['declined'], ['canceled'], ['payment_failed'], ['sent'], ['send_failed']] as const)(
    'a %s 1 ms after expiresAt lands after terminal and changes nothing',
    (type) => {
      const result = replay([...sentFlow, ev('z', type, expiresAt + 1)], expiresAt + 1);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', z: 'after_terminal' });
      expect(result.state).toEqual(replay(sentFlow, expiresAt + 1).state);
      expect(result.state).toMatchObject({ status: 'expired', closedAt: expiresAt, openedAt: null, paidAt: null });
    },
  );

  it('expires before the next event even when now is earlier than that event', () => {
    // occurredAt may be up to 5 minutes ahead of now (SPEC §2); the next-event rule still applies.
    const result = replay([...sentFlow, ev('r', 'cancel_rejected', expiresAt + MINUTE)], expiresAt - MINUTE);
    expect(result.state).toMatchObject({ status: 'expired', closedAt: expiresAt });
    expect(result.unrecordedExpiryAt).toBe(expiresAt);
    expect(outcomeSummary(result).r).toBe('applied');
  });

  it('does not expire a request that was never sent', () => {
    const result = replay([created, ev('o', 'opened', T0 + MINUTE)], T0 + 365 * 24 * 60 * MINUTE);
    expect(result.state).toMatchObject({ status: 'created', expiresAt: null, closedAt: null });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('does not expire a closed request', () => {
    for (const type of ['paid', 'declined', 'canceled'] as const) {
      const result = replay([...sentFlow, ev('z', type, T0 + 2 * MINUTE)], T0 + 60 * MINUTE);
      expect(result.state).toMatchObject({ status: type, closedAt: T0 + 2 * MINUTE, expiresAt });
      expect(result.unrecordedExpiryAt).toBeNull();
    }
  });

  describe('send_failed', () => {
    it('a lone send_failed expires LINK_TTL_UNOPENED later', () => {
      const result = replay([created, ev('f', 'send_failed', T0 + MINUTE)], T0 + 10 * MINUTE);
      expect(result.state).toEqual({
        status: 'expired',
        createdAt: T0,
        sentAt: null,
        openedAt: null,
        paidAt: null,
        closedAt: T0 + 6 * MINUTE,
        expiresAt: T0 + 6 * MINUTE,
        sendFailures: 1,
        createdEventId: 'c',
      });
      expect(result.unrecordedExpiryAt).toBe(T0 + 6 * MINUTE);
    });

    it('the latest sent or send_failed sets expiresAt', () => {
      const events = [
        created,
        ev('f1', 'send_failed', T0 + MINUTE),
        ev('f2', 'send_failed', T0 + 3 * MINUTE),
        ev('s', 'sent', T0 + 7 * MINUTE),
      ];
      const atSecondFailure = replay(events.slice(0, 3), T0 + 8 * MINUTE);
      expect(atSecondFailure.state).toMatchObject({
        status: 'send_failed',
        expiresAt: T0 + 8 * MINUTE,
        sendFailures: 2,
      });

      const result = replay(events, T0 + 12 * MINUTE);
      expect(result.state).toMatchObject({
        status: 'sent',
        sentAt: T0 + 7 * MINUTE,
        expiresAt: T0 + 12 * MINUTE,
        sendFailures: 2,
        closedAt: null,
      });
      const expired = replay(events, T0 + 12 * MINUTE + 1);
      expect(expired.state).toMatchObject({ status: 'expired', closedAt: T0 + 12 * MINUTE });
    });

    it('a gap longer than the TTL between failures expires the request before the second', () => {
      const events = [created, ev('f1', 'send_failed', T0 + MINUTE), ev('f2', 'send_failed', T0 + 7 * MINUTE)];
      const result = replay(events, T0 + 7 * MINUTE);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', f1: 'applied', f2: 'after_terminal' });
      expect(result.state).toMatchObject({ status: 'expired', closedAt: T0 + 6 * MINUTE, sendFailures: 1 });
    });

    it('counts only applied send_failed events', () => {
      const events = [
        created,
        ev('f1', 'send_failed', T0 + MINUTE),
        ev('f2', 'send_failed', T0 + 2 * MINUTE),
        ev('s', 'sent', T0 + 3 * MINUTE),
        ev('f3', 'send_failed', T0 + 4 * MINUTE),
      ];
      const result = replay(events, T0 + 4 * MINUTE);
      expect(outcomeSummary(result)).toEqual({
        c: 'applied',
        f1: 'applied',
        f2: 'applied',
        s: 'applied',
        f3: 'invalid_transition',
      });
      expect(result.state).toMatchObject({ status: 'sent', sendFailures: 2, expiresAt: T0 + 8 * MINUTE });
    });
  });

  describe('after opened', () => {
    const openedAt = T0 + 2 * MINUTE;
    const openedFlow = [created, ev('s', 'sent', T0 + MINUTE), ev('o', 'opened', openedAt)];

    it('expiresAt is LINK_TTL_OPENED after opened', () => {
      expect(replay(openedFlow, openedAt).state.expiresAt).toBe(T0 + 17 * MINUTE);
    });

    it('payment_failed does not move expiresAt', () => {
      const events = [
        ...openedFlow,
        ev('pf1', 'payment_failed', T0 + 10 * MINUTE),
        ev('pf2', 'payment_failed', T0 + 16 * MINUTE),
      ];
      const result = replay(events, T0 + 17 * MINUTE);
      expect(outcomeSummary(result)).toEqual({
        c: 'applied',
        s: 'applied',
        o: 'applied',
        pf1: 'applied',
        pf2: 'applied',
      });
      expect(result.state).toMatchObject({ status: 'payment_failed', expiresAt: T0 + 17 * MINUTE, closedAt: null });

      const expired = replay(events, T0 + 17 * MINUTE + 1);
      expect(expired.state).toMatchObject({ status: 'expired', closedAt: T0 + 17 * MINUTE, openedAt });
      expect(expired.unrecordedExpiryAt).toBe(T0 + 17 * MINUTE);
    });

    it('a paid at exactly expiresAt after failures is in time', () => {
      const events = [...openedFlow, ev('pf', 'payment_failed', T0 + 10 * MINUTE), ev('p', 'paid', T0 + 17 * MINUTE)];
      const result = replay(events, T0 + 60 * MINUTE);
      expect(result.state).toMatchObject({ status: 'paid', paidAt: T0 + 17 * MINUTE, closedAt: T0 + 17 * MINUTE });
      expect(result.unrecordedExpiryAt).toBeNull();
    });

    it('a second opened does not extend the link', () => {
      const result = replay([...openedFlow, ev('o2', 'opened', T0 + 10 * MINUTE)], T0 + 18 * MINUTE);
      expect(outcomeSummary(result).o2).toBe('invalid_transition');
      expect(result.state).toMatchObject({ status: 'expired', openedAt, closedAt: T0 + 17 * MINUTE });
    });

    it('a sent after opened is invalid and does not shorten the link', () => {
      const result = replay([...openedFlow, ev('s2', 'sent', T0 + 3 * MINUTE)], T0 + 10 * MINUTE);
      expect(outcomeSummary(result).s2).toBe('invalid_transition');
      expect(result.state).toMatchObject({ status: 'opened', expiresAt: T0 + 17 * MINUTE });
    });
  });

  it('a second sent while sent does not extend the link', () => {
    const events = [created, ev('s1', 'sent', T0 + MINUTE), ev('s2', 'sent', T0 + 4 * MINUTE)];
    const result = replay(events, T0 + 8 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s1: 'applied', s2: 'invalid_transition' });
    expect(result.state).toMatchObject({
      status: 'expired',
      sentAt: T0 + MINUTE,
      expiresAt: T0 + 6 * MINUTE,
      closedAt: T0 + 6 * MINUTE,
    });
    expect(result.unrecordedExpiryAt).toBe(T0 + 6 * MINUTE);
  });

  it('an invalid opened (never sent) does not set expiresAt', () => {
    const result = replay([created, ev('o', 'opened', T0 + MINUTE)], T0 + 60 * MINUTE);
    expect(outcomeSummary(result).o).toBe('invalid_transition');
    expect(result.state).toEqual(replay([created], T0 + 60 * MINUTE).state);
  });

  it('uses the TTL settings given (1 and 30 minutes)', () => {
    const settings = { ttlUnopenedMs: MINUTE, ttlOpenedMs: 30 * MINUTE };
    const unopened = replay([created, ev('s', 'sent', T0)], T0 + MINUTE + 1, settings);
    expect(unopened.state).toMatchObject({ status: 'expired', closedAt: T0 + MINUTE });
    const opened = replay([created, ev('s', 'sent', T0), ev('o', 'opened', T0 + MINUTE)], T0 + 31 * MINUTE, settings);
    expect(opened.state).toMatchObject({ status: 'opened', expiresAt: T0 + 31 * MINUTE });
    expect(
      replay([created, ev('s', 'sent', T0), ev('o', 'opened', T0 + MINUTE)], T0 + 31 * MINUTE + 1, settings).state,
    ).toMatchObject({ status: 'expired', closedAt: T0 + 31 * MINUTE });
  });
});

describe('system expiries are derived, not inputs (SPEC §1 Expiry)', () => {
  const sentFlow = [created, ev('s', 'sent', T0 + MINUTE)];
  const expiresAt = T0 + 6 * MINUTE;

  it('a system expired at exactly the derived time is the record of it', () => {
    const result = replay([...sentFlow, sys('x', expiresAt)], expiresAt + 10 * SECOND);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'applied' });
    expect(result.outcomes.get('x')).toEqual({ applied: true, anomaly: null });
    expect(result.state).toMatchObject({ status: 'expired', closedAt: expiresAt });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('gives the same state with or without its record', () => {
    const now = expiresAt + 10 * SECOND;
    expect(replay([...sentFlow, sys('x', expiresAt)], now).state).toEqual(replay(sentFlow, now).state);
  });

  it('a system expired when now is exactly expiresAt is void: the request is not expired yet', () => {
    const result = replay([...sentFlow, sys('x', expiresAt)], expiresAt);
    expect(outcomeSummary(result).x).toBe('void');
    expect(result.state.status).toBe('sent');
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('a system expired 1 ms off the derived time is void, and the derived time is still unrecorded', () => {
    const result = replay([...sentFlow, sys('x', expiresAt + 1)], expiresAt + MINUTE);
    expect(outcomeSummary(result).x).toBe('void');
    expect(result.state).toMatchObject({ status: 'expired', closedAt: expiresAt });
    expect(result.unrecordedExpiryAt).toBe(expiresAt);
  });

  it('a system expired before expiresAt does not cut the link short', () => {
    const events = [...sentFlow, sys('x', T0 + 3 * MINUTE), ev('p', 'paid', T0 + 4 * MINUTE)];
    const result = replay(events, T0 + 30 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'void', p: 'applied' });
    expect(result.state).toMatchObject({ status: 'paid', paidAt: T0 + 4 * MINUTE, closedAt: T0 + 4 * MINUTE });
  });

  it('of two system expiries at the derived time, the first by id is the record and the other void', () => {
    const result = replay([...sentFlow, sys('x2', expiresAt), sys('x1', expiresAt)], expiresAt + MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x1: 'applied', x2: 'void' });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('a system expired on a request never sent is void', () => {
    const result = replay([created, sys('x', T0 + 5 * MINUTE)], T0 + 60 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', x: 'void' });
    expect(result.state.status).toBe('created');
  });

  it('a system expired after the request was paid is void (not after_terminal)', () => {
    const result = replay([...sentFlow, ev('p', 'paid', T0 + 2 * MINUTE), sys('x', expiresAt)], T0 + 60 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', p: 'applied', x: 'void' });
  });

  it('a late paid that occurred before the expiry wins over the recorded expiry', () => {
    const events = [...sentFlow, sys('x', expiresAt), ev('p', 'paid', T0 + 5 * MINUTE)];
    const result = replay(events, T0 + 30 * MINUTE);
    expect(result.state).toEqual({
      status: 'paid',
      createdAt: T0,
      sentAt: T0 + MINUTE,
      openedAt: null,
      paidAt: T0 + 5 * MINUTE,
      closedAt: T0 + 5 * MINUTE,
      expiresAt,
      sendFailures: 0,
      createdEventId: 'c',
    });
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'void', p: 'applied' });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('a late paid at exactly expiresAt also wins', () => {
    const result = replay([...sentFlow, sys('x', expiresAt), ev('p', 'paid', expiresAt)], T0 + 30 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'void', p: 'applied' });
    expect(result.state).toMatchObject({ status: 'paid', paidAt: expiresAt, closedAt: expiresAt });
  });

  it('a late paid 1 ms after expiresAt loses: the expiry stands', () => {
    const result = replay([...sentFlow, sys('x', expiresAt), ev('p', 'paid', expiresAt + 1)], T0 + 30 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'applied', p: 'after_terminal' });
    expect(result.state).toMatchObject({ status: 'expired', paidAt: null, closedAt: expiresAt });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  describe('a late opened moves expiresAt and voids the recorded expiry', () => {
    const events = [...sentFlow, sys('x', expiresAt), ev('o', 'opened', T0 + 5 * MINUTE)];

    it('before the new expiry: opened, the old record void, nothing to record', () => {
      const result = replay(events, T0 + 10 * MINUTE);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'void', o: 'applied' });
      expect(result.state).toMatchObject({ status: 'opened', openedAt: T0 + 5 * MINUTE, expiresAt: T0 + 20 * MINUTE });
      expect(result.unrecordedExpiryAt).toBeNull();
    });

    it('after the new expiry: expired at the new time, which must be recorded', () => {
      const result = replay(events, T0 + 25 * MINUTE);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'void', o: 'applied' });
      expect(result.state).toMatchObject({
        status: 'expired',
        closedAt: T0 + 20 * MINUTE,
        expiresAt: T0 + 20 * MINUTE,
      });
      expect(result.unrecordedExpiryAt).toBe(T0 + 20 * MINUTE);
    });

    it('once recorded: the new record applies, the old one stays void', () => {
      const result = replay([...events, sys('y', T0 + 20 * MINUTE)], T0 + 25 * MINUTE);
      expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', x: 'void', o: 'applied', y: 'applied' });
      expect(result.unrecordedExpiryAt).toBeNull();
    });
  });

  it('a system expired does not count as the next event for the expiry check', () => {
    // Only `now` (or a real event) can expire the request; a record far in the future is void.
    const result = replay([...sentFlow, sys('x', T0 + 60 * MINUTE)], T0 + 2 * MINUTE);
    expect(result.state.status).toBe('sent');
    expect(outcomeSummary(result).x).toBe('void');
  });
});

describe('an expired event from outside is applied as it stands', () => {
  const sentFlow = [created, ev('s', 'sent', T0 + MINUTE)];

  it.each(['api', 'import', 'seed', 'provider', 'customer', 'agent_console'])('source %s', (source) => {
    const result = replay([...sentFlow, ev('xa', 'expired', T0 + 2 * MINUTE, source)], T0 + 3 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', s: 'applied', xa: 'applied' });
    expect(result.state).toMatchObject({ status: 'expired', closedAt: T0 + 2 * MINUTE, expiresAt: T0 + 6 * MINUTE });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('is an invalid transition on a request never sent', () => {
    const result = replay([created, ev('xa', 'expired', T0 + 2 * MINUTE, 'api')], T0 + 3 * MINUTE);
    expect(outcomeSummary(result).xa).toBe('invalid_transition');
    expect(result.state.status).toBe('created');
  });

  it('lands after terminal when the derived expiry came first', () => {
    const result = replay([...sentFlow, ev('xa', 'expired', T0 + 7 * MINUTE, 'api')], T0 + 8 * MINUTE);
    expect(outcomeSummary(result).xa).toBe('after_terminal');
    expect(result.state).toMatchObject({ status: 'expired', closedAt: T0 + 6 * MINUTE });
    expect(result.unrecordedExpiryAt).toBe(T0 + 6 * MINUTE);
  });

  it('at exactly expiresAt it is in time and records itself', () => {
    const result = replay([...sentFlow, ev('xa', 'expired', T0 + 6 * MINUTE, 'api')], T0 + 8 * MINUTE);
    expect(outcomeSummary(result).xa).toBe('applied');
    expect(result.state).toMatchObject({ status: 'expired', closedAt: T0 + 6 * MINUTE });
    expect(result.unrecordedExpiryAt).toBeNull();
  });
});

describe('cancel (SPEC §1 Cancel) and cancel_rejected', () => {
  it.each([
    [[created], 'canceled'],
    [[created, ev('s', 'sent', T0 + MINUTE)], 'canceled'],
    [[created, ev('f', 'send_failed', T0 + MINUTE)], 'canceled'],
  ] as const)('cancel is applied while never opened (%#)', (history, status) => {
    const result = replay([...history, ev('k', 'canceled', T0 + 2 * MINUTE)], T0 + 60 * MINUTE);
    expect(outcomeSummary(result).k).toBe('applied');
    expect(result.state).toMatchObject({ status, closedAt: T0 + 2 * MINUTE });
    expect(result.unrecordedExpiryAt).toBeNull();
  });

  it('a cancel after the link expired lands after terminal', () => {
    const result = replay([created, ev('s', 'sent', T0), ev('k', 'canceled', T0 + 6 * MINUTE)], T0 + 6 * MINUTE);
    expect(outcomeSummary(result).k).toBe('after_terminal');
    expect(result.state).toMatchObject({ status: 'expired', closedAt: T0 + 5 * MINUTE });
  });

  it('cancel_rejected is applied with no anomaly and no effect, in every situation', () => {
    const histories: ReplayEvent[][] = [
      [created],
      [created, ev('s', 'sent', T0)],
      [created, ev('s', 'sent', T0), ev('o', 'opened', T0 + SECOND)],
      [created, ev('s', 'sent', T0), ev('p', 'paid', T0 + SECOND)],
      [created, ev('k', 'canceled', T0)],
      [created, ev('s', 'sent', T0)], // expired by the time of the rejection
    ];
    const at = [T0 + MINUTE, T0 + MINUTE, T0 + MINUTE, T0 + MINUTE, T0 + MINUTE, T0 + 30 * MINUTE];
    histories.forEach((history, i) => {
      const when = at[i] as number;
      const before = replay(history, when);
      const result = replay([...history, ev('r', 'cancel_rejected', when)], when);
      expect(result.outcomes.get('r')).toEqual({ applied: true, anomaly: null });
      expect(result.state).toEqual(before.state);
    });
  });

  it('cancel_rejected occurring before created is still not anomalous', () => {
    const result = replay([ev('c', 'created', T0 + MINUTE), ev('r', 'cancel_rejected', T0)], T0 + 2 * MINUTE);
    expect(outcomeSummary(result)).toEqual({ c: 'applied', r: 'applied' });
  });
});

describe('several created events', () => {
  it('the earliest is the request’s creation; the others are invalid transitions', () => {
    const events = [ev('c1', 'created', T0 + MINUTE), ev('c2', 'created', T0), ev('s', 'sent', T0 + 2 * MINUTE)];
    const result = replay(events, T0 + 3 * MINUTE);
    expect(result.state).toMatchObject({ status: 'sent', createdAt: T0, createdEventId: 'c2' });
    expect(outcomeSummary(result)).toEqual({ c2: 'applied', c1: 'invalid_transition', s: 'applied' });
  });

  it('at the same time, the first by id', () => {
    const result = replay([ev('cb', 'created', T0), ev('ca', 'created', T0)], T0);
    expect(result.state.createdEventId).toBe('ca');
    expect(outcomeSummary(result)).toEqual({ ca: 'applied', cb: 'invalid_transition' });
  });
});

describe('outcomes', () => {
  it('has one entry per input event, with applied and anomaly consistent', () => {
    const events = [
      created,
      ev('o0', 'opened', T0 + SECOND),
      ev('s', 'sent', T0 + MINUTE),
      ev('p', 'paid', T0 + 2 * MINUTE),
      ev('d', 'declined', T0 + 3 * MINUTE),
      ev('r', 'cancel_rejected', T0 + 4 * MINUTE),
      sys('x', T0 + 6 * MINUTE),
    ];
    const result = replay(events, T0 + 60 * MINUTE);
    expect(result.outcomes).toEqual(
      new Map([
        ['c', { applied: true, anomaly: null }],
        ['o0', { applied: false, anomaly: 'invalid_transition' }],
        ['s', { applied: true, anomaly: null }],
        ['p', { applied: true, anomaly: null }],
        ['d', { applied: false, anomaly: 'after_terminal' }],
        ['r', { applied: true, anomaly: null }],
        ['x', { applied: false, anomaly: 'void' }],
      ]),
    );
    expect(result.state).toMatchObject({
      status: 'paid',
      sentAt: T0 + MINUTE,
      paidAt: T0 + 2 * MINUTE,
      closedAt: T0 + 2 * MINUTE,
    });
  });
});
