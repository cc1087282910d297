import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { agents } from '../../db/tables';
import type { Viewer } from '../domain/access';
import { byNameThenId, firstByNameThenId, foldedName } from '../lib/name-order';
import { AGENT_CHOICES_LIMIT, AGENT_SEARCH_LIMIT, type AgentChoice, type AgentSearchResult } from './agent-choices';
import { agentsByIds } from './agents.server';
import { teamAgents } from './team-agents.server';

/**
 * The agents the viewer may filter on (SPEC §5), in no order: every agent for a manager or an admin;
 * for a supervisor their teams' and those of other teams who sent requests in one of them (the
 * leaderboard lists them and their page opens: getVisibleAgent; filtering by one keeps to the
 * requests of the supervisor's teams, as compileQuery meets the agent with the scope's teams); none
 * for an agent. Callers order what they show by name here, not in SQL: the order is the collator's
 * (byNameThenId), which no engine has, and the find box's matching (any case, any accents) is not an
 * engine's either.
 */
async function unorderedAgentsInScope(db: Db, viewer: Viewer): Promise<AgentChoice[]> {
  const { scope } = viewer;
  if (scope.kind === 'agent') return [];
  const teamIds = scope.kind === 'teams' ? [...scope.teamIds] : null;
  const members = await db
    .select({ id: agents.id, name: agents.name, teamId: agents.teamId })
    .from(agents)
    .where(teamIds ? inArray(agents.teamId, teamIds) : undefined);
  if (!teamIds) return members;
  const senders = new Set((await teamAgents(db, teamIds)).map((pair) => pair.agent));
  // The senders from other teams, a slice of ids at a time (there may be more than a statement takes).
  for (const member of members) senders.delete(member.id);
  const others = (await agentsByIds(db, [...senders])).map(({ id, name, teamId }) => ({ id, name, teamId }));
  return [...members, ...others];
}

/** Whether a name contains what was typed, any case, any accents (as the picker's own find box). */
function matcher(find: string): (agent: AgentChoice) => boolean {
  const wanted = foldedName(find.trim());
  return wanted === '' ? () => true : (agent) => foldedName(agent.name).includes(wanted);
}

/**
 * A filter form's agents: those of `selected` in scope (others are ignored, as the filters ignore
 * them), then the first by name that contain `find` (all when empty), AGENT_CHOICES_LIMIT in all
 * unless more are selected (the URL bounds those); by name. `total` is how many are in scope.
 */
export async function boundedAgentChoices(
  db: Db,
  viewer: Viewer,
  selected: readonly string[],
  find = '',
): Promise<{ agents: AgentChoice[]; total: number }> {
  // Only the page's agents are ordered: all of them through the collator cost ~120 ms at 33,000.
  const all = await unorderedAgentsInScope(db, viewer);
  const ticked = new Set(selected);
  const matches = matcher(find);
  const chosen = all.filter((agent) => ticked.has(agent.id));
  const room = Math.max(0, AGENT_CHOICES_LIMIT - chosen.length);
  const first = firstByNameThenId(
    all.filter((agent) => !ticked.has(agent.id) && matches(agent)),
    room,
  );
  return { agents: [...chosen, ...first].sort(byNameThenId), total: all.length };
}

/** The agents in the viewer's scope whose name contains `find`: the first AGENT_SEARCH_LIMIT by name. */
export async function searchAgents(db: Db, viewer: Viewer, find: string): Promise<AgentSearchResult> {
  // Only the first matches are ordered: 33,000 names through the collator were most of a search's time.
  const found = (await unorderedAgentsInScope(db, viewer)).filter(matcher(find));
  return { agents: firstByNameThenId(found, AGENT_SEARCH_LIMIT), matches: found.length };
}
