import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData, useNavigation, useRouteLoaderData } from '@remix-run/react';
import type { ReactNode } from 'react';
import { getDb } from '../../db/client';
import { describeError, RouteError } from '../components/route-error';
import type { Role } from '../domain/access';
import { ACCOUNT_PATH, NAV_ITEMS, ROLE_LABELS } from '../domain/navigation';
import { requireSignedIn } from '../http/auth.server';
import { getOrgTimeZone } from '../read/settings.server';

/**
 * The signed-in shell: navigation for the viewer's role. Child routes check role and scope
 * themselves, and send a person still on a temporary password to the account page; the shell
 * lets that page through and shows no navigation meanwhile.
 */
export function loader({ request }: LoaderFunctionArgs) {
  const { viewer, mustChangePassword } = requireSignedIn(request);
  return {
    viewer: { name: viewer.name, role: viewer.role },
    mustChangePassword,
    orgTimeZone: getOrgTimeZone(getDb()),
  };
}

export default function AppShell() {
  const { viewer, mustChangePassword } = useLoaderData<typeof loader>();
  return (
    <Shell viewer={viewer} mustChangePassword={mustChangePassword}>
      <Outlet />
    </Shell>
  );
}

/** An error below the shell (a page this role may not open, a lost connection) keeps the shell around it. */
export const meta: MetaFunction = ({ error }) =>
  error === undefined ? [] : [{ title: `${describeError(error).title} · Paylink Desk` }];

export function ErrorBoundary() {
  const shell = useRouteLoaderData<typeof loader>('routes/_app');
  const error = <RouteError />;
  return shell ? (
    <Shell viewer={shell.viewer} mustChangePassword={shell.mustChangePassword}>
      {error}
    </Shell>
  ) : (
    <main className="page page-narrow">{error}</main>
  );
}

function Shell({
  viewer,
  mustChangePassword,
  children,
}: {
  viewer: { name: string; role: Role };
  mustChangePassword: boolean;
  children: ReactNode;
}) {
  const navItems = mustChangePassword ? [] : NAV_ITEMS.filter((item) => item.roles.includes(viewer.role));
  const navigation = useNavigation();
  return (
    <div className="shell">
      <header className="topbar">
        <div className="topbar-inner">
          <a href="/" className="brand">
            <img src="/favicon.svg" alt="" width={22} height={22} /> Paylink Desk
          </a>
          {navItems.length > 0 ? (
            <nav aria-label="Main">
              <ul className="nav">
                {navItems.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to} className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}>
                      {item.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <div className="who">
            <span>
              {viewer.name} <span className="muted">· {ROLE_LABELS[viewer.role]}</span>
            </span>
            {mustChangePassword ? null : (
              <NavLink to={ACCOUNT_PATH} className="button secondary small">
                Account
              </NavLink>
            )}
            <Form method="post" action="/logout">
              <button type="submit" className="secondary small">
                Sign out
              </button>
            </Form>
          </div>
        </div>
        <div className={navigation.state === 'loading' ? 'progress active' : 'progress'} aria-hidden="true" />
      </header>
      <main className="page">{children}</main>
    </div>
  );
}
