import type { Role } from './access';

export interface NavItem {
  to: string;
  label: string;
  roles: readonly Role[];
}

/** Where every person changes their password (and is sent while an admin's temporary one is in use). */
export const ACCOUNT_PATH = '/account';

export const NAV_ITEMS: readonly NavItem[] = [
  { to: '/agent', label: 'Console', roles: ['agent'] },
  { to: '/dashboard', label: 'Dashboard', roles: ['supervisor', 'manager', 'admin'] },
  { to: '/requests', label: 'Requests', roles: ['supervisor', 'manager', 'admin'] },
  { to: '/reports', label: 'Reports', roles: ['supervisor', 'manager', 'admin'] },
  { to: '/admin', label: 'Admin', roles: ['admin'] },
];

export const ROLE_LABELS: Record<Role, string> = {
  agent: 'Agent',
  supervisor: 'Supervisor',
  manager: 'Manager',
  admin: 'Administrator',
};

const SAME_SITE_BASE = 'http://same-site.invalid';

/**
 * A path on this site to go to after signing in, else the fallback: never an open redirect.
 * Browsers read `/\evil.example`, `/<tab>/evil.example` and `/.//evil.example` as `//evil.example`
 * (another host), so the target is parsed as a browser would and kept only when it stays on our
 * origin and its normalized path does not itself start with `//`.
 */
export function safeRedirectPath(to: string | null | undefined, fallback: string): string {
  if (!to?.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return fallback;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return fallback;
  let url: URL;
  try {
    url = new URL(to, SAME_SITE_BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== SAME_SITE_BASE || url.pathname.startsWith('//')) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Where each role lands after signing in (SPEC §6: `/` redirects by role), and the way home from an error. */
export const HOME_BY_ROLE: Record<Role, string> = {
  agent: '/agent',
  supervisor: '/dashboard',
  manager: '/dashboard',
  admin: '/admin',
};

export const HOME_LABEL_BY_ROLE: Record<Role, string> = {
  agent: 'Back to your console',
  supervisor: 'Back to the dashboard',
  manager: 'Back to the dashboard',
  admin: 'Back to Admin',
};

/** Whether a page of the app is one this role may open (by the navigation's sections). */
export function roleMayOpen(role: Role, path: string): boolean {
  if (path === ACCOUNT_PATH) return true;
  const item = NAV_ITEMS.find((entry) => path === entry.to || path.startsWith(`${entry.to}/`));
  return item ? item.roles.includes(role) : false;
}
