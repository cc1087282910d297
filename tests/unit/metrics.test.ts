import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addCounts,
  change,
  emptyCounts,
  metricsOfRequests,
  nearestRank,
  payTimes,
  percentile,
  type RequestFacts,
  rate,
  requestCounts,
  secondsToPay,
  toMetrics,
} from '../../app/domain/metrics';
import { bucketIndex, bucketStarts, isoInZone } from '../../app/lib/time-buckets';
import {
  comparisonPeriod,
  daysBetween,
  matchingPreset,
  presetRange,
  shiftDate,
  withDefaultRange,
} from '../../app/read/date-ranges';
import { EARLIEST, LATEST, rangePieces } from '../../app/read/metrics/cells';
import {
  DAY_MS,
  PAID_INDEX_SQL,
  PAID_PERIOD_INDEX_SQL,
  PAID_SUB_BIN_INDEX_SQL,
  PAY_BIN_EDGES_MS,
  rollupPackSql,
  rollupRebuildSql,
  rollupTriggerSql,
  VALUE_COLUMNS,
  writerTriggersDropSql,
} from '../../db/metrics-rollups';

const T = Date.parse('2026-11-20T10:00:00.000Z');
const S = 1000;

function request(overrides: Partial<RequestFacts & { createdAt: number }>): RequestFacts & { createdAt: number } {
  return {
    status: 'sent',
    amount: 1000,
    currency: 'USD',
    createdAt: T,
    sentAt: T,
    openedAt: null,
    paidAt: null,
    sendFailures: 0,
    ...overrides,
  };
}

describe('rates and percentiles', () => {
  it('divides by sent, null when nothing was sent', () => {
    expect(rate(3, 4)).toBe(0.75);
    expect(rate(0, 4)).toBe(0);
    expect(rate(0, 0)).toBeNull();
  });

  it('takes the nearest rank: ceil(p·n)', () => {
    expect(nearestRank(0.5, 1)).toBe(1);
    expect(nearestRank(0.5, 4)).toBe(2);
    expect(nearestRank(0.5, 5)).toBe(3);
    expect(nearestRank(0.9, 10)).toBe(9);
    expect(nearestRank(0.9, 11)).toBe(10);
    expect(nearestRank(0.9, 20)).toBe(18);
    expect(percentile([40, 10, 30, 20], 0.5)).toBe(20);
    expect(percentile([15, 20, 35, 40, 50], 0.5)).toBe(35);
    expect(percentile([15, 20, 35, 40, 50], 0.9)).toBe(50);
    expect(percentile([], 0.5)).toBeNull();
    expect(payTimes([252, 60, 120])).toEqual({ medianSecondsToPay: 120, p90SecondsToPay: 252 });
    expect(payTimes([])).toEqual({ medianSecondsToPay: null, p90SecondsToPay: null });
  });

  it('measures time to pay from sentAt to paidAt, paid requests only', () => {
    expect(secondsToPay(request({ status: 'paid', paidAt: T + 252_500 }))).toBe(252.5);
    expect(secondsToPay(request({ status: 'declined', paidAt: T + 1 }))).toBeNull();
  });

  it('changes relative to the previous value', () => {
    expect(change(120, 100)).toBeCloseTo(0.2);
    expect(change(80, 100)).toBeCloseTo(-0.2);
    expect(change(5, 0)).toBeNull();
    expect(change(null, 3)).toBeNull();
  });
});

describe('counts of one request', () => {
  it('classifies each status as SPEC §3 says', () => {
    expect(requestCounts(request({ status: 'opened', openedAt: T + S }))).toMatchObject({
      sent: 1,
      opened: 1,
      inFlight: 1,
    });
    expect(requestCounts(request({ status: 'payment_failed', openedAt: T + S }))).toMatchObject({
      inFlight: 1,
      opened: 1,
    });
    expect(requestCounts(request({ status: 'paid', amount: 36121, openedAt: T + S, paidAt: T + 2 * S }))).toEqual({
      ...emptyCounts(),
      sent: 1,
      opened: 1,
      paid: 1,
      collected: { USD: 36121 },
    });
    expect(requestCounts(request({ status: 'expired', openedAt: T + S }))).toMatchObject({
      expired: 1,
      expiredOpened: 1,
    });
    expect(requestCounts(request({ status: 'expired' }))).toMatchObject({ expired: 1, expiredOpened: 0, opened: 0 });
    expect(requestCounts(request({ status: 'canceled' }))).toMatchObject({ canceled: 1, inFlight: 0 });
    expect(requestCounts(request({ status: 'created', sentAt: null }))).toEqual(emptyCounts());
  });

  it('adds counts without ever adding currencies together', () => {
    const total = addCounts(
      requestCounts(request({ status: 'paid', amount: 100, paidAt: T })),
      requestCounts(request({ status: 'paid', amount: 250, currency: 'EUR', paidAt: T })),
    );
    addCounts(total, requestCounts(request({ status: 'paid', amount: 5, paidAt: T })));
    expect(total.collected).toEqual({ USD: 105, EUR: 250 });
    expect(total.paid).toBe(3);
  });
});

describe('metricsOfRequests', () => {
  it('computes the whole record with exact values', () => {
    const inRange = (at: number) => at >= T && at < T + DAY_MS;
    const requests = [
      request({ status: 'paid', amount: 36121, openedAt: T + 30 * S, paidAt: T + 252 * S }),
      request({ status: 'paid', amount: 1500, currency: 'EUR', openedAt: T + 10 * S, paidAt: T + 60 * S }),
      request({ status: 'paid', amount: 99, currency: 'KWD', paidAt: T + 120 * S }),
      request({ status: 'declined', openedAt: T + S }),
      request({ status: 'expired' }),
      request({ status: 'expired', openedAt: T + S }),
      request({ status: 'canceled' }),
      request({ status: 'sent' }),
      request({ status: 'send_failed', sentAt: null, sendFailures: 2 }),
      request({ status: 'sent', sendFailures: 1 }),
      request({ status: 'paid', sentAt: T - DAY_MS, paidAt: T }), // sent outside the range: not in S
    ];
    expect(metricsOfRequests(requests, inRange)).toEqual({
      sent: 9,
      opened: 4,
      paid: 3,
      declined: 1,
      expired: 2,
      canceled: 1,
      inFlight: 2,
      openRate: 4 / 9,
      conversionRate: 3 / 9,
      declineRate: 1 / 9,
      expiryRate: 2 / 9,
      cancelRate: 1 / 9,
      expiredUnopened: 1,
      expiredAfterOpen: 1,
      medianSecondsToPay: 120,
      p90SecondsToPay: 252,
      collected: { EUR: 1500, KWD: 99, USD: 36121 },
      sendFailures: 2,
    });
  });

  it('gives null rates and no collected when nothing was sent', () => {
    expect(toMetrics(emptyCounts())).toMatchObject({
      sent: 0,
      openRate: null,
      conversionRate: null,
      collected: {},
      medianSecondsToPay: null,
    });
  });
});

describe('time buckets', () => {
  it('gives a 25-hour DST day 25 hour buckets in Europe/Berlin', () => {
    const start = Date.parse('2026-10-24T22:00:00Z');
    const end = Date.parse('2026-10-25T23:00:00Z');
    const starts = bucketStarts(start, end, 'hour', 'Europe/Berlin')!;
    expect(starts).toHaveLength(25);
    expect(starts.slice(0, 4).map((at) => isoInZone(at, 'Europe/Berlin'))).toEqual([
      '2026-10-25T00:00:00.000+02:00',
      '2026-10-25T01:00:00.000+02:00',
      '2026-10-25T02:00:00.000+02:00',
      '2026-10-25T02:00:00.000+01:00',
    ]);
  });

  it('keeps hour buckets on the hour across a 30-minute DST change (Australia/Lord_Howe)', () => {
    const zone = 'Australia/Lord_Howe';
    const hours = (start: string, end: string) =>
      bucketStarts(Date.parse(start), Date.parse(end), 'hour', zone)!.map((at) => isoInZone(at, zone).slice(11));
    // 4 October 2026: 02:00 (+10:30) jumps to 02:30 (+11:00); there is no 02:00 on the clock, and the
    // 01:00 hour lasts until 03:00. A 23.5-hour day of 23 hours.
    const spring = hours('2026-10-03T13:30:00Z', '2026-10-04T13:00:00Z');
    expect(spring).toHaveLength(23);
    expect(spring.slice(0, 4)).toEqual([
      '00:00:00.000+10:30',
      '01:00:00.000+10:30',
      '03:00:00.000+11:00',
      '04:00:00.000+11:00',
    ]);
    expect(spring[22]).toBe('23:00:00.000+11:00');
    // 5 April 2026: 02:00 (+11:00) goes back to 01:30 (+10:30); 01:00 to 02:00 lasts 90 minutes.
    const autumn = hours('2026-04-04T13:00:00Z', '2026-04-05T13:30:00Z');
    expect(autumn).toHaveLength(24);
    expect(autumn.slice(0, 4)).toEqual([
      '00:00:00.000+11:00',
      '01:00:00.000+11:00',
      '02:00:00.000+10:30',
      '03:00:00.000+10:30',
    ]);
    // A range starting after the change starts on the hour too.
    expect(hours('2026-10-04T01:15:00Z', '2026-10-04T03:00:00Z')).toEqual(['12:00:00.000+11:00', '13:00:00.000+11:00']);
  });

  it('starts days at local midnight across DST, weeks on Monday, months on the 1st', () => {
    const start = Date.parse('2026-03-27T23:00:00Z'); // 28 March 00:00 in Berlin
    const end = Date.parse('2026-03-30T22:00:00Z'); // 31 March 00:00 (+02:00)
    expect(bucketStarts(start, end, 'day', 'Europe/Berlin')!.map((at) => isoInZone(at, 'Europe/Berlin'))).toEqual([
      '2026-03-28T00:00:00.000+01:00',
      '2026-03-29T00:00:00.000+01:00',
      '2026-03-30T00:00:00.000+02:00',
    ]);
    expect(bucketStarts(start, end, 'week', 'Europe/Berlin')!.map((at) => isoInZone(at, 'Europe/Berlin'))).toEqual([
      '2026-03-23T00:00:00.000+01:00',
      '2026-03-30T00:00:00.000+02:00',
    ]);
    expect(bucketStarts(start, end, 'month', 'Europe/Berlin')!.map((at) => isoInZone(at, 'Europe/Berlin'))).toEqual([
      '2026-03-01T00:00:00.000+01:00',
    ]);
    expect(bucketStarts(start, end, 'hour', 'Europe/Berlin', 10)).toBeNull();
  });

  it('starts the days after a DST change that skips midnight at midnight again (America/Santiago)', () => {
    // Chile moved its clocks from 00:00 to 01:00 on 7 September 2025: that day starts at 01:00.
    const start = Date.parse('2025-09-05T04:00:00Z'); // 5 September 00:00 (-04:00)
    const end = Date.parse('2025-09-10T03:00:00Z'); // 10 September 00:00 (-03:00)
    const days = bucketStarts(start, end, 'day', 'America/Santiago')!;
    expect(days.map((at) => isoInZone(at, 'America/Santiago'))).toEqual([
      '2025-09-05T00:00:00.000-04:00',
      '2025-09-06T00:00:00.000-04:00',
      '2025-09-07T01:00:00.000-03:00',
      '2025-09-08T00:00:00.000-03:00',
      '2025-09-09T00:00:00.000-03:00',
    ]);
  });

  it('finds the bucket of an instant', () => {
    expect(bucketIndex([10, 20, 30], 5)).toBe(-1);
    expect(bucketIndex([10, 20, 30], 20)).toBe(1);
    expect(bucketIndex([10, 20, 30], 99)).toBe(2);
  });
});

describe('range pieces', () => {
  const day = Date.parse('2026-10-25T00:00:00Z');
  const H = 3_600_000;

  it('reads whole UTC days from the day rollup', () => {
    expect(rangePieces(day, day + 3 * DAY_MS)).toEqual([{ source: 'day', start: day, end: day + 3 * DAY_MS, sign: 1 }]);
    expect(rangePieces(EARLIEST, LATEST)).toEqual([{ source: 'day', start: EARLIEST, end: LATEST, sign: 1 }]);
  });

  it('reads short partial days as quarter hours and long ones as the day minus the rest', () => {
    // Berlin days: 22:00 UTC to 22:00 UTC (2 hours of the day before, then the day minus 2 hours).
    expect(rangePieces(day - 2 * H, day + 22 * H)).toEqual([
      { source: 'quarterHour', start: day - 2 * H, end: day, sign: 1 },
      { source: 'day', start: day, end: day + DAY_MS, sign: 1 },
      { source: 'quarterHour', start: day + 22 * H, end: day + DAY_MS, sign: -1 },
    ]);
    expect(rangePieces(day + H, day + 2 * H)).toEqual([
      { source: 'quarterHour', start: day + H, end: day + 2 * H, sign: 1 },
    ]);
  });

  it('reads the requests only off a 15-minute boundary', () => {
    const odd = day + 10 * 60_000;
    expect(rangePieces(odd, day + H)).toEqual([
      { source: 'requests', start: odd, end: day + 15 * 60_000, sign: 1 },
      { source: 'quarterHour', start: day + 15 * 60_000, end: day + H, sign: 1 },
    ]);
    expect(rangePieces(odd, odd + 60_000)).toEqual([{ source: 'requests', start: odd, end: odd + 60_000, sign: 1 }]);
  });
});

describe('rollup storage', () => {
  const statements = (file: string) =>
    readFileSync(`db/migrations/${file}`, 'utf8')
      .split('--> statement-breakpoint\n')
      .map((statement) => statement.trim());

  it('stores every value once and keeps the histogram bins in ascending order', () => {
    expect(new Set(VALUE_COLUMNS).size).toBe(VALUE_COLUMNS.length);
    expect([...PAY_BIN_EDGES_MS].sort((a, b) => a - b)).toEqual(PAY_BIN_EDGES_MS);
  });

  it('has its tables, triggers and backfill in the newest rollup migration exactly as db/metrics-rollups.ts writes them', () => {
    const rebuild = rollupRebuildSql({ withWriterTriggers: true, layout: 'wide' });
    const migration = statements('0009_metrics_rollups_unpacked.sql');
    const handWritten = migration.slice(-rebuild.length).map((statement) => statement.replace(/^--.*\n/, ''));
    expect(handWritten).toEqual(rebuild);
  });

  it('drops the insert and update triggers in migration 0014 and keeps the delete trigger', () => {
    const migration = statements('0014_rollup_deltas_in_writer.sql').map((statement) =>
      statement.replace(/^(--.*\n)+/, ''),
    );
    expect(migration).toEqual(writerTriggersDropSql());
    expect(rollupRebuildSql().filter((statement) => statement.startsWith('CREATE TRIGGER'))).toEqual([
      rollupTriggerSql()[2],
    ]);
  });

  it('packs the rollup tables in migration 0027 as db/metrics-rollups.ts writes it, the delete trigger packed too', () => {
    const migration = statements('0027_rollups_packed.sql').map((statement) => statement.replace(/^(--.*\n)+/, ''));
    expect(migration).toEqual(rollupPackSql());
    expect(migration.at(-1)).toBe(rollupTriggerSql()[2]);
    expect(migration.at(-1)).toContain('counts = counts_add(counts, excluded.counts)');
    expect(rollupTriggerSql('wide')[2]).not.toContain('counts');
  });

  it('keeps the paid-time indexes of migration 0002 as db/metrics-rollups.ts writes them', () => {
    const migration = statements('0002_metrics_rollups.sql');
    for (const index of PAID_INDEX_SQL) expect(migration).toContain(index);
  });

  it('has migration 0019 replace them with the sub-bin indexes db/metrics-rollups.ts writes', () => {
    const migration = statements('0019_paid_sub_bin_indexes.sql').map((statement) =>
      statement.replace(/^(--.*\n)+/, ''),
    );
    expect(migration).toEqual([
      'DROP INDEX `pr_paid_bin_idx`;',
      'DROP INDEX `pr_paid_agent_bin_idx`;',
      ...PAID_SUB_BIN_INDEX_SQL,
    ]);
  });

  it('has migration 0022 replace those with the period-first indexes db/metrics-rollups.ts writes', () => {
    const migration = statements('0022_period_first_value_indexes.sql').map((statement) =>
      statement.replace(/^(--.*\n)+/, ''),
    );
    expect(migration.slice(2)).toEqual([
      'DROP INDEX `pr_paid_sub_bin_idx`;',
      'DROP INDEX `pr_paid_agent_sub_bin_idx`;',
      ...PAID_PERIOD_INDEX_SQL,
    ]);
  });
});

describe('date ranges', () => {
  const now = Date.parse('2026-03-29T23:30:00Z'); // already 30 March in Berlin

  it('resolves presets in the zone', () => {
    expect(presetRange('today', 'UTC', now)).toEqual({ from: '2026-03-29', to: '2026-03-29' });
    expect(presetRange('today', 'Europe/Berlin', now)).toEqual({ from: '2026-03-30', to: '2026-03-30' });
    expect(presetRange('yesterday', 'Europe/Berlin', now)).toEqual({ from: '2026-03-29', to: '2026-03-29' });
    expect(presetRange('7d', 'UTC', now)).toEqual({ from: '2026-03-23', to: '2026-03-29' });
    expect(presetRange('90d', 'UTC', now)).toEqual({ from: '2025-12-30', to: '2026-03-29' });
    expect(matchingPreset('2026-03-23', '2026-03-29', 'UTC', now, 0)).toBe('7d');
    expect(matchingPreset('2026-03-22', '2026-03-29', 'UTC', now)).toBeNull();
  });

  it("resolves weeks from the organisation's first day, and calendar months", () => {
    // 29 March 2026 is a Sunday.
    expect(presetRange('this-week', 'UTC', now)).toEqual({ from: '2026-03-23', to: '2026-03-29' });
    expect(presetRange('last-week', 'UTC', now)).toEqual({ from: '2026-03-16', to: '2026-03-22' });
    expect(presetRange('this-week', 'UTC', now, 0)).toEqual({ from: '2026-03-29', to: '2026-03-29' });
    expect(presetRange('last-week', 'UTC', now, 0)).toEqual({ from: '2026-03-22', to: '2026-03-28' });
    expect(presetRange('last-week', 'UTC', now, 6)).toEqual({ from: '2026-03-21', to: '2026-03-27' });
    expect(presetRange('this-week', 'Europe/Berlin', now)).toEqual({ from: '2026-03-30', to: '2026-03-30' });
    expect(presetRange('this-month', 'UTC', now)).toEqual({ from: '2026-03-01', to: '2026-03-29' });
    expect(presetRange('last-month', 'UTC', now)).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(presetRange('last-month', 'UTC', Date.parse('2026-01-15T12:00:00Z'))).toEqual({
      from: '2025-12-01',
      to: '2025-12-31',
    });
    expect(matchingPreset('2026-03-23', '2026-03-29', 'UTC', now)).toBe('this-week');
  });

  it('compares a running period with the same elapsed part of the one before', () => {
    const at = (iso: string) => Date.parse(iso);
    // Today at 23:30 against yesterday 00:00-23:30.
    expect(comparisonPeriod({ preset: 'today', from: '2026-03-29', to: '2026-03-29' }, 'UTC', now)).toEqual({
      from: '2026-03-28',
      to: '2026-03-28',
      start: at('2026-03-28T00:00:00Z'),
      end: at('2026-03-28T23:30:00Z'),
      partial: true,
    });
    // Berlin, 01:30 on the day after the clocks went forward: yesterday 00:00-01:30 local (CET, +01:00).
    expect(comparisonPeriod({ preset: 'today', from: '2026-03-30', to: '2026-03-30' }, 'Europe/Berlin', now)).toEqual({
      from: '2026-03-29',
      to: '2026-03-29',
      start: at('2026-03-29T00:00:00+01:00'),
      end: at('2026-03-29T01:30:00+01:00'),
      partial: true,
    });
    // 07:33 the day after: yesterday to 07:33 by its clock (CEST since 02:00), not 7 h 33 min after its midnight.
    const morning = at('2026-03-30T07:33:00+02:00');
    expect(
      comparisonPeriod({ preset: 'today', from: '2026-03-30', to: '2026-03-30' }, 'Europe/Berlin', morning),
    ).toEqual({
      from: '2026-03-29',
      to: '2026-03-29',
      start: at('2026-03-29T00:00:00+01:00'),
      end: at('2026-03-29T07:33:00+02:00'),
      partial: true,
    });
    // The last 7 days with today still running: 6 days and 23.5 hours on each side.
    expect(comparisonPeriod({ preset: '7d', from: '2026-03-23', to: '2026-03-29' }, 'UTC', now)).toMatchObject({
      from: '2026-03-16',
      to: '2026-03-22',
      start: at('2026-03-16T00:00:00Z'),
      end: at('2026-03-22T23:30:00Z'),
    });
    // This week on its Wednesday at 10:00 against last week's Monday to Wednesday 10:00 (not Friday-Sunday).
    const wednesday = at('2026-03-25T10:00:00Z');
    expect(comparisonPeriod({ preset: 'this-week', from: '2026-03-23', to: '2026-03-25' }, 'UTC', wednesday)).toEqual({
      from: '2026-03-16',
      to: '2026-03-22',
      start: at('2026-03-16T00:00:00Z'),
      end: at('2026-03-18T10:00:00Z'),
      partial: true,
    });
    // This month on its 29th day against all of a 28-day February.
    expect(comparisonPeriod({ preset: 'this-month', from: '2026-03-01', to: '2026-03-29' }, 'UTC', now)).toEqual({
      from: '2026-02-01',
      to: '2026-02-28',
      start: at('2026-02-01T00:00:00Z'),
      end: at('2026-03-01T00:00:00Z'),
      partial: true,
    });
    // Finished periods compare whole: a month with the month before, days with as many days.
    expect(comparisonPeriod({ preset: 'last-month', from: '2026-02-01', to: '2026-02-28' }, 'UTC', now)).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
      start: at('2026-01-01T00:00:00Z'),
      end: at('2026-02-01T00:00:00Z'),
      partial: false,
    });
    expect(comparisonPeriod({ preset: null, from: '2026-03-01', to: '2026-03-07' }, 'UTC', now)).toEqual({
      from: '2026-02-22',
      to: '2026-02-28',
      start: at('2026-02-22T00:00:00Z'),
      end: at('2026-03-01T00:00:00Z'),
      partial: false,
    });
  });

  it('counts days between calendar dates', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toBe(4);
    expect(shiftDate('2026-12-31', 1)).toBe('2027-01-01');
  });

  it('defaults a missing range to the last N days', () => {
    expect(withDefaultRange({ tz: 'UTC' }, 30, now)).toEqual({ tz: 'UTC', from: '2026-02-28', to: '2026-03-29' });
    expect(withDefaultRange({ tz: 'UTC', to: '2026-01-10' }, 30, now)).toEqual({
      tz: 'UTC',
      from: '2025-12-12',
      to: '2026-01-10',
    });
    expect(withDefaultRange({ tz: 'UTC', from: '2026-03-20' }, 30, now)).toEqual({
      tz: 'UTC',
      from: '2026-03-20',
      to: '2026-03-29',
    });
  });
});
