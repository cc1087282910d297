import { data } from '@remix-run/node';
import { badRequest } from './http.server';

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

/**
 * The first field of a form that takes one value (not one of `multiValued`: a checkbox group) and
 * is given more than once, else null. Taking one of them silently acted on what the sender may not
 * have meant (a doubled hidden field, a crafted post), as a URL parameter given twice (singleParam).
 * An empty repeat counts: a form sends each of its fields, filled in or not.
 */
export function repeatedField(form: FormData | URLSearchParams, multiValued: readonly string[] = []): string | null {
  const seen = new Set<string>();
  for (const [key] of form) {
    if (multiValued.includes(key)) continue;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return null;
}

/** What a page says of a field given twice, at the top of its form and beside the field. */
export function repeatedFieldMessage(field: string): string {
  return `“${field}” is given more than once.`;
}

/** A form's refusal of a field given twice: the field named in its error and as the form's error. */
export function repeatedFieldFailure(field: string): Outcome<never> {
  const message = repeatedFieldMessage(field);
  return failure({ [field]: message }, message);
}

/**
 * A form whose `intent` is given twice: which operation was meant is unknown, so it is refused as an
 * unknown intent is (a 400, the page's error boundary), naming it.
 */
export function repeatedIntentRefused(): Response {
  return badRequest('invalid_form', 'intent', 'intent: is given more than once');
}

export type FormInput = Record<string, string | string[]>;

/**
 * A form as a plain object for zod: single fields as strings, the named multi-value fields as
 * arrays; or, when a single field is given twice, the failure naming it (see repeatedField).
 */
export function formToObject(
  form: FormData,
  multiValued: readonly string[] = [],
): { ok: true; input: FormInput } | { ok: false; refused: Outcome<never> } {
  const repeated = repeatedField(form, multiValued);
  if (repeated !== null) return { ok: false, refused: repeatedFieldFailure(repeated) };
  const input: FormInput = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key).filter((value): value is string => typeof value === 'string');
    input[key] = multiValued.includes(key) ? values : (values[0] ?? '');
  }
  for (const key of multiValued) input[key] ??= [];
  return { ok: true, input };
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
