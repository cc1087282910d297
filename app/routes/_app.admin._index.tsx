import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { getDb } from '../../db/client';
import { LocalTime } from '../components/admin/local-time';
import { useLocale } from '../components/use-locale';
import { formatCount } from '../domain/format';
import { requireViewer } from '../http/auth.server';
import { getAdminOverview } from '../read/admin.server';
import { listAuditEntries } from '../read/audit-log.server';
import { getIngestionTotals, getOrphans } from '../read/ingestion-health.server';
import adminStylesHref from '../styles/admin.css';
import { getSettingsValues, getWebhookSecretStatus } from '../write/admin-settings.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  const db = getDb();
  const orphans = await getOrphans(db);
  return {
    overview: await getAdminOverview(db),
    settings: await getSettingsValues(db),
    webhook: await getWebhookSecretStatus(db),
    ingestion: { ...(await getIngestionTotals(db)), orphanRequests: orphans.requests },
    recent: (await listAuditEntries(db, {})).entries.slice(0, 5),
  };
}

export const meta: MetaFunction = () => [{ title: 'Admin · Paylink Desk' }];

function plural(n: number, one: string, many: string, locale: string): string {
  return `${formatCount(n, locale)} ${n === 1 ? one : many}`;
}

export default function AdminOverview() {
  const locale = useLocale();
  const { overview, settings, webhook, ingestion, recent } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="page-header">
        <h1>Administration</h1>
      </header>
      <div className="admin-cards">
        <section className="card" aria-labelledby="ov-users">
          <h2 id="ov-users">
            <Link to="users">Users</Link>
          </h2>
          <p className="big-number">{formatCount(overview.activeUsers, locale)}</p>
          <p className="muted">
            active · {formatCount(overview.inactiveUsers, locale)} deactivated ·{' '}
            {plural(overview.agentsWithoutLogin, 'agent', 'agents', locale)} without a login
          </p>
        </section>
        <section className="card" aria-labelledby="ov-teams">
          <h2 id="ov-teams">
            <Link to="teams">Teams</Link>
          </h2>
          <p className="big-number">{formatCount(overview.teams, locale)}</p>
        </section>
        <section className="card" aria-labelledby="ov-tokens">
          <h2 id="ov-tokens">
            <Link to="tokens">API tokens</Link>
          </h2>
          <p className="big-number">{formatCount(overview.activeTokens, locale)}</p>
          <p className="muted">active</p>
        </section>
        <section className="card" aria-labelledby="ov-settings">
          <h2 id="ov-settings">
            <Link to="settings">Settings</Link>
          </h2>
          <dl className="kv">
            <dt>Unopened link valid</dt>
            <dd>{settings.linkTtlUnopened} min</dd>
            <dt>Opened link valid</dt>
            <dd>{settings.linkTtlOpened} min</dd>
            <dt>Time zone</dt>
            <dd>{settings.orgTimezone}</dd>
            <dt>Currencies</dt>
            <dd>
              {settings.currencies.length ? settings.currencies.join(', ') : <span className="muted">not set</span>}
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="ov-webhook">
          <h2 id="ov-webhook">
            <Link to="webhook">Webhook secret</Link>
          </h2>
          {webhook.rotating ? (
            <p>
              <span className="badge badge-warn">Rotation under way</span> two secrets are valid.
            </p>
          ) : (
            <p>
              <span className="badge badge-ok">One secret</span> from the {webhook.source}.
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="ov-ingestion">
          <h2 id="ov-ingestion">
            <Link to="ingestion">Ingestion health</Link>
          </h2>
          <dl className="kv">
            <dt>Events in the last hour</dt>
            <dd>{formatCount(ingestion.eventsLastHour, locale)}</dd>
            <dt>Rejected in the last 24 h</dt>
            <dd className={ingestion.rejectedLastDay ? 'bad-text' : undefined}>
              {formatCount(ingestion.rejectedLastDay, locale)}
            </dd>
            <dt>Requests waiting for created</dt>
            <dd>{formatCount(ingestion.orphanRequests, locale)}</dd>
          </dl>
        </section>
      </div>
      <section className="card admin-card-wide" aria-labelledby="ov-audit">
        <h2 id="ov-audit">
          <Link to="audit">Recent audit entries</Link>
        </h2>
        {recent.length === 0 ? (
          <p className="empty">Nothing recorded yet.</p>
        ) : (
          <ul className="recent-audit">
            {recent.map((entry) => (
              <li key={entry.seq}>
                <LocalTime ms={entry.at} /> · <strong>{entry.actorName ?? 'system'}</strong>{' '}
                <span className="mono">{entry.action}</span>
                {entry.target ? <span className="muted mono"> {entry.target}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
