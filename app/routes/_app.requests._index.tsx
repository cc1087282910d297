import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import {
  isRouteErrorResponse,
  Link,
  useLoaderData,
  useLocation,
  useNavigate,
  useNavigation,
  useRevalidator,
  useRouteError,
} from '@remix-run/react';
import type { SortingState } from '@tanstack/react-table';
import { useCallback } from 'react';
import { getDb } from '../../db/client';
import { LiveIndicator } from '../components/live-revalidation';
import { RequestsFilterForm } from '../components/requests-filter-form';
import { RequestsTable } from '../components/requests-table';
import { describeError, RouteError, refusalText } from '../components/route-error';
import { useLiveChanges } from '../components/use-live-changes';
import { useLocale } from '../components/use-locale';
import { formatCount } from '../domain/format';
import { requireViewer } from '../http/auth.server';
import { filterOptionsFromRequest } from '../http/filter-options.server';
import { filtersFromRequest } from '../http/filter-params.server';
import { singleParam } from '../lib/http.server';
import { pathSegment } from '../lib/path-segment';
import { timeZoneList } from '../lib/time-zone';
import { withParams } from '../read/dashboard-view';
import { listOptionsFromRequest } from '../read/request-list/options.server';
import { countPaymentRequests, listPaymentRequests } from '../read/request-list/request-list.server';
import stylesHref from '../styles/requests.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

const PAGE_SIZES = [25, 50, 100, 200] as const;

/**
 * The GET form sends every field, empty ones too, and currencies as typed ('usd, eur'): the
 * canonical URL keeps only what filters, so links stay short and shareable.
 */
function canonicalSearch(url: URL): string | null {
  const params = new URLSearchParams();
  for (const [key, value] of url.searchParams) {
    if (key === 'currency') {
      for (const code of value.split(/[\s,]+/).filter(Boolean)) params.append(key, code.toUpperCase());
    } else if (value.trim() !== '') params.append(key, value);
  }
  const search = params.toString();
  return search === url.searchParams.toString() ? null : search;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['supervisor', 'manager', 'admin']);
  const url = new URL(request.url);
  const canonical = canonicalSearch(url);
  if (canonical !== null) throw redirect(`${url.pathname}${canonical ? `?${canonical}` : ''}`);
  const filters = await filtersFromRequest(request);
  const options = listOptionsFromRequest(request);
  const db = getDb();
  const page = singleParam(url.searchParams, 'page', 'invalid_parameter') ?? '1';
  const pageNumber = Math.max(1, Math.min(1_000_000, Number.parseInt(page, 10) || 1));
  return {
    filters,
    options,
    pageNumber,
    page: await listPaymentRequests(db, filters, viewer, { ...options, signal: request.signal }),
    total: await countPaymentRequests(db, filters, viewer, request.signal),
    filterOptions: await filterOptionsFromRequest(db, request, viewer, filters),
    timeZones: timeZoneList(filters.tz),
    serverNow: Date.now(),
  };
}

/** '51–100 of 1,234 requests', '1–50 of more than 10,000 requests', 'No requests on page 3' (en; the reader's locale's digits). */
function shownRange(
  pageNumber: number,
  limit: number,
  rows: number,
  total: { count: number; more: boolean },
  locale: string,
): string {
  const count = (n: number) => formatCount(n, locale);
  if (rows === 0) return `No requests on page ${pageNumber}`;
  const first = (pageNumber - 1) * limit + 1;
  const of = total.more ? `more than ${count(total.count)}` : count(total.count);
  return `${count(first)}–${count(first + rows - 1)} of ${of} ${!total.more && total.count === 1 ? 'request' : 'requests'}`;
}

export const meta: MetaFunction = () => [{ title: 'Requests · Paylink Desk' }];

export default function RequestsExplorer() {
  const locale = useLocale();
  const { filters, options, pageNumber, page, total, filterOptions, timeZones, serverNow } =
    useLoaderData<typeof loader>();
  const location = useLocation();
  const navigate = useNavigate();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const refresh = useCallback(() => {
    if (revalidator.state === 'idle') revalidator.revalidate();
  }, [revalidator]);
  const live = useLiveChanges(refresh, 1000);

  const busy = navigation.state === 'loading' && navigation.location.pathname === '/requests';
  const sorting: SortingState = [{ id: options.sort, desc: options.order === 'desc' }];
  const sortHref = (next: SortingState) =>
    withParams(location.search, {
      sort: next[0]?.id ?? null,
      order: next[0]?.desc ? 'desc' : 'asc',
      cursor: null,
      page: null,
    });
  const pageHref = (cursor: string, number: number) =>
    withParams(location.search, { cursor, page: number > 1 ? String(number) : null });
  const narrowed =
    Boolean(filters.from || filters.to) ||
    [filters.status, filters.team, filters.agent, filters.channel, filters.currency].some((list) => list.length > 0);
  const filtered = Boolean(filters.q) || narrowed;

  return (
    <div className="requests-page">
      <div className="page-header">
        <div>
          <h1>Requests</h1>
          <p className="muted subtitle">
            Every payment request you can see{filters.from || filters.to ? ', sent in the chosen range' : ''}. Times in{' '}
            {filters.tz}.
          </p>
        </div>
        <LiveIndicator live={live} refreshHref={`/requests${location.search}`} />
      </div>

      <RequestsFilterForm
        key={location.search}
        filters={filters}
        keep={{ sort: options.sort, order: options.order, limit: options.limit }}
        options={filterOptions}
        timeZones={timeZones}
        pageSizes={PAGE_SIZES}
      />

      {page.rows.length === 0 ? (
        <div className="card empty" data-testid="empty">
          {filtered || options.cursor ? (
            <>
              <p>
                {filters.q
                  ? `No request${narrowed ? ' among these filters' : ''} has “${filters.q}” in its order number, request id or customer name.`
                  : 'No requests match these filters.'}
              </p>
              <Link to="/requests" className="button secondary">
                Clear filters
              </Link>
            </>
          ) : (
            <p>No payment requests yet. They appear here as soon as agents send them.</p>
          )}
        </div>
      ) : (
        <RequestsTable
          rows={page.rows}
          sorting={sorting}
          sortHref={sortHref}
          onSortingChange={(next) => navigate(sortHref(next))}
          timeZone={filters.tz}
          serverNow={serverNow}
          detailHref={(id) => `/requests/${pathSegment(id)}${location.search}`}
          busy={busy}
        />
      )}

      {page.rows.length === 0 && !page.prevCursor ? null : (
        <nav className="pager" aria-label="Pages">
          {page.prevCursor ? (
            <Link to={pageHref(page.prevCursor, pageNumber - 1)} className="button secondary" rel="prev">
              ← Previous
            </Link>
          ) : (
            <span className="button secondary disabled" aria-disabled="true">
              ← Previous
            </span>
          )}
          <span className="muted" data-testid="list-range">
            {shownRange(pageNumber, options.limit, page.rows.length, total, locale)}
          </span>
          {page.nextCursor ? (
            <Link to={pageHref(page.nextCursor, pageNumber + 1)} className="button secondary" rel="next">
              Next →
            </Link>
          ) : (
            <span className="button secondary disabled" aria-disabled="true">
              Next →
            </span>
          )}
        </nav>
      )}
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  // A page this role may not open, or a lost connection: the shared words and the role's way home.
  if (describeError(error).kind === 'forbidden' || describeError(error).kind === 'offline') return <RouteError />;
  let message = 'The list could not be loaded. Please try again.';
  if (isRouteErrorResponse(error)) message = refusalText(error.data) ?? message;
  return (
    <div className="requests-page">
      <h1>Requests</h1>
      <div className="card error-card" role="alert">
        <p>{message}</p>
        <Link to="/requests" className="button secondary">
          Start again
        </Link>
      </div>
    </div>
  );
}
