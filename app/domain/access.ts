export const ROLES = ['agent', 'supervisor', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Scope =
  | { kind: 'all' }
  | { kind: 'teams'; teamIds: readonly string[] }
  | { kind: 'agent'; agentId: string | null };

export interface Viewer {
  userId: string;
  name: string;
  role: Role;
  scope: Scope;
}

export function scopeFor(role: Role, teamIds: readonly string[], agentId: string | null): Scope {
  switch (role) {
    case 'admin':
    case 'manager':
      return { kind: 'all' };
    case 'supervisor':
      return { kind: 'teams', teamIds };
    case 'agent':
      return { kind: 'agent', agentId };
  }
}

/** Whether a request owned by this agent and team is inside the viewer's scope (SPEC §5). */
export function canSee(viewer: Viewer, owner: { agentId: string; teamId: string }): boolean {
  const { scope } = viewer;
  switch (scope.kind) {
    case 'all':
      return true;
    case 'teams':
      return scope.teamIds.includes(owner.teamId);
    case 'agent':
      return scope.agentId !== null && scope.agentId === owner.agentId;
  }
}

/** Who may export (SPEC §5): supervisors their teams, managers and admins everything. */
export const EXPORT_ROLES: readonly Role[] = ['supervisor', 'manager', 'admin'];
