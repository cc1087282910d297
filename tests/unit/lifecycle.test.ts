import { describe, expect, it } from 'vitest';
import {
  ANOMALIES,
  ANOMALY_EXPLANATIONS,
  CANCEL_REJECTION_MESSAGES,
  CANCEL_REJECTION_REASONS,
  CHANNELS,
  cancelRefusalReason,
  EVENT_SOURCES,
  EVENT_TYPE_RANK,
  EVENT_TYPES,
  IN_FLIGHT_STATUSES,
  isTerminal,
  STATUS_LABELS,
  STATUSES,
  type Status,
  TERMINAL_STATUSES,
  TRANSITIONS,
} from '../../app/domain/lifecycle';
import { SPEC_TRANSITIONS } from './spec-tables';

describe('statuses (SPEC §1 status table)', () => {
  it('lists the nine statuses in table order', () => {
    expect(STATUSES).toEqual([
      'created',
      'sent',
      'send_failed',
      'opened',
      'payment_failed',
      'paid',
      'declined',
      'expired',
      'canceled',
    ]);
  });

  it.each([
    ['created', 'Created', false],
    ['sent', 'Waiting for customer', false],
    ['send_failed', 'Send failed – try again', false],
    ['opened', 'Customer opened link', false],
    ['payment_failed', 'Payment attempt failed', false],
    ['paid', 'Paid', true],
    ['declined', 'Declined by customer', true],
    ['expired', 'Expired', true],
    ['canceled', 'Canceled by agent', true],
  ] as const)('%s is labelled "%s", terminal: %s', (status, label, terminal) => {
    expect(STATUS_LABELS[status]).toBe(label);
    expect(isTerminal(status)).toBe(terminal);
    expect(TERMINAL_STATUSES.has(status)).toBe(terminal);
  });

  it('has a label for every status and nothing else', () => {
    expect(Object.keys(STATUS_LABELS).sort()).toEqual([...STATUSES].sort());
  });

  it('has exactly the four terminal statuses', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['canceled', 'declined', 'expired', 'paid']);
  });

  it('counts sent, opened and payment_failed as in flight (SPEC §3 inFlight)', () => {
    expect([...IN_FLIGHT_STATUSES]).toEqual(['sent', 'opened', 'payment_failed']);
  });
});

describe('event types and transition table (SPEC §1 event table)', () => {
  it('lists the ten event types in table order, which is the tie-break rank', () => {
    expect(EVENT_TYPES).toEqual([
      'payment_request.created',
      'payment_request.sent',
      'payment_request.send_failed',
      'payment_request.opened',
      'payment_request.payment_failed',
      'payment_request.paid',
      'payment_request.declined',
      'payment_request.expired',
      'payment_request.canceled',
      'payment_request.cancel_rejected',
    ]);
    expect(EVENT_TYPE_RANK).toEqual({
      'payment_request.created': 0,
      'payment_request.sent': 1,
      'payment_request.send_failed': 2,
      'payment_request.opened': 3,
      'payment_request.payment_failed': 4,
      'payment_request.paid': 5,
      'payment_request.declined': 6,
      'payment_request.expired': 7,
      'payment_request.canceled': 8,
      'payment_request.cancel_rejected': 9,
    });
  });

  it.each(EVENT_TYPES.map((type) => [type]))('%s: target status and allowed-from set match the spec', (type) => {
    const spec = SPEC_TRANSITIONS[type];
    const transition = TRANSITIONS[type];
    expect(transition.to).toBe(spec.to);
    if (Array.isArray(transition.from)) {
      expect([...transition.from].sort()).toEqual([...(spec.from as Status[])].sort());
    } else {
      expect(transition.from).toBe(spec.from);
    }
  });

  it('has a transition for every event type and nothing else', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('never allows a transition out of a terminal status', () => {
    for (const type of EVENT_TYPES) {
      const { from } = TRANSITIONS[type];
      if (!Array.isArray(from)) continue;
      expect(from.filter((status) => isTerminal(status))).toEqual([]);
    }
  });
});

describe('cancelRefusalReason (SPEC §1 Cancel)', () => {
  it.each([
    ['created', null, null],
    ['sent', null, null],
    ['send_failed', null, null],
    ['opened', 1_000, 'already_opened'],
    ['payment_failed', 1_000, 'already_opened'],
    ['paid', null, 'already_closed'],
    ['paid', 1_000, 'already_closed'],
    ['declined', null, 'already_closed'],
    ['declined', 1_000, 'already_closed'],
    ['expired', null, 'expired'],
    ['expired', 1_000, 'expired'],
    ['canceled', null, 'already_canceled'],
  ] as const)('status %s, openedAt %s → %s', (status, openedAt, reason) => {
    expect(cancelRefusalReason(status, openedAt)).toBe(reason);
  });

  it('refuses as already_opened when the status says opened even without an openedAt', () => {
    expect(cancelRefusalReason('opened', null)).toBe('already_opened');
    expect(cancelRefusalReason('payment_failed', null)).toBe('already_opened');
  });

  it('refuses as already_opened whenever the link was ever opened, whatever the non-terminal status', () => {
    expect(cancelRefusalReason('sent', 0)).toBe('already_opened');
    expect(cancelRefusalReason('created', 5)).toBe('already_opened');
    expect(cancelRefusalReason('send_failed', 5)).toBe('already_opened');
  });

  it('allows cancel exactly from the statuses the canceled transition allows', () => {
    const allowed = STATUSES.filter((status) => cancelRefusalReason(status, null) === null);
    expect(allowed).toEqual(['created', 'sent', 'send_failed']);
    expect([...(TRANSITIONS['payment_request.canceled'].from as Status[])].sort()).toEqual([...allowed].sort());
  });

  it('lists the four refusal reasons of the spec, each with a message', () => {
    expect([...CANCEL_REJECTION_REASONS]).toEqual(['already_opened', 'already_canceled', 'expired', 'already_closed']);
    for (const reason of CANCEL_REJECTION_REASONS) {
      expect(CANCEL_REJECTION_MESSAGES[reason]).toMatch(/\S/);
    }
  });
});

describe('other enumerations', () => {
  it('has the four channels of SPEC §2', () => {
    expect([...CHANNELS]).toEqual(['whatsapp', 'sms', 'webchat', 'email']);
  });

  it('has the anomalies shown in timelines, each explained', () => {
    expect([...ANOMALIES]).toEqual(['invalid_transition', 'after_terminal', 'void']);
    expect(Object.keys(ANOMALY_EXPLANATIONS).sort()).toEqual([...ANOMALIES].sort());
  });

  it('has a system source for derived expiries', () => {
    expect(EVENT_SOURCES).toContain('system');
  });
});
