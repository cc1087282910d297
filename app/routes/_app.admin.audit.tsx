import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { getDb } from '../../db/client';
import { LocalTime } from '../components/admin/local-time';
import { DateField } from '../components/date-field';
import { errorAria, FieldError } from '../components/field-error';
import { AUDIT_ACTIONS } from '../domain/audit';
import { requireViewer } from '../http/auth.server';
import { listActorNames, listAuditEntries, parseAuditQuery } from '../read/audit-log.server';
import { filterRange } from '../read/filters';
import { getOrgTimeZone } from '../read/settings.server';
import adminStylesHref from '../styles/admin.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  const db = getDb();
  const tz = await getOrgTimeZone(db);
  const { values, errors } = parseAuditQuery(new URL(request.url).searchParams);
  const { start, end } = filterRange({ from: values.from, to: values.to, tz });
  const page = await listAuditEntries(db, {
    action: values.action,
    actor: values.actor,
    start,
    end,
    before: values.before,
  });
  return { filter: values, errors, tz, actions: AUDIT_ACTIONS, actors: await listActorNames(db), ...page };
}

export const meta: MetaFunction = () => [{ title: 'Audit log · Admin · Paylink Desk' }];

function detailsText(details: Record<string, unknown>): string | null {
  return Object.keys(details).length ? JSON.stringify(details) : null;
}

export default function AdminAudit() {
  const { filter, errors, tz, actions, actors, entries, nextBefore } = useLoaderData<typeof loader>();
  const baseParams = new URLSearchParams();
  for (const key of ['action', 'actor', 'from', 'to'] as const)
    if (filter[key]) baseParams.set(key, String(filter[key]));
  const olderParams = new URLSearchParams(baseParams);
  if (nextBefore) olderParams.set('before', String(nextBefore));
  const filtered = baseParams.toString() !== '';
  return (
    <>
      <header className="page-header">
        <h1>Audit log</h1>
      </header>
      <Form method="get" className="card filter-bar" aria-label="Filter the audit log" key={baseParams.toString()}>
        <label className="field">
          <span>Action</span>
          <select name="action" defaultValue={filter.action ?? ''} {...errorAria('audit-action-error', errors.action)}>
            <option value="">All actions</option>
            {actions.map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
          <FieldError id="audit-action-error" error={errors.action} />
        </label>
        <label className="field">
          <span>Actor</span>
          <input
            name="actor"
            list="audit-actors"
            defaultValue={filter.actor ?? ''}
            placeholder="Name or user id"
            {...errorAria('audit-actor-error', errors.actor)}
          />
          <datalist id="audit-actors">
            {actors.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <FieldError id="audit-actor-error" error={errors.actor} />
        </label>
        <DateField label="From" name="from" defaultValue={filter.from ?? ''} error={errors.from} />
        <DateField label="To" name="to" defaultValue={filter.to ?? ''} error={errors.to} />
        <div className="filter-actions">
          <button type="submit">Filter</button>
          {filtered ? (
            <Link to="." className="button secondary">
              Clear
            </Link>
          ) : null}
        </div>
        <p className="hint filter-note">Dates are days in {tz}. Newest first.</p>
      </Form>
      {entries.length === 0 ? (
        <p className="card empty">{filtered ? 'No entries match these filters.' : 'Nothing recorded yet.'}</p>
      ) : (
        <div className="table-card scroll-x">
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a narrow window scrolls the table sideways (on a phone each entry is a card), and a keyboard must be able to reach and scroll it (axe scrollable-region-focusable) */}
          <table className="audit-table stack-rows" tabIndex={0} aria-label="Audit log entries">
            <thead>
              <tr>
                <th>Time</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Details</th>
                <th>Address</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => {
                const details = detailsText(entry.details);
                return (
                  <tr key={entry.seq}>
                    <td className="nowrap">
                      <LocalTime ms={entry.at} />
                    </td>
                    <td data-label="Actor">{entry.actorName ?? <span className="muted">system</span>}</td>
                    <td data-label="Action">
                      <span className={`badge audit-${entry.action}`}>{entry.action}</span>
                    </td>
                    <td className="mono" data-label="Target">
                      {entry.target ?? ''}
                    </td>
                    <td className="details-cell" data-label="Details">
                      {details ? <code>{details}</code> : null}
                    </td>
                    <td className="mono" data-label="Address">
                      {entry.ip ?? ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Audit log pages">
        {filter.before ? <Link to={`?${baseParams}`}>Newest</Link> : null}
        {nextBefore ? <Link to={`?${olderParams}`}>Older →</Link> : null}
      </nav>
    </>
  );
}
