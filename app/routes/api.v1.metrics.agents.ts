import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { requireViewer } from '../http/auth.server';
import { filtersFromRequest } from '../http/filter-params.server';
import { readOnlyRoute } from '../lib/http.server';
import { getAgentLeaderboard } from '../read/metrics/metrics.server';

/** GET /api/v1/metrics/agents: one row per agent with a request in S (SPEC §4), within the caller's scope. */
export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request);
  const filters = await filtersFromRequest(request);
  return Response.json({ rows: await getAgentLeaderboard(getDb(), filters, viewer) });
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
