import type { Db } from '../../db/client';
import { currentStatus } from '../domain/current-status';
import { formatMoney, maskPhone } from '../domain/format';
import { cancelRefusalReason, STATUS_LABELS, type Status } from '../domain/lifecycle';
import { payUrlFor } from '../domain/pay-link';

const RECENT_CARDS = 30;

interface CardRow {
  id: string;
  status: Status;
  amount: number;
  currency: string;
  channel: string;
  order_number: string;
  reason: string;
  customer_name: string | null;
  customer_phone: string;
  created_at: number;
  opened_at: number | null;
  expires_at: number | null;
  token: string | null;
  send_failure: string | null;
}

/** The agent's most recent requests as status cards, newest first, with what the agent can do on each. */
export function getAgentRequestCards(db: Db, agentId: string, baseUrl: string, now: number) {
  const rows = db.$client
    .prepare<[string, number], CardRow>(
      `SELECT r.id, r.status, r.amount, r.currency, r.channel, r.order_number, r.reason, r.customer_name,
         r.customer_phone, r.created_at, r.opened_at, r.expires_at, l.token,
         CASE WHEN r.status = 'send_failed' THEN (
           SELECT json_extract(e.body, '$.data.reason') FROM events e
           WHERE e.request_id = r.id AND e.type = 'payment_request.send_failed' AND e.applied = 1
           ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 1) END AS send_failure
       FROM payment_requests r LEFT JOIN pay_links l ON l.request_id = r.id
       WHERE r.agent_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?`,
    )
    .all(agentId, RECENT_CARDS);
  return rows.map((row) => {
    const status = currentStatus(row.status, row.expires_at, now);
    return {
      id: row.id,
      status,
      statusLabel: STATUS_LABELS[status],
      amountText: formatMoney(row.amount, row.currency),
      orderNumber: row.order_number,
      reason: row.reason,
      channel: row.channel,
      customerName: row.customer_name,
      customerPhone: maskPhone(row.customer_phone),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      payUrl: row.token ? payUrlFor(baseUrl, row.token) : null,
      sendFailureReason: row.send_failure,
      canCancel: cancelRefusalReason(status, row.opened_at) === null,
      canRetry: status === 'send_failed' || (status === 'created' && row.token !== null),
    };
  });
}

export type AgentRequestCard = ReturnType<typeof getAgentRequestCards>[number];
