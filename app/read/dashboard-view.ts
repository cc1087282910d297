import type { Day } from 'date-fns';
import { dateTimeFormat } from '../lib/intl-cache';
import type { Interval } from '../lib/time-buckets';
import { DEFAULT_WEEK_START, daysBetween, isPreset, PRESET_LABELS, presetRange, type RangePreset } from './date-ranges';
import type { Filters } from './filters';

/**
 * The dashboard's URL: a preset range (`range=7d`, relative to today in the zone, so a shared link
 * keeps meaning "the last 7 days") or a custom `from`/`to`; the shared filters; the leaderboard's
 * `sort`/`order`. The filter form always sends range, from and to: dates edited away from the
 * preset's make the range custom.
 */

export const DEFAULT_PRESET: RangePreset = '7d';

export interface DashboardRange {
  preset: RangePreset | null;
  from: string;
  to: string;
}

/** The range the URL asks for (its from/to already parsed and validated into `filters`). */
export function resolveRange(
  params: URLSearchParams,
  filters: Pick<Filters, 'from' | 'to' | 'tz'>,
  now = Date.now(),
  weekStartsOn: Day = DEFAULT_WEEK_START,
): DashboardRange {
  const asked = params.get('range');
  const preset = isPreset(asked) ? presetRange(asked, filters.tz, now, weekStartsOn) : null;
  if (preset && isPreset(asked)) {
    const edited = (filters.from && filters.from !== preset.from) || (filters.to && filters.to !== preset.to);
    if (!edited) return { preset: asked, ...preset };
  }
  if (filters.from || filters.to) {
    const from = filters.from ?? filters.to!;
    const to = filters.to ?? filters.from!;
    return { preset: null, from, to };
  }
  return { preset: DEFAULT_PRESET, ...presetRange(DEFAULT_PRESET, filters.tz, now, weekStartsOn) };
}

/** The query string that names this view most shortly: the preset or the dates, never both, no empty fields. */
export function canonicalSearch(params: URLSearchParams, range: DashboardRange): string {
  const out = new URLSearchParams();
  if (range.preset) {
    if (range.preset !== DEFAULT_PRESET) out.set('range', range.preset);
  } else {
    out.set('from', range.from);
    out.set('to', range.to);
  }
  for (const [key, value] of params) {
    if (['range', 'from', 'to'].includes(key) || value.trim() === '') continue;
    if (key === 'currency')
      for (const code of value.split(/[\s,]+/).filter(Boolean)) out.append(key, code.toUpperCase());
    else out.append(key, value);
  }
  return out.toString();
}

/** Buckets fine enough to show a shape, few enough to read: hours for a day or two, then days, weeks, months. */
export function intervalFor(range: Pick<DashboardRange, 'from' | 'to'>): Interval {
  const days = daysBetween(range.from, range.to);
  if (days <= 2) return 'hour';
  if (days <= 92) return 'day';
  if (days <= 731) return 'week';
  return 'month';
}

/** The same view with some parameters changed (null removes one); for links that keep the rest. */
export function withParams(search: string, changes: Record<string, string | null>): string {
  const params = new URLSearchParams(search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) params.delete(key);
    else params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '?';
}

function dateOf(date: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d));
}

/** 'today (23 Nov 2026)', 'in the last 7 days (17 Nov – 23 Nov 2026)', '1 Oct – 15 Oct 2026'. */
export function rangeDescription(range: DashboardRange, locale: string): string {
  // Not formatRange: its spacing differs between the server's ICU and browsers', which breaks hydration.
  const withYear = dateTimeFormat(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const withoutYear = dateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const sameYear = range.from.slice(0, 4) === range.to.slice(0, 4);
  const dates =
    range.from === range.to
      ? withYear.format(dateOf(range.from))
      : `${(sameYear ? withoutYear : withYear).format(dateOf(range.from))} – ${withYear.format(dateOf(range.to))}`;
  if (!range.preset) return range.from === range.to ? `on ${dates}` : dates;
  const label = PRESET_LABELS[range.preset].toLowerCase();
  const rolling = range.preset === '7d' || range.preset === '30d' || range.preset === '90d';
  return `${rolling ? `in the ${label}` : label} (${dates})`;
}
