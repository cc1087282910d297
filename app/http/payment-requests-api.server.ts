import type { z } from 'zod';
import type { Db } from '../../db/client';
import type { Viewer } from '../domain/access';
import { STATUS_LABELS } from '../domain/lifecycle';
import { getEnv } from '../lib/env.server';
import { apiError, badRequest, notJsonBody, nulRefused, zodErrorResponse } from '../lib/http.server';
import { nulPath } from '../lib/nul-text';
import { pathSegment } from '../lib/path-segment';
import { issuePath } from '../lib/zod-issues';
import {
  IDEMPOTENCY_KEY_HEADER,
  idempotencyBodyHash,
  idempotencyKeySchema,
  type StoredResponse,
} from '../write/idempotency-keys.server';
import {
  CommandError,
  cancelPaymentRequest,
  createdRequestResponse,
  createPaymentRequest,
  createPaymentRequestOnce,
  type SendOptions,
} from '../write/payment-request-commands.server';
import { createRequestApiSchema } from '../write/payment-request-input';
import { clientIp } from './auth.server';

const MAX_BODY_BYTES = 64 * 1024;

const CODE_BY_FIELD: Record<string, string> = {
  'customer.phone': 'invalid_phone',
  'customer.name': 'invalid_customer_name',
  orderNumber: 'invalid_order_number',
  amount: 'invalid_amount',
  currency: 'invalid_currency',
  reason: 'invalid_reason',
  channel: 'invalid_channel',
};

function commandErrorResponse(error: unknown): Response {
  if (error instanceof CommandError) return apiError(error.status, error.code, error.message);
  throw error;
}

/** The first problem of a body, with its field named (SPEC §4 errors plus `field`). */
function validationError(body: unknown, error: z.ZodError): Response {
  const issue = error.issues[0] as z.core.$ZodIssue;
  const field = issuePath(issue);
  if (issue.code === 'unrecognized_keys') return badRequest('unknown_field', field, `Unknown field ${field}`);
  const path = issue.path.map(String);
  let value: unknown = body;
  for (const key of path)
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  if (value === undefined) return badRequest('missing_field', field, `${field} is required`);
  return zodErrorResponse(error, CODE_BY_FIELD[field] ?? 'invalid_field');
}

/**
 * POST /api/v1/payment-requests: an agent creates and sends a request for themselves (SPEC §4, §5).
 * The answer is the request as GET /api/v1/payment-requests/:id gives it, plus the customer's `payUrl`
 * for platforms that show the link themselves. With an Idempotency-Key header, a retry gets that
 * answer again (createPaymentRequestOnce), as the IETF draft on the header and Stripe have it.
 */
export async function createPaymentRequestFromApi(
  db: Db,
  viewer: Viewer,
  request: Request,
  options: Pick<SendOptions, 'clock' | 'channel'> = {},
): Promise<Response> {
  const keyHeader = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  const key = keyHeader === null ? null : idempotencyKeySchema.safeParse(keyHeader);
  if (key && !key.success) {
    return zodErrorResponse(key.error, 'invalid_idempotency_key', { fallback: IDEMPOTENCY_KEY_HEADER });
  }
  const notJson = notJsonBody(request);
  if (notJson) return notJson;
  const tooLarge = () => apiError(413, 'body_too_large', 'The body may be at most 64 KB');
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) return tooLarge();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return apiError(400, 'invalid_json', 'The body must be a JSON object');
  }
  const nul = nulPath(body);
  if (nul) return nulRefused(nul);
  const parsed = createRequestApiSchema.safeParse(body);
  if (!parsed.success) return validationError(body, parsed.error);
  const sendOptions = { ...options, baseUrl: getEnv().PUBLIC_URL, source: 'api' as const };
  try {
    if (!key) {
      const sent = await createPaymentRequest(db, viewer, parsed.data, sendOptions);
      return toHttpResponse(await createdRequestResponse(db, sent), sent.requestId);
    }
    const claim = { key: key.data, bodyHash: idempotencyBodyHash(body) };
    const once = await createPaymentRequestOnce(db, viewer, parsed.data, claim, sendOptions);
    switch (once.outcome) {
      case 'created':
        return toHttpResponse(once.response, once.requestId);
      case 'replayed':
        return toHttpResponse(once.response, once.requestId, { 'Idempotent-Replayed': 'true' });
      case 'in_flight':
        return apiError(409, 'idempotency_key_in_use', 'The first request with this key is still being sent', {
          headers: { 'Retry-After': '1' },
        });
      case 'key_reused':
        return apiError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different body');
    }
  } catch (error) {
    return commandErrorResponse(error);
  }
}

/** The created request's answer, the same bytes for the first request and its replays. */
function toHttpResponse(response: StoredResponse, requestId: string, headers: Record<string, string> = {}): Response {
  return new Response(response.body, {
    status: response.status,
    headers: {
      'Content-Type': 'application/json',
      Location: `/api/v1/payment-requests/${pathSegment(requestId)}`,
      ...headers,
    },
  });
}

/** POST /api/v1/payment-requests/:id/cancel: 200 when canceled, 409 with the reason code when refused. */
export async function cancelPaymentRequestFromApi(
  db: Db,
  viewer: Viewer,
  request: Request,
  requestId: string,
): Promise<Response> {
  try {
    const outcome = await cancelPaymentRequest(db, viewer, requestId, clientIp(request), { source: 'api' });
    if (outcome.outcome === 'refused') return apiError(409, outcome.reason, outcome.message);
    return Response.json({ id: requestId, status: 'canceled', statusLabel: STATUS_LABELS.canceled });
  } catch (error) {
    return commandErrorResponse(error);
  }
}
