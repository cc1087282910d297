import type { ActionFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { requireViewer } from '../http/auth.server';
import { cancelPaymentRequestFromApi } from '../http/payment-requests-api.server';
import { apiError, refusing } from '../lib/http.server';

export const loader = refusing(() =>
  apiError(405, 'method_not_allowed', 'POST to cancel this request', { headers: { Allow: 'POST' } }),
);

/** SPEC §4: cancel; agents their own requests, supervisors those of their teams (§5); 404 outside scope. */
export async function action({ request, params }: ActionFunctionArgs) {
  if (request.method !== 'POST') return loader();
  const viewer = await requireViewer(request, ['agent', 'supervisor']);
  return await cancelPaymentRequestFromApi(getDb(), viewer, request, params.id ?? '');
}
