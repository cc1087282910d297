import { formatCount, formatRate } from '../domain/format';
import type { Metrics } from '../domain/metrics';
import { rate } from '../domain/metrics';

/**
 * Sent → opened → paid, each step as a share of the links sent, and paid as a share of opened too
 * when it can be one: a link may be paid without an opened event (SPEC §1: sent → paid), and more
 * paid than opened would read as over 100% of opened.
 */
export function Funnel({ metrics, locale }: { metrics: Pick<Metrics, 'sent' | 'opened' | 'paid'>; locale: string }) {
  const steps = [
    { label: 'Sent', count: metrics.sent },
    { label: 'Opened', count: metrics.opened },
    { label: 'Paid', count: metrics.paid },
  ];
  return (
    <ol className="funnel" aria-label="Funnel from sent to paid">
      {steps.map((step, index) => {
        const share = rate(step.count, metrics.sent);
        const fromPrevious = index === 0 ? null : rate(step.count, steps[index - 1]!.count);
        return (
          <li key={step.label} className="funnel-step">
            <div className="funnel-head">
              <span className="funnel-label">{step.label}</span>
              <span className="funnel-count">{formatCount(step.count, locale)}</span>
            </div>
            <div className="funnel-track">
              <div className="funnel-bar" style={{ width: `${Math.max(share ?? 0, 0) * 100}%` }} />
            </div>
            <div className="funnel-note muted small">
              {index === 0
                ? metrics.sent === 0
                  ? 'No links sent'
                  : formatRate(1, locale)
                : index === 1 || fromPrevious === null || fromPrevious > 1
                  ? `${formatRate(share, locale)} of sent`
                  : `${formatRate(share, locale)} of sent · ${formatRate(fromPrevious, locale)} of opened`}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
