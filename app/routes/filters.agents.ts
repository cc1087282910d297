import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { requireViewer } from '../http/auth.server';
import { agentFindText } from '../http/filter-options.server';
import { readOnlyRoute } from '../lib/http.server';
import { searchAgents } from '../read/agent-choices.server';

/**
 * GET /filters/agents?q=…: the agents of the caller's scope whose name contains `q` (any case, any
 * accents), the first 50 by name, for the filter forms' Agent picker when its page was sent only
 * part of the list: `{ agents: [{ id, name, teamId }], matches }`. The roles that have the pickers;
 * an agent's 403. `q` at most 100 characters, once (else a 400 naming it).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['supervisor', 'manager', 'admin']);
  const q = agentFindText(new URL(request.url).searchParams, 'q');
  return Response.json(await searchAgents(getDb(), viewer, q), { headers: { 'Cache-Control': 'private, no-store' } });
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
