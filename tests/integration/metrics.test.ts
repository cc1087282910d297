import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { type Filters, parseFilters } from '../../app/read/filters';
import {
  getAgentLeaderboard,
  getMetricsSummary,
  getMetricsTimeseries,
  getTrend,
} from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb } from '../support/db';
import { type CreatedOptions, created, MINUTE, step, T0 } from '../support/events';

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const HOUR = 60 * MINUTE;
const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const collectionsSupervisor: Viewer = {
  userId: 'usr_s',
  name: 'Supervisor',
  role: 'supervisor',
  scope: { kind: 'teams', teamIds: ['tm_collections'] },
};

let db: Db;
beforeEach(async () => {
  db = (await createTestDb()).db;
});
afterEach(() => closeTestDb(db));

const ingest = async (events: unknown[], now = T0 + 6 * HOUR) => {
  const summary = await ingestEvents(db, events, 'api', { now, settings });
  expect(summary.rejected, JSON.stringify(summary.results)).toBe(0);
  return summary;
};
const filters = (query: string): Filters => parseFilters(new URLSearchParams(query), 'UTC');

/** A request created `at` ms after T0, with its later steps at offsets from T0. */
function requestEvents(id: string, at: number, steps: [string, number][], options: CreatedOptions = {}) {
  const data = (type: string) =>
    type === 'send_failed' || type === 'payment_failed' ? { reason: 'Declined by bank' } : {};
  return [created(id, at, options), ...steps.map(([type, offset]) => step(id, type, offset, data(type)))];
}

/** Friday 2026-11-20 (UTC): the hand-built day of the exact tests below. */
async function ingestFriday() {
  await ingest([
    ...requestEvents('pr_paid1', 0, [
      ['sent', MINUTE],
      ['opened', 2 * MINUTE],
      ['paid', 5 * MINUTE],
    ]),
    ...requestEvents(
      'pr_paid2',
      9 * MINUTE,
      [
        ['sent', 10 * MINUTE],
        ['paid', 12 * MINUTE],
      ],
      { currency: 'EUR', amount: 1500 },
    ),
    ...requestEvents(
      'pr_paid3',
      19 * MINUTE,
      [
        ['sent', 20 * MINUTE],
        ['opened', 21 * MINUTE],
        ['payment_failed', 22 * MINUTE],
        ['paid', 30 * MINUTE],
      ],
      { currency: 'JPY', amount: 5000, agentId: 'ag_20', teamId: 'tm_collections' },
    ),
    ...requestEvents('pr_declined', 29 * MINUTE, [
      ['sent', 30 * MINUTE],
      ['opened', 31 * MINUTE],
      ['declined', 33 * MINUTE],
    ]),
    // Never opened: the replay expires it 5 minutes after sent; opened: 15 minutes after opened.
    ...requestEvents('pr_expired', 39 * MINUTE, [['sent', 40 * MINUTE]]),
    ...requestEvents('pr_expired_opened', 49 * MINUTE, [
      ['sent', 50 * MINUTE],
      ['opened', 52 * MINUTE],
    ]),
    ...requestEvents('pr_canceled', 69 * MINUTE, [
      ['sent', 70 * MINUTE],
      ['canceled', 71 * MINUTE],
    ]),
    ...requestEvents('pr_send_failed', 80 * MINUTE, [['send_failed', 81 * MINUTE]]),
    ...requestEvents(
      'pr_retried',
      90 * MINUTE,
      [
        ['send_failed', 91 * MINUTE],
        ['sent', 92 * MINUTE],
        ['paid', 96 * MINUTE],
      ],
      {
        amount: 1000,
      },
    ),
    ...requestEvents('pr_waiting', 357 * MINUTE, [['sent', 358 * MINUTE]]),
    ...requestEvents('pr_thursday', -DAY_BEFORE, [
      ['sent', -DAY_BEFORE + MINUTE],
      ['paid', -DAY_BEFORE + 2 * MINUTE],
    ]),
  ]);
}
const DAY_BEFORE = 24 * HOUR;

describe('metrics on a hand-built day', () => {
  it('summarises S exactly (SPEC §3)', async () => {
    await ingestFriday();
    expect(await getMetricsSummary(db, filters('from=2026-11-20&to=2026-11-20'), manager)).toEqual({
      sent: 9,
      opened: 4,
      paid: 4,
      declined: 1,
      expired: 2,
      canceled: 1,
      inFlight: 1,
      openRate: 4 / 9,
      conversionRate: 4 / 9,
      declineRate: 1 / 9,
      expiryRate: 2 / 9,
      cancelRate: 1 / 9,
      expiredUnopened: 1,
      expiredAfterOpen: 1,
      // Times to pay 240, 120, 600, 240 s: nearest rank 2 of 4 and 4 of 4.
      medianSecondsToPay: 240,
      p90SecondsToPay: 600,
      collected: { EUR: 1500, JPY: 5000, USD: 37121 },
      sendFailures: 2,
    });
  });

  it('counts nothing in an empty range', async () => {
    await ingestFriday();
    expect(await getMetricsSummary(db, filters('from=2026-11-21&to=2026-11-22'), manager)).toMatchObject({
      sent: 0,
      openRate: null,
      medianSecondsToPay: null,
      collected: {},
      sendFailures: 0,
    });
    expect(await getAgentLeaderboard(db, filters('from=2026-11-21&to=2026-11-22'), manager)).toEqual([]);
  });

  it('ranks agents with their teams, one row per agent with a request in S', async () => {
    await ingestFriday();
    const rows = await getAgentLeaderboard(db, filters('from=2026-11-20&to=2026-11-20'), manager);
    expect(rows.map((row) => [row.agentId, row.agentName, row.teamId, row.teamName, row.sent, row.paid])).toEqual([
      ['ag_17', 'Thandi Mokoena', 'tm_retail', 'Retail', 8, 3],
      ['ag_20', 'Thandi Mokoena', 'tm_collections', 'tm_collections', 1, 1],
    ]);
    expect(rows[0]).toMatchObject({
      medianSecondsToPay: 240,
      p90SecondsToPay: 240,
      collected: { EUR: 1500, USD: 37121 },
      sendFailures: 2,
      expiredUnopened: 1,
      expiredAfterOpen: 1,
    });
    expect(rows[1]).toMatchObject({ conversionRate: 1, medianSecondsToPay: 600, collected: { JPY: 5000 } });
  });

  it('fills every hour bucket of the day, zeros included', async () => {
    await ingestFriday();
    const buckets = await getMetricsTimeseries(db, filters('from=2026-11-20&to=2026-11-20'), manager, 'hour');
    expect(buckets).toHaveLength(24);
    expect(buckets[0]!.start).toBe('2026-11-20T00:00:00.000+00:00');
    const sent = buckets.map((bucket) => bucket.sent);
    expect(sent).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(buckets[10]).toMatchObject({
      paid: 3,
      declined: 1,
      expired: 2,
      medianSecondsToPay: 240,
      p90SecondsToPay: 600,
    });
    expect(buckets[11]).toMatchObject({ canceled: 1, paid: 1, sendFailures: 2, collected: { USD: 1000 } });
    expect(buckets[15]).toMatchObject({ inFlight: 1, openRate: 0 });
    expect(buckets[3]).toMatchObject({ sent: 0, openRate: null, collected: {} });
  });

  it("gives the dashboards' trend the series' buckets with their outcome counts only", async () => {
    await ingestFriday();
    const day = filters('from=2026-11-19&to=2026-11-20');
    const trend = await getTrend(db, day, manager, 'day');
    expect(trend).toEqual([
      { start: '2026-11-19T00:00:00.000+00:00', sent: 1, paid: 1, declined: 0, expired: 0, canceled: 0, inFlight: 0 },
      { start: '2026-11-20T00:00:00.000+00:00', sent: 9, paid: 4, declined: 1, expired: 2, canceled: 1, inFlight: 1 },
    ]);
    const hourly = await getTrend(db, filters('from=2026-11-20&to=2026-11-20'), manager, 'hour');
    const series = await getMetricsTimeseries(db, filters('from=2026-11-20&to=2026-11-20'), manager, 'hour');
    expect(hourly).toEqual(
      series.map(({ start, sent, paid, declined, expired, canceled, inFlight }) => ({
        start,
        sent,
        paid,
        declined,
        expired,
        canceled,
        inFlight,
      })),
    );
    expect(hourly[10]).toEqual({
      start: '2026-11-20T10:00:00.000+00:00',
      sent: 6,
      paid: 3,
      declined: 1,
      expired: 2,
      canceled: 0,
      inFlight: 0,
    });
  });

  it('filters by team, agent, channel and currency', async () => {
    await ingestFriday();
    const day = 'from=2026-11-20&to=2026-11-20';
    expect((await getMetricsSummary(db, filters(`${day}&team=tm_collections`), manager)).sent).toBe(1);
    expect((await getMetricsSummary(db, filters(`${day}&agent=ag_17`), manager)).sent).toBe(8);
    expect(await getMetricsSummary(db, filters(`${day}&currency=EUR,JPY`), manager)).toMatchObject({
      sent: 2,
      paid: 2,
    });
    expect((await getMetricsSummary(db, filters(`${day}&channel=whatsapp`), manager)).sent).toBe(9);
    expect((await getMetricsSummary(db, filters(`${day}&channel=sms`), manager)).sent).toBe(0);
    const sms = await getAgentLeaderboard(db, filters(`${day}&channel=sms,whatsapp&agent=ag_20`), manager);
    expect(sms.map((row) => [row.agentId, row.sent])).toEqual([['ag_20', 1]]);
  });

  it('shows a supervisor only their teams, and an agent only their own requests', async () => {
    await ingestFriday();
    const day = filters('from=2026-11-20&to=2026-11-20');
    expect(await getMetricsSummary(db, day, collectionsSupervisor)).toMatchObject({
      sent: 1,
      paid: 1,
      collected: { JPY: 5000 },
    });
    expect((await getAgentLeaderboard(db, day, collectionsSupervisor)).map((row) => row.agentId)).toEqual(['ag_20']);
    expect(await getMetricsTimeseries(db, day, collectionsSupervisor, 'day')).toMatchObject([{ sent: 1 }]);
    // A filter for a team outside the scope widens nothing.
    expect(
      (await getMetricsSummary(db, filters('from=2026-11-20&to=2026-11-20&team=tm_retail'), collectionsSupervisor))
        .sent,
    ).toBe(0);
    const agent: Viewer = { userId: 'usr_a', name: 'Agent', role: 'agent', scope: { kind: 'agent', agentId: 'ag_17' } };
    expect(await getMetricsSummary(db, day, agent)).toMatchObject({ sent: 8, paid: 3 });
    const noTeams: Viewer = { ...collectionsSupervisor, scope: { kind: 'teams', teamIds: [] } };
    expect((await getMetricsSummary(db, day, noTeams)).sent).toBe(0);
  });
});

describe('amounts collected beyond 2^53', () => {
  // Three paid requests of 2^53 - 1 fils in one quarter hour, ingested in one batch: the batch's
  // rollup deltas add them in one cell, 27,021,597,764,222,973 exactly (a double reads ...972).
  const AMOUNT = Number.MAX_SAFE_INTEGER;
  const ingestThree = () =>
    ingest(
      ['pr_k1', 'pr_k2', 'pr_k3'].flatMap((id, i) =>
        requestEvents(
          id,
          i * MINUTE,
          [
            ['sent', (i + 1) * MINUTE],
            ['paid', (i + 2) * MINUTE],
          ],
          { currency: 'KWD', amount: AMOUNT, orderNumber: `SO-${id}` },
        ),
      ),
    );

  it('sums one batch of them in a rollup cell exactly', async () => {
    await ingestThree();
    const day = filters('from=2026-11-20&to=2026-11-20');
    expect((await getMetricsSummary(db, day, manager)).collected).toEqual({ KWD: '27021597764222973' });
    const hours = await getMetricsTimeseries(db, day, manager, 'hour');
    expect(hours[10]!.collected).toEqual({ KWD: '27021597764222973' });
    // Off UTC, the day is read from the quarter-hour cells and the day cells.
    const kolkata = filters('from=2026-11-20&to=2026-11-20&tz=Asia/Kolkata');
    expect((await getMetricsSummary(db, kolkata, manager)).collected).toEqual({ KWD: '27021597764222973' });
    expect((await getAgentLeaderboard(db, day, manager))[0]!.collected).toEqual({ KWD: '27021597764222973' });
  });
});

describe('late events move the counts', () => {
  it('moves an expired request to paid when a paid that occurred earlier arrives late', async () => {
    await ingest(
      requestEvents('pr_late', 0, [
        ['sent', MINUTE],
        ['opened', 2 * MINUTE],
      ]),
    );
    const day = filters('from=2026-11-20&to=2026-11-20');
    expect(await getMetricsSummary(db, day, manager)).toMatchObject({
      expired: 1,
      expiredAfterOpen: 1,
      paid: 0,
      collected: {},
    });

    await ingest([step('pr_late', 'paid', 10 * MINUTE)]);
    expect(await getMetricsSummary(db, day, manager)).toMatchObject({
      sent: 1,
      opened: 1,
      expired: 0,
      expiredAfterOpen: 0,
      paid: 1,
      medianSecondsToPay: 540,
      collected: { USD: 36121 },
    });
    expect(await getMetricsTimeseries(db, day, manager, 'day')).toMatchObject([{ sent: 1, paid: 1, expired: 0 }]);
  });

  it('moves a request to another day when an earlier sent arrives late', async () => {
    await ingest(
      requestEvents('pr_moved', -2 * HOUR, [
        ['sent', 30 * MINUTE],
        ['paid', 35 * MINUTE],
      ]),
    );
    const twoDays = filters('from=2026-11-19&to=2026-11-20');
    expect(
      (await getMetricsTimeseries(db, twoDays, manager, 'day')).map((bucket) => [bucket.sent, bucket.paid]),
    ).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // The earlier sent applies first; the one at +30 min becomes an invalid transition.
    await ingest([step('pr_moved', 'sent', -11 * HOUR, {}, '_early')]);
    expect(
      (await getMetricsTimeseries(db, twoDays, manager, 'day')).map((bucket) => [bucket.sent, bucket.paid]),
    ).toEqual([
      [1, 0],
      [0, 0],
    ]);
    expect(await getMetricsSummary(db, twoDays, manager)).toMatchObject({
      sent: 1,
      paid: 0,
      expired: 1,
      expiredUnopened: 1,
    });
  });

  it('forgets a request whose send a late cancel voids', async () => {
    await ingest(requestEvents('pr_void', 0, [['sent', 10 * MINUTE]]));
    const day = filters('from=2026-11-20&to=2026-11-20');
    expect((await getMetricsSummary(db, day, manager)).sent).toBe(1);
    await ingest([step('pr_void', 'canceled', 5 * MINUTE)]);
    expect(await getMetricsSummary(db, day, manager)).toMatchObject({ sent: 0, canceled: 0 });
  });
});

describe('time zones', () => {
  // 25 October 2026: Europe/Berlin leaves summer time at 03:00 (+02:00 → +01:00).
  const sentAt = (id: string, iso: string) => {
    const at = Date.parse(iso) - T0;
    return requestEvents(id, at - MINUTE, [['sent', at]]);
  };
  const now = Date.parse('2026-10-27T00:00:00Z');

  async function ingestDstDay() {
    await ingest(
      [
        ...sentAt('pr_a', '2026-10-24T21:30:00Z'), // 23:30 on the 24th in Berlin
        ...sentAt('pr_b', '2026-10-24T22:30:00Z'), // 00:30 (+02:00)
        ...sentAt('pr_c', '2026-10-25T00:30:00Z'), // 02:30 (+02:00)
        ...sentAt('pr_d', '2026-10-25T01:30:00Z'), // 02:30 (+01:00)
        ...sentAt('pr_e', '2026-10-25T01:45:00Z'), // 02:45 (+01:00)
        ...sentAt('pr_f', '2026-10-25T22:30:00Z'), // 23:30 (+01:00)
        ...sentAt('pr_g', '2026-10-25T23:30:00Z'), // 00:30 on the 26th
      ],
      now,
    );
  }

  it('gives the 25-hour day 25 hour buckets, each counted in its own hour', async () => {
    await ingestDstDay();
    const buckets = await getMetricsTimeseries(
      db,
      filters('from=2026-10-25&to=2026-10-25&tz=Europe/Berlin'),
      manager,
      'hour',
    );
    expect(buckets).toHaveLength(25);
    expect(buckets.slice(0, 5).map((bucket) => bucket.start)).toEqual([
      '2026-10-25T00:00:00.000+02:00',
      '2026-10-25T01:00:00.000+02:00',
      '2026-10-25T02:00:00.000+02:00',
      '2026-10-25T02:00:00.000+01:00',
      '2026-10-25T03:00:00.000+01:00',
    ]);
    expect(buckets[24]!.start).toBe('2026-10-25T23:00:00.000+01:00');
    expect(buckets.map((bucket) => bucket.sent)).toEqual([
      1, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });

  it('cuts days at local midnight, DST days included', async () => {
    await ingestDstDay();
    const berlin = filters('from=2026-10-24&to=2026-10-26&tz=Europe/Berlin');
    const days = await getMetricsTimeseries(db, berlin, manager, 'day');
    expect(days.map((bucket) => [bucket.start, bucket.sent])).toEqual([
      ['2026-10-24T00:00:00.000+02:00', 1],
      ['2026-10-25T00:00:00.000+02:00', 5],
      ['2026-10-26T00:00:00.000+01:00', 1],
    ]);
    expect((await getMetricsSummary(db, filters('from=2026-10-25&to=2026-10-25&tz=Europe/Berlin'), manager)).sent).toBe(
      5,
    );
    expect((await getMetricsSummary(db, filters('from=2026-10-25&to=2026-10-25'), manager)).sent).toBe(5);
    expect(
      (await getMetricsSummary(db, filters('from=2026-10-25&to=2026-10-25&tz=America/New_York'), manager)).sent,
    ).toBe(2);
    const kolkata = await getMetricsTimeseries(
      db,
      filters('from=2026-10-25&to=2026-10-26&tz=Asia/Kolkata'),
      manager,
      'day',
    );
    expect(kolkata.map((bucket) => [bucket.start, bucket.sent])).toEqual([
      ['2026-10-25T00:00:00.000+05:30', 5],
      ['2026-10-26T00:00:00.000+05:30', 2],
    ]);
  });

  it('starts weeks on Monday and months on the 1st, counting only inside the range', async () => {
    await ingestDstDay();
    const weeks = await getMetricsTimeseries(
      db,
      filters('from=2026-10-25&to=2026-10-27&tz=Europe/Berlin'),
      manager,
      'week',
    );
    expect(weeks.map((bucket) => [bucket.start, bucket.sent])).toEqual([
      ['2026-10-19T00:00:00.000+02:00', 5],
      ['2026-10-26T00:00:00.000+01:00', 1],
    ]);
    const months = await getMetricsTimeseries(
      db,
      filters('from=2026-10-01&to=2026-11-30&tz=Europe/Berlin'),
      manager,
      'month',
    );
    expect(months.map((bucket) => [bucket.start, bucket.sent])).toEqual([
      ['2026-10-01T00:00:00.000+02:00', 7],
      ['2026-11-01T00:00:00.000+01:00', 0],
    ]);
  });
});
