import { describe, expect, it } from 'vitest';
import { describeError, refusalText } from '../../app/components/route-error';

/** What a loader's `throw badRequest(...)` (or `json(..., 403)`) reaches the boundary as. */
const refused = (status: number, data: unknown) => ({ status, statusText: '', internal: false, data });

describe('an error page in words', () => {
  it('names the refused field in quotes, without the API prefix, as a sentence', () => {
    const badCurrency = {
      error: { code: 'invalid_filter', field: 'currency', message: 'currency: must be an ISO 4217 currency code' },
    };
    expect(describeError(refused(400, badCurrency))).toEqual({
      kind: 'bad_request',
      title: 'These filters do not work',
      message: '“currency” must be an ISO 4217 currency code.',
    });
    expect(refusalText({ error: { field: 'from', message: 'from: is not a calendar date.' } })).toBe(
      '“from” is not a calendar date.',
    );
    expect(refusalText({ error: { message: 'Too many buckets' } })).toBe('Too many buckets');
    expect(refusalText('Unknown intent')).toBe('Unknown intent');
    expect(refusalText(null)).toBeNull();
  });

  it('keeps its own words for a forbidden or missing page', () => {
    expect(describeError(refused(404, { error: { message: 'no such request' } }))).toEqual({
      kind: 'not_found',
      title: 'Not found',
      message: 'There is nothing here you may see.',
    });
    expect(
      describeError(refused(403, { error: { code: 'forbidden', message: 'Supervisors and managers only' } })),
    ).toEqual({
      kind: 'forbidden',
      title: 'Not for your role',
      message: 'Supervisors and managers only',
    });
  });
});
