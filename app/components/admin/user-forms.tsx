import { useFetcher } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
import type { Role } from '../../domain/access';
import { ROLE_LABELS } from '../../domain/navigation';
import { useFocusFirstInvalid } from '../use-focus-first-invalid';
import { AccessFields } from './access-fields';
import {
  type ClientOutcome,
  errorsOf,
  FieldError,
  invalidProps,
  OutcomeMessage,
  ShownOnce,
  useSuccessCount,
} from './admin-form';
import { LocalTime } from './local-time';
import { TemporaryPasswordBadge, type TemporaryPasswordState, ValidUntil } from './temporary-password';

type TeamOption = { id: string; name: string };

export interface InvitePrefill {
  agentId: string;
  name: string;
}

interface InviteProps {
  teams: TeamOption[];
  agentListId: string;
  prefill: InvitePrefill | null;
}

/**
 * The invite form in a card that opens when an agent's Invite link pre-fills it. It stays mounted
 * across revalidation: its fetcher holds the temporary password, shown once.
 */
export function InviteCard(props: InviteProps) {
  const prefillId = props.prefill?.agentId;
  const [open, setOpen] = useState(Boolean(prefillId));
  useEffect(() => {
    if (prefillId) setOpen(true);
  }, [prefillId]);
  return (
    <details
      className="card invite-card"
      id="invite"
      open={open}
      onToggle={(event) => setOpen(event.currentTarget.open)}
    >
      <summary>
        <h2>Invite a user</h2>
      </summary>
      <InviteForm {...props} />
    </details>
  );
}

function InviteForm({ teams, agentListId, prefill }: InviteProps) {
  const fetcher = useFetcher<ClientOutcome>();
  const successes = useSuccessCount(fetcher);
  const outcome = fetcher.data;
  const errors = errorsOf(outcome);
  const busy = fetcher.state !== 'idle';
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, outcome);
  return (
    <div className="invite">
      <OutcomeMessage outcome={outcome} />
      {outcome?.ok && outcome.temporaryPassword ? (
        <ShownOnce label="Temporary password" value={outcome.temporaryPassword}>
          <ValidUntil expiresAt={outcome.expiresAt} />
          Hand it to the person over a trusted channel; they sign in with their email and this password, then choose
          their own. An admin can issue a new one from the users list.
        </ShownOnce>
      ) : null}
      {/* Keyed by the pre-filled agent so the defaults apply; the fetcher (and its answer) lives above. */}
      <fetcher.Form
        method="post"
        className="form-grid"
        noValidate
        key={`${prefill?.agentId ?? 'blank'}-${successes}`}
        ref={form}
      >
        <input type="hidden" name="intent" value="invite" />
        <label className="field">
          <span>Name</span>
          <input
            name="name"
            defaultValue={prefill?.name}
            required
            autoComplete="off"
            {...invalidProps(errors, 'name', 'invite')}
          />
          <FieldError errors={errors} name="name" idPrefix="invite" />
        </label>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" required autoComplete="off" {...invalidProps(errors, 'email', 'invite')} />
          <FieldError errors={errors} name="email" idPrefix="invite" />
        </label>
        <AccessFields
          idPrefix="invite"
          teams={teams}
          agentListId={agentListId}
          defaults={prefill ? { role: 'agent', teamIds: [], agentId: prefill.agentId } : undefined}
          errors={errors}
          allowNewAgent
        />
        <div className="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Inviting…' : 'Invite'}
          </button>
        </div>
      </fetcher.Form>
    </div>
  );
}

interface UserRowProps {
  user: {
    id: string;
    name: string;
    email: string | null;
    role: Role;
    agentId: string | null;
    agentName: string | null;
    /** An agent's team comes from events, not from the teams an admin assigns. */
    agentTeamName: string | null;
    active: boolean;
    lastLoginAt: number | null;
    teams: TeamOption[];
    temporaryPassword: TemporaryPasswordState | null;
  };
  isSelf: boolean;
  teams: TeamOption[];
  agentListId: string;
}

/** The table's column count, for the row under a person that shows their new temporary password. */
const USER_COLUMNS = 8;

/** An email that may wrap after its @ (and nowhere else) when the table is short of room. */
function BreakableEmail({ email }: { email: string }) {
  const at = email.lastIndexOf('@');
  if (at < 0) return <>{email}</>;
  return (
    <>
      {email.slice(0, at + 1)}
      <wbr />
      {email.slice(at + 1)}
    </>
  );
}

export function UserRow({ user, isSelf, teams, agentListId }: UserRowProps) {
  // The status cell's "Issue new password": its answer (the password, shown once) gets a row of its own.
  const reissue = useFetcher<ClientOutcome>();
  const canReissue = user.temporaryPassword !== null && user.active && !isSelf;
  return (
    <>
      <tr className={user.active ? undefined : 'inactive'} data-user-id={user.id}>
        <td>
          <strong>{user.name}</strong>
          {isSelf ? <span className="muted"> (you)</span> : null}
        </td>
        <td className="email" data-label="Email">
          {user.email ? <BreakableEmail email={user.email} /> : null}
        </td>
        <td data-label="Role">
          <span className={`badge role-${user.role}`}>{ROLE_LABELS[user.role]}</span>
        </td>
        <td data-label="Teams">
          {user.teams.length ? (
            user.teams.map((team) => team.name).join(', ')
          ) : user.agentTeamName ? (
            <span title="The agent's team in events">{user.agentTeamName}</span>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td data-label="Linked agent">
          {user.agentId ? (
            <>
              {user.agentName ?? user.agentId} <span className="muted mono">{user.agentId}</span>
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td data-label="Status">
          <div className="status-stack">
            {user.active ? (
              <span className="badge badge-ok">Active</span>
            ) : (
              <span className="badge badge-off">Deactivated</span>
            )}
            {user.temporaryPassword ? <TemporaryPasswordBadge state={user.temporaryPassword} /> : null}
            {canReissue ? (
              <reissue.Form method="post">
                <input type="hidden" name="intent" value="reset_password" />
                <input type="hidden" name="userId" value={user.id} />
                <button
                  type="submit"
                  className="secondary small"
                  aria-label={`Issue new password for ${user.name}`}
                  disabled={reissue.state !== 'idle'}
                >
                  Issue new password
                </button>
              </reissue.Form>
            ) : null}
          </div>
        </td>
        <td data-label="Last sign-in">
          <LocalTime ms={user.lastLoginAt} fallback="Never" />
        </td>
        <td className="actions">
          <details className="row-menu">
            <summary className="button secondary small">Manage</summary>
            <div className="row-menu-panel card">
              <AccessForm user={user} isSelf={isSelf} teams={teams} agentListId={agentListId} />
              {isSelf ? (
                <p className="muted small-text">You cannot deactivate yourself or reset your own password here.</p>
              ) : (
                <>
                  <PasswordReset userId={user.id} active={user.active} />
                  <ActiveToggle userId={user.id} active={user.active} />
                </>
              )}
            </div>
          </details>
        </td>
      </tr>
      {reissue.data ? (
        <tr className="reissue-row">
          <td colSpan={USER_COLUMNS}>
            {reissue.data.ok && reissue.data.temporaryPassword ? (
              <ShownOnce label={`New temporary password for ${user.name}`} value={reissue.data.temporaryPassword}>
                <ValidUntil expiresAt={reissue.data.expiresAt} />
                Their sessions have ended. They choose their own password when they next sign in.
              </ShownOnce>
            ) : (
              <OutcomeMessage outcome={reissue.data} />
            )}
          </td>
        </tr>
      ) : null}
    </>
  );
}

function AccessForm({ user, isSelf, teams, agentListId }: Omit<UserRowProps, 'user'> & { user: UserRowProps['user'] }) {
  const fetcher = useFetcher<ClientOutcome>();
  const errors = errorsOf(fetcher.data);
  const idPrefix = `access-${user.id}`;
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, fetcher.data);
  return (
    <fetcher.Form method="post" className="stack" noValidate aria-label={`Access of ${user.name}`} ref={form}>
      <h3>Access</h3>
      <input type="hidden" name="intent" value="update_access" />
      <input type="hidden" name="userId" value={user.id} />
      <OutcomeMessage outcome={fetcher.data} />
      <AccessFields
        idPrefix={idPrefix}
        teams={teams}
        agentListId={agentListId}
        defaults={{ role: user.role, teamIds: user.teams.map((team) => team.id), agentId: user.agentId }}
        errors={errors}
        allowNewAgent
        roleLocked={isSelf}
      />
      <div>
        <button type="submit" className="small" disabled={fetcher.state !== 'idle'}>
          Save access
        </button>
      </div>
    </fetcher.Form>
  );
}

function PasswordReset({ userId, active }: { userId: string; active: boolean }) {
  const fetcher = useFetcher<ClientOutcome>();
  const outcome = fetcher.data;
  return (
    <fetcher.Form method="post" className="stack row-menu-section">
      <input type="hidden" name="intent" value="reset_password" />
      <input type="hidden" name="userId" value={userId} />
      {outcome?.ok && outcome.temporaryPassword ? (
        <ShownOnce label="New temporary password" value={outcome.temporaryPassword}>
          <ValidUntil expiresAt={outcome.expiresAt} />
          Their sessions have ended. They choose their own password when they next sign in.
        </ShownOnce>
      ) : (
        <OutcomeMessage outcome={outcome} />
      )}
      <div>
        <button type="submit" className="secondary small" disabled={!active || fetcher.state !== 'idle'}>
          Reset password
        </button>
      </div>
    </fetcher.Form>
  );
}

function ActiveToggle({ userId, active }: { userId: string; active: boolean }) {
  const fetcher = useFetcher<ClientOutcome>();
  return (
    <fetcher.Form method="post" className="stack row-menu-section">
      <input type="hidden" name="intent" value={active ? 'deactivate' : 'reactivate'} />
      <input type="hidden" name="userId" value={userId} />
      <OutcomeMessage outcome={fetcher.data} />
      <div>
        <button type="submit" className={active ? 'danger small' : 'small'} disabled={fetcher.state !== 'idle'}>
          {active ? 'Deactivate' : 'Reactivate'}
        </button>
      </div>
      {active ? <span className="hint">Deactivating signs them out everywhere at once.</span> : null}
    </fetcher.Form>
  );
}
