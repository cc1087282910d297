import type { PaymentRequestDetails } from './event-schema';
import { isTerminal } from './lifecycle';
import { type ExpirySettings, type ReplayEvent, type ReplayResult, replayEvents } from './replay';

/** One stored event as the projection needs it: the replay's fields and the body as stored (masked). */
export interface ProjectionEvent extends ReplayEvent {
  body: string;
}

/** A payment_requests row as the replay of its events makes it (updatedAt aside). */
export interface RequestProjection {
  id: string;
  agentId: string;
  teamId: string;
  amount: number;
  currency: string;
  channel: string;
  orderNumber: string;
  reason: string;
  customerName: string | null;
  customerPhone: string;
  status: string;
  createdAt: number;
  sentAt: number | null;
  openedAt: number | null;
  paidAt: number | null;
  closedAt: number | null;
  expiresAt: number | null;
  expiryDueAt: number | null;
  sendFailures: number;
  lastEventAt: number;
}

/**
 * Replays a request's events and builds its projection (SPEC §1). Null while its created event has
 * not arrived (an orphan counts nowhere). The one definition used by ingest and by `cli verify`.
 */
export function projectRequest<Event extends ProjectionEvent>(
  requestId: string,
  events: readonly Event[],
  settings: ExpirySettings,
  now: number,
  /**
   * The created event's paymentRequest as its body holds it, when the caller has it without parsing
   * the body (the ingest writer, from the stored form); undefined: parsed from the body.
   */
  detailsOf?: (created: Event) => PaymentRequestDetails | undefined,
): { result: ReplayResult; projection: RequestProjection } | null {
  const result = replayEvents(events, settings, now);
  if (!result) return null;
  let lastEventAt = 0;
  let created: Event | undefined;
  for (const event of events) {
    if (result.outcomes.get(event.id)?.applied) lastEventAt = Math.max(lastEventAt, event.occurredAt);
    if (event.id === result.state.createdEventId) created = event;
  }
  const details =
    (created && detailsOf?.(created)) ??
    (JSON.parse(created?.body ?? '') as { paymentRequest: PaymentRequestDetails }).paymentRequest;
  const { state } = result;
  return {
    result,
    projection: {
      id: requestId,
      agentId: details.agent.id,
      teamId: details.agent.team.id,
      amount: details.amount,
      currency: details.currency,
      channel: details.channel,
      orderNumber: details.orderNumber,
      reason: details.reason,
      customerName: details.customer.name ?? null,
      customerPhone: details.customer.phone,
      status: state.status,
      createdAt: state.createdAt,
      sentAt: state.sentAt,
      openedAt: state.openedAt,
      paidAt: state.paidAt,
      closedAt: state.closedAt,
      expiresAt: state.expiresAt,
      expiryDueAt: result.unrecordedExpiryAt ?? (isTerminal(state.status) ? null : state.expiresAt),
      sendFailures: state.sendFailures,
      lastEventAt: Math.max(lastEventAt, state.closedAt ?? 0),
    },
  };
}
