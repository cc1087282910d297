import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount } from '../domain/format';
import type { Metrics } from '../domain/metrics';
import type { Interval } from '../lib/time-buckets';

export type TrendBucket = Pick<Metrics, 'sent' | 'paid' | 'declined' | 'expired' | 'canceled' | 'inFlight'> & {
  start: string;
};

/** Outcomes stacked per bucket: together they make up the links sent in it. */
const OUTCOMES = [
  { key: 'paid', label: 'Paid', color: '#18794e' },
  { key: 'declined', label: 'Declined', color: '#c0342b' },
  { key: 'expired', label: 'Expired', color: '#a15c00' },
  { key: 'canceled', label: 'Canceled', color: '#8a94a3' },
  { key: 'inFlight', label: 'Still open', color: '#2457d6' },
] as const;

const HEIGHT = 280;

/** A bucket's start as people read it in the zone: '14:00', '25 Oct', 'Oct 2026'. */
export function bucketLabel(iso: string, interval: Interval, timeZone: string, locale: string): string {
  const options: Intl.DateTimeFormatOptions =
    interval === 'hour'
      ? { hour: 'numeric', minute: '2-digit' }
      : interval === 'month'
        ? { month: 'short', year: 'numeric' }
        : { day: 'numeric', month: 'short' };
  const label = new Intl.DateTimeFormat(locale, { timeZone, ...options }).format(Date.parse(iso));
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
  const rows = buckets.map((bucket) => ({ ...bucket, label: bucketLabel(bucket.start, interval, timeZone, locale) }));
  const total = buckets.reduce((sum, bucket) => sum + bucket.sent, 0);
  const dayLabel = interval === 'hour' && rows.length > 24;
  return (
    <figure className="trend">
      <div className="trend-plot" style={{ height: HEIGHT }} aria-hidden="true">
        {mounted ? (
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid vertical={false} stroke="#e2e5ea" />
              <XAxis dataKey="label" tickLine={false} minTickGap={dayLabel ? 24 : 8} fontSize={12} />
              <YAxis
                allowDecimals={false}
                tickLine={false}
                axisLine={false}
                width={48}
                fontSize={12}
                tickFormatter={(value: number) => formatCount(value, locale)}
              />
              <Tooltip
                formatter={(value, name) => [formatCount(Number(value), locale), name]}
                labelFormatter={(label) => String(label)}
                cursor={{ fill: 'rgba(36, 87, 214, 0.06)' }}
              />
              <Legend iconType="square" itemSorter={null} wrapperStyle={{ fontSize: 13 }} />
              {OUTCOMES.map((outcome) => (
                <Bar
                  key={outcome.key}
                  dataKey={outcome.key}
                  name={outcome.label}
                  stackId="outcome"
                  fill={outcome.color}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        ) : (
          <div className="trend-placeholder muted">Loading chart…</div>
        )}
      </div>
      <figcaption className="muted small">
        Links sent per {interval} by what became of them: {formatCount(total, locale)} in all.
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
                <th scope="col" className="num">
                  Sent
                </th>
                {OUTCOMES.map((outcome) => (
                  <th key={outcome.key} scope="col" className="num">
                    {outcome.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.start}>
                  <th scope="row">
                    <time dateTime={row.start}>{row.label}</time>
                  </th>
                  <td className="num">{formatCount(row.sent, locale)}</td>
                  {OUTCOMES.map((outcome) => (
                    <td key={outcome.key} className="num">
                      {formatCount(row[outcome.key], locale)}
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
