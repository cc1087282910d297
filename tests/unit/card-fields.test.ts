import { describe, expect, it } from 'vitest';
import { formatCardNumber, formatExpiryInput, maxCardDigits } from '../../app/domain/payment-cards';
import { cardFormSchema } from '../../app/write/customer-payment.server';

describe('card number as typed', () => {
  it('groups Visa and Mastercard in fours and American Express 4-6-5', () => {
    expect(formatCardNumber('4242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatCardNumber('42424')).toBe('4242 4');
    expect(formatCardNumber('4242')).toBe('4242');
    expect(formatCardNumber('5555555555554444')).toBe('5555 5555 5555 4444');
    expect(formatCardNumber('378282246310005')).toBe('3782 822463 10005');
    expect(formatCardNumber('3782822')).toBe('3782 822');
    expect(formatCardNumber('4242424242424242424')).toBe('4242 4242 4242 4242 424');
    expect(maxCardDigits('3782')).toBe(15);
    expect(maxCardDigits('4242')).toBe(19);
  });
});

describe('expiry as typed', () => {
  it('inserts the separator a phone keypad lacks', () => {
    expect(formatExpiryInput('1229', true)).toBe('12 / 29');
    expect(formatExpiryInput('12', true)).toBe('12 / ');
    expect(formatExpiryInput('12', false)).toBe('12');
    expect(formatExpiryInput('12 /', false)).toBe('12');
    expect(formatExpiryInput('1', true)).toBe('1');
    expect(formatExpiryInput('3', true)).toBe('03 / ');
    expect(formatExpiryInput('12 / 2', true)).toBe('12 / 2');
    expect(formatExpiryInput('12 / 299', true)).toBe('12 / 29');
    expect(formatExpiryInput('1/29', true)).toBe('01 / 29');
    expect(formatExpiryInput('', true)).toBe('');
    // A four-digit year, pasted or filled: its last two digits (it was cut to '12 / 20', an expired card).
    expect(formatExpiryInput('12/2029', true)).toBe('12 / 29');
    expect(formatExpiryInput('12 / 2029', false)).toBe('12 / 29');
    expect(formatExpiryInput('1/2031', true)).toBe('01 / 31');
    expect(formatExpiryInput('12 / 202', true)).toBe('12 / 202');
    expect(formatExpiryInput('12 / 20', true)).toBe('12 / 20');
  });
});

describe('the pay form on the server', () => {
  const card = { number: '4242 4242 4242 4242', cvc: '123' };
  it.each([
    ['12 / 29', 12, 2029],
    ['12/29', 12, 2029],
    ['1229', 12, 2029],
    ['122029', 12, 2029],
    ['01/2031', 1, 2031],
  ])('reads the expiry %s', (expiry, expMonth, expYear) => {
    expect(cardFormSchema.parse({ ...card, expiry })).toEqual({
      number: '4242424242424242',
      expMonth,
      expYear,
      cvc: '123',
    });
  });
  it.each(['13/29', '1329', '12/2', '12-29x', '129'])('refuses the expiry %s', (expiry) => {
    expect(cardFormSchema.safeParse({ ...card, expiry }).success).toBe(false);
  });
});
