import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { requireViewer } from '../http/auth.server';
import { filtersFromRequest } from '../http/filter-params.server';
import { createPaymentRequestFromApi } from '../http/payment-requests-api.server';
import { apiError } from '../lib/http.server';
import { listOptionsFromRequest } from '../read/request-list/options.server';
import { listPaymentRequests } from '../read/request-list/request-list.server';

/** GET /api/v1/payment-requests (SPEC §4): the shared filters, sort, order, limit ≤ 500, cursor. */
export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request);
  const filters = await filtersFromRequest(request);
  const options = listOptionsFromRequest(request);
  return Response.json(await listPaymentRequests(getDb(), filters, viewer, { ...options, signal: request.signal }));
}

// POST /api/v1/payment-requests (an agent creates and sends a request) is the `action` below,
// owned by the agent-console work.

/** Only agents create, for themselves (SPEC §5): other roles get 403. */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== 'POST') {
    return apiError(405, 'method_not_allowed', 'Use GET to list or POST to create', {
      headers: { Allow: 'GET, POST' },
    });
  }
  const viewer = await requireViewer(request, ['agent']);
  return await createPaymentRequestFromApi(getDb(), viewer, request);
}
