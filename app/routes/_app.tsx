import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData, useNavigation } from '@remix-run/react';
import { getDb } from '../../db/client';
import { NAV_ITEMS, ROLE_LABELS } from '../lib/navigation';
import { requireViewer } from '../services/auth.server';
import { getOrgTimeZone } from '../services/settings.server';

/** The signed-in shell: navigation for the viewer's role. Child routes check role and scope themselves. */
export function loader({ request }: LoaderFunctionArgs) {
  const viewer = requireViewer(request);
  return {
    viewer: { name: viewer.name, role: viewer.role },
    orgTimeZone: getOrgTimeZone(getDb()),
  };
}

export default function AppShell() {
  const { viewer } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  return (
    <div className="shell">
      <header className="topbar">
        <div className="topbar-inner">
          <a href="/" className="brand">
            <img src="/favicon.svg" alt="" width={22} height={22} /> Paylink Desk
          </a>
          <nav aria-label="Main">
            <ul className="nav">
              {NAV_ITEMS.filter((item) => item.roles.includes(viewer.role)).map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className="who">
            <span>
              {viewer.name} <span className="muted">· {ROLE_LABELS[viewer.role]}</span>
            </span>
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
