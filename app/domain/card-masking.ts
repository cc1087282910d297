// A maximal run of digit groups joined by single spaces or dashes.
const GROUPED_DIGITS = /\d+(?:[ -]\d+)*/g;
const MIN_CARD_DIGITS = 13;
const MAX_CARD_DIGITS = 19;

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
  return text.replace(GROUPED_DIGITS, maskGroupedRun);
}

// A card number is whole groups of the run; the run may glue it to other digits (a CVV, an expiry:
// "4111 1111 1111 1111 123"), so every window of groups is tried, leftmost and longest first.
function maskGroupedRun(run: string): string {
  const groups = run.split(/[ -]/);
  const separators = run.match(/[ -]/g) ?? [];
  for (let start = 0; start < groups.length; ) {
    const end = cardWindowEnd(groups, start);
    if (end < 0) {
      start++;
      continue;
    }
    let toHide = groups.slice(start, end + 1).join('').length - 4;
    for (let i = start; i <= end; i++) {
      groups[i] = (groups[i] as string).replace(/\d/g, (digit) => (toHide-- > 0 ? '*' : digit));
    }
    start = end + 1;
  }
  return groups.map((group, i) => (i === 0 ? group : `${separators[i - 1]}${group}`)).join('');
}

/** Index of the last group of the longest card number starting at group `start`, or -1. */
function cardWindowEnd(groups: readonly string[], start: number): number {
  let digits = '';
  let longest = -1;
  for (let end = start; end < groups.length; end++) {
    digits += groups[end];
    if (digits.length > MAX_CARD_DIGITS) break;
    if (digits.length >= MIN_CARD_DIGITS && passesLuhn(digits)) longest = end;
  }
  return longest;
}

export function containsCardNumber(text: string): boolean {
  return maskCardNumbers(text) !== text;
}

export const SECRET_CARD_KEYS =
  /^(cvc|cvv|cvv2|cvn|csc|securitycode|security_code|pan|number|cardnumber|card_number)$/i;

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
        SECRET_CARD_KEYS.test(key) && (typeof inner === 'string' || typeof inner === 'number')
          ? '[redacted]'
          : maskJsonValue(inner),
      ]),
    );
  }
  return value;
}
