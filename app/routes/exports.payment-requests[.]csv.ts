import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { EXPORT_ROLES } from '../domain/access';
import { clientIp, requireViewer } from '../http/auth.server';
import { excelVariantFromRequest, exportResponse } from '../http/exports.server';
import { filtersFromRequest } from '../http/filter-params.server';
import { readOnlyRoute } from '../lib/http.server';

/** GET /exports/payment-requests.csv (SPEC §4): the shared filters, the caller's scope, streamed and audited; `excel=1` adds a BOM. */
export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, EXPORT_ROLES);
  const filters = await filtersFromRequest(request);
  const excel = excelVariantFromRequest(request);
  return await exportResponse(getDb(), {
    report: 'payment-requests',
    format: 'csv',
    filters,
    viewer,
    ip: clientIp(request),
    signal: request.signal,
    excel,
  });
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
