import { describe, expect, it } from 'vitest';
import {
  chooseSystemExpiryId,
  systemExpiryEvent,
  systemExpiryEventId,
  systemExpiryIdCandidates,
} from '../../app/domain/system-expiry';

const AT = Date.parse('2026-11-02T10:06:00.000Z');

describe('system expiry ids', () => {
  it('tries the deterministic id first, then three fallbacks, all distinct and of the id pattern', () => {
    const candidates = systemExpiryIdCandidates('pr_1', AT);
    expect(candidates).toHaveLength(4);
    expect(candidates[0]).toBe(systemExpiryEventId('pr_1', AT));
    expect(new Set(candidates).size).toBe(4);
    for (const id of candidates) expect(id).toMatch(/^sys_exp_[0-9a-f]{32}$/);
    // The same for every instance, and another expiry's are others.
    expect(systemExpiryIdCandidates('pr_1', AT)).toEqual(candidates);
    expect(systemExpiryIdCandidates('pr_1', AT + 1).some((id) => candidates.includes(id))).toBe(false);
  });

  it('chooses the first candidate no event holds, and past them a random id', () => {
    const candidates = systemExpiryIdCandidates('pr_1', AT);
    expect(chooseSystemExpiryId('pr_1', AT, new Set())).toBe(candidates[0]);
    expect(chooseSystemExpiryId('pr_1', AT, new Set([candidates[0]!]))).toBe(candidates[1]);
    expect(chooseSystemExpiryId('pr_1', AT, new Set([candidates[0]!, candidates[1]!, candidates[2]!]))).toBe(
      candidates[3],
    );
    const all = new Set(candidates);
    const random = chooseSystemExpiryId('pr_1', AT, all);
    expect(random).toMatch(/^sys_exp_[0-9a-f]{32}$/);
    expect(all.has(random)).toBe(false);
    expect(chooseSystemExpiryId('pr_1', AT, all)).not.toBe(random);
  });

  it('makes the event the sweeper and the write path record', () => {
    expect(systemExpiryEvent('pr_1', AT)).toEqual({
      id: systemExpiryEventId('pr_1', AT),
      type: 'payment_request.expired',
      occurredAt: '2026-11-02T10:06:00.000Z',
      paymentRequest: { id: 'pr_1' },
      data: {},
    });
    expect(systemExpiryEvent('pr_1', AT, 'sys_exp_other').id).toBe('sys_exp_other');
  });
});
