// Separators a card number may be written with between its digit groups: spaces of every width
// (non-breaking, thin, figure), zero-width characters, dashes of every kind, dots, slashes and
// underscores, up to three in a row ("4111  1111", "4111 - 1111").
const SEPARATOR = '[\\s\\-._/\\u00AD\\u200B-\\u200D\\u2010-\\u2015\\u2060\\u2212\\uFEFF]{1,3}';
// A maximal run of digit groups (any script's decimal digits: full-width ０-９ too) joined by separators.
const GROUPED_DIGITS = new RegExp(`\\p{Nd}+(?:${SEPARATOR}\\p{Nd}+)*`, 'gu');
const SPLIT = new RegExp(`(${SEPARATOR})`, 'u');
const MIN_CARD_DIGITS = 13;
const MAX_CARD_DIGITS = 19;
// Most payment cards' first digit (ISO/IEC 7812 major industry identifier) is 2 to 6: Mastercard 2
// and 5, Amex, Diners and JCB 3, Visa 4, Discover, UnionPay and Maestro 6. Requiring it keeps epoch
// milliseconds (13 digits from 1…), which senders put in ids and data, from being taken for cards.
// A request's free-text fields (SPEC §1: reason, customer name, order number) are masked whatever the
// first digit (maskFreeText): cards from 1 (UATP), 8 (RuPay 81, 82) and 9 (Troy) exist.
const CARD_FIRST_DIGIT = /^[2-6]/;
const ANY_FIRST_DIGIT = /^[0-9]/;

/** A decimal digit of any script as 0–9 (full-width and mathematical digits fold to ASCII under NFKC). */
function digitValue(char: string): number {
  const folded = char.normalize('NFKC');
  if (folded >= '0' && folded <= '9' && folded.length === 1) return folded.charCodeAt(0) - 48;
  // Other scripts' digits come in blocks of ten from their zero.
  let zero = char.codePointAt(0)!;
  while (/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero -= 1;
  return (char.codePointAt(0)! - zero) % 10;
}

const asciiDigits = (group: string) => Array.from(group, (char) => String(digitValue(char))).join('');

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

/** Masks card numbers (Luhn-valid runs of 13–19 digits starting with 2–6) to their last four digits. */
export function maskCardNumbers(text: string): string {
  return maskCards(text, false);
}

/** Masks card numbers in a request's free text (SPEC §1): Luhn-valid runs of 13–19 digits, whatever their first. */
export function maskFreeText(text: string): string {
  return maskCards(text, true);
}

function maskCards(text: string, anyFirstDigit: boolean): string {
  if (text.length < MIN_CARD_DIGITS) return text; // 13 digits take 13 UTF-16 units at least
  const ascii = asciiCardCheck(text, anyFirstDigit);
  // Text of 13 characters or more, one of them outside ASCII (which mayHoldCard let through), or an ASCII card.
  if (ascii === NO_CARD) return text;
  return text.replace(GROUPED_DIGITS, (run) => maskGroupedRun(run, anyFirstDigit));
}

const NO_CARD = 0;
const CARD = 1;
const NOT_ASCII = 2;

/**
 * Whether all-ASCII text holds a card number, found as the pattern and maskGroupedRun find it but
 * without them (issue 14: most texts of an event, instants and hex ids among them, hold 13 digits or
 * more and no card): NO_CARD or CARD; NOT_ASCII for any other text (digits and separators of other
 * scripts), which goes through the pattern. In ASCII a run is digit groups joined by 1 to 3 of
 * whitespace, '-', '.', '_' and '/' (SEPARATOR); a card is a window of its whole groups with 13–19
 * digits, the first 2–6, that passes Luhn (cardWindowEnd).
 */
function asciiCardCheck(text: string, anyFirstDigit: boolean): number {
  const length = text.length;
  let found = false;
  let start = -1; // of the run at hand, -1 when none
  let runDigits = 0;
  let separators = 0; // since the run's last digit
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      if (separators > 3) {
        // Four separators or more end a run: a new one starts here.
        if (!found && runDigits >= MIN_CARD_DIGITS) found = runHoldsCard(text, start, i - separators, anyFirstDigit);
        start = -1;
      }
      if (start < 0) {
        start = i;
        runDigits = 0;
      }
      runDigits++;
      separators = 0;
    } else if (start >= 0 && isAsciiSeparator(code)) {
      separators++;
    } else {
      if (code > 0x7f) return NOT_ASCII;
      if (start >= 0) {
        if (!found && runDigits >= MIN_CARD_DIGITS) found = runHoldsCard(text, start, i - separators, anyFirstDigit);
        start = -1;
        separators = 0;
      }
    }
  }
  if (!found && start >= 0 && runDigits >= MIN_CARD_DIGITS)
    found = runHoldsCard(text, start, length - separators, anyFirstDigit);
  return found ? CARD : NO_CARD;
}

const isAsciiDigit = (code: number) => code >= 48 && code <= 57;
// SEPARATOR's characters in ASCII: \s (tab, line feed, vertical tab, form feed, carriage return, space), - . / _
const isAsciiSeparator = (code: number) =>
  code === 32 || (code >= 9 && code <= 13) || code === 45 || code === 46 || code === 47 || code === 95;
// Luhn's double of a digit, digit sum taken.
const LUHN_DOUBLE = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

/** Whether the ASCII run text[start, end) (digit groups and separators) holds a card number in whole groups. */
function runHoldsCard(text: string, start: number, end: number, anyFirstDigit: boolean): boolean {
  const [lowest, highest] = anyFirstDigit ? [48, 57] : [50, 54]; // '0'–'9' or '2'–'6'
  for (let first = start; first < end; first++) {
    const code = text.charCodeAt(first);
    if (code < lowest || code > highest || (first > start && isAsciiDigit(text.charCodeAt(first - 1)))) continue;
    // Luhn from the left: `evens` doubles the window's 1st, 3rd… digits, `odds` its 2nd, 4th…; a window
    // of even length doubles its 1st digit (counting from its last digit, which is not doubled).
    let count = 0;
    let evens = 0;
    let odds = 0;
    for (let i = first; i <= end; i++) {
      const digit = i < end ? text.charCodeAt(i) - 48 : -1;
      if (digit >= 0 && digit <= 9) {
        if (count % 2 === 0) {
          evens += LUHN_DOUBLE[digit]!;
          odds += digit;
        } else {
          evens += digit;
          odds += LUHN_DOUBLE[digit]!;
        }
        if (++count > MAX_CARD_DIGITS) break;
      } else if (isAsciiDigit(text.charCodeAt(i - 1)) && count >= MIN_CARD_DIGITS) {
        // The end of a group: the window of whole groups so far.
        if ((count % 2 === 0 ? evens : odds) % 10 === 0) return true;
      }
    }
  }
  return false;
}

/**
 * False when the text cannot hold a card number: shorter than 13, or all ASCII with fewer than 13
 * digits (a card needs 13; outside ASCII, digits of other scripts count too). The pattern's runs of
 * text outside ASCII (all ASCII text is answered by asciiCardCheck) end here when too short.
 */
function mayHoldCard(text: string): boolean {
  if (text.length < MIN_CARD_DIGITS) return false; // 13 digits take 13 UTF-16 units at least
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return true;
    if (code >= 48 && code <= 57 && ++digits >= MIN_CARD_DIGITS) return true;
  }
  return false;
}

// A card number is whole groups of the run; the run may glue it to other digits (a CVV, an expiry:
// "4111 1111 1111 1111 123"), so every window of groups is tried, leftmost and longest first.
function maskGroupedRun(run: string, anyFirstDigit: boolean): string {
  if (!mayHoldCard(run)) return run;
  const parts = run.split(SPLIT);
  const groups = parts.filter((_, i) => i % 2 === 0);
  const separators = parts.filter((_, i) => i % 2 === 1);
  const digits = groups.map(asciiDigits);
  for (let start = 0; start < groups.length; ) {
    const end = cardWindowEnd(digits, start, anyFirstDigit ? ANY_FIRST_DIGIT : CARD_FIRST_DIGIT);
    if (end < 0) {
      start++;
      continue;
    }
    let toHide = digits.slice(start, end + 1).join('').length - 4;
    for (let i = start; i <= end; i++) {
      groups[i] = Array.from(groups[i] as string, (char) => (toHide-- > 0 ? '*' : char)).join('');
    }
    start = end + 1;
  }
  return groups.map((group, i) => (i === 0 ? group : `${separators[i - 1]}${group}`)).join('');
}

/** Index of the last group of the longest card number starting at group `start`, or -1. */
function cardWindowEnd(groups: readonly string[], start: number, firstDigit: RegExp): number {
  let digits = '';
  let longest = -1;
  for (let end = start; end < groups.length; end++) {
    digits += groups[end];
    if (digits.length > MAX_CARD_DIGITS) break;
    if (digits.length >= MIN_CARD_DIGITS && firstDigit.test(digits) && passesLuhn(digits)) longest = end;
  }
  return longest;
}

export function containsCardNumber(text: string): boolean {
  if (text.length < MIN_CARD_DIGITS) return false;
  const ascii = asciiCardCheck(text, false);
  return ascii === NOT_ASCII ? maskCardNumbers(text) !== text : ascii === CARD;
}

/**
 * The first of make(0), make(1)… that holds no card number. Ids we make (random or hashed hex) hold
 * one by chance now and then, and the ingest path refuses such ids; `make` is deterministic per
 * attempt where the id must be (a system expiry's id).
 */
export function firstWithoutCardNumber(make: (attempt: number) => string): string {
  for (let attempt = 0; ; attempt++) {
    const id = make(attempt);
    if (!containsCardNumber(id)) return id;
  }
}

export const SECRET_CARD_KEYS =
  /^(cvc|cvv|cvv2|cvn|csc|securitycode|security_code|pan|number|cardnumber|card_number)$/i;

const SECRET_CARD_KEY_NAMES = new Set(SECRET_CARD_KEYS.source.slice(2, -2).split('|'));
// Bit n: a name n characters long; bit n - 97: a name that starts with that lowercase letter.
const SECRET_KEY_LENGTHS = [...SECRET_CARD_KEY_NAMES].reduce((bits, name) => bits | (1 << name.length), 0);
const SECRET_KEY_FIRSTS = [...SECRET_CARD_KEY_NAMES].reduce((bits, name) => bits | (1 << (name.charCodeAt(0) - 97)), 0);

/**
 * SECRET_CARD_KEYS.test(key), without the pattern for the keys of most events (issue 14): a key of
 * another length than the names' (3, 4, 5, 6, 10, 11, 13) or another first letter than theirs (c, n,
 * p, s) is none of them. The pattern has the last word: /i without /u folds no character outside
 * ASCII into it (toLowerCase folds the Kelvin sign into k).
 */
export function isSecretCardKey(key: string): boolean {
  if (key.length > 31 || ((SECRET_KEY_LENGTHS >>> key.length) & 1) === 0) return false;
  const first = (key.charCodeAt(0) | 0x20) - 97; // a lowercase letter's place for either case
  if (first < 0 || first > 25 || ((SECRET_KEY_FIRSTS >>> first) & 1) === 0) return false;
  return SECRET_CARD_KEY_NAMES.has(key.toLowerCase()) && SECRET_CARD_KEYS.test(key);
}

/**
 * A JSON number as it may be stored: a number whose digits, as its JSON text writes them, hold a
 * card number becomes the masked text (a number cannot be masked and stay a number). The JSON text,
 * not the integer part: 0.4111111111111111 is stored as written, digits and all.
 */
export function maskJsonNumber(value: number): number | string {
  // An integer under 10^12 has at most 12 digits: no card number (13 at least) fits.
  if (Number.isInteger(value) && Math.abs(value) < 1e12) return value;
  const text = String(value); // JSON.stringify writes a finite number as String does
  const masked = maskCardNumbers(text);
  return masked === text ? value : masked;
}

/** The first `count` entries of an object, in order. */
function entriesBefore(record: Record<string, unknown>, count: number): (readonly [string, unknown])[] {
  const entries: (readonly [string, unknown])[] = [];
  for (const key in record) {
    if (entries.length === count) break;
    entries.push([key, record[key]]);
  }
  return entries;
}

/**
 * Masks a JSON value for storage: card numbers in every string, every key and every number, at any
 * depth; card numbers or security codes under keys that name them are dropped to '[redacted]'.
 * What holds nothing to mask comes back as it was (the same object or array, not a copy): ingest
 * then knows an event was stored as received without writing it out again (db/event-rows.ts), and
 * most events allocate nothing here. Never mutates its input.
 */
export function maskJsonValue(value: unknown): unknown {
  if (typeof value === 'string') return maskCardNumbers(value);
  if (typeof value === 'number') return maskJsonNumber(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const masked = maskJsonValue(value[i]);
      if (!copy && masked !== value[i]) copy = value.slice(0, i);
      copy?.push(masked);
    }
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object') {
    // The entries are copied only from the first one that changes (most objects have none).
    // for...in, not Object.keys: the same own keys in the same order, without an array an object.
    const record = value as Record<string, unknown>;
    let entries: (readonly [string, unknown])[] | null = null;
    let at = 0;
    for (const key in record) {
      const inner = record[key];
      const maskedKey = maskCardNumbers(key);
      const maskedInner =
        isSecretCardKey(key) && (typeof inner === 'string' || typeof inner === 'number')
          ? '[redacted]'
          : maskJsonValue(inner);
      if (!entries && (maskedKey !== key || maskedInner !== inner)) entries = entriesBefore(record, at);
      entries?.push([maskedKey, maskedInner]);
      at += 1;
    }
    return entries ? Object.fromEntries(entries) : value;
  }
  return value;
}

type JsonRecord = Record<string, unknown>;
/** A JSON object (not null, not an array). */
export const isJsonObject = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `text` masked as a request's free text is (any first digit), or undefined when nothing changes. */
function maskedFreeText(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const masked = maskFreeText(text);
  return masked === text ? undefined : masked;
}

/**
 * An event as stored: maskJsonValue, then the request's free-text fields (SPEC §1: `reason`, the
 * customer's name, the order number) masked whatever a card number's first digit. Like
 * maskJsonValue, what holds nothing more to mask comes back as it was. Never mutates its input.
 */
export function maskEventValue(event: unknown): unknown {
  const masked = maskJsonValue(event);
  if (!isJsonObject(masked) || !isJsonObject(masked.paymentRequest)) return masked;
  const request = masked.paymentRequest;
  const reason = maskedFreeText(request.reason);
  const orderNumber = maskedFreeText(request.orderNumber);
  const name = isJsonObject(request.customer) ? maskedFreeText(request.customer.name) : undefined;
  if (reason === undefined && orderNumber === undefined && name === undefined) return masked;
  const paymentRequest: JsonRecord = { ...request };
  if (reason !== undefined) paymentRequest.reason = reason;
  if (orderNumber !== undefined) paymentRequest.orderNumber = orderNumber;
  if (name !== undefined) paymentRequest.customer = { ...(request.customer as JsonRecord), name };
  return { ...masked, paymentRequest };
}

/** Whether arrays and objects nest deeper than `limit` levels (the value itself is level 1); found without recursion. */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const inner of Object.values(current)) {
      if (inner !== null && typeof inner === 'object') stack.push([inner, depth + 1]);
    }
  }
  return false;
}
