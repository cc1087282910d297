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

/**
 * Whether everything a scope could see (`made`, a kept report's) is still inside `current`: a
 * file made under a wider scope than its owner has now is not theirs to read any more.
 */
export function scopeCovers(current: Scope, made: Scope): boolean {
  if (current.kind === 'all') return true;
  if (made.kind === 'all') return false;
  if (current.kind === 'teams') {
    return made.kind === 'teams' && made.teamIds.every((teamId) => current.teamIds.includes(teamId));
  }
  return made.kind === 'agent' && made.agentId !== null && made.agentId === current.agentId;
}
