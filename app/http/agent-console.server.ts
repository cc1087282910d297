import { data, redirect } from '@remix-run/node';
import type { Db } from '../../db/client';
import type { Viewer } from '../domain/access';
import { type ConsoleActionResult, SEND_FIELDS, type SendResult } from '../domain/agent-console';
import { maskFreeText } from '../domain/card-masking';
import { getEnv } from '../lib/env.server';
import { repeatedField, repeatedFieldFailure, repeatedFieldMessage, repeatedIntentRefused } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import { fieldErrorsOf } from '../lib/zod-issues';
import { idempotencyBodyHash, idempotencyKeySchema, newIdempotencyKey } from '../write/idempotency-keys.server';
import {
  CommandError,
  cancelPaymentRequest,
  createPaymentRequest,
  createPaymentRequestOnce,
  retrySend,
} from '../write/payment-request-commands.server';
import { sendFormSchema } from '../write/payment-request-input';
import { clientIp } from './auth.server';

export interface ConsoleActionOptions {
  /** Where the page goes after a send (post/redirect/get), given the new request's id. */
  afterSend: (requestId: string) => string;
  /** The chat conversation of the embedded panel, stored with each request it sends. */
  conversationId?: string | null;
}

/** The agent console's form posts (send, cancel, retry), for /agent and the embedded panel alike. */
export async function consoleAction(request: Request, viewer: Viewer, db: Db, options: ConsoleActionOptions) {
  const form = await readForm(request);
  const repeated = repeatedField(form);
  if (repeated === 'intent') throw repeatedIntentRefused();
  const intent = form.get('intent');
  const requestId = String(form.get('requestId') ?? '');
  if (repeated !== null && (intent === 'cancel' || intent === 'retry')) {
    return data<ConsoleActionResult>({ intent, requestId, error: repeatedFieldMessage(repeated) }, { status: 400 });
  }
  // Links sent to customers use PUBLIC_URL, never the request's Host (issue 11, finding 8).
  const baseUrl = getEnv().PUBLIC_URL;
  try {
    if (intent === 'send') return await send(db, viewer, form, repeated, baseUrl, options);
    if (intent === 'cancel') {
      return data<ConsoleActionResult>({
        intent,
        ...(await cancelPaymentRequest(db, viewer, requestId, clientIp(request))),
      });
    }
    if (intent === 'retry') {
      const sent = await retrySend(db, viewer, requestId, { baseUrl });
      return data<ConsoleActionResult>({
        intent,
        requestId,
        status: sent.status,
        sendFailureReason: sent.sendFailureReason,
      });
    }
  } catch (error) {
    if (!(error instanceof CommandError) || (intent !== 'cancel' && intent !== 'retry')) throw error;
    return data<ConsoleActionResult>({ intent, requestId, error: error.message }, { status: error.status });
  }
  throw new Response('Unknown action', { status: 400 });
}

/**
 * What a refused send shows back in its form: what was typed, a card number in it masked to its last
 * four digits (SPEC §1: never shown; it was echoed whole into the page). A phone that passed its check
 * is kept as typed: a long one may pass the Luhn check.
 */
function shownBack(values: Record<string, string>, fieldErrors: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([field, value]) => [
      field,
      field === 'customerPhone' && !fieldErrors[field] ? value : maskFreeText(value),
    ]),
  );
}

/**
 * The send form, once per form key: a double click or a resubmitted page (created, replayed or still
 * in flight) lands on the same request. A form without a key (rendered before it had one) sends as before.
 */
async function send(
  db: Db,
  viewer: Viewer,
  form: FormData,
  /** The form's field given twice (consoleAction's repeatedField), refused naming it. */
  repeated: string | null,
  baseUrl: string,
  options: ConsoleActionOptions,
) {
  const values = Object.fromEntries(SEND_FIELDS.map((field) => [field, String(form.get(field) ?? '')]));
  const failed = (status: number, result: Partial<SendResult>) =>
    data<ConsoleActionResult>(
      { intent: 'send', fieldErrors: {}, formError: null, values: shownBack(values, result.fieldErrors), ...result },
      { status },
    );
  if (repeated !== null) {
    const { fieldErrors, formError } = repeatedFieldFailure(repeated);
    return failed(400, { fieldErrors, formError });
  }
  const parsed = sendFormSchema.safeParse(values);
  if (!parsed.success) return failed(400, { fieldErrors: fieldErrorsOf(parsed.error, 'path') });
  const rawKey = form.get('idempotencyKey');
  const key = rawKey === null ? null : idempotencyKeySchema.safeParse(rawKey);
  if (key && !key.success) {
    return failed(400, { formError: 'This form is out of date. Send it again.', idempotencyKey: newIdempotencyKey() });
  }
  const sendOptions = { baseUrl, source: 'agent_console', conversationId: options.conversationId } as const;
  try {
    const created = key
      ? await createPaymentRequestOnce(
          db,
          viewer,
          parsed.data,
          { key: key.data, bodyHash: idempotencyBodyHash(values) },
          sendOptions,
        )
      : { outcome: 'created' as const, ...(await createPaymentRequest(db, viewer, parsed.data, sendOptions)) };
    if (created.outcome === 'key_reused') {
      return failed(422, {
        formError:
          'This form already sent a request with other details. Check your requests, then send again if you still need this one.',
        idempotencyKey: newIdempotencyKey(),
      });
    }
    // Post/redirect/get: a refresh must not send the request twice.
    return redirect(options.afterSend(created.requestId));
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    return failed(error.status, { formError: error.message });
  }
}
