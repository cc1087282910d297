import { TZDate } from '@date-fns/tz';
import { addDays, addMonths, type Day, differenceInCalendarDays, format, startOfMonth, startOfWeek } from 'date-fns';
import { zonedInstant } from '../lib/zoned-time';
import { type Filters, startOfDayInZone } from './filters';

/**
 * Calendar dates 'YYYY-MM-DD' of the shared filters (SPEC §3), reckoned in a time zone, and the one
 * vocabulary of date presets every page uses (the dashboard's `range=`, the reports' quick ranges).
 */

export const RANGE_PRESETS = [
  'today',
  'yesterday',
  'this-week',
  'last-week',
  '7d',
  'this-month',
  'last-month',
  '30d',
  '90d',
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export const PRESET_LABELS: Record<RangePreset, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  'this-week': 'This week',
  'last-week': 'Last week',
  '7d': 'Last 7 days',
  'this-month': 'This month',
  'last-month': 'Last month',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
};

/** Preset names older links carry (the reports page once had its own): each means the preset named. */
export const PRESET_ALIASES: Readonly<Record<string, RangePreset>> = {
  'last-7': '7d',
  'last-30': '30d',
  'last-90': '90d',
};

/** Days a week may start on (date-fns' numbering: 0 Sunday, 1 Monday, 6 Saturday); the organisation's setting. */
export const WEEK_STARTS: readonly { day: Day; label: string }[] = [
  { day: 1, label: 'Monday' },
  { day: 0, label: 'Sunday' },
  { day: 6, label: 'Saturday' },
];
export const DEFAULT_WEEK_START: Day = 1;

export function isPreset(value: string | null): value is RangePreset {
  return value !== null && (RANGE_PRESETS as readonly string[]).includes(value);
}

function parseDate(date: string): TZDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new TZDate(y, m - 1, d, 'UTC');
}

const ymd = (date: Date) => format(date, 'yyyy-MM-dd');

/** Shifts a calendar date by whole days. */
export function shiftDate(date: string, days: number): string {
  return ymd(addDays(parseDate(date), days));
}

/** Today's date in the zone. */
export function todayIn(timeZone: string, now = Date.now()): string {
  return ymd(new TZDate(now, timeZone));
}

/** Inclusive number of days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return differenceInCalendarDays(parseDate(to), parseDate(from)) + 1;
}

/** The from/to of a preset, relative to today in the zone; weeks start on the organisation's day. */
export function presetRange(
  preset: RangePreset,
  timeZone: string,
  now = Date.now(),
  weekStartsOn: Day = DEFAULT_WEEK_START,
): { from: string; to: string } {
  const today = todayIn(timeZone, now);
  const day = parseDate(today);
  const weekStart = ymd(startOfWeek(day, { weekStartsOn }));
  const monthStart = startOfMonth(day);
  switch (preset) {
    case 'today':
      return { from: today, to: today };
    case 'yesterday':
      return { from: shiftDate(today, -1), to: shiftDate(today, -1) };
    case 'this-week':
      return { from: weekStart, to: today };
    case 'last-week':
      return { from: shiftDate(weekStart, -7), to: shiftDate(weekStart, -1) };
    case '7d':
      return { from: shiftDate(today, -6), to: today };
    case 'this-month':
      return { from: ymd(monthStart), to: today };
    case 'last-month':
      return { from: ymd(addMonths(monthStart, -1)), to: ymd(addDays(monthStart, -1)) };
    case '30d':
      return { from: shiftDate(today, -29), to: today };
    case '90d':
      return { from: shiftDate(today, -89), to: today };
  }
}

export interface DatePreset {
  key: RangePreset;
  label: string;
  from: string;
  to: string;
}

/** Every preset with its dates today, in the order the chips show them. */
export function datePresets(timeZone: string, now = Date.now(), weekStartsOn: Day = DEFAULT_WEEK_START): DatePreset[] {
  return RANGE_PRESETS.map((key) => ({
    key,
    label: PRESET_LABELS[key],
    ...presetRange(key, timeZone, now, weekStartsOn),
  }));
}

/** The first preset a from/to pair is, if any (so the UI can highlight it). */
export function matchingPreset(
  from: string,
  to: string,
  timeZone: string,
  now = Date.now(),
  weekStartsOn: Day = DEFAULT_WEEK_START,
): RangePreset | null {
  return (
    RANGE_PRESETS.find((preset) => {
      const range = presetRange(preset, timeZone, now, weekStartsOn);
      return range.from === from && range.to === to;
    }) ?? null
  );
}

/**
 * Fills a missing from/to: `days` days ending today (or ending at `to`, or starting at `from`).
 * Time series need a bounded range; this is their default.
 */
export function withDefaultRange<T extends Pick<Filters, 'from' | 'to' | 'tz'>>(
  filters: T,
  days: number,
  now = Date.now(),
): T & { from: string; to: string } {
  if (filters.from && filters.to) return filters as T & { from: string; to: string };
  if (filters.from) {
    const today = todayIn(filters.tz, now);
    // biome-ignore lint/complexity/useMathMinMax: ISO dates compare as strings, Math.max would turn them into NaN
    return { ...filters, from: filters.from, to: filters.from > today ? filters.from : today };
  }
  const to = filters.to ?? todayIn(filters.tz, now);
  return { ...filters, from: shiftDate(to, -(days - 1)), to };
}

/** The instants [start, end) a change is measured against, and whether the current period is still running. */
export interface Comparison {
  /** The previous period's days (a month before a month preset, else as many days just before). */
  from: string;
  to: string;
  start: number;
  end: number;
  /** The current period is still running: both are cut at the same point (`end` is before the end of `to`). */
  partial: boolean;
}

/**
 * What a change compares like with like: the period just before (the month before for This month
 * and Last month, the week before for This week, else as many days), and while the current period is still running only the same
 * elapsed part of it (Today at 07:33 against yesterday 00:00–07:33; This month on its 2nd day at
 * 07:33 against the 1st of last month to the 2nd at 07:33).
 */
export function comparisonPeriod(
  range: { preset: RangePreset | null; from: string; to: string },
  timeZone: string,
  now = Date.now(),
): Comparison {
  const byMonth = range.preset === 'this-month' || range.preset === 'last-month';
  // This week runs to today: as many days before it would set Monday-Wednesday against the
  // Friday-Sunday before, weekend and all; the week before, cut at the same weekday and time, matches.
  const from = byMonth
    ? ymd(addMonths(parseDate(range.from), -1))
    : range.preset === 'this-week'
      ? shiftDate(range.from, -7)
      : shiftDate(range.from, -daysBetween(range.from, range.to));
  const to = shiftDate(range.from, -1);
  const start = startOfDayInZone(from, timeZone);
  const fullEnd = startOfDayInZone(shiftDate(to, 1), timeZone);
  const currentStart = startOfDayInZone(range.from, timeZone);
  const currentEnd = startOfDayInZone(shiftDate(range.to, 1), timeZone);
  if (now >= currentEnd || now < currentStart) {
    return { from, to, start, end: fullEnd, partial: false };
  }
  // Whole days elapsed, then the time of day: the same wall-clock point, DST days included.
  const today = todayIn(timeZone, now);
  const elapsedDays = daysBetween(range.from, today) - 1;
  // The clock's reading now, on the matching day of the period before (not the time elapsed since
  // midnight: across a DST change that is an hour off the same reading).
  const clock = new TZDate(now, timeZone);
  const [y, m, d] = shiftDate(from, elapsedDays).split('-').map(Number) as [number, number, number];
  // A reading that day's DST change skips is the first instant after the gap; one it repeats, its first occurrence.
  const cut = zonedInstant(
    timeZone,
    y,
    m,
    d,
    clock.getHours(),
    clock.getMinutes(),
    clock.getSeconds(),
    clock.getMilliseconds(),
  );
  return { from, to, start, end: Math.min(cut, fullEnd), partial: true };
}
