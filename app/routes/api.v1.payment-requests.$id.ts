import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { canSee } from '../domain/access';
import { requireApiViewer } from '../http/auth.server';
import { apiError, readOnlyRoute } from '../lib/http.server';
import { getPaymentRequestRow, getPaymentRequestWithTimeline } from '../read/payment-request.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const viewer = await requireApiViewer(request);
  const db = getDb();
  const row = await getPaymentRequestRow(db, params.id ?? '');
  // Outside the caller's scope looks exactly like a request that does not exist (SPEC §5).
  if (!row || !canSee(viewer, row)) return apiError(404, 'not_found', 'No such payment request');
  return Response.json(await getPaymentRequestWithTimeline(db, row));
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
