import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { requireViewer } from '../http/auth.server';
import { filtersFromRequest } from '../http/filter-params.server';
import { badRequest, readOnlyRoute, singleParam } from '../lib/http.server';
import { parseInterval } from '../lib/time-buckets';
import { withDefaultRange } from '../read/date-ranges';
import { DEFAULT_SERIES_DAYS, getMetricsTimeseries, TooManyBucketsError } from '../read/metrics/metrics.server';

/**
 * GET /api/v1/metrics/timeseries?interval=hour|day|week|month (default day): `{ buckets }`, every
 * bucket of the range. Without from/to the range is the last 30 days in the zone, today included.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request);
  const filters = withDefaultRange(await filtersFromRequest(request), DEFAULT_SERIES_DAYS);
  const interval = parseInterval(singleParam(new URL(request.url).searchParams, 'interval', 'invalid_parameter'));
  if (!interval) throw badRequest('invalid_parameter', 'interval', 'interval: must be one of hour, day, week, month');
  try {
    return Response.json({ buckets: await getMetricsTimeseries(getDb(), filters, viewer, interval) });
  } catch (error) {
    if (error instanceof TooManyBucketsError)
      throw badRequest('too_many_buckets', 'interval', `interval: ${error.message}`);
    throw error;
  }
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
