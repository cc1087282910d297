import { data } from '@remix-run/node';

/** Messages by form field name, for the field that caused them. */
export type FieldErrors = Record<string, string>;

/** What a form action answers: a success message (and whatever it returns once), or errors by field. */
export type Outcome<T extends object = object> =
  | ({ ok: true; message: string } & T)
  | { ok: false; fieldErrors: FieldErrors; formError: string | null };

export function failure(fieldErrors: FieldErrors, formError: string | null = null): Outcome<never> {
  return { ok: false, fieldErrors, formError };
}

export { fieldErrorsOf } from './zod-issues';

/** A form as a plain object for zod: single fields as strings, the named multi-value fields as arrays. */
export function formToObject(form: FormData, multiValued: readonly string[] = []): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key).filter((value): value is string => typeof value === 'string');
    result[key] = multiValued.includes(key) ? values : (values[0] ?? '');
  }
  for (const key of multiValued) result[key] ??= [];
  return result;
}

/**
 * An action's answer: 400 with field errors (or `failureStatus`: 404 for a thing the caller has
 * none of), else 200. Never cached, since some answers carry a secret that is shown once (a
 * temporary password, an API token, a webhook secret). `outcome` may carry more for the page (which
 * part of it the answer is about).
 */
export function outcomeResponse<O extends Outcome>(outcome: O, failureStatus: 400 | 404 = 400) {
  return data(outcome, { status: outcome.ok ? 200 : failureStatus, headers: { 'Cache-Control': 'no-store' } });
}

/** For a POST whose `intent` names no operation of the route. */
export function unknownIntent(intent: unknown): Response {
  return new Response(`Unknown intent ${JSON.stringify(intent ?? null)}`, { status: 400, statusText: 'Bad Request' });
}
