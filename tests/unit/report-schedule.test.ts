import { describe, expect, it } from 'vitest';
import { nextRunAt, rangeForRun } from '../../app/domain/report-schedule';

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
    expect(runs({ cadence: 'daily', runAt: '02:30', timezone: 'America/New_York' }, '2026-03-07T12:00:00Z', 2)).toEqual(
      ['2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z'],
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
