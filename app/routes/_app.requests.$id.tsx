import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import {
  isRouteErrorResponse,
  Link,
  useLoaderData,
  useLocation,
  useParams,
  useRevalidator,
  useRouteError,
} from '@remix-run/react';
import { useCallback } from 'react';
import { getDb } from '../../db/client';
import { LiveIndicator } from '../components/live-revalidation';
import { RequestTimeline } from '../components/request-timeline';
import { describeError, RouteError } from '../components/route-error';
import { StatusBadge } from '../components/status-badge';
import { TimeLeft, useServerClock } from '../components/time-left';
import { type LiveChange, useLiveChanges } from '../components/use-live-changes';
import { useLocale } from '../components/use-locale';
import { canSee } from '../domain/access';
import { formatCount, formatDateTime, formatMoney } from '../domain/format';
import { CHANNEL_LABELS, isTerminal } from '../domain/lifecycle';
import { requireViewer } from '../http/auth.server';
import { filtersFromRequest } from '../http/filter-params.server';
import { getPaymentRequestRow, getPaymentRequestWithTimeline } from '../read/payment-request.server';
import stylesHref from '../styles/requests.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request);
  const { tz } = await filtersFromRequest(request);
  const db = getDb();
  const row = await getPaymentRequestRow(db, params.id ?? '');
  // Outside the viewer's scope looks exactly like a request that does not exist (SPEC §5).
  if (!row || !canSee(viewer, row))
    throw new Response('There is no payment request with this id that you may see.', {
      status: 404,
      statusText: 'Not Found',
    });
  return {
    request: await getPaymentRequestWithTimeline(db, row),
    timeZone: tz,
    listHref: viewer.role === 'agent' ? '/agent' : '/requests',
    serverNow: Date.now(),
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.request.orderNumber} · Requests · Paylink Desk` : 'Request not found · Paylink Desk' },
];

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export default function RequestDetail() {
  const { request, timeZone, listHref, serverNow } = useLoaderData<typeof loader>();
  const location = useLocation();
  const revalidator = useRevalidator();
  const refresh = useCallback(
    (changes: LiveChange[]) => {
      if (changes.some((change) => change.requestId === request.id) && revalidator.state === 'idle')
        revalidator.revalidate();
    },
    [request.id, revalidator],
  );
  const live = useLiveChanges(refresh, 300);
  const now = useServerClock(serverNow);

  const locale = useLocale();
  const at = (iso: string | null) => formatDateTime(iso ? Date.parse(iso) : null, timeZone, locale);
  const expiresAt = request.expiresAt ? Date.parse(request.expiresAt) : null;
  const open = !isTerminal(request.status) && expiresAt !== null;
  const back = listHref === '/requests' ? `/requests${location.search}` : listHref;

  return (
    <div className="request-detail">
      <p className="crumbs">
        <Link to={back}>← {listHref === '/requests' ? 'Requests' : 'Console'}</Link>
      </p>
      <div className="page-header">
        <div>
          <h1>
            {request.orderNumber} <span className="muted heading-id mono">{request.id}</span>
          </h1>
          <div className="status-line">
            <StatusBadge status={request.status} />
            <span className="amount-large">{formatMoney(request.amount, request.currency, locale)}</span>
            {open && expiresAt !== null ? (
              <span className="muted">
                · <TimeLeft expiresAt={expiresAt} now={now} className="countdown" />
              </span>
            ) : null}
          </div>
        </div>
        <LiveIndicator live={live} refreshHref={location.pathname + location.search} />
      </div>

      <div className="detail-grid">
        <section className="card" aria-labelledby="details-heading">
          <h2 id="details-heading">Details</h2>
          <dl className="facts">
            <Fact label="Reason">
              <span dir="auto">{request.reason}</span>
            </Fact>
            <Fact label="Agent">
              <bdi>{request.agent.name}</bdi>{' '}
              <span className="muted">
                · <bdi>{request.team.name}</bdi>
              </span>
            </Fact>
            <Fact label="Channel">{CHANNEL_LABELS[request.channel] ?? request.channel}</Fact>
            <Fact label="Customer">
              {request.customer.name ? (
                <>
                  <bdi>{request.customer.name}</bdi> ·{' '}
                </>
              ) : null}
              <span className="mono">{request.customer.phone}</span>
            </Fact>
            <Fact label="Created">{at(request.createdAt)}</Fact>
            <Fact label="Sent">{at(request.sentAt)}</Fact>
            <Fact label="Opened">{at(request.openedAt)}</Fact>
            <Fact label="Paid">{at(request.paidAt)}</Fact>
            <Fact label="Closed">{at(request.closedAt)}</Fact>
            {open ? <Fact label="Expires">{at(request.expiresAt)}</Fact> : null}
            {request.sendFailures > 0 ? <Fact label="Failed sends">{request.sendFailures}</Fact> : null}
          </dl>
          <p className="muted small">Times in {timeZone}.</p>
        </section>

        <section className="card" aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">
            Timeline{' '}
            <span className="muted count">
              {formatCount(request.timeline.length, locale)} {request.timeline.length === 1 ? 'event' : 'events'}, in
              the order they happened
            </span>
          </h2>
          <RequestTimeline events={request.timeline} timeZone={timeZone} />
        </section>
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const params = useParams();
  // A page this role may not open, or a lost connection: the shared words and the role's way home.
  if (describeError(error).kind === 'forbidden' || describeError(error).kind === 'offline') return <RouteError />;
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <div className="request-detail">
      <p className="crumbs">
        <Link to="/requests">← Requests</Link>
      </p>
      <h1>{notFound ? 'Request not found' : 'Something went wrong'}</h1>
      <div className="card error-card" role="alert">
        <p>
          {notFound
            ? `There is no payment request “${params.id ?? ''}” that you may see.`
            : 'The request could not be loaded. Please try again.'}
        </p>
      </div>
    </div>
  );
}
