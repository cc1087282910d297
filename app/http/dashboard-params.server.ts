import { redirect } from '@remix-run/node';
import type { SortingState } from '@tanstack/react-table';
import { getDb } from '../../db/client';
import { badRequest, singleParam } from '../lib/http.server';
import { requestLocale } from '../lib/locale.server';
import { timeZoneList } from '../lib/time-zone';
import type { LeaderboardView } from '../read/dashboard.server';
import { canonicalSearch, type DashboardRange, resolveRange } from '../read/dashboard-view';
import { daysBetween, isPreset, PRESET_ALIASES, RANGE_PRESETS } from '../read/date-ranges';
import type { Filters } from '../read/filters';
import { AGENTS_PAGE_PARAM, isLeaderboardSort, LEADERBOARD_COLUMNS } from '../read/leaderboard-order';
import { MAX_BUCKETS } from '../read/metrics/metrics.server';
import { getWeekStartsOn } from '../read/settings.server';
import { filtersFromRequest } from './filter-params.server';

/**
 * The longest range the dashboard draws: its trend has a bucket a month past two years, and the
 * series stops at MAX_BUCKETS months (20 years); a range a month shorter than that, whatever its
 * first and last partial months, fits.
 */
export const MAX_DASHBOARD_DAYS = Math.floor(((MAX_BUCKETS.month - 2) * 365.25) / 12);

export interface DashboardRequest {
  range: DashboardRange;
  filters: Filters & { from: string; to: string };
  sorting: SortingState;
  /** The leaderboard's sort and page (`agentsPage`, 1 when absent or not a number; getDashboard keeps it within the pages). */
  leaderboard: LeaderboardView;
  /** The choices of the time-zone field. */
  timeZones: readonly string[];
  /** The reader's locale, for numbers and dates formatted alike on the server and in the browser. */
  locale: string;
}

/**
 * The dashboard's view from its URL: the shared filters (400 naming a bad field), the range
 * (a preset or from/to), the leaderboard's sort. A URL that says the same thing longer is
 * redirected to its short form, so shared links and history entries stay clean. With it, what
 * both dashboard pages (everyone's, an agent's) need besides their data: zones and locale.
 */
export async function dashboardRequest(request: Request): Promise<DashboardRequest> {
  const url = new URL(request.url);
  const parsed = await filtersFromRequest(request);
  const asked = singleParam(url.searchParams, 'range', 'invalid_filter');
  const alias = asked ? PRESET_ALIASES[asked] : undefined;
  if (alias) {
    // An older link's name for a preset: the same view under today's name.
    url.searchParams.set('range', alias);
    throw redirect(`${url.pathname}?${url.searchParams}`);
  }
  if (asked && asked !== 'custom' && !isPreset(asked)) {
    throw badRequest('invalid_filter', 'range', `range: must be one of ${RANGE_PRESETS.join(', ')} or custom`);
  }
  const range = resolveRange(url.searchParams, parsed, Date.now(), await getWeekStartsOn(getDb()));
  if (daysBetween(range.from, range.to) > MAX_DASHBOARD_DAYS) {
    throw badRequest(
      'invalid_filter',
      'from',
      `from: the dashboard shows at most ${MAX_DASHBOARD_DAYS.toLocaleString('en')} days (about 19 years); choose a later from or an earlier to`,
    );
  }
  const canonical = canonicalSearch(url.searchParams, range);
  if (canonical !== url.searchParams.toString()) throw redirect(`${url.pathname}${canonical ? `?${canonical}` : ''}`);

  // A sort the leaderboard has not is its default (an old link); two sorts (or pages) at once are refused, as the list's.
  const sort = singleParam(url.searchParams, 'sort', 'invalid_parameter');
  const order = singleParam(url.searchParams, 'order', 'invalid_parameter');
  const page = singleParam(url.searchParams, AGENTS_PAGE_PARAM, 'invalid_parameter') ?? '';
  const column = sort && isLeaderboardSort(sort) ? sort : 'sent';
  const leaderboard: LeaderboardView = {
    sort: column,
    // Without an order (a typed or an old link), the way its header first sorts: names A to Z.
    desc: order === 'asc' ? false : order === 'desc' ? true : LEADERBOARD_COLUMNS[column].descFirst,
    page: /^\d{1,9}$/.test(page) ? Number(page) : 1,
  };
  return {
    range,
    filters: { ...parsed, from: range.from, to: range.to },
    sorting: [{ id: leaderboard.sort, desc: leaderboard.desc }],
    leaderboard,
    timeZones: timeZoneList(parsed.tz),
    locale: requestLocale(request),
  };
}
