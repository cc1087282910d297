import { TZDate } from '@date-fns/tz';
import { dayInZone, dayNumber, dayParts, offsetLookup, zonedInstant } from './zoned-time';

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The first day (a day number) of the day, ISO week or month holding `day`. */
function periodStart(day: number, interval: Exclude<Interval, 'hour'>): number {
  const { year, month, weekday } = dayParts(day);
  if (interval === 'week') return day - ((weekday + 6) % 7);
  if (interval === 'month') return dayNumber(year, month, 1);
  return day;
}

/** The first day of the period after the one starting on `day`. */
function nextPeriod(day: number, interval: Exclude<Interval, 'hour'>): number {
  if (interval === 'week') return day + 7;
  if (interval === 'month') {
    const { year, month } = dayParts(day);
    return dayNumber(year, month + 1, 1);
  }
  return day + 1;
}

/**
 * The first instant at or after `at` that the zone's clock reads as a whole hour. A step to the next
 * whole hour of the reading lands on it unless the offset changes on the way; then it lands past the
 * change, on a reading off the hour (Lord Howe's 30-minute changes), and steps again.
 */
function nextHourStart(at: number, readingAt: (at: number) => number): number {
  let bucket = at;
  for (let past = mod(readingAt(bucket), HOUR_MS); past !== 0; past = mod(readingAt(bucket), HOUR_MS))
    bucket += HOUR_MS - past;
  return bucket;
}

const mod = (value: number, step: number) => ((value % step) + step) % step;

/** When a day starts in the zone: midnight, or 01:00 where a DST change skips midnight (Santiago, Cairo, Havana, Beirut). */
function dayStart(day: number, timeZone: string): number {
  const { year, month, day: date } = dayParts(day);
  return zonedInstant(timeZone, year, month, date);
}

/**
 * Starts (epoch ms) of every bucket meeting [start, end), in the zone's calendar: the whole spine,
 * so a chart gets zero buckets too. Stops with null past `limit` buckets. Days, weeks and months
 * start at midnight in the zone, hours on the hour of its clock (a 25-hour DST day has 25 of them,
 * a 23-hour day 23; the hour a 30-minute change falls in, Lord Howe's, lasts 90 minutes);
 * reckoned from the zone's offsets alone, never the host's.
 */
export function bucketStarts(
  start: number,
  end: number,
  interval: Interval,
  timeZone: string,
  limit = Infinity,
): number[] | null {
  const starts: number[] = [];
  if (interval === 'hour') {
    const offsetAt = offsetLookup(timeZone);
    const readingAt = (at: number) => at + Math.round(offsetAt(at) * MINUTE_MS);
    // The last whole hour of the clock at or before `start`: look from two hours before it.
    let bucket = nextHourStart(start - mod(readingAt(start), HOUR_MS) - 2 * HOUR_MS, readingAt);
    for (let next = nextHourStart(bucket + 1, readingAt); next <= start; next = nextHourStart(bucket + 1, readingAt))
      bucket = next;
    for (; bucket < end; bucket = nextHourStart(bucket + 1, readingAt)) {
      if (starts.length >= limit) return null;
      starts.push(bucket);
    }
    return starts;
  }
  for (let day = periodStart(dayInZone(start, timeZone), interval); ; day = nextPeriod(day, interval)) {
    const bucket = dayStart(day, timeZone);
    if (bucket >= end) return starts;
    if (starts.length >= limit) return null;
    starts.push(bucket);
  }
}

/** Index of the bucket holding `at` among ascending starts (binary search); -1 before the first. */
export function bucketIndex(starts: readonly number[], at: number): number {
  let low = 0;
  let high = starts.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (starts[mid]! <= at) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** Where a bucket stands at an instant: over, still running (it holds what was sent so far), or not begun. */
export type BucketProgress = 'over' | 'running' | 'ahead';

/**
 * Each bucket of ascending starts (the last one ending at `end`) against `now`: a chart that draws
 * today's bucket like the others reads its few hours as a drop, and days to come as days of nothing.
 */
export function bucketProgress(starts: readonly number[], end: number, now: number): BucketProgress[] {
  return starts.map((start, i) => {
    if (now >= (starts[i + 1] ?? end)) return 'over';
    return now >= start ? 'running' : 'ahead';
  });
}

/** An instant as ISO 8601 with the zone's offset at that instant: '2026-10-25T00:00:00.000+02:00'. */
export function isoInZone(at: number, timeZone: string): string {
  return new TZDate(at, timeZone).toISOString();
}

/** The interval of a query string (absent: day); null when it is not one of INTERVALS. */
export function parseInterval(value: string | null): Interval | null {
  if (value === null || value === '') return 'day';
  return (INTERVALS as readonly string[]).includes(value) ? (value as Interval) : null;
}
