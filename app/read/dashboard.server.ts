import { and, desc, eq, inArray } from 'drizzle-orm';
import { type Db, first } from '../../db/client';
import { agents, paymentRequests, teams } from '../../db/tables';
import { canSee, type Viewer } from '../domain/access';
import { type BucketProgress, bucketProgress } from '../lib/time-buckets';
import { type DashboardRange, intervalFor } from './dashboard-view';
import { comparisonPeriod } from './date-ranges';
import { type Filters, filterRange } from './filters';
import { agentsPage, type LeaderboardSortId } from './leaderboard-order';
import type { CurrencyLookup } from './metrics/engine.server';
import {
  getAgentLeaderboard,
  getMetricsSummary,
  getMetricsSummaryBetween,
  getTrend,
  pageCurrencies,
  type TrendBucket,
} from './metrics/metrics.server';
import { compileQuery, requestCondition } from './query-compiler.server';

type RangedFilters = Filters & { from: string; to: string };

/**
 * The metrics of the range and of the period they are compared with (the KPI cards' change): the
 * period before, cut to the same elapsed part while the range is still running (comparisonPeriod);
 * the page's readers share one currency lookup over both periods.
 */
async function summaries(db: Db, filters: RangedFilters, range: DashboardRange, viewer: Viewer, now: number) {
  const comparison = comparisonPeriod(range, filters.tz, now);
  const currencies = await pageCurrencies(db, filters, comparison.start);
  return {
    summary: await getMetricsSummary(db, filters, viewer, currencies),
    previous: await getMetricsSummaryBetween(db, filters, viewer, comparison, currencies),
    comparison,
    currencies,
  };
}

/** The trend's buckets, each saying whether it is over, still running or not begun at `now`. */
async function trend(db: Db, filters: RangedFilters, viewer: Viewer, now: number, currencies: CurrencyLookup) {
  const series = await getTrend(db, filters, viewer, intervalFor(filters), currencies);
  // The range's end: `to` is always set here.
  const end = filterRange(filters).end!;
  const progress = bucketProgress(
    series.map((bucket) => Date.parse(bucket.start)),
    end,
    now,
  );
  return series.map((bucket, i): TrendBucket & { progress: BucketProgress } => ({ ...bucket, progress: progress[i]! }));
}

/** The leaderboard's page: its sort (a column of LEADERBOARD_COLUMNS) and page number. */
export interface LeaderboardView {
  sort: LeaderboardSortId;
  desc: boolean;
  page: number;
  pageSize?: number;
}

const BUSIEST_FIRST: LeaderboardView = { sort: 'sent', desc: true, page: 1 };

/**
 * Everything /dashboard shows: KPIs with their change, the trend, and one page of the leaderboard
 * (every agent is ranked; a contact centre's thousands are not all sent to the browser).
 */
export async function getDashboard(
  db: Db,
  filters: RangedFilters,
  range: DashboardRange,
  viewer: Viewer,
  now = Date.now(),
  view: LeaderboardView = BUSIEST_FIRST,
) {
  const interval = intervalFor(filters);
  const { currencies, ...kpis } = await summaries(db, filters, range, viewer, now);
  const series = await trend(db, filters, viewer, now, currencies);
  const agents = await getAgentLeaderboard(db, filters, viewer, currencies);
  const { rows, ...leaderboardPage } = agentsPage(agents, view.sort, view.desc, view.page, view.pageSize);
  return {
    ...kpis,
    interval,
    series,
    leaderboard: rows,
    leaderboardPage,
  };
}

/**
 * An agent the viewer may see (SPEC §5: otherwise nothing, and the page answers 404). A supervisor
 * sees an agent of another team who sent requests in one of theirs (an agent keeps the team they were
 * first seen with: requests carry their own): the leaderboard lists that agent, and the page shows
 * only those requests (getAgentDashboard reads within the viewer's scope).
 */
export async function getVisibleAgent(db: Db, agentId: string, viewer: Viewer) {
  const agent = first(
    await db
      .select({ id: agents.id, name: agents.name, teamId: agents.teamId, teamName: teams.name })
      .from(agents)
      .innerJoin(teams, eq(teams.id, agents.teamId))
      .where(eq(agents.id, agentId))
      .limit(1),
  );
  if (!agent) return null;
  if (canSee(viewer, { agentId: agent.id, teamId: agent.teamId })) return agent;
  const { scope } = viewer;
  if (scope.kind !== 'teams' || scope.teamIds.length === 0) return null;
  const inTheirTeams = first(
    await db
      .select({ id: paymentRequests.id })
      .from(paymentRequests)
      .where(and(inArray(paymentRequests.teamId, [...scope.teamIds]), eq(paymentRequests.agentId, agent.id)))
      .limit(1),
  );
  return inTheirTeams ? agent : null;
}

const LATEST_REQUESTS = 25;

/** /dashboard/agents/:agentId: the agent's metrics, trend and latest requests sent in the range. */
export async function getAgentDashboard(
  db: Db,
  agentId: string,
  filters: RangedFilters,
  range: DashboardRange,
  viewer: Viewer,
  now = Date.now(),
) {
  const agentFilters = { ...filters, team: [], agent: [agentId] };
  const interval = intervalFor(filters);
  const requests = await db
    .select({
      id: paymentRequests.id,
      orderNumber: paymentRequests.orderNumber,
      status: paymentRequests.status,
      amount: paymentRequests.amount,
      currency: paymentRequests.currency,
      channel: paymentRequests.channel,
      sentAt: paymentRequests.sentAt,
      closedAt: paymentRequests.closedAt,
    })
    .from(paymentRequests)
    .where(requestCondition(compileQuery(agentFilters, viewer), { range: 'sentAt', list: false }))
    .orderBy(desc(paymentRequests.sentAt))
    .limit(LATEST_REQUESTS);
  const { currencies, ...kpis } = await summaries(db, agentFilters, range, viewer, now);
  return {
    ...kpis,
    interval,
    series: await trend(db, agentFilters, viewer, now, currencies),
    requests,
  };
}
