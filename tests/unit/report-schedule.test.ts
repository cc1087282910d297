import { describe, expect, it } from 'vitest';
import { nextRunAt, rangeForRun } from '../../app/domain/report-schedule';
import { HOST_TIME_ZONES, onHostTimeZone } from '../support/host-time-zone';

const runs = (timing: Parameters<typeof nextRunAt>[0], from: string, count: number) => {
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < count; i++) {
    t = nextRunAt(timing, t);
    out.push(new Date(t).toISOString());
  }
  return out;
};

describe('nextRunAt', () => {
  it('keeps a daily run at 06:00 local across the spring-forward and fall-back days (New York)', () => {
    const daily = { cadence: 'daily', runAt: '06:00', timezone: 'America/New_York' } as const;
    expect(runs(daily, '2026-03-07T12:00:00Z', 2)).toEqual(['2026-03-08T10:00:00.000Z', '2026-03-09T10:00:00.000Z']);
    expect(runs(daily, '2026-10-31T12:00:00Z', 2)).toEqual(['2026-11-01T11:00:00.000Z', '2026-11-02T11:00:00.000Z']);
  });

  it('runs a time the spring-forward skips once, just after the gap, and an ambiguous time once', () => {
    // 02:30 does not exist on 8 March: the clocks go from 02:00 EST to 03:00 EDT (07:00Z).
    expect(runs({ cadence: 'daily', runAt: '02:30', timezone: 'America/New_York' }, '2026-03-07T12:00:00Z', 2)).toEqual(
      ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    );
    expect(runs({ cadence: 'daily', runAt: '01:30', timezone: 'America/New_York' }, '2026-10-31T12:00:00Z', 2)).toEqual(
      ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    );
  });

  it('runs weekly on Mondays and monthly on the 1st, at local time', () => {
    expect(runs({ cadence: 'weekly', runAt: '07:15', timezone: 'Europe/Berlin' }, '2026-10-20T12:00:00Z', 2)).toEqual([
      '2026-10-26T06:15:00.000Z',
      '2026-11-02T06:15:00.000Z',
    ]);
    expect(runs({ cadence: 'monthly', runAt: '00:00', timezone: 'Asia/Tokyo' }, '2026-11-30T15:00:00Z', 2)).toEqual([
      '2026-12-31T15:00:00.000Z',
      '2027-01-31T15:00:00.000Z',
    ]);
  });

  it('is strictly after the instant given', () => {
    const at = Date.parse('2026-11-23T06:00:00Z');
    expect(nextRunAt({ cadence: 'daily', runAt: '06:00', timezone: 'UTC' }, at)).toBe(at + 86_400_000);
    expect(nextRunAt({ cadence: 'daily', runAt: '06:00', timezone: 'UTC' }, at - 1)).toBe(at);
  });
});

describe('rangeForRun', () => {
  const at = Date.parse('2026-11-02T11:00:00Z');
  it('reports on the previous day, ISO week or month in the zone', () => {
    expect(rangeForRun('daily', at, 'America/New_York')).toEqual({ from: '2026-11-01', to: '2026-11-01' });
    expect(rangeForRun('weekly', at, 'America/New_York')).toEqual({ from: '2026-10-26', to: '2026-11-01' });
    expect(rangeForRun('monthly', at, 'America/New_York')).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(rangeForRun('monthly', Date.parse('2027-01-01T05:00:00Z'), 'Asia/Tokyo')).toEqual({
      from: '2026-12-01',
      to: '2026-12-31',
    });
    expect(rangeForRun('daily', Date.parse('2026-11-01T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      from: '2026-11-01',
      to: '2026-11-01',
    });
  });
});

/**
 * The host's own zone (`TZ`) must not move a run: Date's local methods read it, and Node applies a
 * change of process.env.TZ at once. Each case is reckoned from the zone's 2026 rules (and 2028-29
 * for the 1sts that fall on a change): a run in a spring-forward gap runs at the first instant
 * after it; one in a repeated hour at its first occurrence.
 */
const HOSTS = HOST_TIME_ZONES;
/** Each host's Date#getTimezoneOffset() on 15 January 2026 (minutes, west of UTC positive). */
const HOST_OFFSETS: Record<string, number> = {
  UTC: 0,
  'America/New_York': 300,
  'Asia/Kolkata': -330,
  'Australia/Lord_Howe': -660,
  'Pacific/Chatham': -825,
  'America/Santiago': 180,
};
type Case = [
  label: string,
  cadence: 'daily' | 'weekly' | 'monthly',
  runAt: string,
  zone: string,
  after: string,
  expected: string[],
];
const CASES: Case[] = [
  [
    'an ordinary day',
    'daily',
    '09:00',
    'Europe/London',
    '2026-06-10T12:00:00Z',
    ['2026-06-11T08:00:00.000Z', '2026-06-12T08:00:00.000Z'],
  ],
  // London, 29 March: 01:00 GMT -> 02:00 BST (01:00Z). 25 October: 02:00 BST -> 01:00 GMT (01:00Z).
  [
    'London: in the gap',
    'daily',
    '01:30',
    'Europe/London',
    '2026-03-28T12:00:00Z',
    ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
  ],
  [
    "London: the gap's start",
    'daily',
    '01:00',
    'Europe/London',
    '2026-03-28T12:00:00Z',
    ['2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z'],
  ],
  [
    'London: just after the gap',
    'daily',
    '02:00',
    'Europe/London',
    '2026-03-28T12:00:00Z',
    ['2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z'],
  ],
  [
    'London: in the repeated hour',
    'daily',
    '01:30',
    'Europe/London',
    '2026-10-24T12:00:00Z',
    ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
  ],
  [
    "London: the repeated hour's start",
    'daily',
    '01:00',
    'Europe/London',
    '2026-10-24T12:00:00Z',
    ['2026-10-25T00:00:00.000Z', '2026-10-26T01:00:00.000Z'],
  ],
  [
    'London: after the first 01:30, before the second',
    'daily',
    '01:30',
    'Europe/London',
    '2026-10-25T00:45:00Z',
    ['2026-10-26T01:30:00.000Z'],
  ],
  // New York, 8 March: 02:00 EST -> 03:00 EDT (07:00Z). 1 November: 02:00 EDT -> 01:00 EST (06:00Z).
  [
    'New York: in the gap',
    'daily',
    '02:30',
    'America/New_York',
    '2026-03-07T12:00:00Z',
    ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
  ],
  [
    'New York: just before the gap',
    'daily',
    '01:59',
    'America/New_York',
    '2026-03-07T12:00:00Z',
    ['2026-03-08T06:59:00.000Z', '2026-03-09T05:59:00.000Z'],
  ],
  [
    'New York: in the repeated hour',
    'daily',
    '01:30',
    'America/New_York',
    '2026-10-31T12:00:00Z',
    ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
  ],
  [
    'New York: just after the repeated hour',
    'daily',
    '02:00',
    'America/New_York',
    '2026-10-31T12:00:00Z',
    ['2026-11-01T07:00:00.000Z', '2026-11-02T07:00:00.000Z'],
  ],
  [
    'New York: weekly across the spring change',
    'weekly',
    '02:30',
    'America/New_York',
    '2026-03-03T12:00:00Z',
    ['2026-03-09T06:30:00.000Z', '2026-03-16T06:30:00.000Z'],
  ],
  [
    'New York: monthly on a 1st that repeats 01:30',
    'monthly',
    '01:30',
    'America/New_York',
    '2026-10-15T12:00:00Z',
    ['2026-11-01T05:30:00.000Z', '2026-12-01T06:30:00.000Z'],
  ],
  // Santiago, 6 September: 00:00 -04 -> 01:00 -03 (04:00Z), midnight skipped. 5 April (03:00Z):
  // 00:00 -03 -> 23:00 -04 on the 4th, 23:00-24:00 of the 4th repeated.
  [
    'Santiago: midnight in the gap',
    'daily',
    '00:00',
    'America/Santiago',
    '2026-09-05T12:00:00Z',
    ['2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z'],
  ],
  [
    'Santiago: 00:30 in the gap',
    'daily',
    '00:30',
    'America/Santiago',
    '2026-09-05T12:00:00Z',
    ['2026-09-06T04:00:00.000Z', '2026-09-07T03:30:00.000Z'],
  ],
  [
    'Santiago: 01:00, just after the gap',
    'daily',
    '01:00',
    'America/Santiago',
    '2026-09-05T12:00:00Z',
    ['2026-09-06T04:00:00.000Z', '2026-09-07T04:00:00.000Z'],
  ],
  [
    'Santiago: in the repeated hour',
    'daily',
    '23:30',
    'America/Santiago',
    '2026-04-04T12:00:00Z',
    ['2026-04-05T02:30:00.000Z', '2026-04-06T03:30:00.000Z'],
  ],
  [
    'Santiago: weekly on the Monday after the gap',
    'weekly',
    '00:00',
    'America/Santiago',
    '2026-09-05T12:00:00Z',
    ['2026-09-07T03:00:00.000Z'],
  ],
  [
    'Santiago: monthly across the gap',
    'monthly',
    '00:00',
    'America/Santiago',
    '2026-08-15T12:00:00Z',
    ['2026-09-01T04:00:00.000Z', '2026-10-01T03:00:00.000Z'],
  ],
  // 2 April 2028 (03:00Z): 00:00 -03 -> 23:00 -04 on the 1st.
  [
    'Santiago: monthly on a 1st whose 23:30 repeats',
    'monthly',
    '23:30',
    'America/Santiago',
    '2028-03-15T12:00:00Z',
    ['2028-04-02T02:30:00.000Z', '2028-05-02T03:30:00.000Z'],
  ],
  // Lord Howe, 4 October: 02:00 +10:30 -> 02:30 +11 (15:30Z on the 3rd). 5 April: 02:00 +11 ->
  // 01:30 +10:30 (15:00Z on the 4th).
  [
    'Lord Howe: in the 30-minute gap',
    'daily',
    '02:15',
    'Australia/Lord_Howe',
    '2026-10-03T12:00:00Z',
    ['2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z'],
  ],
  [
    'Lord Howe: in the repeated half hour',
    'daily',
    '01:45',
    'Australia/Lord_Howe',
    '2026-04-04T12:00:00Z',
    ['2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z'],
  ],
  [
    'Lord Howe: after the repeated half hour',
    'daily',
    '02:00',
    'Australia/Lord_Howe',
    '2026-04-04T12:00:00Z',
    ['2026-04-04T15:30:00.000Z', '2026-04-05T15:30:00.000Z'],
  ],
  // 1 October 2028: 02:00 +10:30 -> 02:30 +11 (15:30Z on 30 September). 1 April 2029: 02:00 +11 -> 01:30 +10:30.
  [
    'Lord Howe: monthly on a 1st with the gap',
    'monthly',
    '02:15',
    'Australia/Lord_Howe',
    '2028-09-15T12:00:00Z',
    ['2028-09-30T15:30:00.000Z', '2028-10-31T15:15:00.000Z'],
  ],
  [
    'Lord Howe: monthly on a 1st with the repeat',
    'monthly',
    '01:45',
    'Australia/Lord_Howe',
    '2029-03-15T12:00:00Z',
    ['2029-03-31T14:45:00.000Z', '2029-04-30T15:15:00.000Z'],
  ],
];

describe.each(HOSTS)('nextRunAt on a host whose TZ is %s', (host) => {
  onHostTimeZone(host);

  it('runs under that zone (its offset on 15 January 2026 is in force)', () => {
    expect(new Date('2026-01-15T12:00:00Z').getTimezoneOffset()).toBe(HOST_OFFSETS[host]);
  });

  it.each(CASES)('%s', (_label, cadence, runAt, timezone, after, expected) => {
    expect(runs({ cadence, runAt, timezone }, after, expected.length)).toEqual(expected);
  });
});
