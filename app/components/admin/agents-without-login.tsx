import { Form, Link } from '@remix-run/react';
import { formatCount } from '../../domain/format';
import { AGENT_FIND_MAX } from '../../read/agent-choices';
import { useLocale } from '../use-locale';
import { LocalTime } from './local-time';

/** The query parameter of the list's search box (a GET form: it works without JavaScript). */
export const AGENT_SEARCH_PARAM = 'agentSearch';
const SECTION_ID = 'agents-without-login';
const USERS_PATH = '/admin/users';

export interface AgentWithoutLogin {
  id: string;
  name: string;
  teamName: string;
  firstSeenAt: number;
}

interface Props {
  agents: AgentWithoutLogin[];
  /** How many agents have no login at all. */
  total: number;
  /** The text searched for and how many agents without a login match it; null when not searching. */
  search: { text: string; matches: number } | null;
}

/** Agents first seen in events without a login: the first by name, or those a search finds, each with an Invite link. */
export function AgentsWithoutLogin({ agents, total, search }: Props) {
  const locale = useLocale();
  const inviteHref = (agentId: string) => {
    const params = new URLSearchParams(search ? { [AGENT_SEARCH_PARAM]: search.text } : {});
    params.set('invite', agentId);
    return `?${params}#invite`;
  };
  return (
    <section aria-labelledby="agents-heading" className="admin-section" id={SECTION_ID}>
      <h2 id="agents-heading">Agents without a login</h2>
      <p className="muted">Agents first seen in events. Invite one to give them the agent console.</p>
      {total > 0 ? (
        <Form
          method="get"
          action={`${USERS_PATH}#${SECTION_ID}`}
          preventScrollReset
          role="search"
          aria-label="Find agents without a login"
          className="inline-form agent-search"
          key={search?.text ?? ''}
        >
          <label htmlFor="agent-search" className="muted">
            Name or agent id
          </label>
          <input
            id="agent-search"
            type="search"
            name={AGENT_SEARCH_PARAM}
            defaultValue={search?.text ?? ''}
            maxLength={AGENT_FIND_MAX}
            placeholder="Part of one, e.g. ana or ag_12"
          />
          <button type="submit" className="secondary small">
            Search
          </button>
          {search ? (
            <Link to={`${USERS_PATH}#${SECTION_ID}`} className="button secondary small" preventScrollReset>
              Clear search
            </Link>
          ) : null}
        </Form>
      ) : null}
      <CountNote shown={agents.length} total={total} search={search} locale={locale} />
      {agents.length === 0 ? (
        <p className="card empty">
          {search ? (
            <>
              No agent without a login has “{search.text}” in their name or id.{' '}
              <Link to={`${USERS_PATH}#${SECTION_ID}`} preventScrollReset>
                Show them all
              </Link>
            </>
          ) : (
            'Every agent seen in events has a login.'
          )}
        </p>
      ) : (
        <div className="table-card">
          <table className="stack-rows">
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
              {agents.map((agent) => (
                <tr key={agent.id}>
                  <td>{agent.name}</td>
                  <td className="mono" data-label="Agent id">
                    {agent.id}
                  </td>
                  <td data-label="Team">{agent.teamName}</td>
                  <td data-label="First seen">
                    <LocalTime ms={agent.firstSeenAt} />
                  </td>
                  <td className="actions">
                    <Link
                      to={inviteHref(agent.id)}
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
  );
}

/** How many are listed of how many: of those a search matched, or of every agent without a login. */
function CountNote({ shown, total, search, locale }: Omit<Props, 'agents'> & { shown: number; locale: string }) {
  if (search) {
    if (search.matches === 0) return null;
    const matches = `${formatCount(search.matches, locale)} ${search.matches === 1 ? 'agent without a login matches' : 'agents without a login match'} “${search.text}”`;
    return (
      <p className="muted" data-testid="agents-without-login-count">
        {search.matches > shown ? `${matches}: the first ${formatCount(shown, locale)} by name.` : `${matches}.`}
      </p>
    );
  }
  if (total <= shown) return null;
  return (
    <p className="muted" data-testid="agents-without-login-count">
      The first {formatCount(shown, locale)} of {formatCount(total, locale)} by name. Find any other with the search
      above, or invite them by typing their agent id in the invite form.
    </p>
  );
}
