import { formatCount } from '../../domain/format';
import { dateTimeFormat } from '../../lib/intl-cache';
import { useLocale } from '../use-locale';
import { useOrgTimeZone } from './local-time';

export interface MinuteBucket {
  start: number;
  accepted: number;
  rejected: number;
}

const WIDTH = 600;
const HEIGHT = 90;
const BAR = WIDTH / 60;

function clock(ms: number, timeZone: string, locale: string): string {
  return dateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' }).format(ms);
}

/** Sixty bars, accepted stacked under rejected, with the same numbers as a table for screen readers. */
export function EventsPerMinute({ buckets }: { buckets: MinuteBucket[] }) {
  const timeZone = useOrgTimeZone();
  const locale = useLocale();
  const peak = Math.max(0, ...buckets.map((bucket) => bucket.accepted + bucket.rejected));
  const max = Math.max(1, peak);
  const total = buckets.reduce((sum, bucket) => sum + bucket.accepted + bucket.rejected, 0);
  const busy = buckets.filter((bucket) => bucket.accepted + bucket.rejected > 0);
  const first = buckets[0];
  const scale = (n: number) => (n / max) * (HEIGHT - 4);
  return (
    <figure className="spark">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Events per minute over the last hour: ${formatCount(total, locale)} in all, at most ${formatCount(peak, locale)} in a minute`}
      >
        <line x1={0} x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="spark-axis" />
        {buckets.map((bucket, i) => {
          const accepted = scale(bucket.accepted);
          const rejected = scale(bucket.rejected);
          return (
            <g key={bucket.start}>
              <title>
                {`${clock(bucket.start, timeZone, locale)}: ${bucket.accepted} accepted, ${bucket.rejected} rejected`}
              </title>
              <rect
                x={i * BAR + 1}
                width={BAR - 2}
                y={HEIGHT - accepted}
                height={accepted}
                className="spark-accepted"
              />
              <rect
                x={i * BAR + 1}
                width={BAR - 2}
                y={HEIGHT - accepted - rejected}
                height={rejected}
                className="spark-rejected"
              />
            </g>
          );
        })}
      </svg>
      <figcaption className="spark-caption">
        <span suppressHydrationWarning>{first ? clock(first.start, timeZone, locale) : ''}</span>
        <span className="spark-legend">
          <span className="key key-accepted" /> accepted <span className="key key-rejected" /> rejected · peak{' '}
          {formatCount(peak, locale)}/min
        </span>
        <span>now</span>
      </figcaption>
      <details>
        <summary>Minutes with events ({busy.length})</summary>
        {busy.length === 0 ? (
          <p className="muted">No events in the last hour.</p>
        ) : (
          <table className="compact">
            <thead>
              <tr>
                <th>Minute</th>
                <th className="num">Accepted</th>
                <th className="num">Rejected</th>
              </tr>
            </thead>
            <tbody>
              {busy.map((bucket) => (
                <tr key={bucket.start}>
                  <td suppressHydrationWarning>{clock(bucket.start, timeZone, locale)}</td>
                  <td className="num">{formatCount(bucket.accepted, locale)}</td>
                  <td className="num">{formatCount(bucket.rejected, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </figure>
  );
}
