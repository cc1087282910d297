/**
 * The instant of a text spelled exactly as Date#toISOString spells one (`2026-12-05T18:00:00.000Z`:
 * UTC, milliseconds, fields in range), read by hand; null for any other text, and for years before
 * 100 (Date.UTC maps 0–99 to 1900–1999) or a leap second, which callers read the general way.
 *
 * Nearly every event's occurredAt is in this form: reading it here costs a fraction of the RFC 3339
 * regular expression, Date.parse and a calendar check (issue 14), and it says at once that the text
 * is the canonical spelling of its instant (the only text toISOString gives for it), with no Date
 * made to compare.
 */
export function canonicalIsoInstant(text: string): number | null {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== T ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON ||
    text.charCodeAt(19) !== DOT ||
    text.charCodeAt(23) !== Z
  ) {
    return null;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const ms = digitsAt(text, 20, 3);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

const DASH = 45;
const COLON = 58;
const DOT = 46;
const T = 84;
const Z = 90;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by `count` ASCII digits from `at`, or -1 when one of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysIn(year: number, month: number): number {
  if (month !== 2) return DAYS[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}
