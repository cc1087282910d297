import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  containsCardNumber,
  exceedsJsonDepth,
  maskCardNumbers,
  maskJsonValue,
  passesLuhn,
} from '../../app/domain/card-masking';

describe('passesLuhn', () => {
  it.each([
    '4111111111111111',
    '378282246310005',
    '4222222222222',
    '5555555555554444',
    '6011111111111117',
    '3530111333300000',
    '30569309025904',
    '4111111111111111110',
    '0',
    '00',
    '18',
  ])('%s passes', (digits) => {
    expect(passesLuhn(digits)).toBe(true);
  });

  it.each(['4111111111111112', '378282246310006', '4111111111111111123', '1', '79927398710'])('%s fails', (digits) => {
    expect(passesLuhn(digits)).toBe(false);
  });

  it('accepts the classic example 79927398713', () => {
    expect(passesLuhn('79927398713')).toBe(true);
  });
});

describe('maskCardNumbers (SPEC §1 Card data)', () => {
  it.each([
    ['4111111111111111', '************1111'],
    ['378282246310005', '***********0005'],
    ['4222222222222', '*********2222'],
    ['4111111111111111110', '***************1110'],
    ['30569309025904', '**********5904'],
  ])('masks a Luhn-valid run of 13–19 digits: %s', (card, masked) => {
    expect(maskCardNumbers(card)).toBe(masked);
  });

  it('masks inside free text and keeps the text around it', () => {
    expect(maskCardNumbers('Floral Oasis Dress, paid with 4111111111111111!')).toBe(
      'Floral Oasis Dress, paid with ************1111!',
    );
    expect(maskCardNumbers('card:5555555555554444;')).toBe('card:************4444;');
    expect(maskCardNumbers('x4111111111111111y')).toBe('x************1111y');
  });

  it('masks card numbers grouped by single spaces or dashes, keeping the grouping', () => {
    expect(maskCardNumbers('4111 1111 1111 1111')).toBe('**** **** **** 1111');
    expect(maskCardNumbers('4111-1111-1111-1111')).toBe('****-****-****-1111');
    expect(maskCardNumbers('3782 822463 10005')).toBe('**** ****** *0005');
    expect(maskCardNumbers('4111 1111-1111 1111')).toBe('**** ****-**** 1111');
    expect(maskCardNumbers('4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1')).toBe('*-*-*-*-*-*-*-*-*-*-*-*-1-1-1-1');
  });

  it('masks every card number in a text', () => {
    expect(maskCardNumbers('4111111111111111 and 5555-5555-5555-4444')).toBe(
      '************1111 and ****-****-****-4444',
    );
    expect(maskCardNumbers('4111111111111111 4111111111111111')).toBe('************1111 ************1111');
  });

  it('masks a card number glued to a CVV or an expiry by a separator', () => {
    expect(maskCardNumbers('4111111111111111 123')).toBe('************1111 123');
    expect(maskCardNumbers('4111 1111 1111 1111 123')).toBe('**** **** **** 1111 123');
    expect(maskCardNumbers('4111-1111-1111-1111-123')).toBe('****-****-****-1111-123');
    expect(maskCardNumbers('4111 1111 1111 1111 12/27')).toBe('**** **** **** 1111 12/27');
  });

  it('masks a card number preceded by other grouped digits', () => {
    expect(maskCardNumbers('1 4111 1111 1111 1111')).toBe('1 **** **** **** 1111');
    expect(maskCardNumbers('1234 5678 9 4111 1111 1111 1111')).toBe('1234 5678 9 **** **** **** 1111');
  });

  it.each([
    ['a Luhn-invalid run', '4111111111111112'],
    ['12 digits, Luhn-valid', '411111111117'],
    ['20 digits, Luhn-valid', '41111111111111111115'],
    ['21 digits, Luhn-valid', '411111111111111111117'],
    ['a phone number', '+27821234567'],
    ['an international phone number with spaces', '+27 82 123 4567'],
    ['a date', '2026-11-23'],
    ['an order number', 'SO-1001'],
    ['a card number with a digit glued on', '41111111111111111'],
    ['an empty string', ''],
    ['no digits', 'Floral Oasis Dress'],
  ])('leaves %s alone', (_, text) => {
    expect(maskCardNumbers(text)).toBe(text);
    expect(containsCardNumber(text)).toBe(false);
  });

  // Issue #11 finding 4: each separator the masker once missed, between every group.
  it.each([
    ['a dot', '.'],
    ['a slash', '/'],
    ['an underscore', '_'],
    ['a double space', '  '],
    ['a non-breaking space', '\u00A0'],
    ['a narrow non-breaking space', '\u202F'],
    ['a thin space', '\u2009'],
    ['a zero-width space', '\u200B'],
    ['a zero-width joiner', '\u200D'],
    ['a word joiner', '\u2060'],
    ['a soft hyphen', '\u00AD'],
    ['an en dash', '\u2013'],
    ['a minus sign', '\u2212'],
    ['a tab', '\t'],
    ['a space, dash, space', ' - '],
  ])('masks a card number grouped with %s', (_, separator) => {
    const text = ['4111', '1111', '1111', '1111'].join(separator);
    expect(maskCardNumbers(`paid with ${text}.`)).toBe(
      `paid with ${['****', '****', '****', '1111'].join(separator)}.`,
    );
  });

  it('masks full-width and other scripts’ digits, keeping the last four as written', () => {
    expect(maskCardNumbers('４１１１１１１１１１１１１１１１')).toBe('************１１１１');
    expect(maskCardNumbers('４１１１ １１１１ １１１１ １１１１')).toBe('**** **** **** １１１１');
    // Arabic-Indic digits: ٤١١١١١١١١١١١١١١١ is 4111111111111111.
    expect(
      maskCardNumbers(
        '\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661',
      ),
    ).toBe('************\u0661\u0661\u0661\u0661');
  });

  it('masks every key and number of a JSON value at any depth, not only strings', () => {
    expect(
      maskJsonValue({
        id: '4111111111111111',
        data: { ref: 4111111111111111, phone: '4111 1111 1111 1111', '4111111111111111': 'key' },
        card: { brand: '5555555555554444' },
        list: [[[{ deep: 378282246310005 }]]],
        amount: 36121,
      }),
    ).toEqual({
      id: '************1111',
      data: { ref: '************1111', phone: '**** **** **** 1111', '************1111': 'key' },
      card: { brand: '************4444' },
      list: [[[{ deep: '***********0005' }]]],
      amount: 36121,
    });
  });

  it('tells whether a value nests deeper than a limit without recursing', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(exceedsJsonDepth(deep, 400)).toBe(true);
    let exact: unknown = {};
    for (let i = 1; i < 400; i++) exact = { a: exact };
    expect(exceedsJsonDepth(exact, 400)).toBe(false);
    expect(exceedsJsonDepth({ a: exact }, 400)).toBe(true);
    expect(exceedsJsonDepth('text', 0)).toBe(false);
  });

  it('does not mask a card number that is part of a contiguous run of 20 or more digits', () => {
    expect(maskCardNumbers('41111111111111110000')).toBe('41111111111111110000');
    expect(maskCardNumbers('00004111111111111111')).toBe('00004111111111111111');
  });

  it('containsCardNumber is true exactly when something would be masked', () => {
    expect(containsCardNumber('pay 4111 1111 1111 1111')).toBe(true);
    expect(containsCardNumber('4222222222222')).toBe(true);
  });

  it('leaves epoch milliseconds alone: a Luhn-valid run starting with 1 is no payment card', () => {
    expect(passesLuhn('1796208023301')).toBe(true);
    expect(maskCardNumbers('evt_pr_1_sent_1796208023301')).toBe('evt_pr_1_sent_1796208023301');
    expect(maskCardNumbers('4111 1111 1111 1111')).toBe('**** **** **** 1111');
  });

  it('never leaves a generated card number in clear, whatever surrounds it', () => {
    const digit = fc.integer({ min: 0, max: 9 }).map(String);
    // A payment card's first digit is 2 to 6 (ISO/IEC 7812); see the epoch-milliseconds test below.
    const firstDigit = fc.integer({ min: 2, max: 6 }).map(String);
    const luhnCard = fc.tuple(firstDigit, fc.array(digit, { minLength: 11, maxLength: 17 })).map(([first, rest]) => {
      const body = [first, ...rest];
      for (let check = 0; check <= 9; check++) {
        const candidate = body.join('') + check;
        if (passesLuhn(candidate)) return candidate;
      }
      throw new Error('unreachable: some check digit always passes');
    });
    const separator = fc.constantFrom(' ', '-', '');
    const grouped = fc.tuple(luhnCard, separator, fc.integer({ min: 3, max: 6 })).map(([card, sep, size]) => ({
      card,
      text: (card.match(new RegExp(`.{1,${size}}`, 'g')) ?? []).join(sep),
    }));
    const nonDigitEdge = fc.constantFrom('', 'card ', 'x', ': ', '(', 'no.');
    const tail = fc.constantFrom('', ' exp 12/27', '!', ' 123', '-12', ' cvv 999', 'abc');
    fc.assert(
      fc.property(grouped, nonDigitEdge, tail, ({ card, text }, before, after) => {
        const masked = maskCardNumbers(`${before}${text}${after}`);
        expect(masked.length).toBe(before.length + text.length + after.length);
        expect(masked.startsWith(before)).toBe(true);
        const maskedCard = masked.slice(before.length, before.length + text.length);
        const visible = maskedCard.replace(/[^\d]/g, '');
        if (/\d/.test(after)) {
          // Digits glued after the card may form a longer Luhn-valid run, masked as a whole:
          // then fewer of the card's digits show. Never more than its last four.
          expect(visible.length).toBeLessThanOrEqual(4);
          expect(card.endsWith(visible)).toBe(true);
        } else {
          expect(visible).toBe(card.slice(-4));
          expect(masked.endsWith(after)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('only ever replaces digits by asterisks', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9 \-a-z]{0,60}$/), (text) => {
        const once = maskCardNumbers(text);
        expect(once.length).toBe(text.length);
        expect(once.replace(/\*/g, '0').replace(/\d/g, '0')).toBe(text.replace(/\d/g, '0'));
      }),
      { numRuns: 500 },
    );
  });
});

describe('maskJsonValue', () => {
  it('masks card numbers in every string, at any depth, in arrays too', () => {
    const input = {
      reason: 'paid with 4111 1111 1111 1111',
      paymentRequest: { customer: { name: 'Valeria 4111111111111111' }, orderNumber: 'SO-1001' },
      notes: ['5555555555554444', 'fine'],
      amount: 36121,
      ok: true,
      nothing: null,
    };
    expect(maskJsonValue(input)).toEqual({
      reason: 'paid with **** **** **** 1111',
      paymentRequest: { customer: { name: 'Valeria ************1111' }, orderNumber: 'SO-1001' },
      notes: ['************4444', 'fine'],
      amount: 36121,
      ok: true,
      nothing: null,
    });
  });

  it('redacts the values of keys that name a card number or security code', () => {
    const input = {
      data: {
        card: { brand: 'visa', last4: '1111', number: '4111111111111111', cvc: '123' },
        cvv: 123,
        CVV2: '123',
        cvn: '1',
        csc: '1',
        securityCode: '123',
        security_code: '123',
        pan: '4111111111111111',
        cardNumber: 4111111111111111,
        card_number: '4111 1111 1111 1111',
        PAN: 'x',
      },
    };
    expect(maskJsonValue(input)).toEqual({
      data: {
        card: { brand: 'visa', last4: '1111', number: '[redacted]', cvc: '[redacted]' },
        cvv: '[redacted]',
        CVV2: '[redacted]',
        cvn: '[redacted]',
        csc: '[redacted]',
        securityCode: '[redacted]',
        security_code: '[redacted]',
        pan: '[redacted]',
        cardNumber: '[redacted]',
        card_number: '[redacted]',
        PAN: '[redacted]',
      },
    });
  });

  it('keeps keys that merely contain those words, and non-scalar values under secret keys are walked', () => {
    expect(
      maskJsonValue({ orderNumber: 'SO-1', panel: 'a', number: { inner: '4111111111111111' }, cvv: null }),
    ).toEqual({
      orderNumber: 'SO-1',
      panel: 'a',
      number: { inner: '************1111' },
      cvv: null,
    });
  });

  it('gives back what holds nothing to mask as it was, the same object, and never changes its input', () => {
    const clean = { id: 'evt_1', paymentRequest: { amount: 999_999_999_999, tags: ['a', 1] }, data: {} };
    expect(maskJsonValue(clean)).toBe(clean);
    const dirty = { id: 'evt_1', paymentRequest: { amount: 4111111111111111, tags: ['a', '5555555555554444'] } };
    const before = JSON.stringify(dirty);
    const masked = maskJsonValue(dirty) as typeof dirty;
    expect(masked).not.toBe(dirty);
    expect(masked).toEqual({
      id: 'evt_1',
      paymentRequest: { amount: '************1111', tags: ['a', '************4444'] },
    });
    expect(JSON.stringify(dirty)).toBe(before);
    // What did not change is shared, what did is new.
    expect(maskJsonValue({ a: clean, b: '4111111111111111' })).toEqual({ a: clean, b: '************1111' });
    expect((maskJsonValue({ a: clean, b: '4111111111111111' }) as { a: unknown }).a).toBe(clean);
  });

  it('masks a number by the digits its JSON text holds, a fraction or an exponent too', () => {
    expect(maskJsonValue({ x: 0.4111111111111111 })).toEqual({ x: '0.************1111' });
    expect(maskJsonValue({ x: 4111111111111111 })).toEqual({ x: '************1111' });
    expect(maskJsonValue({ x: 999_999_999_999, y: 1.5, z: -2 })).toEqual({ x: 999_999_999_999, y: 1.5, z: -2 });
    // Found by the property below: JSON writes -1.4208623197315345e+65, whose 17 digits pass Luhn.
    expect(JSON.stringify(maskJsonValue([-1.4208623197315345e65]))).not.toMatch(/4208623197315345/);
  });

  it('is the same object back exactly when nothing was masked, and leaves no card number (property)', () => {
    const card = fc.constantFrom('4111111111111111', '4111 1111 1111 1111', 4111111111111111, '5555555555554444');
    const leaf = fc.oneof(fc.jsonValue(), card);
    const value = fc.oneof(
      leaf,
      fc.array(leaf, { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('cvv', 'number', '4111111111111111')), leaf, {
        maxKeys: 4,
      }),
    );
    fc.assert(
      fc.property(value, (input) => {
        const before = JSON.stringify(input);
        const masked = maskJsonValue(input);
        expect(JSON.stringify(input)).toBe(before);
        if (input !== null && typeof input === 'object') {
          expect(masked === input).toBe(JSON.stringify(masked) === before);
        }
        expect(containsCardNumber(JSON.stringify(masked) ?? '')).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('passes scalars through and masks a bare string', () => {
    expect(maskJsonValue(42)).toBe(42);
    expect(maskJsonValue(null)).toBeNull();
    expect(maskJsonValue(false)).toBe(false);
    expect(maskJsonValue('4111111111111111')).toBe('************1111');
  });

  it('does not modify its input', () => {
    const input = { cvv: '123', reason: '4111111111111111' };
    maskJsonValue(input);
    expect(input).toEqual({ cvv: '123', reason: '4111111111111111' });
  });
});
