import { describe, expect, it } from 'vitest';
import { bucketStarts, type Interval } from '../../app/lib/time-buckets';
import { zonedInstant } from '../../app/lib/zoned-time';
import { comparisonPeriod } from '../../app/read/date-ranges';
import { filterRange, startOfDayInZone } from '../../app/read/filters';
import { HOST_TIME_ZONES, onHostTimeZone } from '../support/host-time-zone';

/**
 * Day starts, filter ranges, comparison cuts and chart buckets in a user's zone must not depend on
 * the host's own zone (`TZ`, which Date's local methods read; Node applies a change of
 * process.env.TZ at once). 2026 rules: Santiago 00:00 -03 -> 23:00 -04 on 5 April (03:00Z), 00:00
 * -04 -> 01:00 -03 on 6 September (04:00Z); Lord Howe 02:00 +11 -> 01:30 +10:30 on 5 April (15:00Z
 * on the 4th); London 02:00 BST -> 01:00 GMT on 25 October (01:00Z).
 */
const HOSTS = HOST_TIME_ZONES;
const iso = (at: number) => new Date(at).toISOString();
const isoAll = (starts: number[] | null) => starts?.map(iso);

describe.each(HOSTS)('on a host whose TZ is %s', (host) => {
  onHostTimeZone(host);

  it('names the first instant after a gap and the first occurrence of a repeated reading', () => {
    expect(iso(zonedInstant('America/New_York', 2026, 3, 8, 2, 30))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(zonedInstant('America/New_York', 2026, 11, 1, 1, 30))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(zonedInstant('Europe/London', 2026, 10, 25, 1, 30))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(zonedInstant('Australia/Lord_Howe', 2026, 10, 4, 2, 15))).toBe('2026-10-03T15:30:00.000Z');
    expect(iso(zonedInstant('Asia/Kolkata', 2026, 6, 10, 9, 0))).toBe('2026-06-10T03:30:00.000Z');
  });

  it('starts days at midnight in the zone, or 01:00 where midnight is skipped', () => {
    expect(iso(startOfDayInZone('2026-09-06', 'America/Santiago'))).toBe('2026-09-06T04:00:00.000Z');
    expect(iso(startOfDayInZone('2026-04-05', 'America/Santiago'))).toBe('2026-04-05T04:00:00.000Z');
    expect(iso(startOfDayInZone('2026-04-05', 'Australia/Lord_Howe'))).toBe('2026-04-04T13:00:00.000Z');
    const range = filterRange({ from: '2026-04-04', to: '2026-04-04', tz: 'America/Santiago' });
    expect([iso(range.start!), iso(range.end!)]).toEqual(['2026-04-04T03:00:00.000Z', '2026-04-05T04:00:00.000Z']);
  });

  it('cuts a comparison at the same reading the day before, its first occurrence', () => {
    const london = comparisonPeriod(
      { preset: 'today', from: '2026-10-26', to: '2026-10-26' },
      'Europe/London',
      Date.parse('2026-10-26T01:30:00Z'),
    );
    expect(iso(london.end)).toBe('2026-10-25T00:30:00.000Z');
    const santiago = comparisonPeriod(
      { preset: 'today', from: '2026-04-05', to: '2026-04-05' },
      'America/Santiago',
      Date.parse('2026-04-06T03:00:00Z'),
    );
    expect(iso(santiago.end)).toBe('2026-04-05T02:00:00.000Z');
    const lordHowe = comparisonPeriod(
      { preset: 'today', from: '2026-04-05', to: '2026-04-05' },
      'Australia/Lord_Howe',
      Date.parse('2026-04-04T13:00:00Z'),
    );
    expect({ ...lordHowe, start: iso(lordHowe.start), end: iso(lordHowe.end) }).toEqual({
      from: '2026-04-04',
      to: '2026-04-04',
      start: '2026-04-03T13:00:00.000Z',
      end: '2026-04-03T13:00:00.000Z',
      partial: true,
    });
  });

  it('starts chart buckets at midnight in the zone across DST changes', () => {
    /** The chart's buckets of `interval` from `from` to `to` in `zone`, as ISO instants. */
    const starts = (interval: Interval, zone: string, from: string, to: string) =>
      isoAll(bucketStarts(Date.parse(from), Date.parse(to), interval, zone, 100));
    expect(starts('day', 'America/Santiago', '2026-04-03T00:00:00Z', '2026-04-07T00:00:00Z')).toEqual([
      '2026-04-02T03:00:00.000Z',
      '2026-04-03T03:00:00.000Z',
      '2026-04-04T03:00:00.000Z',
      '2026-04-05T04:00:00.000Z',
      '2026-04-06T04:00:00.000Z',
    ]);
    expect(starts('day', 'America/Santiago', '2026-09-04T00:00:00Z', '2026-09-09T00:00:00Z')).toEqual([
      '2026-09-03T04:00:00.000Z',
      '2026-09-04T04:00:00.000Z',
      '2026-09-05T04:00:00.000Z',
      '2026-09-06T04:00:00.000Z',
      '2026-09-07T03:00:00.000Z',
      '2026-09-08T03:00:00.000Z',
    ]);
    expect(starts('day', 'Australia/Lord_Howe', '2026-04-03T00:00:00Z', '2026-04-07T00:00:00Z')).toEqual([
      '2026-04-02T13:00:00.000Z',
      '2026-04-03T13:00:00.000Z',
      '2026-04-04T13:00:00.000Z',
      '2026-04-05T13:30:00.000Z',
      '2026-04-06T13:30:00.000Z',
    ]);
    expect(starts('week', 'America/Santiago', '2026-08-20T00:00:00Z', '2026-09-20T00:00:00Z')).toEqual([
      '2026-08-17T04:00:00.000Z',
      '2026-08-24T04:00:00.000Z',
      '2026-08-31T04:00:00.000Z',
      '2026-09-07T03:00:00.000Z',
      '2026-09-14T03:00:00.000Z',
    ]);
    expect(starts('month', 'Europe/London', '2026-08-01T12:00:00Z', '2026-11-01T00:00:00Z')).toEqual([
      '2026-07-31T23:00:00.000Z',
      '2026-08-31T23:00:00.000Z',
      '2026-09-30T23:00:00.000Z',
    ]);
    expect(starts('hour', 'Europe/London', '2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z')).toEqual([
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });
});
