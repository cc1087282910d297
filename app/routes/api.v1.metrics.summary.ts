import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { requireViewer } from '../http/auth.server';
import { filtersFromRequest } from '../http/filter-params.server';
import { readOnlyRoute } from '../lib/http.server';
import { getMetricsSummary } from '../read/metrics/metrics.server';

/** GET /api/v1/metrics/summary: the metrics of SPEC §3 for the filters, within the caller's scope. */
export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request);
  const filters = await filtersFromRequest(request);
  return Response.json(await getMetricsSummary(getDb(), filters, viewer));
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
