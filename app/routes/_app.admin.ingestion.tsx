import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { getDb } from '../../db/client';
import { EventsPerMinute } from '../components/admin/events-per-minute';
import { LocalTime } from '../components/admin/local-time';
import { useLocale } from '../components/use-locale';
import { formatCount } from '../domain/format';
import { requireViewer } from '../http/auth.server';
import {
  getEventsPerMinute,
  getIngestionTotals,
  getOrphans,
  getRejectedEvents,
  getRejectionCodes,
  parseRejectedQuery,
} from '../read/ingestion-health.server';
import adminStylesHref from '../styles/admin.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  const db = getDb();
  const filter = parseRejectedQuery(new URL(request.url).searchParams);
  const now = Date.now();
  return {
    filter,
    totals: await getIngestionTotals(db, now),
    perMinute: await getEventsPerMinute(db, now),
    codes: await getRejectionCodes(db),
    rejected: await getRejectedEvents(db, filter),
    orphans: await getOrphans(db),
  };
}

export const meta: MetaFunction = () => [{ title: 'Ingestion health · Admin · Paylink Desk' }];

export default function AdminIngestion() {
  const locale = useLocale();
  const { filter, totals, perMinute, codes, rejected, orphans } = useLoaderData<typeof loader>();
  const olderHref = (before: number) =>
    `?${new URLSearchParams({ ...(filter.code ? { code: filter.code } : {}), before: String(before) })}`;
  return (
    <>
      <header className="page-header">
        <h1>Ingestion health</h1>
      </header>
      <dl className="stat-row">
        <div className="card stat">
          <dt>Events stored</dt>
          <dd>{formatCount(totals.events, locale)}</dd>
        </div>
        <div className="card stat">
          <dt>Last hour</dt>
          <dd>{formatCount(totals.eventsLastHour, locale)}</dd>
        </div>
        <div className="card stat">
          <dt>Payment requests</dt>
          <dd>{formatCount(totals.requests, locale)}</dd>
        </div>
        <div className={totals.rejectedLastDay ? 'card stat stat-bad' : 'card stat'}>
          <dt>Rejected (24 h / all)</dt>
          <dd>
            {formatCount(totals.rejectedLastDay, locale)} / {formatCount(totals.rejected, locale)}
          </dd>
        </div>
        <div className={orphans.requests ? 'card stat stat-warn' : 'card stat'}>
          <dt>Waiting for created</dt>
          <dd>
            {formatCount(orphans.requests, locale)}{' '}
            <span className="muted small-text">({formatCount(orphans.events, locale)} events)</span>
          </dd>
        </div>
      </dl>

      <section className="card admin-section" aria-labelledby="per-minute-heading">
        <h2 id="per-minute-heading">Events per minute, last hour</h2>
        <EventsPerMinute buckets={perMinute} />
      </section>

      <section className="admin-section" aria-labelledby="rejected-heading">
        <div className="section-head">
          <h2 id="rejected-heading">Rejected events</h2>
          <Form method="get" className="inline-form" aria-label="Filter rejected events">
            <label htmlFor="code-filter" className="muted">
              Code
            </label>
            <select id="code-filter" name="code" defaultValue={filter.code ?? ''} key={filter.code ?? ''}>
              <option value="">All codes</option>
              {codes.map(({ code, n }) => (
                <option key={code} value={code}>
                  {code} ({formatCount(n, locale)})
                </option>
              ))}
            </select>
            <button type="submit" className="secondary small">
              Filter
            </button>
          </Form>
        </div>
        {rejected.rows.length === 0 ? (
          <p className="card empty">
            {filter.code ? `No rejected events with code ${filter.code}.` : 'No rejected events.'}
          </p>
        ) : (
          <div className="table-card scroll-x">
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: on a phone the table scrolls sideways; a keyboard must reach it (axe scrollable-region-focusable) */}
            <table tabIndex={0} className="stack-rows">
              <thead>
                <tr>
                  <th>Received</th>
                  <th>Event id</th>
                  <th>Code and path</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {rejected.rows.map((row) => (
                  <tr key={row.seq}>
                    <td className="nowrap">
                      <LocalTime ms={row.receivedAt} />
                      <div className="muted small-text">via {row.source}</div>
                    </td>
                    <td className="mono" data-label="Event id">
                      {row.eventId ?? <span className="muted">none</span>}
                    </td>
                    <td data-label="Code and path">
                      <span className="badge badge-bad mono">{row.code}</span>
                      {row.path ? <div className="mono small-text">{row.path}</div> : null}
                    </td>
                    <td className="message-cell" data-label="Message">
                      {row.message}
                      <details className="raw">
                        <summary>Raw body</summary>
                        {/* Stored masked (SPEC §1): card numbers are down to their last four digits. */}
                        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a long body scrolls in its box (at most 240 px high); a keyboard must reach it (axe scrollable-region-focusable) */}
                        <pre tabIndex={0}>{row.raw}</pre>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="pager" aria-label="Rejected events pages">
          {filter.before ? (
            <Link to={filter.code ? `?code=${encodeURIComponent(filter.code)}` : '?'}>Newest</Link>
          ) : null}
          {rejected.nextBefore ? <Link to={olderHref(rejected.nextBefore)}>Older →</Link> : null}
        </nav>
      </section>

      <section className="admin-section" aria-labelledby="orphans-heading">
        <h2 id="orphans-heading">Waiting for created</h2>
        <p className="muted">
          Events of requests whose <code>payment_request.created</code> has not arrived. They are kept and applied when
          it does.
        </p>
        {orphans.rows.length === 0 ? (
          <p className="card empty">No events are waiting.</p>
        ) : (
          <div className="table-card">
            <table className="stack-rows">
              <thead>
                <tr>
                  <th>Request id</th>
                  <th className="num">Events</th>
                  <th>First received</th>
                  <th>Last received</th>
                </tr>
              </thead>
              <tbody>
                {orphans.rows.map((row) => (
                  <tr key={row.requestId}>
                    <td className="mono">{row.requestId}</td>
                    <td className="num" data-label="Events">
                      {formatCount(row.events, locale)}
                    </td>
                    <td data-label="First received">
                      <LocalTime ms={row.firstReceivedAt} />
                    </td>
                    <td data-label="Last received">
                      <LocalTime ms={row.lastReceivedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {orphans.requests > orphans.rows.length ? (
              <p className="muted table-note">
                Showing the {orphans.rows.length} most recent of {formatCount(orphans.requests, locale)}.
              </p>
            ) : null}
          </div>
        )}
      </section>
    </>
  );
}
