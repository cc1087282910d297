import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { getDb } from '../../db/client';
import { AgentDatalist } from '../components/admin/access-fields';
import { AGENT_SEARCH_PARAM, AgentsWithoutLogin } from '../components/admin/agents-without-login';
import { InviteCard, UserRow } from '../components/admin/user-forms';
import { clientIp, requireViewer } from '../http/auth.server';
import { agentFindText } from '../http/filter-options.server';
import { formToObject, outcomeResponse, unknownIntent } from '../lib/form.server';
import { readForm, singleParam } from '../lib/http.server';
import {
  countAgentsWithoutLogin,
  listAgentOptions,
  listAgentsWithoutLogin,
  listTeamOptions,
  listUsers,
  searchAgentsWithoutLogin,
} from '../read/admin.server';
import adminStylesHref from '../styles/admin.css';
import { inviteUser, resetUserPassword, setUserActive, updateUserAccess } from '../write/admin.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const db = getDb();
  const params = new URL(request.url).searchParams;
  const inviteId = singleParam(params, 'invite', 'invalid_parameter');
  // At most AGENT_FIND_MAX characters, given once (a 400 naming it), as the filter pickers' find box.
  const agentSearch = agentFindText(params, AGENT_SEARCH_PARAM).trim();
  // Any agent without a login, listed or not (the list is the first 200 by name, or of a search's matches).
  const [prefill] = inviteId ? await listAgentsWithoutLogin(db, { id: inviteId.slice(0, 64), limit: 1 }) : [];
  const search = agentSearch ? await searchAgentsWithoutLogin(db, agentSearch) : null;
  return {
    viewerId: viewer.userId,
    users: await listUsers(db),
    agentsWithoutLogin: search ? search.agents : await listAgentsWithoutLogin(db),
    withoutLoginCount: await countAgentsWithoutLogin(db),
    agentSearch: search ? { text: agentSearch, matches: search.matches } : null,
    teams: await listTeamOptions(db),
    agents: await listAgentOptions(db),
    prefill: prefill ? { agentId: prefill.id, name: prefill.name } : null,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const form = formToObject(await readForm(request), ['teamIds']);
  if (!form.ok) return outcomeResponse(form.refused);
  const { input } = form;
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
  const { viewerId, users, agentsWithoutLogin, withoutLoginCount, agentSearch, teams, agents, prefill } =
    useLoaderData<typeof loader>();
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
          <table className="stack-rows">
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

      <AgentsWithoutLogin agents={agentsWithoutLogin} total={withoutLoginCount} search={agentSearch} />
    </>
  );
}
