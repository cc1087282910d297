import { formatCount, formatDuration, formatMoney, formatRate } from '../domain/format';
import type { Metrics } from '../domain/metrics';
import { change } from '../domain/metrics';

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

/** Relative change of a count or an amount: '+12.5%'. */
function relative(current: number | null, previous: number | null, better: Better, locale: string): Delta {
  const ratio = change(current, previous);
  if (ratio === null) return { text: '—', tone: 'none', title: 'nothing to compare in the previous period' };
  const text = signed(formatRate(Math.abs(ratio), locale), ratio);
  return { text, tone: tone(ratio, better), title: `${text} against the previous period` };
}

/** Change of a rate in percentage points: '+2.1 pts'. */
function points(current: number | null, previous: number | null, better: Better, locale: string): Delta {
  if (current === null || previous === null)
    return { text: '—', tone: 'none', title: 'nothing to compare in the previous period' };
  const difference = Math.round((current - previous) * 1000) / 10;
  const number = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    Math.abs(difference),
  );
  const text = `${signed(number, difference)} pts`;
  return { text, tone: tone(difference, better), title: `${text} (percentage points) against the previous period` };
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
  locale: string;
}

/** The KPI cards of SPEC §6, each with its change against the previous period of equal length. */
export function KpiCards({ current, previous, locale }: Props) {
  const rateCard = (label: string, key: keyof Metrics & `${string}Rate`, better: Better, detail?: string) => (
    <KpiCard
      key={label}
      label={label}
      value={formatRate(current[key], locale)}
      delta={points(current[key], previous[key], better, locale)}
      detail={detail}
    />
  );
  const currencies = [...new Set([...Object.keys(current.collected), ...Object.keys(previous.collected)])].sort();
  return (
    <section aria-label="Key figures" className="kpis">
      <KpiCard
        label="Links sent"
        value={formatCount(current.sent, locale)}
        delta={relative(current.sent, previous.sent, 'up', locale)}
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
        value={formatDuration(current.medianSecondsToPay)}
        delta={relative(current.medianSecondsToPay, previous.medianSecondsToPay, 'down', locale)}
        detail={current.p90SecondsToPay === null ? undefined : `p90 ${formatDuration(current.p90SecondsToPay)}`}
      />
      <div className="kpi card kpi-collected" data-kpi="Collected">
        <div className="kpi-label">Collected</div>
        {currencies.length === 0 ? (
          <div className="kpi-value">—</div>
        ) : (
          <ul className="collected-list">
            {currencies.map((currency) => {
              const delta = relative(
                current.collected[currency] ?? 0,
                previous.collected[currency] ?? null,
                'up',
                locale,
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
