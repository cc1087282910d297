import { IN_FLIGHT_STATUSES, type Status } from './lifecycle';
import { addToTotals, type MinorAmount } from './money';

/**
 * The metrics of SPEC §3 written out by hand, request by request: the reference (test oracle) the
 * production metrics are checked against. Production reads them from the rollups through the
 * metric table (app/domain/metric-table.ts), where each metric is defined once; `Metrics` is the
 * record both give, and the rate and percentile helpers here are shared.
 */

/** What one request in S adds to the counts (the sendFailures part is counted by createdAt instead). */
export interface RequestFacts {
  status: Status;
  amount: number;
  currency: string;
  sentAt: number | null;
  openedAt: number | null;
  paidAt: number | null;
  sendFailures: number;
}

/** The additive part of the metrics: sums over requests, so rollups can add and subtract them. */
export interface MetricCounts {
  sent: number;
  opened: number;
  paid: number;
  declined: number;
  expired: number;
  /** Expired requests that had been opened (SPEC: expiredAfterOpen). */
  expiredOpened: number;
  canceled: number;
  inFlight: number;
  /** Sum of `amount` of paid requests, per currency, in minor units (exact: a string beyond 2^53). */
  collected: Record<string, MinorAmount>;
  /** Requests created in range with at least one send_failed (by createdAt, not sentAt). */
  sendFailures: number;
}

/** The record of SPEC §3, shared by the summary, each leaderboard row and each time-series bucket. */
export interface Metrics {
  sent: number;
  opened: number;
  paid: number;
  declined: number;
  expired: number;
  canceled: number;
  inFlight: number;
  openRate: number | null;
  conversionRate: number | null;
  declineRate: number | null;
  expiryRate: number | null;
  cancelRate: number | null;
  expiredUnopened: number;
  expiredAfterOpen: number;
  medianSecondsToPay: number | null;
  p90SecondsToPay: number | null;
  collected: Record<string, MinorAmount>;
  sendFailures: number;
}

export const COUNT_FIELDS = [
  'sent',
  'opened',
  'paid',
  'declined',
  'expired',
  'expiredOpened',
  'canceled',
  'inFlight',
  'sendFailures',
] as const satisfies readonly (keyof MetricCounts)[];

export function emptyCounts(): MetricCounts {
  return {
    sent: 0,
    opened: 0,
    paid: 0,
    declined: 0,
    expired: 0,
    expiredOpened: 0,
    canceled: 0,
    inFlight: 0,
    collected: {},
    sendFailures: 0,
  };
}

/** Adds b into a (mutates a); currencies are kept apart, never added together. */
export function addCounts(a: MetricCounts, b: MetricCounts): MetricCounts {
  for (const field of COUNT_FIELDS) a[field] += b[field];
  for (const [currency, amount] of Object.entries(b.collected)) addToTotals(a.collected, currency, amount);
  return a;
}

/**
 * One request's contribution to the counts of S (its sentAt in range). The sendFailures part is
 * separate: it belongs to the range of the request's createdAt.
 */
export function requestCounts(request: RequestFacts): MetricCounts {
  const counts = emptyCounts();
  if (request.sentAt === null) return counts;
  counts.sent = 1;
  if (request.openedAt !== null) counts.opened = 1;
  switch (request.status) {
    case 'paid':
      counts.paid = 1;
      counts.collected[request.currency] = request.amount;
      break;
    case 'declined':
      counts.declined = 1;
      break;
    case 'expired':
      counts.expired = 1;
      if (request.openedAt !== null) counts.expiredOpened = 1;
      break;
    case 'canceled':
      counts.canceled = 1;
      break;
    default:
      if (IN_FLIGHT_STATUSES.includes(request.status)) counts.inFlight = 1;
  }
  return counts;
}

/** Whether a request counts in sendFailures (for the range of its createdAt). */
export function countsAsSendFailure(request: Pick<RequestFacts, 'sendFailures'>): boolean {
  return request.sendFailures > 0;
}

/** paidAt − sentAt in seconds for a paid request, else null (SPEC §3: time to pay). */
export function secondsToPay(request: Pick<RequestFacts, 'status' | 'sentAt' | 'paidAt'>): number | null {
  if (request.status !== 'paid' || request.sentAt === null || request.paidAt === null) return null;
  return (request.paidAt - request.sentAt) / 1000;
}

/** part / sent, or null when nothing was sent. */
export function rate(part: number, sent: number): number | null {
  return sent === 0 ? null : part / sent;
}

/** The 1-based nearest rank of percentile p (0 < p ≤ 1) among n values: ceil(p·n). */
export function nearestRank(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(p * n - 1e-9)));
}

/** Nearest-rank percentile of values sorted ascending; null when there are none. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[nearestRank(p, sorted.length) - 1]!;
}

/** Nearest-rank percentile of any values (copied and sorted); null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileOfSorted(Float64Array.from(values).sort(), p);
}

export interface PayTimes {
  medianSecondsToPay: number | null;
  p90SecondsToPay: number | null;
}

export const NO_PAY_TIMES: PayTimes = { medianSecondsToPay: null, p90SecondsToPay: null };

/** Median and p90 of times to pay, in seconds, nearest rank. */
export function payTimes(seconds: readonly number[]): PayTimes {
  const sorted = Float64Array.from(seconds).sort();
  return { medianSecondsToPay: percentileOfSorted(sorted, 0.5), p90SecondsToPay: percentileOfSorted(sorted, 0.9) };
}

/** Currencies in code order, so JSON and CSV columns come out stable. */
function sortedCollected(collected: Record<string, MinorAmount>): Record<string, MinorAmount> {
  return Object.fromEntries(
    Object.entries(collected)
      .filter(([, amount]) => amount !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** The metrics record from its additive counts and the percentiles of time to pay. */
export function toMetrics(counts: MetricCounts, times: PayTimes = NO_PAY_TIMES): Metrics {
  const { sent } = counts;
  return {
    sent,
    opened: counts.opened,
    paid: counts.paid,
    declined: counts.declined,
    expired: counts.expired,
    canceled: counts.canceled,
    inFlight: counts.inFlight,
    openRate: rate(counts.opened, sent),
    conversionRate: rate(counts.paid, sent),
    declineRate: rate(counts.declined, sent),
    expiryRate: rate(counts.expired, sent),
    cancelRate: rate(counts.canceled, sent),
    expiredUnopened: counts.expired - counts.expiredOpened,
    expiredAfterOpen: counts.expiredOpened,
    medianSecondsToPay: times.medianSecondsToPay,
    p90SecondsToPay: times.p90SecondsToPay,
    collected: sortedCollected(counts.collected),
    sendFailures: counts.sendFailures,
  };
}

/**
 * The metrics of a set of requests straight from their projection rows: the reference the
 * rollup-backed queries must agree with. `inRange` decides S (by sentAt) and the sendFailures set
 * (by createdAt).
 */
export function metricsOfRequests(
  requests: readonly (RequestFacts & { createdAt: number })[],
  inRange: (at: number) => boolean,
): Metrics {
  const counts = emptyCounts();
  const seconds: number[] = [];
  for (const request of requests) {
    if (countsAsSendFailure(request) && inRange(request.createdAt)) counts.sendFailures += 1;
    if (request.sentAt === null || !inRange(request.sentAt)) continue;
    addCounts(counts, requestCounts(request));
    const s = secondsToPay(request);
    if (s !== null) seconds.push(s);
  }
  return toMetrics(counts, payTimes(seconds));
}

/** Relative change from the previous period's value to the current one; null when undefined. */
export function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / previous;
}

/**
 * A change is shown only when the period compared with sent at least this many links: below it a
 * percentage swings wildly on one or two requests (+2,578.6% from 3 links), so the cards say
 * "not enough data" instead. The leaderboard's rate sorts put agents who sent fewer after the rest.
 */
export const MIN_SENT_TO_COMPARE = 20;
