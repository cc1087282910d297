import type { z } from 'zod';
import { firstIssue } from './zod-issues';

/**
 * The header our server (server.ts) sets to the socket's peer address on every request, after
 * dropping any copy the client sent: a Remix request carries no socket, and a header survives the
 * requests Remix derives from it (single fetch's `.data` requests).
 */
export const CLIENT_ADDRESS_HEADER = 'x-paylink-client-address';

/** The API's error shape (SPEC §4): { error: { code, message } }. */
export function apiError(status: number, code: string, message: string, init: ResponseInit = {}): Response {
  return Response.json({ error: { code, message } }, { ...init, status });
}

/**
 * The load context server.ts hands Remix for each request. `databaseBusy` is set by handleError
 * (entry.server.tsx) when the request failed for want of a database connection in time
 * (isDatabaseBusyError): server.ts then answers 503 with Retry-After instead of Remix's 500.
 */
export type RequestContext = {
  cspNonce: string;
  databaseBusy?: boolean;
};

/** The mark of a route's loader or action that only refuses (a 405, a 404): see `refusing`. */
export const REFUSES = Symbol.for('paylink.refuses');

/**
 * Marks a loader or action that only refuses its method (or path): OPTIONS (server.ts) leaves its
 * method out of the route's `Allow`. A symbol from the global registry: server.ts is another bundle.
 */
export function refusing<T extends object>(handler: T): T {
  return Object.assign(handler, { [REFUSES]: true });
}

/** The mark of a page-less route's loader or action that only redirects: see `redirecting`. */
export const REDIRECTS = Symbol.for('paylink.redirects');

/**
 * Marks the loader or action of a route without a page that only redirects (`/`, `/logout`): a
 * page's Link or Form reaches it by its single-fetch data URL (`/_root.data`, `/logout.data`), which
 * server.ts refuses for every other route without a page (an API route's or an export's body was read
 * whole into the data answer).
 */
export function redirecting<T extends object>(handler: T): T {
  return Object.assign(handler, { [REDIRECTS]: true });
}

/**
 * The action of a route that only reads: another method than GET or HEAD answers 405 in the API's
 * error shape with `Allow` (Remix's own answer is a bare `{ message }` without it).
 */
export const readOnlyRoute = refusing(function readOnlyRoute(): Response {
  return apiError(405, 'method_not_allowed', 'Use GET on this route', { headers: { Allow: 'GET, HEAD' } });
});

/** Throws an API error response unless the condition holds (Epic Stack's invariantResponse, for JSON). */
export function invariantApi(condition: unknown, status: number, code: string, message: string): asserts condition {
  if (!condition) throw apiError(status, code, message);
}

/** 400 naming the offending field: { error: { code, message, field } }. */
export function badRequest(code: string, field: string, message: string): Response {
  return Response.json({ error: { code, message, field } }, { status: 400 });
}

/**
 * A query parameter that takes one value: null when absent or empty, else its value. Given twice
 * (`interval=day&interval=hour`) it is a 400 naming it, in the `code` its bad values get: taking
 * one silently answered something else than was asked (session 34's probe). An empty repeat is no value.
 */
export function singleParam(params: URLSearchParams, key: string, code: string): string | null {
  const values = params.getAll(key).filter((value) => value !== '');
  if (values.length > 1) throw badRequest(code, key, `${key}: is given more than once`);
  return values[0] ?? null;
}

/**
 * A failed zod parse as the API's 400: { error: { code, message, field } }, the field being the first
 * issue's dotted path (`customer.phone`), or its query parameter with `depth: 'field'` (`team`).
 */
export function zodErrorResponse(
  error: z.ZodError,
  code: string,
  options: { fallback?: string; depth?: 'path' | 'field' } = {},
): Response {
  const { field, message } = firstIssue(error, options);
  return badRequest(code, field, message);
}

const FORM_CONTENT_TYPE = /^\s*(?:application\/x-www-form-urlencoded|multipart\/form-data)\s*(?:;|$)/i;
const JSON_CONTENT_TYPE = /^\s*application\/json\s*(?:;|$)/i;

/** 415 naming Content-Type: { error: { code: 'unsupported_media_type', message, field } }. */
function unsupportedMediaType(message: string): Response {
  return Response.json({ error: { code: 'unsupported_media_type', message, field: 'Content-Type' } }, { status: 415 });
}

/**
 * A JSON API action's body must say it is JSON (`application/json`, parameters allowed), checked
 * before it is read: a 415 naming Content-Type, else null. A form or text body was parsed as JSON.
 */
export function notJsonBody(request: Request): Response | null {
  if (JSON_CONTENT_TYPE.test(request.headers.get('content-type') ?? '')) return null;
  return unsupportedMediaType('Send JSON: Content-Type: application/json');
}

/** 400 naming the field that holds a NUL character. */
export function nulRefused(field: string): Response {
  return badRequest('invalid_text', field, `${field}: must not contain a NUL character`);
}

/**
 * The request's form (a page's or the agent panel's action). Anything else is the client's mistake,
 * answered as one (Node's formData() throws a TypeError on other bodies, which was a 500): 415 naming
 * Content-Type when the body is not a form, 400 naming the body when a form's body cannot be read.
 */
export async function readForm(request: Request): Promise<FormData> {
  if (!FORM_CONTENT_TYPE.test(request.headers.get('content-type') ?? '')) {
    throw unsupportedMediaType('Send a form: application/x-www-form-urlencoded or multipart/form-data');
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw badRequest('invalid_form', 'body', 'The form could not be read');
  }
  for (const [key, value] of form) {
    if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) throw nulRefused(key);
  }
  return form;
}
