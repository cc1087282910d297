// A run of 13–19 digits, optionally grouped by single spaces or dashes, not part of a longer run.
const DIGIT_RUN = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Masks card numbers (Luhn-valid runs of 13–19 digits) to their last four digits. */
export function maskCardNumbers(text: string): string {
  return text.replace(DIGIT_RUN, (run) => {
    const digits = run.replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19 || !passesLuhn(digits)) return run;
    let toHide = digits.length - 4;
    return run.replace(/\d/g, (digit) => (toHide-- > 0 ? '*' : digit));
  });
}

export function containsCardNumber(text: string): boolean {
  return maskCardNumbers(text) !== text;
}

const SECRET_CARD_KEYS = /^(cvc|cvv|cvv2|cvn|csc|securitycode|security_code|pan|number|cardnumber|card_number)$/i;

/**
 * Masks a JSON value as received, for storage: card numbers in every string, and card
 * numbers or security codes under keys that name them are dropped to '[redacted]'.
 */
export function maskJsonValue(value: unknown): unknown {
  if (typeof value === 'string') return maskCardNumbers(value);
  if (Array.isArray(value)) return value.map(maskJsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        SECRET_CARD_KEYS.test(key) && (typeof inner === 'string' || typeof inner === 'number') ? '[redacted]' : maskJsonValue(inner),
      ]),
    );
  }
  return value;
}
