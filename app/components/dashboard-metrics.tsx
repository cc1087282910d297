import type { Metrics } from '../domain/metrics';
import type { Interval } from '../lib/time-buckets';
import type { Comparison } from '../read/date-ranges';
import { Funnel } from './funnel';
import { KpiCards } from './kpi-cards';
import { type TrendBucket, TrendChart } from './trend-chart';

interface Props {
  /** The range's metrics and those of the period before it, and its trend (getDashboard, getAgentDashboard). */
  metrics: { summary: Metrics; previous: Metrics; comparison: Comparison; series: TrendBucket[]; interval: Interval };
  timeZone: string;
  locale: string;
}

/** What both dashboard pages (everyone's, one agent's) show of a range: KPI cards, the trend and the funnel. */
export function DashboardMetrics({
  metrics: { summary, previous, comparison, series, interval },
  timeZone,
  locale,
}: Props) {
  return (
    <>
      <KpiCards current={summary} previous={previous} comparison={comparison} timeZone={timeZone} locale={locale} />
      <div className="dash-grid">
        <section className="card" aria-labelledby="trend-title">
          <h2 id="trend-title">Outcomes per {interval}</h2>
          <TrendChart buckets={series} interval={interval} timeZone={timeZone} locale={locale} />
        </section>
        <section className="card" aria-labelledby="funnel-title">
          <h2 id="funnel-title">Funnel</h2>
          <Funnel metrics={summary} locale={locale} />
        </section>
      </div>
    </>
  );
}
