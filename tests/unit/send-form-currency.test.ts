import { describe, expect, it } from 'vitest';
import { initialCurrency } from '../../app/components/send-form';

const offered = (...codes: string[]) => codes.map((code) => ({ code }));

describe('the send form’s first currency', () => {
  it('is USD when offered, the one chosen after a refused send, else the first the organisation offers', () => {
    expect(initialCurrency(offered('EUR', 'USD', 'ZAR'), undefined)).toBe('USD');
    expect(initialCurrency(offered('EUR', 'USD', 'ZAR'), 'ZAR')).toBe('ZAR');
    // An organisation without USD: the list shows JPY, so the hint says JPY has no decimals (it said USD, 2).
    expect(initialCurrency(offered('JPY', 'KRW'), undefined)).toBe('JPY');
    expect(initialCurrency(offered('JPY', 'KRW'), 'EUR')).toBe('JPY');
    expect(initialCurrency([], undefined)).toBe('USD');
  });
});
