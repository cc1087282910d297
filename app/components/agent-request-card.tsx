import { useActionData, useFetcher } from '@remix-run/react';
import type { CardActionResult } from '../domain/agent-console';
import type { Status } from '../domain/lifecycle';
import { CHANNEL_LABELS } from '../domain/lifecycle';
import { dateTimeFormat } from '../lib/intl-cache';
import { StatusBadge } from './status-badge';
import { TimeLeft } from './time-left';
import { useLocale } from './use-locale';

export interface AgentCard {
  id: string;
  status: Status;
  amountText: string;
  orderNumber: string;
  reason: string;
  channel: string;
  customerName: string | null;
  customerPhone: string;
  createdAt: number;
  sentAt: number | null;
  closedAt: number | null;
  expiresAt: number | null;
  payUrl: string | null;
  sendFailureReason: string | null;
  canCancel: boolean;
  canRetry: boolean;
}

export type { CardActionResult };

const SEND_FAILURE_WORDS: Record<string, string> = {
  recipient_unreachable: 'The channel could not reach this number.',
  channel_error: 'The channel did not answer.',
};

function resultMessage(result: CardActionResult | undefined): { tone: 'bad' | 'ok'; text: string } | null {
  if (!result) return null;
  if ('error' in result) return { tone: 'bad', text: result.error };
  if (result.intent === 'cancel') {
    return result.outcome === 'refused'
      ? { tone: 'bad', text: `Could not cancel: ${result.message}` }
      : { tone: 'ok', text: 'Canceled.' };
  }
  return result.sendFailureReason
    ? { tone: 'bad', text: 'Sending failed again.' }
    : { tone: 'ok', text: 'Sent again.' };
}

/** A time of day in the organisation's zone ('09:14'), with the date when it is not today's. */
function timeText(epochMs: number, now: number, timeZone: string, locale: string): string {
  const day = dateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const sameDay = day.format(epochMs) === day.format(now);
  return dateTimeFormat(locale, {
    timeZone,
    ...(sameDay ? {} : { day: 'numeric', month: 'short' }),
    hour: '2-digit',
    minute: '2-digit',
  }).format(epochMs);
}

function CardTimes({ card, now, timeZone }: { card: AgentCard; now: number; timeZone: string }) {
  const sent = card.sentAt ?? card.createdAt;
  const locale = useLocale();
  return (
    <p className="muted request-times">
      <span>
        {card.sentAt === null ? 'Created' : 'Sent'}{' '}
        <time dateTime={new Date(sent).toISOString()}>{timeText(sent, now, timeZone, locale)}</time>
      </span>
      {card.closedAt !== null ? (
        <span>
          {' · Closed '}
          <time dateTime={new Date(card.closedAt).toISOString()}>{timeText(card.closedAt, now, timeZone, locale)}</time>
        </span>
      ) : null}
    </p>
  );
}

export function AgentRequestCard({
  card,
  now,
  timeZone,
  highlighted,
  onExpired,
}: {
  card: AgentCard;
  now: number;
  /** The organisation's zone, for the sent and closed times. */
  timeZone: string;
  highlighted: boolean;
  onExpired: () => void;
}) {
  const fetcher = useFetcher<CardActionResult>();
  // Without JavaScript the form posts the whole page: its answer arrives as the page's action data.
  const pageResult = useActionData<CardActionResult | { intent: 'send' }>();
  const result =
    fetcher.data ??
    (pageResult && 'requestId' in pageResult && pageResult.requestId === card.id ? pageResult : undefined);
  const message = resultMessage(result);
  const busy = fetcher.state !== 'idle';
  const live = card.expiresAt !== null && ['sent', 'send_failed', 'opened', 'payment_failed'].includes(card.status);

  return (
    <li
      className={highlighted ? 'request-card card highlighted' : 'request-card card'}
      data-request-id={card.id}
      tabIndex={-1}
    >
      <div className="request-card-head">
        <StatusBadge status={card.status} />
        {live && card.expiresAt !== null ? (
          <TimeLeft expiresAt={card.expiresAt} now={now} onExpired={onExpired} className="time-left" />
        ) : null}
      </div>
      <p className="request-amount">
        {card.amountText} <span className="muted">· Order {card.orderNumber}</span>
      </p>
      <p className="request-reason" dir="auto">
        {card.reason}
      </p>
      <CardTimes card={card} now={now} timeZone={timeZone} />
      <p className="muted request-customer">
        {card.customerName ? (
          <>
            <bdi>{card.customerName}</bdi> ·{' '}
          </>
        ) : null}
        <span className="mono">{card.customerPhone}</span> · {CHANNEL_LABELS[card.channel] ?? card.channel}
      </p>
      {card.payUrl ? (
        <p className="request-link">
          <span className="muted">Sandbox link:</span>{' '}
          <a href={card.payUrl} target="_blank" rel="noreferrer" className="mono">
            {card.payUrl}
          </a>
        </p>
      ) : null}
      {card.status === 'send_failed' && card.sendFailureReason ? (
        <p className="field-error">
          {SEND_FAILURE_WORDS[card.sendFailureReason] ?? `Reason: ${card.sendFailureReason}`}
        </p>
      ) : null}
      {card.canRetry || card.canCancel ? (
        <fetcher.Form method="post" className="request-actions">
          <input type="hidden" name="requestId" value={card.id} />
          {card.canRetry ? (
            <button type="submit" name="intent" value="retry" className="small" disabled={busy}>
              {busy && fetcher.formData?.get('intent') === 'retry' ? 'Sending…' : 'Retry'}
            </button>
          ) : null}
          {card.canCancel ? (
            <button type="submit" name="intent" value="cancel" className="secondary small" disabled={busy}>
              {busy && fetcher.formData?.get('intent') === 'cancel' ? 'Canceling…' : 'Cancel request'}
            </button>
          ) : null}
        </fetcher.Form>
      ) : null}
      {message ? (
        <p role="status" className={message.tone === 'bad' ? 'card-message bad' : 'card-message ok'}>
          {message.text}
        </p>
      ) : null}
    </li>
  );
}
