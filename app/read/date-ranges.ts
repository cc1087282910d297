import { TZDate } from '@date-fns/tz';
import { addDays, differenceInCalendarDays, format } from 'date-fns';
import type { Filters } from './filters';

/** Calendar dates 'YYYY-MM-DD' of the shared filters (SPEC §3), reckoned in a time zone. */

export const RANGE_PRESETS = ['today', 'yesterday', '7d', '30d', '90d'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export const PRESET_LABELS: Record<RangePreset, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
};

function parseDate(date: string): TZDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new TZDate(y, m - 1, d, 'UTC');
}

/** Shifts a calendar date by whole days. */
export function shiftDate(date: string, days: number): string {
  return format(addDays(parseDate(date), days), 'yyyy-MM-dd');
}

/** Today's date in the zone. */
export function todayIn(timeZone: string, now = Date.now()): string {
  return format(new TZDate(now, timeZone), 'yyyy-MM-dd');
}

/** Inclusive number of days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return differenceInCalendarDays(parseDate(to), parseDate(from)) + 1;
}

/** The from/to of a preset, ending today in the zone. */
export function presetRange(preset: RangePreset, timeZone: string, now = Date.now()): { from: string; to: string } {
  const today = todayIn(timeZone, now);
  switch (preset) {
    case 'today':
      return { from: today, to: today };
    case 'yesterday': {
      const yesterday = shiftDate(today, -1);
      return { from: yesterday, to: yesterday };
    }
    case '7d':
      return { from: shiftDate(today, -6), to: today };
    case '30d':
      return { from: shiftDate(today, -29), to: today };
    case '90d':
      return { from: shiftDate(today, -89), to: today };
  }
}

/** The preset a from/to pair is, if any (so the UI can highlight it). */
export function matchingPreset(from: string, to: string, timeZone: string, now = Date.now()): RangePreset | null {
  return (
    RANGE_PRESETS.find((preset) => {
      const range = presetRange(preset, timeZone, now);
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

/** The period of equal length just before from..to, for the change shown on KPI cards. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const days = daysBetween(from, to);
  return { from: shiftDate(from, -days), to: shiftDate(from, -1) };
}
