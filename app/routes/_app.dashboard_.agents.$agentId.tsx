import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useLocation, useNavigation } from '@remix-run/react';
import { getDb } from '../../db/client';
import { DashboardFilters } from '../components/dashboard-filters';
import { DashboardMetrics } from '../components/dashboard-metrics';
import { LiveIndicator, useLiveRevalidation } from '../components/live-revalidation';
import { ShortInstant } from '../components/requests-table';
import { RouteError } from '../components/route-error';
import { StatusBadge } from '../components/status-badge';
import { formatCount, formatMoney } from '../domain/format';
import { CHANNEL_LABELS } from '../domain/lifecycle';
import { requireViewer } from '../http/auth.server';
import { dashboardRequest } from '../http/dashboard-params.server';
import { pathSegment } from '../lib/path-segment';
import { getAgentDashboard, getVisibleAgent } from '../read/dashboard.server';
import { rangeDescription, withParams } from '../read/dashboard-view';
import stylesHref from '../styles/dashboard.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

/**
 * /dashboard/agents/:agentId (the file name's `dashboard_` keeps it out of the dashboard's layout:
 * a page of its own at that URL). An agent outside the viewer's scope answers 404 (SPEC §5).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['supervisor', 'manager', 'admin']);
  const db = getDb();
  const agent = await getVisibleAgent(db, params.agentId ?? '', viewer);
  if (!agent) throw new Response('No such agent in your teams.', { status: 404, statusText: 'Not Found' });
  const { range, filters, timeZones, locale } = await dashboardRequest(request);
  return {
    agent,
    range,
    filters,
    ...(await getAgentDashboard(db, agent.id, filters, range, viewer)),
    timeZones,
    locale,
    serverNow: Date.now(),
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.agent.name ?? 'Agent'} · Dashboard · Paylink Desk` },
];

export default function AgentDashboard() {
  const data = useLoaderData<typeof loader>();
  const { agent, range, filters, summary, requests, timeZones, locale, serverNow } = data;
  const location = useLocation();
  const busy = useNavigation().state === 'loading';
  const live = useLiveRevalidation({ team: [], agent: [agent.id] });
  const back = withParams(location.search, {});
  const path = `/dashboard/agents/${pathSegment(agent.id)}`;

  return (
    <div className={busy ? 'dashboard busy' : 'dashboard'} aria-busy={busy}>
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to={`/dashboard${back === '?' ? '' : back}`}>← Dashboard</Link>
      </nav>
      <div className="page-header">
        <div>
          <h1>{agent.name}</h1>
          <p className="muted subtitle">
            {agent.teamName} · links sent {rangeDescription(range, locale)} · times in {filters.tz}
          </p>
        </div>
        <LiveIndicator live={live} refreshHref={`${path}${location.search}`} />
      </div>

      <DashboardFilters
        key={location.search}
        action={path}
        range={range}
        filters={filters}
        options={{ teams: [], agents: [], agentCount: 0 }}
        timeZones={timeZones}
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
          <section className="card" aria-labelledby="requests-title">
            <h2 id="requests-title">
              Latest requests{' '}
              <span className="muted small" data-testid="latest-requests-count">
                {/* The list stops at 25: say so, against the links sent the cards count. */}
                {requests.length < summary.sent
                  ? `the ${formatCount(requests.length, locale)} newest of ${formatCount(summary.sent, locale)} sent in this range`
                  : 'sent in this range, newest first'}
              </span>
            </h2>
            {requests.length === 0 ? (
              <p className="empty">No requests sent in this range.</p>
            ) : (
              <div className="dash-scroll">
                <table className="agent-requests" data-testid="agent-requests">
                  <thead>
                    <tr>
                      <th scope="col">Order</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">
                        Amount
                      </th>
                      <th scope="col">Channel</th>
                      <th scope="col">Sent</th>
                      <th scope="col">Closed</th>
                    </tr>
                  </thead>
                  <tbody>
                    {requests.map((request) => (
                      <tr key={request.id}>
                        <td>
                          <Link to={`/requests/${pathSegment(request.id)}`}>{request.orderNumber}</Link>
                          <div className="mono muted small">{request.id}</div>
                        </td>
                        <td>
                          <StatusBadge status={request.status} />
                        </td>
                        <td className="num">{formatMoney(request.amount, request.currency, locale)}</td>
                        <td>{CHANNEL_LABELS[request.channel] ?? request.channel}</td>
                        {/* As the request list writes them: '6 Dec, 16:36', the full instant on hover. */}
                        {(['sentAt', 'closedAt'] as const).map((key) => (
                          <td key={key}>
                            <ShortInstant
                              epochMs={request[key]}
                              timeZone={filters.tz}
                              now={serverNow}
                              locale={locale}
                            />
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <p className="small">
              <Link
                to={`/requests?agent=${encodeURIComponent(agent.id)}&from=${range.from}&to=${range.to}&tz=${encodeURIComponent(filters.tz)}`}
              >
                All of {agent.name}’s requests in the explorer →
              </Link>
            </p>
          </section>
        </>
      )}
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteError backTo="/dashboard" backLabel="Back to the dashboard" />;
}
