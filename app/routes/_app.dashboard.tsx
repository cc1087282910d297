import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import {
  type ShouldRevalidateFunction,
  useLoaderData,
  useLocation,
  useNavigate,
  useNavigation,
} from '@remix-run/react';
import type { SortingState } from '@tanstack/react-table';
import { getDb } from '../../db/client';
import { AgentLeaderboard } from '../components/agent-leaderboard';
import { DashboardFilters } from '../components/dashboard-filters';
import { DashboardMetrics } from '../components/dashboard-metrics';
import { LiveIndicator, useLiveRevalidation } from '../components/live-revalidation';
import { RouteError } from '../components/route-error';
import { requireViewer } from '../http/auth.server';
import { dashboardRequest } from '../http/dashboard-params.server';
import { getDashboard } from '../read/dashboard.server';
import { rangeDescription, withParams } from '../read/dashboard-view';
import { getReportFilterOptions } from '../read/reports.server';
import stylesHref from '../styles/dashboard.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['supervisor', 'manager', 'admin']);
  const view = await dashboardRequest(request);
  const db = getDb();
  return {
    ...view,
    ...(await getDashboard(db, view.filters, view.range, viewer)),
    options: await getReportFilterOptions(db, viewer),
  };
}

/** Re-sorting the leaderboard changes only `sort`/`order`: the rows are already here. */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  currentUrl,
  nextUrl,
  formMethod,
  defaultShouldRevalidate,
}) => {
  // Same URL: a revalidation (live updates) wants fresh data.
  if (formMethod || currentUrl.href === nextUrl.href || currentUrl.pathname !== nextUrl.pathname) {
    return defaultShouldRevalidate;
  }
  const strip = (url: URL) => {
    const params = new URLSearchParams(url.search);
    params.delete('sort');
    params.delete('order');
    return params.toString();
  };
  return strip(currentUrl) === strip(nextUrl) ? false : defaultShouldRevalidate;
};

export const meta: MetaFunction = () => [{ title: 'Dashboard · Paylink Desk' }];

export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  const { range, filters, summary, leaderboard, locale } = data;
  const location = useLocation();
  const busy = useNavigation().state === 'loading';
  const navigate = useNavigate();
  const live = useLiveRevalidation(filters);

  // The URL, not the loader, is the truth for sorting: a new sort skips the loader (shouldRevalidate).
  const params = new URLSearchParams(location.search);
  const sorting: SortingState = params.get('sort')
    ? [{ id: params.get('sort')!, desc: params.get('order') !== 'asc' }]
    : data.sorting;
  const sortHref = (next: SortingState) =>
    withParams(location.search, { sort: next[0]?.id ?? null, order: next[0]?.desc ? 'desc' : 'asc' });
  // The agent's page keeps the range and filters (and the sort, for the way back).
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
          <section className="card leaderboard-card" aria-labelledby="agents-title">
            <h2 id="agents-title">
              Agents <span className="muted small">{leaderboard.length}</span>
            </h2>
            {leaderboard.length === 0 ? (
              <p className="empty">No agent sent a link in this range.</p>
            ) : (
              <AgentLeaderboard
                rows={leaderboard}
                sorting={sorting}
                sortHref={sortHref}
                onSortingChange={(next) => navigate(sortHref(next), { replace: true, preventScrollReset: true })}
                agentHref={(agentId) =>
                  `/dashboard/agents/${encodeURIComponent(agentId)}${agentSearch === '?' ? '' : agentSearch}`
                }
                locale={locale}
              />
            )}
          </section>
        </>
      )}
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteError backTo="/dashboard" backLabel="Back to the dashboard" />;
}
