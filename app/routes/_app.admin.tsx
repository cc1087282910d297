import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { NavLink, Outlet } from '@remix-run/react';
import { describeError, RouteError } from '../components/route-error';
import { requireViewer } from '../http/auth.server';
import adminStylesHref from '../styles/admin.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  return null;
}

const SECTIONS = [
  { to: '/admin', label: 'Overview', end: true },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/teams', label: 'Teams' },
  { to: '/admin/settings', label: 'Settings' },
  { to: '/admin/tokens', label: 'API tokens' },
  { to: '/admin/webhook', label: 'Webhook secret' },
  { to: '/admin/ingestion', label: 'Ingestion health' },
  { to: '/admin/audit', label: 'Audit log' },
];

export const meta: MetaFunction = ({ error }) =>
  error === undefined
    ? [{ title: 'Admin · Paylink Desk' }]
    : [{ title: `${describeError(error).title} · Paylink Desk` }];

/** The admin area: a section menu beside each section. Every section checks the admin role itself. */
export default function AdminLayout() {
  return (
    <div className="admin-layout">
      <nav aria-label="Admin sections" className="admin-subnav">
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.to}>
              <NavLink
                to={section.to}
                end={section.end}
                className={({ isActive }) => (isActive ? 'active' : undefined)}
              >
                {section.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="admin-content">
        <Outlet />
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteError backTo="/admin" backLabel="Back to the admin overview" />;
}
