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
