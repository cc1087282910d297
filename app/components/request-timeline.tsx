import { cardInWords, reasonInWords } from '../domain/event-words';
import { formatDateTime, formatDuration } from '../domain/format';
import type { Anomaly, EventSource, EventType } from '../domain/lifecycle';
import { useLocale } from './use-locale';

export const EVENT_TYPE_LABELS: Record<EventType, string> = {
  'payment_request.created': 'Request created',
  'payment_request.sent': 'Link sent',
  'payment_request.send_failed': 'Sending failed',
  'payment_request.opened': 'Customer opened the link',
  'payment_request.payment_failed': 'Payment attempt failed',
  'payment_request.paid': 'Paid',
  'payment_request.declined': 'Declined by customer',
  'payment_request.expired': 'Link expired',
  'payment_request.canceled': 'Canceled by agent',
  'payment_request.cancel_rejected': 'Cancel refused',
};

export const SOURCE_LABELS: Record<EventSource, string> = {
  api: 'API',
  import: 'Import',
  seed: 'Demo data',
  system: 'System',
  agent_console: 'Agent console',
  customer: 'Customer',
  provider: 'Payment provider',
};

const ANOMALY_TITLES: Record<Anomaly, string> = {
  invalid_transition: 'Not allowed here',
  after_terminal: 'After the request closed',
  void: 'Void',
};

export interface TimelineEvent {
  id: string;
  type: EventType;
  occurredAt: string | null;
  receivedAt: string | null;
  source: string;
  applied: boolean;
  anomaly: Anomaly | null;
  anomalyExplanation: string | null;
  data: Record<string, unknown>;
  /** The name of the person in `data.actorId`, when that is someone the app knows. */
  actorName: string | null;
}

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : null);

/** The event's data in words: reasons, card brand and last four digits, references. */
function details(event: TimelineEvent): string[] {
  const { data } = event;
  const lines: string[] = [];
  const reason = text(data.reason);
  if (reason) lines.push(reasonInWords(event.type, reason));
  const card = data.card as { brand?: unknown; last4?: unknown } | undefined;
  if (card && (text(card.brand) || text(card.last4)))
    lines.push(`Paid with ${cardInWords(text(card.brand), text(card.last4))}`);
  const reference = text(data.providerReference);
  if (reference) lines.push(`Payment provider's reference: ${reference}`);
  if (text(data.actorId)) lines.push(event.actorName ? `By ${event.actorName}` : 'By a person no longer in the app');
  return lines;
}

/** How late an event arrived, when it is worth saying (more than a minute after it happened). */
function lateness(event: TimelineEvent, locale: string): string | null {
  if (!event.occurredAt || !event.receivedAt) return null;
  const seconds = (Date.parse(event.receivedAt) - Date.parse(event.occurredAt)) / 1000;
  return seconds > 60 ? `arrived ${formatDuration(seconds, locale)} later` : null;
}

/** Every event of a request in replay order (SPEC §1), anomalies explained in words. */
export function RequestTimeline({ events, timeZone }: { events: TimelineEvent[]; timeZone: string }) {
  const locale = useLocale();
  return (
    <ol className="timeline" aria-label="Timeline">
      {events.map((event) => {
        const lines = details(event);
        const late = lateness(event, locale);
        const sourceLabel = SOURCE_LABELS[event.source as EventSource] ?? event.source;
        return (
          <li
            key={event.id}
            className={event.anomaly ? `timeline-item anomalous anomaly-${event.anomaly}` : 'timeline-item'}
            data-type={event.type}
            data-testid="timeline-event"
          >
            <span className="timeline-dot" aria-hidden="true" />
            <div className="timeline-head">
              <strong className="timeline-type">{EVENT_TYPE_LABELS[event.type] ?? event.type}</strong>
              <time dateTime={event.occurredAt ?? undefined}>
                {formatDateTime(event.occurredAt ? Date.parse(event.occurredAt) : null, timeZone, locale)}
              </time>
              <span className={`source source-${event.source}`}>{sourceLabel}</span>
              {!event.applied && !event.anomaly && event.type !== 'payment_request.cancel_rejected' ? (
                <span className="muted">not applied</span>
              ) : null}
            </div>
            {lines.length > 0 ? (
              <ul className="timeline-data">
                {lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            ) : null}
            {event.anomaly ? (
              <p className="anomaly" data-testid="anomaly">
                <span className="anomaly-title">{ANOMALY_TITLES[event.anomaly]}:</span> {event.anomalyExplanation}
              </p>
            ) : null}
            <div className="timeline-meta muted">
              <span className="mono">{event.id}</span>
              {late ? <span> · {late}</span> : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
