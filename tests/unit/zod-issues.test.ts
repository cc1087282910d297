import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zodErrorResponse } from '../../app/lib/http.server';
import { fieldErrorsOf, firstIssue, issuePath } from '../../app/lib/zod-issues';

const schema = z.strictObject({
  customer: z.object({ phone: z.string().regex(/^\+\d+$/, 'must be E.164') }),
  team: z.array(z.string().min(2, 'must be a team id')),
});

function errorOf(input: unknown): z.ZodError {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error;
}

describe('zod issues', () => {
  it('names the dotted path, the unknown key itself, and a fallback for the whole input', () => {
    expect(firstIssue(errorOf({ customer: { phone: 'x' }, team: [] }))).toEqual({
      field: 'customer.phone',
      message: 'must be E.164',
    });
    const unknown = errorOf({ customer: { phone: '+1' }, team: [], extra: 1 });
    expect(issuePath(unknown.issues[0]!)).toBe('extra');
    expect(issuePath(unknown.issues[0]!, '', ['data'])).toBe('data.extra');
    expect(firstIssue(errorOf('nope'), { fallback: 'body' }).field).toBe('body');
  });

  it('names a query parameter, not its index, at depth field', () => {
    const error = errorOf({ customer: { phone: '+1' }, team: ['ok', 'x'] });
    expect(firstIssue(error).field).toBe('team.1');
    expect(firstIssue(error, { depth: 'field' }).field).toBe('team');
  });

  it('keeps the first message per field', () => {
    const error = errorOf({ customer: { phone: 'x' }, team: ['x', 'y'] });
    expect(fieldErrorsOf(error)).toEqual({ customer: 'must be E.164', team: 'must be a team id' });
    expect(fieldErrorsOf(error, 'path')).toEqual({
      'customer.phone': 'must be E.164',
      'team.0': 'must be a team id',
      'team.1': 'must be a team id',
    });
  });

  it('answers the SPEC error body with the field', async () => {
    const response = zodErrorResponse(errorOf({ customer: { phone: 'x' }, team: [] }), 'invalid_phone');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'invalid_phone', message: 'must be E.164', field: 'customer.phone' },
    });
  });
});
