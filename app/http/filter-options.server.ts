import type { Db } from '../../db/client';
import type { Viewer } from '../domain/access';
import { badRequest, singleParam } from '../lib/http.server';
import { AGENT_FIND_MAX, FIND_AGENT_PARAM } from '../read/agent-choices';
import type { Filters } from '../read/filters';
import { getReportFilterOptions } from '../read/reports.server';

/**
 * What is typed to find an agent, from `key` of a query string: '' when absent; given twice, or
 * longer than AGENT_FIND_MAX, a 400 naming `key` (read before anything else is done with it).
 */
export function agentFindText(params: URLSearchParams, key: string): string {
  const value = singleParam(params, key, 'invalid_filter') ?? '';
  if (value.length > AGENT_FIND_MAX) {
    throw badRequest('invalid_filter', key, `${key}: must be at most ${AGENT_FIND_MAX} characters`);
  }
  return value;
}

/**
 * A filter form's teams and agents (getReportFilterOptions): the agents the URL has ticked and the
 * first by name, or, when a form without JavaScript sent its Find box (FIND_AGENT_PARAM), the first
 * that match it. That parameter filters nothing: only the list offered.
 */
export async function filterOptionsFromRequest(
  db: Db,
  request: Request,
  viewer: Viewer,
  filters: Pick<Filters, 'agent'>,
) {
  const findAgent = agentFindText(new URL(request.url).searchParams, FIND_AGENT_PARAM);
  return await getReportFilterOptions(db, viewer, { selected: filters.agent, findAgent });
}
