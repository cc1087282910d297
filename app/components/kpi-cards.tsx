import { formatCount, formatDuration, formatMoney, formatRate } from '../domain/format';
import type { Metrics } from '../domain/metrics';
import { change, MIN_SENT_TO_COMPARE } from '../domain/metrics';
import { dateTimeFormat, numberFormat } from '../lib/intl-cache';
import type { Comparison } from '../read/date-ranges';

type Tone = 'good' | 'bad' | 'flat' | 'none';

interface Delta {
  text: string;
  tone: Tone;
  /** Words for screen readers and the tooltip. */
  title: string;
}

/** Which way is better: more sent and paid is good; more declines, expiries, cancels or waiting is bad. */
type Better = 'up' | 'down';

function tone(difference: number, better: Better): Tone {
  if (difference === 0) return 'flat';
  return difference > 0 === (better === 'up') ? 'good' : 'bad';
}

/** A magnitude with the sign of `value`, a true minus sign for falls. */
const signed = (magnitude: string, value: number) =>
  value > 0 ? `+${magnitude}` : value < 0 ? `−${magnitude}` : magnitude;

/** What every change on the cards is measured against, and whether it holds enough to say anything. */
interface Baseline {
  /** 'yesterday 00:00 – 07:33'-like words for the period compared with. */
  words: string;
  /** Links sent in it: below MIN_SENT_TO_COMPARE no change is shown. */
  sent: number;
  /** Links sent in the period shown: a rate's own denominator, held to the same minimum. */
  currentSent: number;
  locale: string;
}

function notEnough(baseline: Baseline): Delta {
  return {
    text: 'not enough data',
    tone: 'none',
    title: `Only ${formatCount(baseline.sent, baseline.locale)} links were sent in ${baseline.words}: a change needs at least ${MIN_SENT_TO_COMPARE} to compare with.`,
  };
}

/** Relative change of a count or an amount: '+12.5%'. */
function relative(current: number | null, previous: number | null, better: Better, baseline: Baseline): Delta {
  if (baseline.sent < MIN_SENT_TO_COMPARE) return notEnough(baseline);
  const ratio = change(current, previous);
  if (ratio === null) return { text: '—', tone: 'none', title: `Nothing to compare with in ${baseline.words}` };
  const text = signed(formatRate(Math.abs(ratio), baseline.locale), ratio);
  return { text, tone: tone(ratio, better), title: `${text} against ${baseline.words}` };
}

/**
 * Change of a rate in percentage points: '+2.1 pts'. A rate of this period over a few links swings as
 * wildly as one of the period before (0 of 3 paid is '−45.0 pts' in red): neither is compared.
 */
function points(current: number | null, previous: number | null, better: Better, baseline: Baseline): Delta {
  if (baseline.sent < MIN_SENT_TO_COMPARE) return notEnough(baseline);
  if (baseline.currentSent < MIN_SENT_TO_COMPARE) {
    return {
      text: 'not enough data',
      tone: 'none',
      title: `Only ${formatCount(baseline.currentSent, baseline.locale)} links were sent in this period: a rate’s change needs at least ${MIN_SENT_TO_COMPARE} to compare.`,
    };
  }
  if (current === null || previous === null)
    return { text: '—', tone: 'none', title: `Nothing to compare with in ${baseline.words}` };
  // In points, without the binary noise of subtracting two rates (50.25% - 50% reads 0.2499…), then
  // rounded as the rates themselves are shown, half away from zero whichever way it went (a rise of
  // 0.25 read +0.3 and a fall of 0.25 read −0.2).
  const difference = Number(((current - previous) * 100).toPrecision(12));
  const number = numberFormat(baseline.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    Math.abs(difference),
  );
  const way = Math.round(Math.abs(difference) * 10) === 0 ? 0 : Math.sign(difference);
  const text = `${signed(number, way)} pts`;
  return { text, tone: tone(way, better), title: `${text} (percentage points) against ${baseline.words}` };
}

/**
 * Change of the median time to pay: a median of a few payments moves by minutes with one slow
 * customer (one paid in 4 minutes against one in 1 read '+300%' in red), so both periods need as
 * many payments as a rate needs links.
 */
function payTimeChange(current: Metrics, previous: Metrics, baseline: Baseline): Delta {
  if (baseline.sent < MIN_SENT_TO_COMPARE) return notEnough(baseline);
  const fewer = Math.min(current.paid, previous.paid);
  if (fewer < MIN_SENT_TO_COMPARE) {
    const where = current.paid <= previous.paid ? 'this period' : baseline.words;
    return {
      text: 'not enough data',
      tone: 'none',
      title: `Only ${formatCount(fewer, baseline.locale)} links were paid in ${where}: a change of the time to pay needs at least ${MIN_SENT_TO_COMPARE} payments on each side.`,
    };
  }
  return relative(current.medianSecondsToPay, previous.medianSecondsToPay, 'down', baseline);
}

/**
 * What the median stands on, under it. Below 10 payments the nearest-rank p90 is the slowest of
 * them (ceil(0.9 n) = n): called so, with how many there were; one payment is its own median.
 */
function payTimesDetail(metrics: Metrics, locale: string): string | undefined {
  if (metrics.p90SecondsToPay === null) return undefined;
  const paid = `${formatCount(metrics.paid, locale)} paid`;
  if (metrics.paid === 1) return paid;
  if (metrics.paid < 10) return `slowest ${formatDuration(metrics.p90SecondsToPay, locale)} · ${paid}`;
  return `p90 ${formatDuration(metrics.p90SecondsToPay, locale)}`;
}

/** '1 Dec 2026, 00:00 – 07:33' for a cut period, '24 Nov – 30 Nov 2026' for whole days. */
export function comparisonWords(comparison: Comparison, timeZone: string, locale: string): string {
  const day = dateTimeFormat(locale, { timeZone, day: 'numeric', month: 'short', year: 'numeric' });
  const time = dateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' });
  if (comparison.partial) {
    const lastMoment = comparison.end - 1;
    const sameDay = day.format(comparison.start) === day.format(lastMoment);
    return sameDay
      ? `${day.format(comparison.start)}, ${time.format(comparison.start)} – ${time.format(comparison.end)}`
      : `${day.format(comparison.start)}, ${time.format(comparison.start)} – ${day.format(lastMoment)}, ${time.format(comparison.end)}`;
  }
  const utcDay = dateTimeFormat(locale, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
  const date = (ymd: string) => utcDay.format(Date.parse(`${ymd}T00:00:00Z`));
  return comparison.from === comparison.to
    ? date(comparison.from)
    : `${date(comparison.from)} – ${date(comparison.to)}`;
}

export function KpiCard({
  label,
  value,
  delta,
  detail,
}: {
  label: string;
  value: string;
  delta: Delta;
  detail?: string;
}) {
  return (
    <div className="kpi card" data-kpi={label}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value">{value}</div>
      <div className={`kpi-delta ${delta.tone}`} title={delta.title}>
        <span className="visually-hidden">Change: </span>
        {delta.text}
        {detail ? <span className="kpi-detail muted"> · {detail}</span> : null}
      </div>
    </div>
  );
}

interface Props {
  current: Metrics;
  previous: Metrics;
  comparison: Comparison;
  timeZone: string;
  locale: string;
}

/**
 * The KPI cards of SPEC §6, each with its change against the period before (comparisonPeriod: the
 * same elapsed part of it while this one runs), or "not enough data" when that period is sparse.
 */
export function KpiCards({ current, previous, comparison, timeZone, locale }: Props) {
  const words = comparisonWords(comparison, timeZone, locale);
  const baseline: Baseline = { words, sent: previous.sent, currentSent: current.sent, locale };
  const rateCard = (label: string, key: keyof Metrics & `${string}Rate`, better: Better, detail?: string) => (
    <KpiCard
      key={label}
      label={label}
      value={formatRate(current[key], locale)}
      delta={points(current[key], previous[key], better, baseline)}
      detail={detail}
    />
  );
  const currencies = [...new Set([...Object.keys(current.collected), ...Object.keys(previous.collected)])].sort();
  return (
    <section aria-label="Key figures" className="kpis" aria-describedby="kpi-comparison">
      <p className="kpi-comparison muted" id="kpi-comparison" data-testid="comparison">
        Changes compare with {words}
        {comparison.partial ? ', as far into that period as this one has run' : ', the period before'}
        {previous.sent < MIN_SENT_TO_COMPARE
          ? ` (${formatCount(previous.sent, locale)} links sent: too few to compare, at least ${MIN_SENT_TO_COMPARE} needed).`
          : '.'}
      </p>
      <KpiCard
        label="Links sent"
        value={formatCount(current.sent, locale)}
        delta={relative(current.sent, previous.sent, 'up', baseline)}
      />
      {/* SPEC §3's sendFailures: requests of the range by their creation, not their first send. A range
          whose links all failed to send shows 0 sent and says here why. */}
      <KpiCard
        label="Failed sends"
        value={formatCount(current.sendFailures, locale)}
        delta={relative(current.sendFailures, previous.sendFailures, 'down', baseline)}
        detail="requests created in range"
      />
      {rateCard('Open rate', 'openRate', 'up', `${formatCount(current.opened, locale)} opened`)}
      {rateCard('Conversion', 'conversionRate', 'up', `${formatCount(current.paid, locale)} paid`)}
      {rateCard('Decline rate', 'declineRate', 'down', `${formatCount(current.declined, locale)} declined`)}
      {rateCard(
        'Expiry rate',
        'expiryRate',
        'down',
        `${formatCount(current.expiredUnopened, locale)} unopened, ${formatCount(current.expiredAfterOpen, locale)} after open`,
      )}
      {rateCard('Cancel rate', 'cancelRate', 'down', `${formatCount(current.canceled, locale)} canceled`)}
      <KpiCard
        label="Median time to pay"
        value={formatDuration(current.medianSecondsToPay, locale)}
        delta={payTimeChange(current, previous, baseline)}
        detail={payTimesDetail(current, locale)}
      />
      <div className="kpi card kpi-collected" data-kpi="Collected">
        <div className="kpi-label">Collected</div>
        {currencies.length === 0 ? (
          <div className="kpi-value">—</div>
        ) : (
          <ul className="collected-list">
            {currencies.map((currency) => {
              // A change in percent: a double's 15 digits are plenty (the amount itself is shown exactly).
              const before = previous.collected[currency];
              const delta = relative(
                Number(current.collected[currency] ?? 0),
                before === undefined ? null : Number(before),
                'up',
                baseline,
              );
              return (
                <li key={currency}>
                  <span className="collected-amount">
                    {formatMoney(current.collected[currency] ?? 0, currency, locale)}
                  </span>
                  <span className={`kpi-delta ${delta.tone}`} title={delta.title}>
                    {delta.text}
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
}
