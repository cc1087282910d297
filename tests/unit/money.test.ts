import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../app/domain/format';
import {
  addMinorAmounts,
  addToTotals,
  currencyExponent,
  formatMinorUnits,
  isCurrencyCode,
  minorAmountToBigInt,
  parseMajorUnits,
  toMinorAmount,
} from '../../app/domain/money';

describe('ISO 4217 exponents (SPEC §2: JPY 0, USD 2, KWD 3)', () => {
  it.each([
    ['JPY', 0],
    ['KRW', 0],
    ['VND', 0],
    ['CLP', 0],
    ['ISK', 0],
    ['XAF', 0],
    ['XOF', 0],
    ['XPF', 0],
    ['UGX', 0],
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['ZAR', 2],
    ['INR', 2],
    ['CHF', 2],
    ['HUF', 2],
    ['IDR', 2],
    ['KWD', 3],
    ['BHD', 3],
    ['JOD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['IQD', 3],
    ['LYD', 3],
    ['CLF', 4],
    ['UYW', 4],
  ])('%s has exponent %i', (code, exponent) => {
    expect(isCurrencyCode(code)).toBe(true);
    expect(currencyExponent(code)).toBe(exponent);
  });

  it.each(['usd', 'Usd', 'US', 'USDD', '', ' USD', 'XXX', 'XTS', 'ABC', 'HRK'])('%j is not a currency code', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(() => currencyExponent(code)).toThrow(`Unknown currency ${code}`);
  });
});

describe('formatMinorUnits', () => {
  it.each([
    [36121, 'USD', '361.21'],
    [1, 'USD', '0.01'],
    [10, 'USD', '0.10'],
    [100, 'USD', '1.00'],
    [0, 'USD', '0.00'],
    [-5, 'USD', '-0.05'],
    [-36121, 'USD', '-361.21'],
    [1234567890, 'EUR', '12345678.90'],
    [36121, 'JPY', '36121'],
    [0, 'JPY', '0'],
    [-7, 'JPY', '-7'],
    [1, 'KWD', '0.001'],
    [36121, 'KWD', '36.121'],
    [1000, 'KWD', '1.000'],
    [1, 'CLF', '0.0001'],
    [123456, 'CLF', '12.3456'],
    [Number.MAX_SAFE_INTEGER, 'USD', '90071992547409.91'],
  ])('%i %s → %s', (amount, currency, text) => {
    expect(formatMinorUnits(amount, currency)).toBe(text);
  });

  it('throws on an unknown currency', () => {
    expect(() => formatMinorUnits(100, 'XXX')).toThrow('Unknown currency XXX');
  });
});

describe('parseMajorUnits', () => {
  it.each([
    ['361.21', 'USD', 36121],
    ['361.2', 'USD', 36120],
    ['361', 'USD', 36100],
    ['361.', 'USD', 36100],
    ['0.01', 'USD', 1],
    ['  12.50 ', 'USD', 1250],
    ['1,234.56', 'USD', 123456],
    ['007', 'USD', 700],
    ['36121', 'JPY', 36121],
    ['36.121', 'KWD', 36121],
    ['36.1', 'KWD', 36100],
    ['1.2345', 'CLF', 12345],
  ])('%j %s → %i', (text, currency, minor) => {
    expect(parseMajorUnits(text, currency)).toBe(minor);
  });

  it.each([
    ['1.5', 'JPY'],
    ['1,50', 'ZAR'],
    ['12,3456.00', 'USD'],
    ['1.234', 'USD'],
    ['1.0001', 'KWD'],
    ['-1.00', 'USD'],
    ['+1.00', 'USD'],
    ['.50', 'USD'],
    ['', 'USD'],
    ['   ', 'USD'],
    ['abc', 'USD'],
    ['1e3', 'USD'],
    ['1.2.3', 'USD'],
    ['$10', 'USD'],
    ['10 USD', 'USD'],
    ['0x10', 'USD'],
    ['Infinity', 'USD'],
    ['NaN', 'USD'],
    ['99999999999999999', 'USD'],
  ])('%j %s → null', (text, currency) => {
    expect(parseMajorUnits(text, currency)).toBeNull();
  });

  it('refuses zero: the documented contract is a positive amount', () => {
    expect(parseMajorUnits('0', 'USD')).toBeNull();
    expect(parseMajorUnits('0.00', 'USD')).toBeNull();
    expect(parseMajorUnits('0', 'JPY')).toBeNull();
  });

  it('accepts the largest safe amount and refuses one more', () => {
    expect(parseMajorUnits('90071992547409.91', 'USD')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseMajorUnits('90071992547409.92', 'USD')).toBeNull();
  });

  it('throws on an unknown currency', () => {
    expect(() => parseMajorUnits('1.00', 'XXX')).toThrow('Unknown currency XXX');
  });

  it('round-trips every positive amount through formatMinorUnits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('USD', 'JPY', 'KWD', 'CLF', 'EUR'),
        (amount, currency) => {
          expect(parseMajorUnits(formatMinorUnits(amount, currency), currency)).toBe(amount);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('addToTotals', () => {
  it('sums per currency and never across currencies', () => {
    const totals: Record<string, number> = {};
    addToTotals(totals, 'USD', 36121);
    addToTotals(totals, 'JPY', 500);
    addToTotals(totals, 'USD', 79);
    addToTotals(totals, 'KWD', 1);
    expect(totals).toEqual({ USD: 36200, JPY: 500, KWD: 1 });
  });
});

describe('sums beyond 2^53', () => {
  it('are numbers while safe and exact decimal strings beyond', () => {
    expect(toMinorAmount(9007199254740991n)).toBe(9007199254740991);
    expect(toMinorAmount(9007199254740992n)).toBe('9007199254740992');
    expect(toMinorAmount(-9007199254740992n)).toBe('-9007199254740992');
    expect(addMinorAmounts(addMinorAmounts(4_000_000_000_000_000, 4_000_000_000_000_000), 4_000_000_000_000_001)).toBe(
      '12000000000000001',
    );
    expect(addMinorAmounts('12000000000000001', -4_000_000_000_000_001)).toBe(8_000_000_000_000_000);
    expect(() => minorAmountToBigInt(2 ** 53 + 2)).toThrow('Not an exact amount');
  });

  it('format by string arithmetic', () => {
    expect(formatMinorUnits('12000000000000001', 'USD')).toBe('120000000000000.01');
    expect(formatMinorUnits(12000000000000001n, 'KWD')).toBe('12000000000000.001');
    expect(formatMinorUnits('-12000000000000001', 'JPY')).toBe('-12000000000000001');
    expect(formatMoney('12000000000000001', 'USD')).toBe('$120,000,000,000,000.01');
    expect(formatMoney(36121, 'USD')).toBe('$361.21');
    expect(formatMoney('12000000000000001', 'JPY', 'de')).toBe('12.000.000.000.000.001\u00a0¥');
  });
});
