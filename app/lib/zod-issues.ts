import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/**
 * The path an issue is about, as segments: for an unknown key, the key itself (so the answer names
 * `data.card.number`, not `data.card`). `prefix` places a sub-schema's issue in the whole input.
 */
export function issueSegments(issue: Issue, prefix: readonly string[] = []): string[] {
  const path = [...prefix, ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return path;
}

/** The dotted path an issue is about (`customer.phone`), or `fallback` for the input as a whole. */
export function issuePath(issue: Issue, fallback = '', prefix: readonly string[] = []): string {
  return issueSegments(issue, prefix).join('.') || fallback;
}

/** The query-string parameter or form field an issue is about: the top of its path (`team`, not `team.0`). */
export function issueField(issue: Issue, fallback: string): string {
  return issue.path[0] === undefined ? fallback : String(issue.path[0]);
}

export type FirstIssue = { field: string; message: string };

/** The first problem of a parse, with the field it names (`fallback` when it is about the whole input). */
export function firstIssue(
  error: z.ZodError,
  { fallback = 'input', depth = 'path' }: { fallback?: string; depth?: 'path' | 'field' } = {},
): FirstIssue {
  const issue = error.issues[0] as Issue;
  const field = depth === 'field' ? issueField(issue, fallback) : issuePath(issue, fallback);
  return { field, message: issue.message };
}

/**
 * The first message per field of a parse: by top-level form field (`depth: 'field'`, the default)
 * or by dotted path (`customer.phone`); issues about the whole form go under `form`.
 */
export function fieldErrorsOf(error: z.ZodError, depth: 'path' | 'field' = 'field'): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues as Issue[]) {
    const field = depth === 'field' ? issueField(issue, 'form') : issuePath(issue, 'form');
    errors[field] ??= issue.message;
  }
  return errors;
}
