import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount } from '../domain/format';
import { dateTimeFormat } from '../lib/intl-cache';
import type { BucketProgress, Interval } from '../lib/time-buckets';
import type { TrendBucket as SeriesBucket } from '../read/metrics/metrics.server';

/** A bucket's outcome counts; `progress` says whether it is over, still running (so far) or not begun. */
export type TrendBucket = SeriesBucket & { progress?: BucketProgress };

/**
 * Outcomes stacked per bucket: together they make up the links sent in it. In lifecycle order
 * (SPEC §1: still open, then the terminal statuses in the table's order), the order of the bars,
 * the legend, the tooltip and the table alike.
 */
const OUTCOMES = [
  { key: 'inFlight', label: 'Still open', color: '#2457d6' },
  { key: 'paid', label: 'Paid', color: '#18794e' },
  { key: 'declined', label: 'Declined', color: '#c0342b' },
  { key: 'expired', label: 'Expired', color: '#a15c00' },
  { key: 'canceled', label: 'Canceled', color: '#8a94a3' },
] as const;

/** The x axis' title: what a bucket is, and in which zone. */
const AXIS_TITLES: Record<Interval, string> = {
  hour: 'Hour sent',
  day: 'Day sent',
  week: 'Week sent (starting)',
  month: 'Month sent',
};

/**
 * Ticks at even steps: hours on multiples of 2, 3 or 6 (00:00, 03:00, …), other buckets every
 * k-th one, at most about a dozen labels however wide the range.
 */
export function evenTicks(starts: readonly string[], interval: Interval, timeZone: string, maxTicks = 12): string[] {
  if (interval === 'hour') {
    const step = [1, 2, 3, 6, 12].find((hours) => starts.length / hours <= maxTicks) ?? 24;
    const hourOf = dateTimeFormat('en', { timeZone, hour: 'numeric', hourCycle: 'h23' });
    return starts.filter((start) => Number(hourOf.format(Date.parse(start))) % step === 0);
  }
  const step = Math.max(1, Math.ceil(starts.length / maxTicks));
  return starts.filter((_, index) => index % step === 0);
}

/** `label` names the bucket in the tooltip and the table, with '(so far)' or '(not yet)'; `tick` on the axis. */
type Row = TrendBucket & { label: string; tick: string };

const PROGRESS_WORDS: Record<BucketProgress, string> = { over: '', running: ' (so far)', ahead: ' (not yet)' };

/** The tooltip: the bucket, each outcome in lifecycle order, and the links sent in all. */
function TrendTooltip({
  active,
  payload,
  locale,
}: {
  active?: boolean;
  payload?: readonly { payload?: Row }[];
  locale: string;
}) {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  return (
    <div className="trend-tooltip">
      <div className="trend-tooltip-title">{row.label}</div>
      <table>
        <tbody>
          {OUTCOMES.map((outcome) => (
            <tr key={outcome.key}>
              <th scope="row">
                <span className="swatch" style={{ background: outcome.color }} /> {outcome.label}
              </th>
              <td className="num">{formatCount(row[outcome.key], locale)}</td>
            </tr>
          ))}
          <tr className="trend-tooltip-total">
            <th scope="row">Links sent</th>
            <td className="num">{formatCount(row.sent, locale)}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

const HEIGHT = 280;

/**
 * A bucket's start as people read it in the zone: '14:00', '25 Oct', 'Oct 2026'; with `withOffset`
 * an hour names its offset too ('2:00 AM GMT+2'), for the hour a DST change repeats.
 */
export function bucketLabel(
  iso: string,
  interval: Interval,
  timeZone: string,
  locale: string,
  withOffset = false,
): string {
  const options: Intl.DateTimeFormatOptions =
    interval === 'hour'
      ? { hour: 'numeric', minute: '2-digit', ...(withOffset ? { timeZoneName: 'short' as const } : {}) }
      : interval === 'month'
        ? { month: 'short', year: 'numeric' }
        : { day: 'numeric', month: 'short' };
  const label = dateTimeFormat(locale, { timeZone, ...options }).format(Date.parse(iso));
  return interval === 'week' ? `wk ${label}` : label;
}

interface Props {
  buckets: TrendBucket[];
  interval: Interval;
  timeZone: string;
  locale: string;
}

/**
 * Outcomes per bucket as stacked bars (recharts draws in the browser only, in a box of fixed
 * height so nothing jumps), with the same numbers as a table for screen readers and no-JS.
 */
export function TrendChart({ buckets, interval, timeZone, locale }: Props) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  // On a phone the plot is ~300 px wide: at most 4 labels, so 'Nov 26' and 'Nov 27' never overlap.
  const [narrow, setNarrow] = useState(false);
  useEffect(() => {
    const query = window.matchMedia('(max-width: 640px)');
    const update = () => setNarrow(query.matches);
    update();
    query.addEventListener('change', update);
    return () => query.removeEventListener('change', update);
  }, []);
  const multiDayHours = interval === 'hour' && buckets.length > 25;
  const tickOf = (start: string, withOffset = false) =>
    multiDayHours
      ? `${bucketLabel(start, 'day', timeZone, locale)}, ${bucketLabel(start, 'hour', timeZone, locale, withOffset)}`
      : bucketLabel(start, interval, timeZone, locale, withOffset);
  // The hour a fall-back repeats reads the same twice ('2:00 AM', '2:00 AM'): both say their offset.
  const plain = buckets.map((bucket) => tickOf(bucket.start));
  const repeated = new Set(plain.filter((tick, i) => plain.indexOf(tick) !== i));
  const rows: Row[] = buckets.map((bucket, i) => {
    const tick = repeated.has(plain[i]!) ? tickOf(bucket.start, true) : plain[i]!;
    return { ...bucket, tick, label: tick + PROGRESS_WORDS[bucket.progress ?? 'over'] };
  });
  const labelOf = new Map(rows.map((row) => [row.start, row.tick]));
  const running = rows.find((row) => row.progress === 'running');
  const ahead = rows.some((row) => row.progress === 'ahead');
  const ticks = evenTicks(
    rows.map((row) => row.start),
    interval,
    timeZone,
    narrow ? 4 : 12,
  );
  const total = buckets.reduce((sum, bucket) => sum + bucket.sent, 0);
  return (
    <figure className="trend">
      {/* Hidden from assistive technology (the table below has the numbers), so nothing in it may take focus. */}
      <div className="trend-plot" style={{ height: HEIGHT }} aria-hidden="true" data-testid="trend-plot">
        {mounted ? (
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <BarChart
              data={rows}
              margin={{ top: 8, right: 8, bottom: 20, left: 8 }}
              accessibilityLayer={false}
              tabIndex={-1}
            >
              <CartesianGrid vertical={false} stroke="#e2e5ea" />
              <XAxis
                dataKey="start"
                ticks={ticks}
                interval={0}
                tickFormatter={(start: string) =>
                  multiDayHours ? bucketLabel(start, 'hour', timeZone, locale) : (labelOf.get(start) ?? '')
                }
                tickLine={false}
                fontSize={12}
                label={{
                  value: `${AXIS_TITLES[interval]} (${timeZone})`,
                  position: 'insideBottom',
                  offset: -14,
                  fontSize: 12,
                }}
              />
              <YAxis
                allowDecimals={false}
                tickLine={false}
                axisLine={false}
                width={56}
                fontSize={12}
                tickFormatter={(value: number) => formatCount(value, locale)}
                label={{
                  value: 'Links sent (count)',
                  angle: -90,
                  position: 'insideLeft',
                  offset: 0,
                  fontSize: 12,
                  style: { textAnchor: 'middle' },
                }}
              />
              <Tooltip
                content={(props) => (
                  <TrendTooltip
                    active={props.active}
                    payload={props.payload as readonly { payload?: Row }[]}
                    locale={locale}
                  />
                )}
                cursor={{ fill: 'rgba(36, 87, 214, 0.06)' }}
              />
              <Legend
                iconType="square"
                itemSorter={null}
                verticalAlign="top"
                wrapperStyle={{ fontSize: 13, paddingBottom: 4 }}
              />
              {OUTCOMES.map((outcome) => (
                <Bar
                  key={outcome.key}
                  dataKey={outcome.key}
                  name={outcome.label}
                  stackId="outcome"
                  fill={outcome.color}
                  isAnimationActive={false}
                >
                  {rows.map((row) => (
                    <Cell key={row.start} fillOpacity={row.progress === 'running' ? 0.45 : 1} />
                  ))}
                </Bar>
              ))}
            </BarChart>
          </ResponsiveContainer>
        ) : (
          <div className="trend-placeholder muted">Loading chart…</div>
        )}
      </div>
      <figcaption className="muted small">
        Links sent per {interval} by what became of them: {formatCount(total, locale)} in all.
        {running && (
          <span data-testid="trend-running">
            {' '}
            {running.tick} is not over: its bar, drawn lighter, holds the links sent so far.
          </span>
        )}
        {ahead && <span data-testid="trend-ahead"> Later {interval}s of the range have not begun.</span>}
      </figcaption>
      <details className="trend-numbers">
        <summary className="trend-numbers-toggle">The numbers behind the chart</summary>
        <div className="dash-scroll">
          <table>
            <caption className="visually-hidden">Links sent per {interval}, by outcome</caption>
            <thead>
              <tr>
                <th scope="col">
                  {interval === 'hour'
                    ? 'Hour'
                    : interval === 'month'
                      ? 'Month'
                      : interval === 'week'
                        ? 'Week of'
                        : 'Day'}
                </th>
                {OUTCOMES.map((outcome) => (
                  <th key={outcome.key} scope="col" className="num">
                    {outcome.label}
                  </th>
                ))}
                <th scope="col" className="num">
                  Links sent
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.start}>
                  <th scope="row">
                    <time dateTime={row.start}>{row.label}</time>
                  </th>
                  {[...OUTCOMES.map((outcome) => outcome.key), 'sent' as const].map((key) => (
                    <td key={key} className="num">
                      {row.progress === 'ahead' ? '—' : formatCount(row[key], locale)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
