import { TZDate, tzOffset } from '@date-fns/tz';

const HOUR = 3_600_000;

/**
 * The UTC offset (minutes) of a zone at an instant, memoised per UTC hour: exports format millions
 * of timestamps and Intl is slow. An hour whose two ends disagree holds a transition; instants in
 * it are looked up one by one, so DST changes stay exact.
 */
export function offsetLookup(timeZone: string): (epochMs: number) => number {
  const byHour = new Map<number, number | null>();
  return (epochMs) => {
    const hour = Math.floor(epochMs / HOUR);
    let offset = byHour.get(hour);
    if (offset === undefined) {
      const start = tzOffset(timeZone, new Date(hour * HOUR));
      const end = tzOffset(timeZone, new Date((hour + 1) * HOUR - 1));
      offset = start === end ? start : null;
      if (byHour.size > 100_000) byHour.clear();
      byHour.set(hour, offset);
    }
    return offset ?? tzOffset(timeZone, new Date(epochMs));
  };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const PAD2 = Array.from({ length: 60 }, (_, n) => pad2(n));
const PAD3 = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
const DAY = 86_400_000;

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(Math.round(minutes));
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** The slow path: any instant, any offset. */
function isoAt(epochMs: number, offset: number, dates: Map<number, string>): string {
  const local = epochMs + Math.round(offset * 60_000);
  const day = Math.floor(local / DAY);
  let date = dates.get(day);
  if (date === undefined) {
    date = `${new Date(day * DAY).toISOString().slice(0, 10)}T`;
    if (dates.size > 10_000) dates.clear();
    dates.set(day, date);
  }
  let rest = local - day * DAY;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${date}${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[ms]}${offsetText(offset)}`;
}

const MINUTE = 60_000;
/** 'SS.mmm' for every millisecond of a minute. */
let secondsTable: string[] | undefined;
const SLOTS = 4096;

/**
 * Formats instants as ISO 8601 with the zone's offset: 2026-11-23T10:15:00.000+02:00 (SPEC §4).
 * Hot in exports (four per row, millions of rows): 'YYYY-MM-DDTHH:MM:' and the offset are kept per
 * UTC minute in a small direct-mapped cache, and seconds and milliseconds come from a table, so
 * most calls are two lookups and a concatenation. Offsets of whole minutes (every zone since
 * 1972) take that path; any other goes the slow way.
 */
export function isoFormatter(timeZone: string): (epochMs: number) => string {
  const offsetAt = offsetLookup(timeZone);
  const dates = new Map<number, string>();
  secondsTable ??= Array.from({ length: MINUTE }, (_, n) => `${PAD2[Math.floor(n / 1000)]}.${PAD3[n % 1000]}`);
  const table = secondsTable;
  const minutes = new Float64Array(SLOTS).fill(Number.NaN);
  const heads = new Array<string>(SLOTS);
  const tails = new Array<string>(SLOTS);
  return (epochMs) => {
    const minute = Math.floor(epochMs / MINUTE);
    const slot = minute & (SLOTS - 1);
    if (minutes[slot] !== minute) {
      const offset = offsetAt(epochMs);
      if (!Number.isInteger(offset) || offsetAt(minute * MINUTE + MINUTE - 1) !== offset)
        return isoAt(epochMs, offset, dates);
      const head = isoAt(minute * MINUTE, offset, dates);
      minutes[slot] = minute;
      heads[slot] = head.slice(0, 17);
      tails[slot] = head.slice(23);
    }
    return heads[slot]! + table[epochMs - minute * MINUTE]! + tails[slot]!;
  };
}

/**
 * Spreadsheet dates carry no zone: a Date whose UTC fields are the wall-clock time in the zone, so
 * Excel shows the same time the CSV's ISO string does.
 */
export function wallClockConverter(timeZone: string): (epochMs: number) => Date {
  const offsetAt = offsetLookup(timeZone);
  return (epochMs) => new Date(epochMs + offsetAt(epochMs) * 60_000);
}

/** The calendar date (YYYY-MM-DD) of an instant in a zone. */
export function dateInZone(epochMs: number, timeZone: string): string {
  const local = new TZDate(epochMs, timeZone);
  return `${local.getFullYear()}-${pad2(local.getMonth() + 1)}-${pad2(local.getDate())}`;
}

/** A calendar date as days since 1970-01-01 (month 1-12; out-of-range days roll over): zone-free date arithmetic. */
export function dayNumber(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY);
}

/** The calendar date of a day number: { year, month (1-12), day, weekday (0 Sunday) }. */
export function dayParts(dayNum: number): { year: number; month: number; day: number; weekday: number } {
  const date = new Date(dayNum * DAY);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekday: date.getUTCDay(),
  };
}

/** 'YYYY-MM-DD' of a day number. */
export function dateOfDay(dayNum: number): string {
  return new Date(dayNum * DAY).toISOString().slice(0, 10);
}

/** The day number of an instant's calendar date in a zone. */
export function dayInZone(epochMs: number, timeZone: string): number {
  return Math.floor((epochMs + Math.round(tzOffset(timeZone, new Date(epochMs)) * MINUTE)) / DAY);
}

/**
 * The instant a wall-clock reading in a zone names (month 1-12; out-of-range fields roll over as in
 * Date.UTC). Reckoned from the zone's own offsets, never through the host's local time, so it is the
 * same whatever `TZ` the process runs under (Date's local methods, which TZDate's constructor and
 * setters go through, read the host's zone and disagree near its and the zone's DST changes).
 * A reading a spring-forward skips names the first instant after the gap (02:30 on a day that jumps
 * from 02:00 to 03:00 is 03:00; a day whose midnight is skipped starts at 01:00); a reading a
 * fall-back repeats names its first occurrence.
 */
export function zonedInstant(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hours = 0,
  minutes = 0,
  seconds = 0,
  ms = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hours, minutes, seconds, ms);
  const offsetAt = (at: number) => Math.round(tzOffset(timeZone, new Date(at)) * MINUTE);
  const readingAt = (at: number) => at + offsetAt(at);
  // Offsets change at most once in any couple of days: the reading has the offset in force a day
  // before it or the one a day after it (the same one, most days).
  const early = wall - offsetAt(wall - DAY);
  const late = wall - offsetAt(wall + DAY);
  const first = Math.min(early, late);
  if (readingAt(first) === wall) return first;
  const second = Math.max(early, late);
  if (readingAt(second) === wall) return second;
  if (Number.isNaN(wall) || Number.isNaN(first)) return Number.NaN;
  // In a gap: the reading before the change is earlier than `wall`, after it later. Find the change.
  let low = first;
  let high = second;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (readingAt(mid) > wall) high = mid;
    else low = mid;
  }
  return high;
}
