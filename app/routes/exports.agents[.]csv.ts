import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { clientIp, requireViewer } from '../services/auth.server';
import { EXPORT_ROLES, exportResponse } from '../services/exports.server';
import { filtersFromRequest } from '../services/request-filters.server';

/** GET /exports/agents.csv (SPEC §4): the shared filters, the caller's scope, streamed and audited. */
export function loader({ request }: LoaderFunctionArgs) {
  const viewer = requireViewer(request, EXPORT_ROLES);
  const filters = filtersFromRequest(request);
  return exportResponse(getDb(), { report: 'agents', format: 'csv', filters, viewer, ip: clientIp(request) });
}
