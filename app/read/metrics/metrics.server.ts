import { inArray } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { teams } from '../../../db/tables';
import type { Viewer } from '../../domain/access';
import type { Metrics } from '../../domain/metrics';
import { bucketStarts, type Interval, isoInZone } from '../../lib/time-buckets';
import { agentsByIds } from '../agents.server';
import { type Filters, filterRange } from '../filters';
import { busiestFirst } from '../leaderboard-order';
import { EARLIEST, LATEST } from './cells';
import { CurrencyLookup, MetricsReader } from './engine.server';
import { countOf, emptyTotals, sentOf } from './totals';

/** [start, end) of the filters' days; an open end reaches as far as time goes. */
function rangeOf(filters: Filters): { start: number; end: number } {
  const { start, end } = filterRange(filters);
  return { start: start ?? EARLIEST, end: end ?? LATEST };
}

/** The metrics of SPEC §3 over the requests S of the filters, within the viewer's scope. */
export async function getMetricsSummary(
  db: Db,
  filters: Filters,
  viewer: Viewer,
  currencies?: CurrencyLookup,
): Promise<Metrics> {
  return await getMetricsSummaryBetween(db, filters, viewer, rangeOf(filters), currencies);
}

/**
 * One currency lookup for the readers of a page over the days from `earliest` to the end of the
 * filters' range (the readers' own lookups reuse it: no DISTINCT per reader and piece).
 */
export async function pageCurrencies(db: Db, filters: Filters, earliest?: number): Promise<CurrencyLookup> {
  const currencies = new CurrencyLookup(db);
  const { start, end } = rangeOf(filters);
  if (start !== EARLIEST && end !== LATEST) await currencies.between(Math.min(start, earliest ?? start), end);
  return currencies;
}

/** The same over requests sent in [start, end) instead of the filters' days (a comparison cut mid-day). */
export async function getMetricsSummaryBetween(
  db: Db,
  filters: Filters,
  viewer: Viewer,
  { start, end }: { start: number; end: number },
  currencies?: CurrencyLookup,
): Promise<Metrics> {
  const reader = new MetricsReader(db, filters, viewer, currencies);
  const totals = (await reader.readRange(start, end, 'none')).get('') ?? emptyTotals();
  return await reader.metrics(totals, start, end);
}

export interface AgentMetricsRow extends Metrics {
  agentId: string;
  agentName: string;
  teamId: string;
  teamName: string;
}

/** One row per agent with at least one request in S (SPEC §4), busiest first. */
export async function getAgentLeaderboard(
  db: Db,
  filters: Filters,
  viewer: Viewer,
  currencies?: CurrencyLookup,
): Promise<AgentMetricsRow[]> {
  const reader = new MetricsReader(db, filters, viewer, currencies);
  const { start, end } = rangeOf(filters);
  const byAgent = [...(await reader.readRange(start, end, 'agent'))].filter(([, totals]) => sentOf(totals) > 0);
  if (byAgent.length === 0) return [];
  const agentIds = byAgent.map(([agentId]) => String(agentId));
  const agentRows = await agentsByIds(db, agentIds);
  const agentById = new Map(agentRows.map((agent) => [agent.id, agent]));
  const teamIds = [...new Set(agentRows.map((agent) => agent.teamId))];
  const teamById = new Map(
    (teamIds.length ? await db.select().from(teams).where(inArray(teams.id, teamIds)) : []).map((team) => [
      team.id,
      team,
    ]),
  );
  const metrics = await reader.metricsOf(
    byAgent.map(([key, totals]) => ({ totals, start, end, agentId: String(key) })),
  );
  const rows = byAgent.map(([key], i): AgentMetricsRow => {
    const agentId = String(key);
    const agent = agentById.get(agentId);
    const teamId = agent?.teamId ?? '';
    return {
      agentId,
      agentName: agent?.name ?? agentId,
      teamId,
      teamName: teamById.get(teamId)?.name ?? teamId,
      ...metrics[i]!,
    };
  });
  return rows.sort(busiestFirst);
}

export interface MetricsBucket extends Metrics {
  /** Start of the bucket, ISO 8601 with the zone's offset at that instant. */
  start: string;
}

/** Hour buckets beyond this are refused: 31 days, one DST hour to spare. */
export const MAX_BUCKETS: Record<Interval, number> = { hour: 745, day: 1830, week: 520, month: 240 };

export class TooManyBucketsError extends Error {}

/** The days a time series covers when the filters give none: the last 30 days, today included. */
export const DEFAULT_SERIES_DAYS = 30;

/**
 * The buckets of the range and their totals (SPEC §3): buckets start at midnight (hour: each hour)
 * in the filters' zone; the first and last may reach outside the range, and count only what is
 * inside it.
 */
async function seriesTotals(db: Db, filters: Filters, viewer: Viewer, interval: Interval, currencies?: CurrencyLookup) {
  const { start, end } = rangeOf(filters);
  const starts = bucketStarts(start, end, interval, filters.tz, MAX_BUCKETS[interval]);
  if (!starts)
    throw new TooManyBucketsError(`More than ${MAX_BUCKETS[interval]} ${interval} buckets: choose a shorter range`);
  const reader = new MetricsReader(db, filters, viewer, currencies);
  const ranges = starts.map((bucketStart, i) => ({
    start: Math.max(bucketStart, start),
    end: Math.min(starts[i + 1] ?? end, end),
  }));
  const totals = await reader.readRanges(ranges);
  return { reader, starts, ranges, totals };
}

/** The metrics per bucket of the range, every bucket present (SPEC §3). */
export async function getMetricsTimeseries(
  db: Db,
  filters: Filters,
  viewer: Viewer,
  interval: Interval,
  currencies?: CurrencyLookup,
): Promise<MetricsBucket[]> {
  const { reader, starts, ranges, totals } = await seriesTotals(db, filters, viewer, interval, currencies);
  const metrics = await reader.metricsOf(ranges.map((range, i) => ({ totals: totals[i]!, ...range })));
  return starts.map((bucketStart, i) => ({ start: isoInZone(bucketStart, filters.tz), ...metrics[i]! }));
}

/** The outcome counts a trend chart draws, per bucket. */
export const TREND_COUNTS = ['sent', 'paid', 'declined', 'expired', 'canceled', 'inFlight'] as const;
export type TrendBucket = { start: string } & Pick<Metrics, (typeof TREND_COUNTS)[number]>;

/**
 * The series' outcome counts only (the dashboards' trend): the same buckets as
 * getMetricsTimeseries, without the times to pay, rates and amounts nobody draws. The percentiles
 * were most of a 90-day daily series' cost (13 of 19 ms at 1M requests).
 */
export async function getTrend(
  db: Db,
  filters: Filters,
  viewer: Viewer,
  interval: Interval,
  currencies?: CurrencyLookup,
): Promise<TrendBucket[]> {
  const { starts, totals } = await seriesTotals(db, filters, viewer, interval, currencies);
  return starts.map((bucketStart, i) => {
    const bucket = { start: isoInZone(bucketStart, filters.tz) } as TrendBucket;
    for (const metric of TREND_COUNTS) bucket[metric] = countOf(totals[i]!, metric);
    return bucket;
  });
}
