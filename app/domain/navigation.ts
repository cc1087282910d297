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
