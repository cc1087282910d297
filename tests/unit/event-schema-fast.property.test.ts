import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  plainDataHolds,
  plainDetails,
  plainEnvelope,
  validateEvent,
  validateEventByZod,
} from '../../app/domain/event-schema';
import type { EventType } from '../../app/domain/lifecycle';
import { created, MINUTE, step, T0 } from '../support/events';

// validateEvent checks the plain shapes of an event by hand and leaves anything else to zod
// (app/domain/event-schema.ts, issue 14): it must give exactly what zod alone gives, for valid
// events and for every way one can be wrong.

const NOW = T0 + 60 * MINUTE;

const BASES: Record<string, unknown>[] = [
  created('pr_1'),
  created('pr_2', 0, { agentName: '  Thandi  ', teamName: 'Retail ', orderNumber: ' SO-9 ', reason: '' }),
  step('pr_1', 'sent', MINUTE),
  step('pr_1', 'opened', 2 * MINUTE),
  step('pr_1', 'paid', 3 * MINUTE, { card: { brand: 'Visa', last4: '4242' }, providerReference: 'ch_1' }),
  step('pr_1', 'paid', 3 * MINUTE),
  step('pr_1', 'send_failed', MINUTE, { reason: 'undeliverable' }),
  step('pr_1', 'payment_failed', MINUTE, { reason: 'insufficient funds', code: 51 }),
  step('pr_1', 'declined', MINUTE),
  step('pr_1', 'expired', MINUTE),
  step('pr_1', 'canceled', MINUTE, { actorId: 'ag_17' }),
  step('pr_1', 'cancel_rejected', MINUTE, { reason: 'already_opened', actorId: 'ag_17' }),
];

/** Where a mutation lands: every field the schemas name, and a few they do not. */
const PATHS: string[][] = [
  ['id'],
  ['type'],
  ['occurredAt'],
  ['data'],
  ['extra'],
  ['paymentRequest'],
  ['paymentRequest', 'id'],
  ['paymentRequest', 'agent'],
  ['paymentRequest', 'agent', 'id'],
  ['paymentRequest', 'agent', 'name'],
  ['paymentRequest', 'agent', 'team'],
  ['paymentRequest', 'agent', 'team', 'id'],
  ['paymentRequest', 'agent', 'team', 'name'],
  ['paymentRequest', 'agent', 'extra'],
  ['paymentRequest', 'amount'],
  ['paymentRequest', 'currency'],
  ['paymentRequest', 'orderNumber'],
  ['paymentRequest', 'reason'],
  ['paymentRequest', 'channel'],
  ['paymentRequest', 'customer'],
  ['paymentRequest', 'customer', 'phone'],
  ['paymentRequest', 'customer', 'name'],
  ['paymentRequest', 'extra'],
  ['data', 'reason'],
  ['data', 'actorId'],
  ['data', 'card'],
  ['data', 'card', 'brand'],
  ['data', 'card', 'last4'],
  ['data', 'card', 'number'],
  ['data', 'providerReference'],
  ['data', 'extra'],
];

const long = (n: number) => 'a'.repeat(n);
/** Values near each schema's edges; undefined deletes the field. */
const VALUES: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1,
  1.5,
  36121,
  2 ** 53 - 1,
  2 ** 53,
  4111111111111111,
  1e21,
  Number.NaN,
  '',
  ' ',
  '\u00a0x\u00a0',
  '  name  ',
  '.',
  '..',
  'ok_id-1.2:3',
  'bad id',
  '4111 1111 1111 1111',
  '+27 82 123 4567',
  '+1234567890123456',
  '12',
  '1234',
  'USD',
  'usd',
  'XXX',
  'whatsapp',
  'fax',
  'payment_request.paid',
  'payment_request.created',
  'already_opened',
  'nope',
  '2026-11-20T10:00:00Z',
  'not a date',
  long(40),
  long(41),
  long(64),
  long(65),
  long(100),
  long(101),
  long(200),
  long(201),
  long(2000),
  long(2001),
  [],
  ['x'],
  {},
  { brand: 'Visa', last4: '4242' },
  { brand: '', last4: '4242' },
  { brand: 'Visa', last4: '424' },
  { id: 'ag_1', name: 'A', team: { id: 'tm_1', name: 'T' } },
  { phone: '+27821234567' },
  JSON.parse('{"__proto__": {"x": 1}, "reason": "r"}'),
];

function mutated(base: Record<string, unknown>, mutations: [string[], unknown][]): Record<string, unknown> {
  const event = structuredClone(base);
  for (const [path, value] of mutations) {
    let at: Record<string, unknown> = event;
    for (const key of path.slice(0, -1)) {
      const next = at[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) break;
      at = next as Record<string, unknown>;
    }
    const key = path.at(-1)!;
    if (value === undefined) delete at[key];
    else at[key] = structuredClone(value);
  }
  return event;
}

describe('validateEvent against zod alone', () => {
  it('takes the plain path for the usual events (so the comparison below is not empty)', () => {
    for (const base of BASES) {
      const envelope = plainEnvelope(base);
      expect(envelope).toBeDefined();
      const type = base.type as EventType;
      if (type === 'payment_request.created') expect(plainDetails(envelope!.paymentRequest)).toBeDefined();
      else expect(plainDataHolds(type, (base.data ?? {}) as Record<string, unknown>)).toBe(true);
      expect(validateEvent(base, NOW)).toMatchObject({ ok: true });
    }
    // Trimmed as zod trims them.
    expect(validateEvent(BASES[1], NOW)).toMatchObject({
      ok: true,
      event: { details: { agent: { name: 'Thandi', team: { name: 'Retail' } }, orderNumber: 'SO-9', reason: '' } },
    });
  });

  it('gives what zod gives for every event with one field changed (each field, each value)', () => {
    let compared = 0;
    for (const base of BASES) {
      for (const path of PATHS) {
        for (const value of VALUES) {
          const event = mutated(base, [[path, value]]);
          expect(validateEvent(event, NOW)).toStrictEqual(validateEventByZod(event, NOW));
          compared += 1;
        }
      }
    }
    expect(compared).toBe(BASES.length * PATHS.length * VALUES.length);
  });

  it('gives what zod gives for every event with a few fields changed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BASES),
        fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom(...VALUES)), { maxLength: 3 }),
        (base, mutations) => {
          const event = mutated(base, mutations);
          expect(validateEvent(event, NOW)).toStrictEqual(validateEventByZod(event, NOW));
        },
      ),
      { numRuns: 3000, seed: 2005 },
    );
  });

  it('gives what zod gives for any JSON value at all', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(validateEvent(value, NOW)).toStrictEqual(validateEventByZod(value, NOW));
      }),
      { numRuns: 500, seed: 2006 },
    );
  });
});
