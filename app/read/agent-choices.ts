/*
 * What the filter forms' Agent picker and the server agree on (components/choices.tsx; the loaders
 * through getReportFilterOptions; GET /filters/agents). An organisation may have tens of thousands of
 * agents: a page is sent a bounded list and the picker finds the rest by asking the server.
 */

/** A filter form's picker is sent at most this many agents (and those the URL has ticked). */
export const AGENT_CHOICES_LIMIT = 200;

/** The search route answers at most this many agents. */
export const AGENT_SEARCH_LIMIT = 50;

/** What is typed to find an agent, in characters at most (as the request search's `q`). */
export const AGENT_FIND_MAX = 100;

/** The search route (routes/filters.agents.ts). */
export const AGENT_SEARCH_PATH = '/filters/agents';

/**
 * The Find box's name without JavaScript only: submitting the form then narrows the page's list to
 * the agents it matches. It filters nothing else; with JavaScript the box has no name.
 */
export const FIND_AGENT_PARAM = 'findAgent';

/** An agent as the pickers list them. */
export interface AgentChoice {
  id: string;
  name: string;
  teamId: string;
}

/** The search route's answer: the first matches by name, and how many match in all. */
export interface AgentSearchResult {
  agents: AgentChoice[];
  matches: number;
}
