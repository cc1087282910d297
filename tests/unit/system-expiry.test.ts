import { describe, expect, it } from 'vitest';
import {
  chooseSystemExpiryIds,
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

  it('leads every id with its expiresAt in 12 hex digits, so ids sort by time whatever the request', () => {
    // 2026-11-02T10:06:00Z = 1,793,613,960,000 ms = 0x1a19bb91340 (11 digits, one 0 in front).
    expect(AT.toString(16)).toBe('1a19bb91340');
    for (const id of systemExpiryIdCandidates('pr_1', AT)) expect(id.slice(0, 20)).toBe('sys_exp_01a19bb91340');
    const ids = [
      systemExpiryEventId('pr_z', AT),
      systemExpiryEventId('pr_a', AT + 1),
      systemExpiryEventId('pr_m', AT + 60_000),
      systemExpiryEventId('pr_b', AT + 86_400_000),
    ];
    expect([...ids].sort()).toEqual(ids);
  });

  it('chooses the first candidate no event holds, and past them a random id; fallbacks looked up only when needed', async () => {
    const [a, b, c] = [
      systemExpiryIdCandidates('pr_a', AT),
      systemExpiryIdCandidates('pr_b', AT),
      systemExpiryIdCandidates('pr_c', AT),
    ];
    const lookups: string[][] = [];
    const storedOf = (held: string[]) => (ids: string[]) => {
      lookups.push(ids);
      return new Set(ids.filter((id) => held.includes(id)));
    };
    const due = new Map([
      ['pr_a', AT],
      ['pr_b', AT],
      ['pr_c', AT],
    ]);
    // pr_a free; pr_b's first two held (one stored, one known taken by the caller); every one of pr_c's.
    const chosen = await chooseSystemExpiryIds(due, storedOf([b[0]!, ...c]), new Set([b[1]!]));
    expect(chosen.get('pr_a')).toBe(a[0]);
    expect(chosen.get('pr_b')).toBe(b[2]);
    const random = chosen.get('pr_c')!;
    expect(random).toMatch(/^sys_exp_01a19bb91340[0-9a-f]{20}$/);
    expect(c.includes(random)).toBe(false);
    expect(lookups).toEqual([
      [a[0], b[0], c[0]],
      [...b.slice(1), ...c.slice(1)],
    ]);

    lookups.length = 0;
    expect(await chooseSystemExpiryIds(due, storedOf([]))).toEqual(
      new Map([
        ['pr_a', a[0]],
        ['pr_b', b[0]],
        ['pr_c', c[0]],
      ]),
    );
    expect(lookups).toHaveLength(1);
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
