import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { getDb } from '../../db/client';
import { AgentDatalist } from '../components/admin/access-fields';
import { LocalTime } from '../components/admin/local-time';
import { InviteCard, UserRow } from '../components/admin/user-forms';
import { useLocale } from '../components/use-locale';
import { formatCount } from '../domain/format';
import { clientIp, requireViewer } from '../http/auth.server';
import { formToObject, outcomeResponse, unknownIntent } from '../lib/form.server';
import { readForm, singleParam } from '../lib/http.server';
import {
  countAgentsWithoutLogin,
  listAgentOptions,
  listAgentsWithoutLogin,
  listTeamOptions,
  listUsers,
} from '../read/admin.server';
import adminStylesHref from '../styles/admin.css';
import { inviteUser, resetUserPassword, setUserActive, updateUserAccess } from '../write/admin.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const db = getDb();
  const inviteId = singleParam(new URL(request.url).searchParams, 'invite', 'invalid_parameter');
  // Any agent without a login, listed or not (the list is the first 200 by name).
  const [prefill] = inviteId ? await listAgentsWithoutLogin(db, { id: inviteId.slice(0, 64), limit: 1 }) : [];
  return {
    viewerId: viewer.userId,
    users: await listUsers(db),
    agentsWithoutLogin: await listAgentsWithoutLogin(db),
    withoutLoginCount: await countAgentsWithoutLogin(db),
    teams: await listTeamOptions(db),
    agents: await listAgentOptions(db),
    prefill: prefill ? { agentId: prefill.id, name: prefill.name } : null,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const input = formToObject(await readForm(request), ['teamIds']);
  const ctx = { db: getDb(), actor: viewer, ip: clientIp(request) };
  switch (input.intent) {
    case 'invite':
      return outcomeResponse(await inviteUser(ctx, input));
    case 'update_access':
      return outcomeResponse(await updateUserAccess(ctx, input));
    case 'deactivate':
      return outcomeResponse(await setUserActive(ctx, input, false));
    case 'reactivate':
      return outcomeResponse(await setUserActive(ctx, input, true));
    case 'reset_password':
      return outcomeResponse(await resetUserPassword(ctx, input));
    default:
      throw unknownIntent(input.intent);
  }
}

export const meta: MetaFunction = () => [{ title: 'Users · Admin · Paylink Desk' }];

const AGENT_LIST_ID = 'known-agents';

export default function AdminUsers() {
  const { viewerId, users, agentsWithoutLogin, withoutLoginCount, teams, agents, prefill } =
    useLoaderData<typeof loader>();
  const locale = useLocale();
  return (
    <>
      <header className="page-header">
        <h1>Users</h1>
      </header>
      <AgentDatalist id={AGENT_LIST_ID} agents={agents} />
      <InviteCard teams={teams} agentListId={AGENT_LIST_ID} prefill={prefill} />

      <section aria-labelledby="people-heading" className="admin-section">
        <h2 id="people-heading">People with a login</h2>
        <div className="table-card">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Role</th>
                <th>Teams</th>
                <th>Linked agent</th>
                <th>Status</th>
                <th>Last sign-in</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <UserRow
                  key={user.id}
                  user={user}
                  isSelf={user.id === viewerId}
                  teams={teams}
                  agentListId={AGENT_LIST_ID}
                />
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="agents-heading" className="admin-section">
        <h2 id="agents-heading">Agents without a login</h2>
        <p className="muted">Agents first seen in events. Invite one to give them the agent console.</p>
        {withoutLoginCount > agentsWithoutLogin.length ? (
          <p className="muted" data-testid="agents-without-login-count">
            The first {formatCount(agentsWithoutLogin.length, locale)} of {formatCount(withoutLoginCount, locale)} by
            name. Invite any other by typing their agent id in the invite form.
          </p>
        ) : null}
        {agentsWithoutLogin.length === 0 ? (
          <p className="card empty">Every agent seen in events has a login.</p>
        ) : (
          <div className="table-card">
            <table>
              <thead>
                <tr>
                  <th>Agent</th>
                  <th>Agent id</th>
                  <th>Team</th>
                  <th>First seen</th>
                  <th>
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {agentsWithoutLogin.map((agent) => (
                  <tr key={agent.id}>
                    <td>{agent.name}</td>
                    <td className="mono">{agent.id}</td>
                    <td>{agent.teamName}</td>
                    <td>
                      <LocalTime ms={agent.firstSeenAt} />
                    </td>
                    <td className="actions">
                      <Link
                        to={`?invite=${encodeURIComponent(agent.id)}#invite`}
                        className="button secondary small"
                        aria-label={`Invite ${agent.name}`}
                      >
                        Invite
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
