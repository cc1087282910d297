import { describe, expect, it } from 'vitest';
import { FilterError, filterRange, filtersToSearchParams, parseFilters } from '../../app/read/filters';

describe('parseFilters', () => {
  it('parses repeatable and comma-separated values and defaults the zone', () => {
    const filters = parseFilters(
      new URLSearchParams('from=2026-11-01&to=2026-11-30&team=tm_a&team=tm_b,tm_c&currency=USD'),
      'UTC',
    );
    expect(filters).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
      tz: 'UTC',
      team: ['tm_a', 'tm_b', 'tm_c'],
      agent: [],
      channel: [],
      currency: ['USD'],
      status: [],
    });
    expect(filtersToSearchParams(filters).toString()).toBe(
      'from=2026-11-01&to=2026-11-30&tz=UTC&team=tm_a&team=tm_b&team=tm_c&currency=USD',
    );
  });

  it('refuses a range, zone or search given twice, naming it; an empty repeat is no value', () => {
    for (const [query, field] of [
      ['from=2026-11-01&from=2026-10-01', 'from'],
      ['to=2026-11-30&tz=UTC&to=2026-11-01', 'to'],
      ['tz=UTC&tz=Europe/Berlin', 'tz'],
      ['q=SO-1&q=SO-2', 'q'],
    ] as const) {
      expect(() => parseFilters(new URLSearchParams(query), 'UTC')).toThrow(
        new FilterError(field, 'is given more than once'),
      );
    }
    expect(parseFilters(new URLSearchParams('from=&from=2026-11-01&tz=&tz=Europe/Berlin'), 'UTC')).toMatchObject({
      from: '2026-11-01',
      tz: 'Europe/Berlin',
    });
  });

  it('reads a list as the filter forms show it and people type it: "USD, eur ,GBP"', () => {
    const filters = parseFilters(
      new URLSearchParams('currency=USD%2C+eur+%2CGBP&team=tm_a%2C+tm_b&channel=sms%2C+email'),
      'UTC',
    );
    expect([filters.currency, filters.team, filters.channel]).toEqual([
      ['USD', 'EUR', 'GBP'],
      ['tm_a', 'tm_b'],
      ['sms', 'email'],
    ]);
  });

  it.each([
    ['from=2026-13-01', 'from'],
    ['to=2026-02-30', 'to'],
    ['from=2026-11-05&to=2026-11-01', 'from'],
    ['tz=Mars/Olympus', 'tz'],
    ['channel=fax', 'channel'],
    ['currency=XYZ', 'currency'],
    ['status=lost', 'status'],
    ['agent=bad%20id', 'agent'],
  ])('rejects %s naming the field', (query, field) => {
    expect(() => parseFilters(new URLSearchParams(query), 'UTC')).toThrowError(FilterError);
    try {
      parseFilters(new URLSearchParams(query), 'UTC');
    } catch (error) {
      expect((error as FilterError).field).toBe(field);
    }
  });
});

describe('filterRange', () => {
  it('spans whole days in the zone, DST days included', () => {
    // Europe/Berlin leaves summer time on 2026-10-25: that day has 25 hours.
    expect(filterRange({ from: '2026-10-25', to: '2026-10-25', tz: 'Europe/Berlin' })).toEqual({
      start: Date.parse('2026-10-24T22:00:00Z'),
      end: Date.parse('2026-10-25T23:00:00Z'),
    });
    // America/New_York starts summer time on 2026-03-08: 23 hours.
    expect(filterRange({ from: '2026-03-08', to: '2026-03-08', tz: 'America/New_York' })).toEqual({
      start: Date.parse('2026-03-08T05:00:00Z'),
      end: Date.parse('2026-03-09T04:00:00Z'),
    });
    expect(filterRange({ tz: 'UTC' })).toEqual({ start: null, end: null });
  });
});
