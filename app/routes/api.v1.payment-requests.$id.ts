import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { apiError } from '../lib/http.server';
import { getPaymentRequestRow, getPaymentRequestWithTimeline } from '../queries/payment-request.server';
import { requireApiViewer } from '../services/auth.server';
import { canSee } from '../services/scope.server';

export function loader({ request, params }: LoaderFunctionArgs) {
  const viewer = requireApiViewer(request);
  const db = getDb();
  const row = getPaymentRequestRow(db, params.id ?? '');
  // Outside the caller's scope looks exactly like a request that does not exist (SPEC §5).
  if (!row || !canSee(viewer, row)) return apiError(404, 'not_found', 'No such payment request');
  return Response.json(getPaymentRequestWithTimeline(db, row));
}
