import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData, useLocation, useNavigate, useNavigation } from '@remix-run/react';
import type { SortingState } from '@tanstack/react-table';
import { getDb } from '../../db/client';
import { AgentLeaderboard, LeaderboardPager } from '../components/agent-leaderboard';
import { DashboardFilters } from '../components/dashboard-filters';
import { DashboardMetrics } from '../components/dashboard-metrics';
import { LiveIndicator, useLiveRevalidation } from '../components/live-revalidation';
import { RouteError } from '../components/route-error';
import { formatCount } from '../domain/format';
import { requireViewer } from '../http/auth.server';
import { dashboardRequest } from '../http/dashboard-params.server';
import { filterOptionsFromRequest } from '../http/filter-options.server';
import { pathSegment } from '../lib/path-segment';
import { getDashboard } from '../read/dashboard.server';
import { rangeDescription, withParams } from '../read/dashboard-view';
import { AGENTS_PAGE_PARAM } from '../read/leaderboard-order';
import stylesHref from '../styles/dashboard.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['supervisor', 'manager', 'admin']);
  const view = await dashboardRequest(request);
  const db = getDb();
  return {
    ...view,
    ...(await getDashboard(db, view.filters, view.range, viewer, Date.now(), view.leaderboard)),
    options: await filterOptionsFromRequest(db, request, viewer, view.filters),
  };
}

export const meta: MetaFunction = () => [{ title: 'Dashboard · Paylink Desk' }];

export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  const { range, filters, summary, leaderboard, leaderboardPage, locale } = data;
  const location = useLocation();
  const busy = useNavigation().state === 'loading';
  const navigate = useNavigate();
  const live = useLiveRevalidation(filters);

  // The server sorts and pages the agents: a new sort starts again at the first page.
  const sortHref = (next: SortingState) =>
    withParams(location.search, {
      sort: next[0]?.id ?? null,
      order: next[0]?.desc ? 'desc' : 'asc',
      [AGENTS_PAGE_PARAM]: null,
    });
  // To the card's top (its id), not the page's: the new rows are read from their first.
  const pageHref = (page: number) =>
    `${withParams(location.search, { [AGENTS_PAGE_PARAM]: page > 1 ? String(page) : null })}#agents`;
  // The agent's page keeps the range and filters (and the sort and page, for the way back).
  const agentSearch = withParams(location.search, { agent: null, team: null });

  return (
    <div className={busy ? 'dashboard busy' : 'dashboard'} aria-busy={busy}>
      <div className="page-header">
        <div>
          <h1>Dashboard</h1>
          <p className="muted subtitle">
            Links sent {rangeDescription(range, locale)} · times in {filters.tz}
          </p>
        </div>
        <LiveIndicator live={live} refreshHref={`/dashboard${location.search}`} />
      </div>

      <DashboardFilters
        key={location.search}
        action="/dashboard"
        range={range}
        filters={filters}
        options={data.options}
        timeZones={data.timeZones}
        search={location.search}
      />

      {summary.sent === 0 && summary.sendFailures === 0 ? (
        <div className="card empty" data-testid="empty">
          <p>No links sent in this range.</p>
          <p className="muted small">Try a longer range or fewer filters.</p>
        </div>
      ) : (
        <>
          <DashboardMetrics metrics={data} timeZone={filters.tz} locale={locale} />
          <section id="agents" className="card leaderboard-card" aria-labelledby="agents-title">
            <h2 id="agents-title">
              Agents <span className="muted small">{formatCount(leaderboardPage.total, locale)}</span>
            </h2>
            {leaderboardPage.total === 0 ? (
              <p className="empty">No agent sent a link in this range.</p>
            ) : (
              <AgentLeaderboard
                rows={leaderboard}
                sorting={data.sorting}
                sortHref={sortHref}
                onSortingChange={(next) => navigate(sortHref(next), { replace: true, preventScrollReset: true })}
                agentHref={(agentId) =>
                  `/dashboard/agents/${pathSegment(agentId)}${agentSearch === '?' ? '' : agentSearch}`
                }
                locale={locale}
              />
            )}
            <LeaderboardPager shown={leaderboard.length} {...leaderboardPage} pageHref={pageHref} locale={locale} />
          </section>
        </>
      )}
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteError backTo="/dashboard" backLabel="Back to the dashboard" />;
}
