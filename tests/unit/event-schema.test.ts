import { describe, expect, it } from 'vitest';
import { type EventValidation, ID_PATTERN, parseRfc3339, validateEvent } from '../../app/domain/event-schema';

/** 2026-11-23T08:15:00.000Z, the instant of the SPEC §2 example. */
const NOW = 1_795_421_700_000;
const MINUTE = 60_000;

// The example event of SPEC §2.
function createdEvent(): Record<string, unknown> & { paymentRequest: Record<string, unknown> } {
  return {
    id: 'evt_01JD8W3Q7T',
    type: 'payment_request.created',
    occurredAt: '2026-11-23T10:15:00.000+02:00',
    paymentRequest: {
      id: 'pr_8842',
      agent: { id: 'ag_17', name: 'Thandi Mokoena', team: { id: 'tm_retail', name: 'Retail' } },
      amount: 36121,
      currency: 'USD',
      orderNumber: 'SO-1001',
      reason: 'Floral Oasis Dress',
      channel: 'whatsapp',
      customer: { phone: '+27821234567', name: 'Valeria' },
    },
    data: {},
  };
}

function event(type: string, data?: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'evt_2',
    type: `payment_request.${type}`,
    occurredAt: '2026-11-23T08:15:00Z',
    paymentRequest: { id: 'pr_8842' },
    ...(data === undefined ? {} : { data }),
    ...extra,
  };
}

function withRequest(changes: Record<string, unknown>): Record<string, unknown> {
  const input = createdEvent();
  return { ...input, paymentRequest: { ...input.paymentRequest, ...changes } };
}

function withoutRequestField(field: string): Record<string, unknown> {
  const input = createdEvent();
  const { [field]: _, ...rest } = input.paymentRequest;
  return { ...input, paymentRequest: rest };
}

function errorOf(validation: EventValidation): { code: string; path: string } {
  if (validation.ok) throw new Error(`expected a rejection, got ${JSON.stringify(validation.event)}`);
  return { code: validation.error.code, path: validation.error.path };
}

describe('validateEvent: valid events (SPEC §2)', () => {
  it('accepts the example created event and returns it parsed', () => {
    expect(validateEvent(createdEvent(), NOW)).toEqual({
      ok: true,
      event: {
        id: 'evt_01JD8W3Q7T',
        type: 'payment_request.created',
        occurredAt: NOW,
        requestId: 'pr_8842',
        details: {
          id: 'pr_8842',
          agent: { id: 'ag_17', name: 'Thandi Mokoena', team: { id: 'tm_retail', name: 'Retail' } },
          amount: 36121,
          currency: 'USD',
          orderNumber: 'SO-1001',
          reason: 'Floral Oasis Dress',
          channel: 'whatsapp',
          customer: { phone: '+27821234567', name: 'Valeria' },
        },
        data: {},
      },
    });
  });

  it.each(['whatsapp', 'sms', 'webchat', 'email'])('accepts channel %s', (channel) => {
    expect(validateEvent(withRequest({ channel }), NOW).ok).toBe(true);
  });

  it.each([
    ['JPY', 36121],
    ['KWD', 1],
    ['EUR', Number.MAX_SAFE_INTEGER],
  ])('accepts currency %s with amount %i', (currency, amount) => {
    expect(validateEvent(withRequest({ currency, amount }), NOW).ok).toBe(true);
  });

  it('accepts a created event without a customer name or data', () => {
    const input = withRequest({ customer: { phone: '+27 (82) 123-4567' } });
    delete input.data;
    const result = validateEvent(input, NOW);
    expect(result.ok && result.event.details?.customer).toEqual({ phone: '+27 (82) 123-4567' });
    expect(result.ok && result.event.data).toEqual({});
  });

  it('trims agent, team and order names', () => {
    const result = validateEvent(
      withRequest({
        agent: { id: 'ag_1', name: ' Thandi ', team: { id: 'tm_1', name: ' Retail ' } },
        orderNumber: ' SO-1 ',
      }),
      NOW,
    );
    expect(result.ok && result.event.details?.agent).toEqual({
      id: 'ag_1',
      name: 'Thandi',
      team: { id: 'tm_1', name: 'Retail' },
    });
    expect(result.ok && result.event.details?.orderNumber).toBe('SO-1');
  });

  it.each([
    ['sent', undefined],
    ['sent', {}],
    ['send_failed', { reason: 'WhatsApp number not reachable' }],
    ['opened', {}],
    ['payment_failed', { reason: 'insufficient funds', providerCode: '51' }],
    ['paid', {}],
    ['paid', { card: { brand: 'visa', last4: '1111' }, providerReference: 'ch_123' }],
    ['paid', { providerReference: 'ch_123' }],
    ['declined', {}],
    ['expired', {}],
    ['canceled', {}],
    ['canceled', { actorId: 'ag_17' }],
    ['cancel_rejected', { reason: 'already_opened' }],
    ['cancel_rejected', { reason: 'already_canceled', actorId: 'ag_17' }],
    ['cancel_rejected', { reason: 'expired' }],
    ['cancel_rejected', { reason: 'already_closed' }],
  ])('accepts %s with data %j', (type, data) => {
    const result = validateEvent(event(type, data), NOW);
    expect(result).toEqual({
      ok: true,
      event: {
        id: 'evt_2',
        type: `payment_request.${type}`,
        occurredAt: NOW,
        requestId: 'pr_8842',
        details: null,
        data: data ?? {},
      },
    });
  });

  it('ignores the other paymentRequest fields on events other than created', () => {
    const input = event(
      'paid',
      {},
      { paymentRequest: { id: 'pr_8842', amount: 'lots', currency: 'usd', channel: 'fax' } },
    );
    const result = validateEvent(input, NOW);
    expect(result.ok && result.event.details).toBeNull();
    expect(result.ok && result.event.requestId).toBe('pr_8842');
  });

  it('accepts a free-text card number in a reason: masking it is storage’s job (SPEC §1 Card data)', () => {
    expect(validateEvent(event('send_failed', { reason: 'card 4111 1111 1111 1111' }), NOW).ok).toBe(true);
  });
});

describe('validateEvent: ids (SPEC §2: 1–64 characters of [A-Za-z0-9_.:-])', () => {
  it.each(['a', 'evt_01JD8W3Q7T', 'A-Z.a:z_0-9', 'x'.repeat(64)])('accepts %j', (id) => {
    expect(ID_PATTERN.test(id)).toBe(true);
    expect(validateEvent({ ...createdEvent(), id }, NOW).ok).toBe(true);
    expect(validateEvent(withRequest({ id }), NOW).ok).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'evt 1', 'evt/1', 'évt', 'evt#1', 'evt_1\n'])(
    'rejects event id %j as invalid_id',
    (id) => {
      const result = validateEvent({ ...createdEvent(), id }, NOW);
      expect(errorOf(result)).toEqual({ code: 'invalid_id', path: 'id' });
      expect(!result.ok && result.eventId).toBeNull();
    },
  );

  it('rejects a non-string event id as invalid_id', () => {
    expect(errorOf(validateEvent({ ...createdEvent(), id: 5 }, NOW))).toEqual({ code: 'invalid_id', path: 'id' });
  });

  it('rejects a missing event id as missing_field', () => {
    const { id: _, ...input } = createdEvent();
    const result = validateEvent(input, NOW);
    expect(errorOf(result)).toEqual({ code: 'missing_field', path: 'id' });
    expect(!result.ok && result.eventId).toBeNull();
  });

  it.each(['', 'pr 1', 'x'.repeat(65)])('rejects paymentRequest.id %j as invalid_id, keeping the event id', (id) => {
    const result = validateEvent(event('sent', {}, { paymentRequest: { id } }), NOW);
    expect(errorOf(result)).toEqual({ code: 'invalid_id', path: 'paymentRequest.id' });
    expect(!result.ok && result.eventId).toBe('evt_2');
  });

  it('requires paymentRequest.id on every event', () => {
    expect(errorOf(validateEvent(event('sent', {}, { paymentRequest: {} }), NOW))).toEqual({
      code: 'missing_field',
      path: 'paymentRequest.id',
    });
    const { paymentRequest: _, ...noRequest } = event('sent', {});
    expect(errorOf(validateEvent(noRequest, NOW))).toEqual({ code: 'missing_field', path: 'paymentRequest' });
    expect(errorOf(validateEvent(event('sent', {}, { paymentRequest: 'pr_1' }), NOW))).toEqual({
      code: 'invalid_field',
      path: 'paymentRequest',
    });
  });

  it('rejects agent and team ids outside the pattern', () => {
    expect(
      errorOf(validateEvent(withRequest({ agent: { id: 'ag 17', name: 'T', team: { id: 'tm_1', name: 'R' } } }), NOW)),
    ).toEqual({ code: 'invalid_field', path: 'paymentRequest.agent.id' });
    expect(
      errorOf(validateEvent(withRequest({ agent: { id: 'ag_17', name: 'T', team: { id: '', name: 'R' } } }), NOW)),
    ).toEqual({ code: 'invalid_field', path: 'paymentRequest.agent.team.id' });
  });
});

describe('validateEvent: envelope', () => {
  it.each([null, [], [createdEvent()], 'event', 42, true])('rejects %j as invalid_event', (input) => {
    expect(validateEvent(input, NOW)).toEqual({
      ok: false,
      eventId: null,
      error: { code: 'invalid_event', path: '', message: 'An event must be a JSON object' },
    });
  });

  it('rejects an unknown type as invalid_type, keeping the event id', () => {
    const result = validateEvent(event('refunded', {}), NOW);
    expect(errorOf(result)).toEqual({ code: 'invalid_type', path: 'type' });
    expect(!result.ok && result.eventId).toBe('evt_2');
    expect(errorOf(validateEvent({ ...event('sent', {}), type: 'sent' }, NOW))).toEqual({
      code: 'invalid_type',
      path: 'type',
    });
  });

  it('rejects a missing type as missing_field', () => {
    const { type: _, ...input } = event('sent', {});
    expect(errorOf(validateEvent(input, NOW))).toEqual({ code: 'missing_field', path: 'type' });
  });

  it.each(['x', 5, [], null])('rejects data %j as invalid_data', (data) => {
    expect(errorOf(validateEvent(event('opened', data), NOW))).toEqual({ code: 'invalid_data', path: 'data' });
  });
});

describe('validateEvent: occurredAt (SPEC §2: RFC 3339 with an offset, at most 5 minutes ahead)', () => {
  it('rejects a missing occurredAt as missing_field', () => {
    const { occurredAt: _, ...input } = event('sent', {});
    expect(errorOf(validateEvent(input, NOW))).toEqual({ code: 'missing_field', path: 'occurredAt' });
  });

  it.each([
    NOW,
    null,
    '2026-11-23T08:15:00',
    '2026-11-23',
    '2026-11-23 08:15:00Z',
    '2026-11-23T08:15Z',
    '2026-11-23T08:15:00+0200',
    '2026-11-23T08:15:00 +02:00',
    '2026-02-30T08:15:00Z',
    '2026-11-23T24:00:00Z',
    '2026-11-23T08:15:00+24:00',
    'Mon, 23 Nov 2026 08:15:00 GMT',
    '1795421700000',
    '',
  ])('rejects %j as invalid_occurred_at', (occurredAt) => {
    expect(errorOf(validateEvent(event('sent', {}, { occurredAt }), NOW))).toEqual({
      code: 'invalid_occurred_at',
      path: 'occurredAt',
    });
  });

  it.each([
    ['2026-11-23T08:20:00.000Z', NOW + 5 * MINUTE],
    ['2026-11-23T10:20:00.000+02:00', NOW + 5 * MINUTE],
    ['2026-11-23T03:20:00-05:00', NOW + 5 * MINUTE],
    ['2026-11-23T08:19:59.999Z', NOW + 5 * MINUTE - 1],
    ['2000-01-01T00:00:00Z', 946_684_800_000],
  ])('accepts %s (up to exactly 5 minutes ahead, any age in the past)', (occurredAt, epoch) => {
    const result = validateEvent(event('sent', {}, { occurredAt }), NOW);
    expect(result.ok && result.event.occurredAt).toBe(epoch);
  });

  it.each([
    '2026-11-23T08:20:00.001Z',
    '2026-11-23T10:20:00.001+02:00',
    '2026-11-23T03:20:00.001-05:00',
    '2027-01-01T00:00:00Z',
  ])('rejects %s as occurred_in_future', (occurredAt) => {
    expect(validateEvent(event('sent', {}, { occurredAt }), NOW)).toEqual({
      ok: false,
      eventId: 'evt_2',
      error: {
        code: 'occurred_in_future',
        path: 'occurredAt',
        message: 'occurredAt is more than 5 minutes in the future',
      },
    });
  });
});

describe('parseRfc3339', () => {
  it.each([
    ['2026-11-23T10:15:00.000+02:00', NOW],
    ['2026-11-23T08:15:00Z', NOW],
    ['2026-11-23t08:15:00z', NOW],
    ['2026-11-23T03:15:00-05:00', NOW],
    ['2026-11-23T13:45:00+05:30', NOW],
    ['2026-11-23T08:15:00+00:00', NOW],
    ['2026-11-23T08:15:00-00:00', NOW],
    ['2026-11-23T08:15:00.5Z', NOW + 500],
    ['2026-11-23T08:15:00.05Z', NOW + 50],
    ['2026-11-23T08:15:00.123456789Z', NOW + 123],
    ['2026-11-23T08:15:00.1239Z', NOW + 123],
    ['2026-11-23T10:15:00-23:59', 1_795_515_240_000],
    ['2024-02-29T00:00:00Z', 1_709_164_800_000],
    ['2026-12-31T23:59:59.999Z', 1_798_761_599_999],
  ])('%s → %i', (text, epoch) => {
    expect(parseRfc3339(text)).toBe(epoch);
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-00T00:00:00Z',
    '2026-11-23T24:00:00Z',
    '2026-11-23T10:60:00Z',
    '2026-11-23T10:15:60Z',
    '2026-11-23T23:59:60Z',
    '2026-11-23T10:15:00+02:60',
    '2026-11-23T10:15:00+24:00',
    '2026-11-23T10:15:00',
    '2026-11-23T10:15:00.Z',
    '2026-11-23 10:15:00Z',
    ' 2026-11-23T10:15:00Z',
    '2026-11-23T10:15:00Z ',
    '+02026-11-23T08:15:00Z',
    '26-11-23T10:15:00Z',
    '',
  ])('%j → null', (text) => {
    expect(parseRfc3339(text)).toBeNull();
  });
});

describe('validateEvent: created event details (SPEC §2)', () => {
  it.each([['usd'], ['US'], ['XXX'], ['EURO'], [''], [840]])(
    'rejects currency %j as invalid_currency at paymentRequest.currency',
    (currency) => {
      expect(errorOf(validateEvent(withRequest({ currency }), NOW))).toEqual({
        code: 'invalid_currency',
        path: 'paymentRequest.currency',
      });
    },
  );

  it.each([[1.5], [0], [-100], ['36121'], [Number.MAX_SAFE_INTEGER + 1], [null], [Number.POSITIVE_INFINITY]])(
    'rejects amount %j as invalid_amount',
    (amount) => {
      expect(errorOf(validateEvent(withRequest({ amount }), NOW))).toEqual({
        code: 'invalid_amount',
        path: 'paymentRequest.amount',
      });
    },
  );

  it.each([['fax'], ['WhatsApp'], [''], [1]])('rejects channel %j as invalid_channel', (channel) => {
    expect(errorOf(validateEvent(withRequest({ channel }), NOW))).toEqual({
      code: 'invalid_channel',
      path: 'paymentRequest.channel',
    });
  });

  it.each([['abc'], ['12'], ['+27-82-123-4567-1234567890123456789'], ['']])(
    'rejects phone %j as invalid_phone',
    (phone) => {
      expect(errorOf(validateEvent(withRequest({ customer: { phone } }), NOW))).toEqual({
        code: 'invalid_phone',
        path: 'paymentRequest.customer.phone',
      });
    },
  );

  it.each(['agent', 'amount', 'currency', 'orderNumber', 'reason', 'channel', 'customer'])(
    'rejects a created event without paymentRequest.%s as missing_field',
    (field) => {
      expect(errorOf(validateEvent(withoutRequestField(field), NOW))).toEqual({
        code: 'missing_field',
        path: `paymentRequest.${field}`,
      });
    },
  );

  it('names the nested missing field', () => {
    expect(errorOf(validateEvent(withRequest({ customer: {} }), NOW))).toEqual({
      code: 'missing_field',
      path: 'paymentRequest.customer.phone',
    });
    expect(errorOf(validateEvent(withRequest({ agent: { id: 'ag_1', name: 'T' } }), NOW))).toEqual({
      code: 'missing_field',
      path: 'paymentRequest.agent.team',
    });
    expect(
      errorOf(validateEvent(withRequest({ agent: { id: 'ag_1', name: 'T', team: { id: 'tm_1' } } }), NOW)),
    ).toEqual({ code: 'missing_field', path: 'paymentRequest.agent.team.name' });
  });

  it.each([
    [{ agent: { id: 'ag_1', name: '  ', team: { id: 'tm_1', name: 'R' } } }, 'paymentRequest.agent.name'],
    [{ agent: { id: 'ag_1', name: 'T', team: { id: 'tm_1', name: '' } } }, 'paymentRequest.agent.team.name'],
    [{ orderNumber: ' ' }, 'paymentRequest.orderNumber'],
    [{ orderNumber: 'x'.repeat(101) }, 'paymentRequest.orderNumber'],
    [{ reason: 'x'.repeat(2001) }, 'paymentRequest.reason'],
    [{ customer: { phone: '+27821234567', name: 'x'.repeat(201) } }, 'paymentRequest.customer.name'],
  ])('rejects %j as invalid_field at %s', (changes, path) => {
    expect(errorOf(validateEvent(withRequest(changes), NOW))).toEqual({ code: 'invalid_field', path });
  });
});

describe('validateEvent: data by type (SPEC §2)', () => {
  it.each(['send_failed', 'payment_failed'])('%s requires data.reason', (type) => {
    expect(errorOf(validateEvent(event(type, {}), NOW))).toEqual({ code: 'missing_field', path: 'data.reason' });
    expect(errorOf(validateEvent(event(type), NOW))).toEqual({ code: 'missing_field', path: 'data.reason' });
    expect(errorOf(validateEvent(event(type, { reason: 5 }), NOW))).toEqual({
      code: 'invalid_field',
      path: 'data.reason',
    });
    expect(errorOf(validateEvent(event(type, { reason: 'x'.repeat(2001) }), NOW))).toEqual({
      code: 'invalid_field',
      path: 'data.reason',
    });
  });

  it('cancel_rejected requires one of the four refusal reasons', () => {
    expect(errorOf(validateEvent(event('cancel_rejected', {}), NOW))).toEqual({
      code: 'missing_field',
      path: 'data.reason',
    });
    expect(errorOf(validateEvent(event('cancel_rejected', { reason: 'too_late' }), NOW))).toEqual({
      code: 'invalid_field',
      path: 'data.reason',
    });
    expect(
      errorOf(validateEvent(event('cancel_rejected', { reason: 'already_opened', actorId: 'x'.repeat(65) }), NOW)),
    ).toEqual({
      code: 'invalid_field',
      path: 'data.actorId',
    });
  });

  it('canceled accepts an optional actorId of at most 64 characters', () => {
    expect(errorOf(validateEvent(event('canceled', { actorId: 'x'.repeat(65) }), NOW))).toEqual({
      code: 'invalid_field',
      path: 'data.actorId',
    });
    expect(errorOf(validateEvent(event('canceled', { actorId: 17 }), NOW))).toEqual({
      code: 'invalid_field',
      path: 'data.actorId',
    });
  });

  describe('paid carries at most card.brand and card.last4 (SPEC §1 Card data)', () => {
    it.each([
      [{ card: { brand: 'visa', last4: '1111', number: '4111111111111111' } }, 'data.card.number'],
      [{ card: { brand: 'visa', last4: '1111', cvc: '123' } }, 'data.card.cvc'],
      [{ card: { brand: 'visa', last4: '1111', cvv: 123 } }, 'data.card.cvv'],
      [{ card: { brand: 'visa', last4: '1111', expiry: '12/27' } }, 'data.card.expiry'],
      [{ card: { last4: '1111', pan: '4111111111111111' } }, 'data.card.pan'],
      [{ cardNumber: '4111111111111111' }, 'data.cardNumber'],
      [{ cvv: '123' }, 'data.cvv'],
      [{ cardholder: 'Valeria' }, 'data.cardholder'],
      [{ number: '4111111111111111' }, 'data.number'],
    ])('rejects %j as card_data_not_allowed at %s', (data, path) => {
      const result = validateEvent(event('paid', data), NOW);
      expect(errorOf(result)).toEqual({ code: 'card_data_not_allowed', path });
      expect(!result.ok && result.eventId).toBe('evt_2');
    });

    it('rejects other unknown fields as invalid_data', () => {
      expect(errorOf(validateEvent(event('paid', { tip: 5 }), NOW))).toEqual({
        code: 'invalid_data',
        path: 'data.tip',
      });
    });

    it.each([
      [{ card: { brand: 'visa', last4: '111' } }, 'invalid_card', 'data.card.last4'],
      [{ card: { brand: 'visa', last4: '11111' } }, 'invalid_card', 'data.card.last4'],
      [{ card: { brand: 'visa', last4: 'abcd' } }, 'invalid_card', 'data.card.last4'],
      [{ card: { brand: 'visa', last4: 1111 } }, 'invalid_card', 'data.card.last4'],
      [{ card: { brand: '', last4: '1111' } }, 'invalid_card', 'data.card.brand'],
      [{ card: { brand: 'visa' } }, 'missing_field', 'data.card.last4'],
      [{ card: { last4: '1111' } }, 'missing_field', 'data.card.brand'],
      [{ card: 'visa' }, 'invalid_card', 'data.card'],
      [{ providerReference: 'x'.repeat(201) }, 'invalid_field', 'data.providerReference'],
    ])('rejects %j as %s at %s', (data, code, path) => {
      expect(errorOf(validateEvent(event('paid', data), NOW))).toEqual({ code, path });
    });
  });

  describe('card numbers and security codes are refused on every event type (SPEC §1 Card data)', () => {
    it.each([
      ['payment_failed', { reason: 'declined', cvv: '123' }, 'data.cvv'],
      ['payment_failed', { reason: 'declined', card: { number: '4111111111111111' } }, 'data.card.number'],
      ['send_failed', { reason: 'x', cardNumber: 4111111111111111 }, 'data.cardNumber'],
      ['canceled', { securityCode: '123' }, 'data.securityCode'],
      ['cancel_rejected', { reason: 'already_opened', card_number: '4111 1111 1111 1111' }, 'data.card_number'],
      ['opened', { pan: '4111111111111111' }, 'data.pan'],
      ['declined', { CVC: '123' }, 'data.CVC'],
      ['expired', { items: [{ csc: '1' }] }, 'data.items.0.csc'],
    ])('%s with %j → card_data_not_allowed at %s', (type, data, path) => {
      expect(errorOf(validateEvent(event(type, data), NOW))).toEqual({ code: 'card_data_not_allowed', path });
    });

    it('also under paymentRequest, which created strips and other types ignore', () => {
      expect(errorOf(validateEvent(withRequest({ cardNumber: '4111111111111111' }), NOW))).toEqual({
        code: 'card_data_not_allowed',
        path: 'paymentRequest.cardNumber',
      });
      expect(errorOf(validateEvent(withRequest({ customer: { phone: '+27821234567', cvv: '123' } }), NOW))).toEqual({
        code: 'card_data_not_allowed',
        path: 'paymentRequest.customer.cvv',
      });
      expect(
        errorOf(validateEvent(event('sent', {}, { paymentRequest: { id: 'pr_1', pan: '4111111111111111' } }), NOW)),
      ).toEqual({
        code: 'card_data_not_allowed',
        path: 'paymentRequest.pan',
      });
    });

    it('and at the top level', () => {
      expect(errorOf(validateEvent(event('sent', {}, { cvv: '123' }), NOW))).toEqual({
        code: 'card_data_not_allowed',
        path: 'cvv',
      });
    });

    it('keys that only contain those words, or empty values, are not card data', () => {
      expect(validateEvent(withRequest({ orderNumber: 'SO-1' }), NOW).ok).toBe(true);
      expect(validateEvent(event('payment_failed', { reason: 'x', cvv: null, panel: 'a' }), NOW).ok).toBe(true);
    });
  });
});
