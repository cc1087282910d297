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
