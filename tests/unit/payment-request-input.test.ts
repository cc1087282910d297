import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../../app/lib/zod-issues';
import { createRequestApiSchema, sendFormSchema } from '../../app/write/payment-request-input';

const form = {
  customerPhone: '+27 82 123-4567',
  customerName: ' Valeria ',
  orderNumber: 'SO-1001',
  amount: '361.21',
  currency: 'usd',
  reason: 'Floral Oasis Dress',
  channel: 'whatsapp',
};
const errorsOf = (input: unknown) => {
  const parsed = sendFormSchema.safeParse(input);
  return parsed.success ? null : fieldErrorsOf(parsed.error, 'path');
};

describe('sendFormSchema', () => {
  it('normalises the phone to E.164 and the amount to minor units of the currency', () => {
    expect(sendFormSchema.parse(form)).toEqual({
      customer: { phone: '+27821234567', name: 'Valeria' },
      orderNumber: 'SO-1001',
      amount: 36121,
      currency: 'USD',
      reason: 'Floral Oasis Dress',
      channel: 'whatsapp',
    });
    expect(sendFormSchema.parse({ ...form, customerName: '', amount: '1,500', currency: 'JPY' })).toMatchObject({
      customer: { phone: '+27821234567', name: undefined },
      amount: 1500,
    });
    expect(sendFormSchema.parse({ ...form, amount: '1.005', currency: 'KWD' }).amount).toBe(1005);
  });

  it('reads a phone as people write it: a trunk "(0)" after the country code, a "00" prefix', () => {
    const phoneOf = (customerPhone: string) => sendFormSchema.parse({ ...form, customerPhone }).customer.phone;
    expect(phoneOf('+44 (0)20 7946 0958')).toBe('+442079460958');
    expect(phoneOf('+27 (0) 82 123 4567')).toBe('+27821234567');
    expect(phoneOf('0027 82 123 4567')).toBe('+27821234567');
    expect(phoneOf('+1 (415) 555-0100')).toBe('+14155550100');
    expect(errorsOf({ ...form, customerPhone: '00 0821234567' })).toEqual({
      customerPhone: 'Enter the phone in international format, e.g. +27821234567',
    });
  });

  it('names every bad field after one submit, the amount in its currency’s decimals included', () => {
    expect(
      errorsOf({ ...form, customerPhone: '0821234567', orderNumber: ' ', amount: '12.345', channel: 'fax' }),
    ).toEqual({
      customerPhone: 'Enter the phone in international format, e.g. +27821234567',
      orderNumber: 'Enter the order number',
      channel: 'Choose a channel',
      amount: 'Enter an amount greater than 0 with at most 2 decimals, e.g. 1234.50',
    });
    expect(errorsOf({ ...form, amount: '1.5', currency: 'JPY' })).toEqual({
      amount: 'Enter a whole amount greater than 0 (JPY has no decimals)',
    });
    expect(errorsOf({ ...form, amount: '0' })).toEqual({
      amount: 'Enter an amount greater than 0 with at most 2 decimals, e.g. 1234.50',
    });
    expect(errorsOf({ ...form, amount: '' })).toEqual({ amount: 'Enter the amount' });
    expect(errorsOf({ ...form, currency: 'XXY' })).toEqual({ currency: 'Choose an ISO 4217 currency, e.g. USD' });
    expect(errorsOf({})).toMatchObject({
      customerPhone: 'Enter the customer’s phone number',
      orderNumber: 'Enter the order number',
      amount: 'Enter the amount',
      reason: 'Say what the payment is for',
    });
  });
});

describe('createRequestApiSchema', () => {
  const body = {
    customer: { phone: '+27821234567' },
    orderNumber: 'SO-1',
    amount: 500,
    currency: 'ZAR',
    reason: 'Deposit',
    channel: 'sms',
  };

  it('takes the amount in minor units and refuses fields it does not know', () => {
    expect(createRequestApiSchema.parse(body)).toEqual({
      ...body,
      customer: { phone: '+27821234567', name: undefined },
    });
    expect(createRequestApiSchema.safeParse({ ...body, amount: 5.5 }).success).toBe(false);
    expect(createRequestApiSchema.safeParse({ ...body, amount: '500' }).success).toBe(false);
    expect(createRequestApiSchema.safeParse({ ...body, agent: { id: 'ag_1' } }).success).toBe(false);
    expect(createRequestApiSchema.safeParse({ ...body, customer: { phone: '+27821234567', cvc: '123' } }).success).toBe(
      false,
    );
  });
});
