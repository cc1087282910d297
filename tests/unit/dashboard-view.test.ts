import { describe, expect, it } from 'vitest';
import {
  canonicalSearch,
  intervalFor,
  rangeDescription,
  resolveRange,
  withParams,
} from '../../app/read/dashboard-view';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const params = (query: string) => new URLSearchParams(query);
const zone = (tz = 'UTC', from?: string, to?: string) => ({ tz, from, to });

describe('resolveRange', () => {
  it('defaults to the last 7 days in the zone', () => {
    expect(resolveRange(params(''), zone(), NOW)).toEqual({ preset: '7d', from: '2026-11-17', to: '2026-11-23' });
    expect(resolveRange(params(''), zone('Pacific/Kiritimati'), NOW)).toEqual({
      preset: '7d',
      from: '2026-11-18',
      to: '2026-11-24',
    });
  });

  it('keeps a preset while the dates are its own, and turns custom when they were edited', () => {
    expect(resolveRange(params('range=30d'), zone(), NOW)).toEqual({
      preset: '30d',
      from: '2026-10-25',
      to: '2026-11-23',
    });
    expect(resolveRange(params('range=30d'), zone('UTC', '2026-10-25', '2026-11-23'), NOW).preset).toBe('30d');
    expect(resolveRange(params('range=30d'), zone('UTC', '2026-11-01', '2026-11-23'), NOW)).toEqual({
      preset: null,
      from: '2026-11-01',
      to: '2026-11-23',
    });
    expect(resolveRange(params('range=custom'), zone('UTC', '2026-11-01'), NOW)).toEqual({
      preset: null,
      from: '2026-11-01',
      to: '2026-11-01',
    });
  });
});

describe('canonicalSearch', () => {
  it('names a preset without its dates, and dates without a preset, dropping empty fields', () => {
    const preset = { preset: '30d' as const, from: '2026-10-25', to: '2026-11-23' };
    expect(
      canonicalSearch(params('range=30d&from=2026-10-25&to=2026-11-23&team=&channel=sms&currency=usd,+eur'), preset),
    ).toBe('range=30d&channel=sms&currency=USD&currency=EUR');
    expect(canonicalSearch(params('range=7d&tz=UTC'), { preset: '7d', from: '2026-11-17', to: '2026-11-23' })).toBe(
      'tz=UTC',
    );
    expect(
      canonicalSearch(params('range=custom&from=2026-11-01&to=2026-11-05&sort=paid'), {
        preset: null,
        from: '2026-11-01',
        to: '2026-11-05',
      }),
    ).toBe('from=2026-11-01&to=2026-11-05&sort=paid');
  });
});

describe('intervals and words', () => {
  it('chooses buckets by the length of the range', () => {
    expect(intervalFor({ from: '2026-11-23', to: '2026-11-23' })).toBe('hour');
    expect(intervalFor({ from: '2026-11-22', to: '2026-11-23' })).toBe('hour');
    expect(intervalFor({ from: '2026-11-21', to: '2026-11-23' })).toBe('day');
    expect(intervalFor({ from: '2026-08-26', to: '2026-11-23' })).toBe('day');
    expect(intervalFor({ from: '2026-01-01', to: '2026-11-23' })).toBe('week');
    expect(intervalFor({ from: '2023-01-01', to: '2026-11-23' })).toBe('month');
  });

  it('describes the range', () => {
    expect(rangeDescription({ preset: '7d', from: '2026-11-17', to: '2026-11-23' }, 'en-GB')).toBe(
      'in the last 7 days (17 Nov – 23 Nov 2026)',
    );
    expect(rangeDescription({ preset: null, from: '2025-12-30', to: '2026-01-02' }, 'en-GB')).toBe(
      '30 Dec 2025 – 2 Jan 2026',
    );
    expect(rangeDescription({ preset: 'today', from: '2026-11-23', to: '2026-11-23' }, 'en-GB')).toBe(
      'today (23 Nov 2026)',
    );
  });

  it('changes some parameters of a query string', () => {
    expect(withParams('?range=30d&sort=paid', { sort: 'sent', order: 'desc' })).toBe('?range=30d&sort=sent&order=desc');
    expect(withParams('?agent=ag_1', { agent: null })).toBe('?');
  });
});
