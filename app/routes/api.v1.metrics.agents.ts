import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { getAgentLeaderboard } from '../queries/metrics.server';
import { requireViewer } from '../services/auth.server';
import { filtersFromRequest } from '../services/request-filters.server';

/** GET /api/v1/metrics/agents: one row per agent with a request in S (SPEC §4), within the caller's scope. */
export function loader({ request }: LoaderFunctionArgs) {
  const viewer = requireViewer(request);
  const filters = filtersFromRequest(request);
  return Response.json({ rows: getAgentLeaderboard(getDb(), filters, viewer) });
}
