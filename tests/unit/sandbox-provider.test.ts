import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CardDetails, cardBrand } from '../../app/domain/payment-cards';
import { chargeCard, findCharge, newProviderReference } from '../../app/write/payments/sandbox-provider.server';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb, queryRows } from '../support/db';

const NOW = new Date('2026-11-20T10:00:00Z');
const card = (number: string, overrides: Partial<CardDetails> = {}): CardDetails => ({
  number,
  expMonth: 12,
  expYear: 2030,
  cvc: '123',
  ...overrides,
});
let db: Db;
beforeEach(async () => {
  db = (await createTestDb()).db;
});
afterEach(() => closeTestDb(db));

// A key of its own per charge unless one is given: each is a new payment.
const charge = (c: CardDetails, idempotencyKey: string = randomUUID()) =>
  chargeCard(db, { amount: 36121, currency: 'USD', card: c, idempotencyKey }, NOW);
const kept = async () =>
  await queryRows(
    db,
    'SELECT idempotency_key, provider_reference, amount, currency, card_brand, card_last4, charged_at FROM sandbox_charges',
  );

describe('sandbox card provider', () => {
  it('never hands out a reference that card masking would change', () => {
    // The first draw (seen in CI) holds 4485086580593, a Luhn-valid run: stored, it read sbx_ch_cc6311ece*********0593d4.
    const draws = ['cc6311ece4485086580593d4', 'cc6311ece4485086a0593d4b'];
    const random = (size: number) => Buffer.from(draws.shift() ?? '', 'hex').subarray(0, size);
    expect(newProviderReference(random)).toBe('sbx_ch_cc6311ece4485086a0593d4b');
    expect(draws).toEqual([]);
  });

  it('charges 4242 4242 4242 4242 and returns only brand, last 4 and a reference', async () => {
    const result = await charge(card('4242 4242 4242 4242'));
    expect(result).toEqual({
      status: 'succeeded',
      card: { brand: 'visa', last4: '4242' },
      providerReference: expect.stringMatching(/^sbx_ch_[0-9a-f]{24}$/),
    });
    expect(JSON.stringify(result)).not.toContain('4242424242424242');
    expect(JSON.stringify(result)).not.toContain('123');
  });

  it('charges the Mastercard test card', async () => {
    expect(await charge(card('5555555555554444'))).toMatchObject({
      status: 'succeeded',
      card: { brand: 'mastercard', last4: '4444' },
    });
  });

  it('declines 4000 0000 0000 0002 as card_declined', async () => {
    expect(await charge(card('4000 0000 0000 0002'))).toEqual({
      status: 'failed',
      reason: 'card_declined',
      card: { brand: 'visa', last4: '0002' },
      providerReference: expect.stringMatching(/^sbx_ch_/),
    });
  });

  it('fails 4000 0000 0000 9995 with insufficient_funds', async () => {
    expect(await charge(card('4000-0000-0000-9995'))).toMatchObject({ status: 'failed', reason: 'insufficient_funds' });
  });

  it('refuses numbers that are not test cards, invalid numbers, expired cards and bad codes', async () => {
    expect(await charge(card('4111 1111 1111 1111'))).toMatchObject({ status: 'failed', reason: 'test_card_required' });
    expect(await charge(card('4242 4242 4242 4241'))).toMatchObject({
      status: 'failed',
      reason: 'incorrect_number',
      card: null,
    });
    expect(await charge(card('4242424242424242', { expMonth: 10, expYear: 2026 }))).toMatchObject({
      status: 'failed',
      reason: 'expired_card',
    });
    expect(await charge(card('4242424242424242', { expMonth: 11, expYear: 2026 }))).toMatchObject({
      status: 'succeeded',
    });
    expect(await charge(card('4242424242424242', { cvc: '12' }))).toMatchObject({
      status: 'failed',
      reason: 'incorrect_cvc',
    });
  });

  it('gives every charge its own reference', async () => {
    const first = await charge(card('4242424242424242'));
    const second = await charge(card('4242424242424242'));
    expect(first.providerReference).not.toBe(second.providerReference);
  });

  it('charges an idempotency key once: a second charge under it answers the first success, whatever the card', async () => {
    const first = await charge(card('4242 4242 4242 4242'), 'pay_pr_1');
    expect(await charge(card('5555 5555 5555 4444'), 'pay_pr_1')).toEqual(first);
    expect(await charge(card('4000 0000 0000 0002'), 'pay_pr_1')).toEqual(first);
    expect(await kept()).toEqual([
      {
        idempotency_key: 'pay_pr_1',
        provider_reference: first.providerReference,
        amount: 36121,
        currency: 'USD',
        card_brand: 'visa',
        card_last4: '4242',
        charged_at: NOW.getTime(),
      },
    ]);
    // Another key is another payment.
    expect((await charge(card('4242 4242 4242 4242'), 'pay_pr_2')).providerReference).not.toBe(first.providerReference);
  });

  it('keeps no failed attempt: the customer may try another card under the same key', async () => {
    expect(await charge(card('4000 0000 0000 0002'), 'pay_pr_1')).toMatchObject({ reason: 'card_declined' });
    expect(await charge(card('4000 0000 0000 9995'), 'pay_pr_1')).toMatchObject({ reason: 'insufficient_funds' });
    expect(await kept()).toEqual([]);
    expect(await charge(card('5555 5555 5555 4444'), 'pay_pr_1')).toMatchObject({
      status: 'succeeded',
      card: { brand: 'mastercard', last4: '4444' },
    });
    expect(await kept()).toHaveLength(1);
  });

  it('refuses a key that succeeded coming back for another amount or currency', async () => {
    await charge(card('4242424242424242'), 'pay_pr_1');
    const again = (amount: number, currency: string) =>
      chargeCard(db, { amount, currency, card: card('4242424242424242'), idempotencyKey: 'pay_pr_1' }, NOW);
    await expect(again(36122, 'USD')).rejects.toThrow(
      'Idempotency key pay_pr_1 was charged for another amount or currency',
    );
    await expect(again(36121, 'EUR')).rejects.toThrow('was charged for another amount or currency');
    expect(await kept()).toHaveLength(1);
  });

  it('answers a key its successful charge, by brand, last four, reference, amount, currency and time; none for a failed one', async () => {
    expect(await findCharge(db, 'pay_pr_1')).toBeNull();
    expect(await charge(card('4000000000000002'), 'pay_pr_1')).toMatchObject({ status: 'failed' });
    expect(await findCharge(db, 'pay_pr_1')).toBeNull();
    const paid = await charge(card('5555 5555 5555 4444'), 'pay_pr_1');
    expect(await findCharge(db, 'pay_pr_1')).toEqual({
      providerReference: paid.providerReference,
      card: { brand: 'mastercard', last4: '4444' },
      amount: 36121,
      currency: 'USD',
      chargedAt: NOW.getTime(),
    });
    expect(await findCharge(db, 'pay_pr_2')).toBeNull();
  });

  it('names card brands by their prefixes', () => {
    expect(['4242', '5105', '2221', '3782', '6011', '9999'].map(cardBrand)).toEqual([
      'visa',
      'mastercard',
      'mastercard',
      'amex',
      'discover',
      'unknown',
    ]);
  });
});
