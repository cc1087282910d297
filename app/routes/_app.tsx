import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData, useLocation, useNavigation, useRouteLoaderData } from '@remix-run/react';
import { type ReactNode, useEffect, useRef, useState } from 'react';
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
export async function loader({ request }: LoaderFunctionArgs) {
  const { viewer, mustChangePassword } = await requireSignedIn(request);
  return {
    viewer: { name: viewer.name, role: viewer.role },
    mustChangePassword,
    orgTimeZone: await getOrgTimeZone(getDb()),
  };
}

/**
 * On a phone the navigation and the account buttons fold behind a Menu button (a disclosure:
 * aria-expanded, Escape closes it and gives focus back to the button, any navigation closes it).
 * Until the page is hydrated, or without JavaScript, they stay unfolded and wrap instead.
 */
function useMenu() {
  const [open, setOpen] = useState(false);
  const [hydrated, setHydrated] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const location = useLocation();
  useEffect(() => setHydrated(true), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: closing on every navigation is the point
  useEffect(() => setOpen(false), [location.key]);
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  return { open, setOpen, hydrated, button };
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
    <main className="page page-narrow" id="main" tabIndex={-1}>
      {error}
    </main>
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
  const menu = useMenu();
  const panelClass = ['menu-panel', menu.hydrated ? 'foldable' : '', menu.open ? 'open' : ''].filter(Boolean).join(' ');
  return (
    <div className="shell">
      <header className="topbar">
        <div className="topbar-inner">
          <a href="/" className="brand">
            <img src="/favicon.svg" alt="" width={22} height={22} /> Paylink Desk
          </a>
          <button
            type="button"
            ref={menu.button}
            className="menu-button secondary small"
            aria-expanded={menu.open}
            aria-controls="main-menu"
            hidden={!menu.hydrated}
            onClick={() => menu.setOpen(!menu.open)}
          >
            <span aria-hidden="true">☰</span> Menu
          </button>
          <div className={panelClass} id="main-menu">
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
              <span className="who-name" title={viewer.name}>
                <bdi>{viewer.name}</bdi> <span className="muted">· {ROLE_LABELS[viewer.role]}</span>
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
        </div>
        <div className={navigation.state === 'loading' ? 'progress active' : 'progress'} aria-hidden="true" />
      </header>
      <main className="page" id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
