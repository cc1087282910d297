export const STATUSES = [
  'created',
  'sent',
  'send_failed',
  'opened',
  'payment_failed',
  'paid',
  'declined',
  'expired',
  'canceled',
] as const;
export type Status = (typeof STATUSES)[number];

export const STATUS_LABELS: Record<Status, string> = {
  created: 'Created',
  sent: 'Waiting for customer',
  send_failed: 'Send failed – try again',
  opened: 'Customer opened link',
  payment_failed: 'Payment attempt failed',
  paid: 'Paid',
  declined: 'Declined by customer',
  expired: 'Expired',
  canceled: 'Canceled by agent',
};

export const TERMINAL_STATUSES: ReadonlySet<Status> = new Set(['paid', 'declined', 'expired', 'canceled']);
export const IN_FLIGHT_STATUSES: readonly Status[] = ['sent', 'opened', 'payment_failed'];

export function isTerminal(status: Status): boolean {
  return TERMINAL_STATUSES.has(status);
}

// Table order matters: it breaks ties between events with the same occurredAt (SPEC §1 "Order").
// Append only: an event's position here is its type_code in SQLite (db/event-codes.ts).
export const EVENT_TYPES = [
  'payment_request.created',
  'payment_request.sent',
  'payment_request.send_failed',
  'payment_request.opened',
  'payment_request.payment_failed',
  'payment_request.paid',
  'payment_request.declined',
  'payment_request.expired',
  'payment_request.canceled',
  'payment_request.cancel_rejected',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

interface Transition {
  /** Status the event moves the request to; null for audit-only events. */
  to: Status | null;
  /** Statuses the event is allowed from; 'first' for created, 'any' for audit records. */
  from: readonly Status[] | 'first' | 'any';
}

export const TRANSITIONS: Record<EventType, Transition> = {
  'payment_request.created': { to: 'created', from: 'first' },
  'payment_request.sent': { to: 'sent', from: ['created', 'send_failed'] },
  'payment_request.send_failed': { to: 'send_failed', from: ['created', 'send_failed'] },
  'payment_request.opened': { to: 'opened', from: ['sent'] },
  'payment_request.payment_failed': { to: 'payment_failed', from: ['opened', 'payment_failed'] },
  'payment_request.paid': { to: 'paid', from: ['sent', 'opened', 'payment_failed'] },
  'payment_request.declined': { to: 'declined', from: ['sent', 'opened', 'payment_failed'] },
  'payment_request.expired': { to: 'expired', from: ['sent', 'send_failed', 'opened', 'payment_failed'] },
  'payment_request.canceled': { to: 'canceled', from: ['created', 'sent', 'send_failed'] },
  'payment_request.cancel_rejected': { to: null, from: 'any' },
};

export const EVENT_TYPE_RANK: Record<EventType, number> = Object.fromEntries(
  EVENT_TYPES.map((type, index) => [type, index]),
) as Record<EventType, number>;

export const CANCEL_REJECTION_REASONS = ['already_opened', 'already_canceled', 'expired', 'already_closed'] as const;
export type CancelRejectionReason = (typeof CANCEL_REJECTION_REASONS)[number];

export const CANCEL_REJECTION_MESSAGES: Record<CancelRejectionReason, string> = {
  already_opened: 'The customer has already opened the link.',
  already_canceled: 'This request was already canceled.',
  expired: 'The link has expired.',
  already_closed: 'This request is already closed (paid or declined).',
};

export const CHANNELS = ['whatsapp', 'sms', 'webchat', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/** How each channel is named in the UI and in exports' labels. */
export const CHANNEL_LABELS: Record<string, string> = {
  whatsapp: 'WhatsApp',
  sms: 'SMS',
  webchat: 'Web chat',
  email: 'Email',
} satisfies Record<Channel, string>;

// Append only: a source's position here is its source_code in SQLite (db/event-codes.ts).
export const EVENT_SOURCES = ['api', 'import', 'seed', 'system', 'agent_console', 'customer', 'provider'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const ANOMALIES = ['invalid_transition', 'after_terminal', 'void'] as const;
export type Anomaly = (typeof ANOMALIES)[number];

export const ANOMALY_EXPLANATIONS: Record<Anomaly, string> = {
  invalid_transition: 'Not allowed from the status the request had at that moment; kept for the record, no effect.',
  after_terminal: 'Arrived after the request was already closed; kept for the record, no effect.',
  void: 'System expiry voided: a later-arriving event moved the expiry time.',
};

/**
 * Why a cancel would be refused in the given state, or null when it is allowed.
 * Cancel is allowed only while the link was never opened and the request is not terminal.
 */
export function cancelRefusalReason(status: Status, openedAt: number | null): CancelRejectionReason | null {
  if (status === 'canceled') return 'already_canceled';
  if (status === 'expired') return 'expired';
  if (status === 'paid' || status === 'declined') return 'already_closed';
  if (openedAt !== null || status === 'opened' || status === 'payment_failed') return 'already_opened';
  return null;
}

/** Statuses in which the customer can still pay or decline (SPEC §1 transitions of paid and declined). */
export const PAYABLE_STATUSES: readonly Status[] = ['sent', 'opened', 'payment_failed'];
