/** Builders of SPEC §2 events with fixed timestamps, for tests. */
export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
export const MINUTE = 60_000;

export function at(offsetMs: number): string {
  return new Date(T0 + offsetMs).toISOString();
}

export interface CreatedOptions {
  agentId?: string;
  agentName?: string;
  teamId?: string;
  teamName?: string;
  amount?: number;
  currency?: string;
  reason?: string;
  orderNumber?: string;
}

export function created(requestId: string, offsetMs = 0, options: CreatedOptions = {}) {
  const teamId = options.teamId ?? 'tm_retail';
  return {
    id: `evt_${requestId}_created`,
    type: 'payment_request.created',
    occurredAt: at(offsetMs),
    paymentRequest: {
      id: requestId,
      agent: {
        id: options.agentId ?? 'ag_17',
        name: options.agentName ?? 'Thandi Mokoena',
        team: { id: teamId, name: options.teamName ?? (teamId === 'tm_retail' ? 'Retail' : teamId) },
      },
      amount: options.amount ?? 36121,
      currency: options.currency ?? 'USD',
      orderNumber: options.orderNumber ?? 'SO-1001',
      reason: options.reason ?? 'Floral Oasis Dress',
      channel: 'whatsapp',
      customer: { phone: '+27821234567', name: 'Valeria' },
    },
    data: {},
  };
}

export function step(
  requestId: string,
  type: string,
  offsetMs: number,
  data: Record<string, unknown> = {},
  suffix = '',
) {
  return {
    id: `evt_${requestId}_${type}${suffix}`,
    type: `payment_request.${type}`,
    occurredAt: at(offsetMs),
    paymentRequest: { id: requestId },
    data,
  };
}

/**
 * A window of the last minutes that stays inside one UTC day, for tests that read "today" from the
 * server's clock: `iso(offset)` is `offset` ms from `base`, which is now, or in the first 45 minutes of
 * a UTC day the end of yesterday (events 42 to 12 minutes back were split across midnight then).
 * `range` covers yesterday and today in UTC; `sentToday` says which day the window is in.
 */
export function recentWindow(now = Date.now()) {
  const day = 24 * 60 * MINUTE;
  const sinceMidnight = now % day;
  const sentToday = sinceMidnight >= 45 * MINUTE;
  const base = sentToday ? now : now - sinceMidnight - MINUTE;
  const today = new Date(now).toISOString().slice(0, 10);
  const yesterday = new Date(now - day).toISOString().slice(0, 10);
  return {
    sentToday,
    iso: (offset: number) => new Date(base + offset).toISOString(),
    range: `from=${yesterday}&to=${today}&tz=UTC`,
  };
}

export interface AgentRef {
  id: string;
  name: string;
  team: { id: string; name: string };
}

/** created, sent and paid a minute apart, the last a minute before `iso(offset)`, as one batch's events. */
export function paidLifecycle(
  iso: (offset: number) => string,
  requestId: string,
  request: { agent: AgentRef; amount: number; currency: string },
  offset: number,
) {
  const event = (type: string, at: number, extra: object = {}) => ({
    id: `evt_${requestId}_${type}`,
    type: `payment_request.${type}`,
    occurredAt: iso(offset + at),
    paymentRequest: { id: requestId, ...extra },
    data: {},
  });
  return [
    event('created', -3 * MINUTE, {
      ...request,
      orderNumber: `SO-${requestId}`,
      reason: 'Order',
      channel: 'sms',
      customer: { phone: '+27821234567' },
    }),
    event('sent', -2 * MINUTE),
    event('paid', -MINUTE),
  ];
}
