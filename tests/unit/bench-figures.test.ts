import { describe, expect, it } from 'vitest';
import { rank } from '../../bench/_stats';
import { atLeastText, atMostText } from '../../bench/types';

describe('a bench figure printed beside its target', () => {
  it('is cut down when it must stay at or above the target, so a miss never reads as a pass', () => {
    expect(atLeastText(0.8967, 2)).toBe('0.89');
    expect(atLeastText(0.2499, 2)).toBe('0.24');
    expect(atLeastText(29_999.6, 0)).toBe('29,999');
    expect(atLeastText(30_000, 0)).toBe('30,000');
    expect(atLeastText(0.25, 2)).toBe('0.25');
  });

  it('is cut up when it must stay at or under the target', () => {
    expect(atMostText(50.04, 1)).toBe('50.1');
    expect(atMostText(1_200.2, 0)).toBe('1,201');
    expect(atMostText(50, 1)).toBe('50.0');
    expect(atMostText(1_137, 0)).toBe('1,137');
  });

  it('does not move a decimal that binary floating point stores a hair off', () => {
    // 0.29 * 100 = 28.999999999999996 and 1.1 * 10 = 11.000000000000002 in doubles.
    expect(atLeastText(0.29, 2)).toBe('0.29');
    expect(atMostText(1.1, 1)).toBe('1.1');
  });
});

describe('a bench percentile (nearest rank)', () => {
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);

  it('is the smallest sample with at least that share at or below it', () => {
    expect(rank(twenty, 0.5)).toBe(10);
    expect(rank(twenty, 0.95)).toBe(19);
    expect(rank(twenty, 0.99)).toBe(20);
    expect(rank(twenty, 0)).toBe(1);
    expect(rank([7], 0.99)).toBe(7);
  });

  it('is 0 without samples', () => {
    expect(rank([], 0.95)).toBe(0);
  });
});
