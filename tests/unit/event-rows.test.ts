import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskJsonValue } from '../../app/domain/card-masking';
import { canonicalJson, sha256Hex } from '../../app/lib/canonical-json';
import {
  contentHashBlob,
  type EventColumns,
  eventBody,
  storedBodyObject,
  storedContentHash,
  storedEventBody,
} from '../../db/event-rows';
import { created, step, T0 } from '../support/events';

const columnsOf = (event: Record<string, unknown>): EventColumns => ({
  id: event.id as string,
  type: event.type as string,
  occurredAt: Date.parse(event.occurredAt as string),
  requestId: (event.paymentRequest as { id: string }).id,
});

/** Any value a shape's leaf may hold (not an object). */
const leaf = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
);

const roundTrip = (event: Record<string, unknown>) => {
  const stored = storedEventBody(event, columnsOf(event));
  return { stored, rebuilt: JSON.parse(eventBody(stored, columnsOf(event))) as unknown };
};

describe('an event body as stored (db/event-rows.ts)', () => {
  it('keeps only what the columns do not hold, packed when its shape is a common one, and gives back the same value', () => {
    const sent = step('pr_1', 'sent', 60_000);
    expect(roundTrip(sent)).toEqual({ stored: '', rebuilt: sent });
    const paid = step('pr_1', 'paid', 120_000, { card: { brand: 'visa', last4: '4242' }, providerReference: 'p_1' });
    expect(roundTrip(paid)).toEqual({ stored: '\u00012\u001fvisa\u001f4242\u001fp_1', rebuilt: paid });
    const createdEvent = created('pr_1');
    expect(roundTrip(createdEvent)).toEqual({
      stored:
        '\u00010\u001fag_17\u001fThandi Mokoena\u001ftm_retail\u001fRetail\u001f\u001e36121\u001fUSD\u001fSO-1001\u001fFloral Oasis Dress\u001fwhatsapp\u001f+27821234567\u001fValeria',
      rebuilt: createdEvent,
    });
  });

  it.each([
    [
      'created without a customer name',
      created('pr_1', 0, {}),
      (event: Record<string, unknown>) => {
        const request = event.paymentRequest as { customer: { name?: string } };
        delete request.customer.name;
      },
      '\u00011\u001fag_17\u001f',
    ],
    [
      'paid with a provider reference only',
      step('pr_1', 'paid', 0, { providerReference: 'p_1' }),
      null,
      '\u00013\u001fp_1',
    ],
    [
      'paid with a card only',
      step('pr_1', 'paid', 0, { card: { brand: 'visa', last4: '4242' } }),
      null,
      '\u00014\u001fvisa\u001f4242',
    ],
    ['canceled by an actor', step('pr_1', 'canceled', 0, { actorId: 'usr_1' }), null, '\u00015\u001fusr_1'],
  ])('packs %s', (_name, event, change, prefix) => {
    change?.(event);
    const { stored, rebuilt } = roundTrip(event);
    expect(stored.startsWith(prefix)).toBe(true);
    expect(rebuilt).toEqual(event);
  });

  it("keeps JSON for other shapes: a reason (SQL reads a send failure's), keys in another order, odd values", () => {
    const failed = step('pr_1', 'send_failed', 0, { reason: 'Number unreachable' });
    expect(roundTrip(failed)).toEqual({ stored: '{"data":{"reason":"Number unreachable"}}', rebuilt: failed });
    const swapped = step('pr_1', 'paid', 0, { providerReference: 'p_1', card: { brand: 'visa', last4: '4242' } });
    expect(roundTrip(swapped).stored).toBe(
      '{"data":{"providerReference":"p_1","card":{"brand":"visa","last4":"4242"}}}',
    );
    // A leaf may be any JSON value but an object: still packed, and given back the same.
    const odd = step('pr_1', 'canceled', 0, { actorId: ['a', { b: null }] });
    expect(roundTrip(odd)).toEqual({ stored: '\u00015\u001f\u001e["a",{"b":null}]', rebuilt: odd });
    // A string holding a separator, or starting as a non-string would: the JSON array form.
    const marked = step('pr_1', 'canceled', 0, { actorId: 'usr\u001f1' });
    expect(roundTrip(marked)).toEqual({ stored: '[5,"usr\\u001f1"]', rebuilt: marked });
    const lookalike = step('pr_1', 'canceled', 0, { actorId: '\u001e1' });
    expect(roundTrip(lookalike)).toEqual({ stored: '[5,"\\u001e1"]', rebuilt: lookalike });
  });

  it('reads the forms rows stored before the compact one: [] and the JSON array', () => {
    const paid = step('pr_1', 'paid', 120_000, { card: { brand: 'visa', last4: '4242' }, providerReference: 'p_1' });
    expect(JSON.parse(eventBody('[2,"visa","4242","p_1"]', columnsOf(paid)))).toEqual(paid);
    const sent = step('pr_1', 'sent', 60_000);
    expect(JSON.parse(eventBody('[]', columnsOf(sent)))).toEqual(sent);
  });

  it('gives back every body as JSON.stringify wrote it, packed or not (property)', () => {
    const shapes = fc.oneof(
      fc.record({ data: fc.record({ card: fc.record({ brand: leaf, last4: leaf }), providerReference: leaf }) }),
      fc.record({ data: fc.record({ actorId: leaf }) }),
      fc.record({ data: fc.constant({}) }),
      fc.dictionary(
        fc.string({ unit: 'binary' }).filter((key) => !['id', 'type', 'occurredAt', 'paymentRequest'].includes(key)),
        fc.jsonValue(),
        { maxKeys: 4 },
      ),
    );
    fc.assert(
      fc.property(shapes, (extra) => {
        const base = step('pr_1', 'canceled', 0);
        const { data: _data, ...rest } = base;
        const event = JSON.parse(JSON.stringify({ ...rest, ...extra })) as Record<string, unknown>;
        const columns = columnsOf(event);
        const stored = storedEventBody(event, columns);
        expect(eventBody(stored, columns)).toBe(
          JSON.stringify({
            id: event.id,
            type: event.type,
            occurredAt: event.occurredAt,
            paymentRequest: event.paymentRequest,
            ...Object.fromEntries(
              Object.entries(event).filter(([key]) => !['id', 'type', 'occurredAt', 'paymentRequest'].includes(key)),
            ),
          }),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('reads a compact body as the value its JSON text gives, and no other form', () => {
    const createdEvent = created('pr_1');
    const stored = storedEventBody(createdEvent, columnsOf(createdEvent));
    const { id: _id, ...details } = createdEvent.paymentRequest as Record<string, unknown>;
    expect(details.amount).toBe(36121); // a number again, not the text it is packed as
    expect(storedBodyObject(stored)).toEqual({ paymentRequest: details, data: {} });
    expect(storedBodyObject('\u00013\u001fp_1')).toEqual({ data: { providerReference: 'p_1' } });
    // {"data":{}}, the JSON array form (a value holding a mark) and plain JSON: the caller parses.
    expect(storedBodyObject('')).toBeNull();
    expect(storedBodyObject('[3,"p\u001f1"]')).toBeNull();
    expect(storedBodyObject('{"data":{"reason":"x"}}')).toBeNull();
    expect(() => storedBodyObject('\u00019\u001fx')).toThrow('unknown shape 9');
    expect(() => storedBodyObject('\u00013\u001fp_1\u001fextra')).toThrow('more values');
    expect(() => storedBodyObject('\u00012\u001fvisa')).toThrow('fewer values');
  });

  it('reads every compact created body as JSON.parse reads its text (property)', () => {
    const details = fc.record(
      {
        agent: fc.record({ id: leaf, name: leaf, team: fc.record({ id: leaf, name: leaf }) }),
        amount: leaf,
        currency: leaf,
        orderNumber: leaf,
        reason: leaf,
        channel: leaf,
        customer: fc.record({ phone: leaf, name: leaf }, { requiredKeys: ['phone'] }),
      },
      { requiredKeys: ['agent', 'amount', 'currency', 'orderNumber', 'reason', 'channel', 'customer'] },
    );
    let compact = 0;
    fc.assert(
      fc.property(details, (request) => {
        const base = created('pr_1');
        const event = JSON.parse(
          JSON.stringify({ ...base, paymentRequest: { id: 'pr_1', ...request }, data: {} }),
        ) as Record<string, unknown>;
        const columns = columnsOf(event);
        const stored = storedEventBody(event, columns);
        const {
          id: _id,
          type: _type,
          occurredAt: _at,
          paymentRequest,
          ...rest
        } = JSON.parse(eventBody(stored, columns)) as Record<string, unknown>;
        const { id: _requestId, ...requestDetails } = paymentRequest as Record<string, unknown>;
        const read = storedBodyObject(stored);
        if (stored.startsWith('\u0001')) {
          compact += 1;
          expect(read).toEqual({ paymentRequest: requestDetails, ...rest });
        } else expect(read).toBeNull();
      }),
      { numRuns: 500 },
    );
    expect(compact).toBeGreaterThan(100);
  });

  it('stores {} for an event with nothing else, and keeps unknown keys and their order', () => {
    const { data: _data, ...bare } = step('pr_1', 'opened', 0);
    expect(roundTrip(bare)).toEqual({ stored: '{}', rebuilt: bare });
    const { data: _unused, ...rest } = step('pr_1', 'canceled', 0);
    const reordered = { data: { z: 1, a: [1, { b: null }] }, extra: 'x', ...rest };
    expect(roundTrip(reordered)).toEqual({
      stored: '{"data":{"z":1,"a":[1,{"b":null}]},"extra":"x"}',
      rebuilt: reordered,
    });
    // Empty data beside another key, or before it, is not the empty body.
    const emptyDataAndMore = { ...rest, data: {}, extra: 'x' };
    expect(roundTrip(emptyDataAndMore)).toEqual({ stored: '{"data":{},"extra":"x"}', rebuilt: emptyDataAndMore });
    const moreAndEmptyData = { ...rest, extra: 'x', data: {} };
    expect(roundTrip(moreAndEmptyData)).toEqual({ stored: '{"extra":"x","data":{}}', rebuilt: moreAndEmptyData });
  });

  it.each([
    ['an offset', '2026-11-20T12:00:00+02:00'],
    ['no milliseconds', '2026-11-20T10:00:00Z'],
    ['a lower-case t and z', '2026-11-20t10:00:00.000z'],
    ['more digits', '2026-11-20T10:00:00.0001Z'],
  ])('keeps an occurredAt written with %s', (_name, occurredAt) => {
    const event = { ...step('pr_1', 'sent', 0), occurredAt };
    const columns = { ...columnsOf(event), occurredAt: T0 };
    const stored = storedEventBody(event, columns);
    expect(stored).toBe(`{"occurredAt":"${occurredAt}","data":{}}`);
    expect(JSON.parse(eventBody(stored, columns))).toEqual(event);
  });

  it('keeps a __proto__ key (JSON.parse makes it a key of its own) at the top and in paymentRequest', () => {
    const text = JSON.stringify(step('pr_1', 'sent', 0))
      .replace('"data":{}', '"data":{},"__proto__":{"x":1}')
      .replace('"paymentRequest":{"id":"pr_1"', '"paymentRequest":{"id":"pr_1","__proto__":2');
    const event = JSON.parse(text) as Record<string, unknown>;
    const stored = storedEventBody(event, columnsOf(event));
    expect(stored).toBe('{"paymentRequest":{"__proto__":2},"data":{},"__proto__":{"x":1}}');
    expect(eventBody(stored, columnsOf(event))).toBe(text);
  });

  it('keeps whatever else a non-created event carries in paymentRequest', () => {
    const event = { ...step('pr_1', 'sent', 0), paymentRequest: { id: 'pr_1', note: 'n' } };
    expect(roundTrip(event)).toEqual({ stored: '{"paymentRequest":{"note":"n"},"data":{}}', rebuilt: event });
  });

  it('refuses a body whose id, type or request disagrees with the columns', () => {
    const event = step('pr_1', 'sent', 0);
    expect(() => storedEventBody(event, { ...columnsOf(event), id: 'other' })).toThrow(/id or type/);
    expect(() => storedEventBody(event, { ...columnsOf(event), type: 'payment_request.opened' })).toThrow(/id or type/);
    expect(() => storedEventBody(event, { ...columnsOf(event), requestId: 'pr_2' })).toThrow(/request_id/);
  });
});

describe('a content hash as stored', () => {
  const row = (event: Record<string, unknown>, hash: Buffer | null) => {
    const columns = columnsOf(event);
    return {
      id: columns.id,
      type: columns.type,
      occurred_at: columns.occurredAt,
      request_id: columns.requestId,
      body: storedEventBody(maskJsonValue(event) as Record<string, unknown>, columns),
      content_hash: hash,
    };
  };

  it('is nothing when the body gives the event back, and computed from it on demand', () => {
    const event = { ...created('pr_1'), occurredAt: '2026-11-20T12:00:00+02:00' };
    const hash = sha256Hex(canonicalJson(event));
    const body = JSON.stringify(maskJsonValue(event));
    expect(contentHashBlob(hash, body, JSON.stringify(event))).toBeNull();
    expect(storedContentHash(row(event, null))).toBe(hash);
  });

  it('is the 32 bytes of the hash of the event as received when masking changed the body', () => {
    const event = step('pr_1', 'payment_failed', 0, { reason: 'card 4111 1111 1111 1111 declined' });
    const hash = sha256Hex(canonicalJson(event));
    const body = JSON.stringify(maskJsonValue(event));
    const blob = contentHashBlob(hash, body, JSON.stringify(event));
    expect(blob).toEqual(Buffer.from(hash, 'hex'));
    expect(blob).toHaveLength(32);
    expect(storedContentHash(row(event, blob))).toBe(hash);
    // The masked body alone would not give it back.
    expect(sha256Hex(canonicalJson(JSON.parse(body)))).not.toBe(hash);
  });
});
