import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData, useNavigation } from '@remix-run/react';
import { getDb } from '../../db/client';
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
      <main className="page">
        <Outlet />
      </main>
    </div>
  );
}
