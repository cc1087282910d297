import { TZDate } from '@date-fns/tz';
import { addDays, addMonths, addWeeks, startOfDay, startOfMonth, startOfWeek } from 'date-fns';

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

const HOUR_MS = 3_600_000;

/** Start of the bucket holding `at`, in the zone: midnight, ISO Monday or the 1st, or the hour. */
function bucketStart(at: number, interval: Interval, timeZone: string): TZDate {
  const date = new TZDate(at, timeZone);
  switch (interval) {
    case 'hour':
      return new TZDate(at - ((((at - startOfDay(date).getTime()) % HOUR_MS) + HOUR_MS) % HOUR_MS), timeZone);
    case 'day':
      return startOfDay(date);
    case 'week':
      return startOfWeek(date, { weekStartsOn: 1 });
    case 'month':
      return startOfMonth(date);
  }
}

function nextBucket(start: TZDate, interval: Interval): TZDate {
  switch (interval) {
    case 'hour':
      // Real hours: a 25-hour DST day has 25 of them, a 23-hour day 23.
      return new TZDate(start.getTime() + HOUR_MS, start.timeZone ?? 'UTC');
    // Midnight again each time: where a DST change skips midnight (Santiago, Cairo, Havana, Beirut)
    // that day starts at 01:00, and the days after it must not keep that hour.
    case 'day':
      return startOfDay(addDays(start, 1));
    case 'week':
      return startOfWeek(addWeeks(start, 1), { weekStartsOn: 1 });
    case 'month':
      return startOfMonth(addMonths(start, 1));
  }
}

/**
 * Starts (epoch ms) of every bucket meeting [start, end), in the zone's calendar: the whole spine,
 * so a chart gets zero buckets too. Stops with null past `limit` buckets.
 */
export function bucketStarts(
  start: number,
  end: number,
  interval: Interval,
  timeZone: string,
  limit = Infinity,
): number[] | null {
  const starts: number[] = [];
  for (
    let bucket = bucketStart(start, interval, timeZone);
    bucket.getTime() < end;
    bucket = nextBucket(bucket, interval)
  ) {
    if (starts.length >= limit) return null;
    starts.push(bucket.getTime());
  }
  return starts;
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

/** An instant as ISO 8601 with the zone's offset at that instant: '2026-10-25T00:00:00.000+02:00'. */
export function isoInZone(at: number, timeZone: string): string {
  return new TZDate(at, timeZone).toISOString();
}

/** The interval of a query string (absent: day); null when it is not one of INTERVALS. */
export function parseInterval(value: string | null): Interval | null {
  if (value === null || value === '') return 'day';
  return (INTERVALS as readonly string[]).includes(value) ? (value as Interval) : null;
}
