import { useState } from 'react';
import { ROLES, type Role } from '../../domain/access';
import { ROLE_LABELS } from '../../domain/navigation';
import { FieldError, invalidProps } from './admin-form';

export interface AccessDefaults {
  role: Role;
  teamIds: readonly string[];
  agentId: string | null;
}

interface Props {
  idPrefix: string;
  teams: readonly { id: string; name: string }[];
  /** The id of a <datalist> of known agents. */
  agentListId: string;
  defaults?: AccessDefaults;
  errors: Record<string, string>;
  /** Logins may name an agent not seen yet, created in the one team chosen; tokens may not. */
  allowNewAgent: boolean;
  /** The role cannot be changed (an admin editing themselves). */
  roleLocked?: boolean;
}

const ROLE_HINTS: Record<Role, string> = {
  agent: 'Sends links; sees only their own requests.',
  supervisor: 'Sees and manages the teams chosen below.',
  manager: 'Sees every team; exports and reports.',
  admin: 'Everything, including this admin area.',
};

/** Role, then the scope that role needs: teams for a supervisor, the agent identity for an agent. */
export function AccessFields({ idPrefix, teams, agentListId, defaults, errors, allowNewAgent, roleLocked }: Props) {
  const [role, setRole] = useState<Role>(defaults?.role ?? 'agent');
  const showTeams = role === 'supervisor' || (role === 'agent' && allowNewAgent);
  return (
    <>
      <label className="field">
        <span>Role</span>
        <select
          name="role"
          value={role}
          disabled={roleLocked}
          onChange={(event) => setRole(ROLES.find((value) => value === event.target.value) ?? 'agent')}
          {...invalidProps(errors, 'role', idPrefix)}
        >
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {ROLE_LABELS[value]}
            </option>
          ))}
        </select>
        {roleLocked ? <input type="hidden" name="role" value={role} /> : null}
        <span className="hint">{roleLocked ? 'You cannot change your own role.' : ROLE_HINTS[role]}</span>
        <FieldError errors={errors} name="role" idPrefix={idPrefix} />
      </label>
      {role === 'agent' ? (
        <label className="field">
          <span>Agent id</span>
          <input
            name="agentId"
            list={agentListId}
            defaultValue={defaults?.agentId ?? ''}
            autoComplete="off"
            placeholder="ag_17"
            {...invalidProps(errors, 'agentId', idPrefix)}
          />
          <span className="hint">The agent id their payment requests carry in events.</span>
          <FieldError errors={errors} name="agentId" idPrefix={idPrefix} />
        </label>
      ) : null}
      {showTeams ? (
        <fieldset className="field checkbox-list" {...invalidProps(errors, 'teamIds', idPrefix)}>
          <legend>{role === 'supervisor' ? 'Supervises' : 'Team (only for an agent id not seen yet)'}</legend>
          {teams.length === 0 ? <span className="muted">No teams yet.</span> : null}
          {teams.map((team) => (
            <label key={team.id} className="checkbox">
              <input
                type="checkbox"
                name="teamIds"
                value={team.id}
                defaultChecked={defaults?.teamIds.includes(team.id) && role === 'supervisor'}
              />
              {team.name} <span className="muted mono">{team.id}</span>
            </label>
          ))}
          <FieldError errors={errors} name="teamIds" idPrefix={idPrefix} />
        </fieldset>
      ) : null}
    </>
  );
}

export function AgentDatalist({
  id,
  agents,
}: {
  id: string;
  agents: readonly { id: string; name: string; teamName: string }[];
}) {
  return (
    <datalist id={id}>
      {agents.map((agent) => (
        <option key={agent.id} value={agent.id}>
          {agent.name} · {agent.teamName}
        </option>
      ))}
    </datalist>
  );
}
