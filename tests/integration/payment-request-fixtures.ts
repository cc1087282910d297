import type { Viewer } from '../../app/domain/access';
import { createPaymentRequest } from '../../app/write/payment-request-commands.server';
import type { CreatePaymentRequestInput } from '../../app/write/payment-request-input';
import { type Db, sqlRows, sqlRun } from '../../db/client';
import { eventBodyOfRow } from '../../db/event-rows';

export const BROWSER_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

/** Two teams, one agent each: ag_17 in tm_retail, ag_40 in tm_sales. */
export async function seedAgents(db: Db): Promise<void> {
  await sqlRun(
    db,
    "INSERT INTO teams (id, name, created_at) VALUES ('tm_retail', 'Retail', 0), ('tm_sales', 'Sales', 0)",
  );
  await sqlRun(
    db,
    "INSERT INTO agents (id, name, team_id, created_at) VALUES ('ag_17', 'Thandi Mokoena', 'tm_retail', 0), ('ag_40', 'Sam Lee', 'tm_sales', 0)",
  );
}

/** SPEC's example request (Valeria's dress, order SO-1001) as the send form gives it. */
export const DRESS_REQUEST: CreatePaymentRequestInput = {
  customer: { phone: '+27821234567', name: 'Valeria' },
  orderNumber: 'SO-1001',
  amount: 36121,
  currency: 'USD',
  reason: 'Floral Oasis Dress',
  channel: 'whatsapp',
};

/** ag_17 sends DRESS_REQUEST at `clock()`: the request's id and its pay link's token. */
export async function sendDressRequest(db: Db, clock: () => number) {
  const sent = await createPaymentRequest(db, agentViewer('ag_17'), DRESS_REQUEST, {
    baseUrl: 'https://desk.test',
    clock,
  });
  return { requestId: sent.requestId, token: sent.payUrl.split('/pay/')[1]! };
}

export function agentViewer(agentId: string): Viewer {
  return { userId: `usr_${agentId}`, name: agentId, role: 'agent', scope: { kind: 'agent', agentId } };
}

export async function eventsOf(db: Db, requestId: string) {
  const rows = await sqlRows<{
    type: string;
    source: string;
    applied: number;
    anomaly: string | null;
    occurred_at: number;
    body: string;
    id: string;
    request_id: string;
  }>(
    db,
    'SELECT type, source, CAST(applied AS INTEGER) AS applied, anomaly, occurred_at, body, id, request_id FROM events WHERE request_id = ? ORDER BY occurred_at, seq',
    [requestId],
  );
  return rows.map(({ body, id, request_id, ...row }) => ({
    ...row,
    data: (JSON.parse(eventBodyOfRow({ ...row, body, id, request_id })) as { data: unknown }).data,
  }));
}

export async function request(db: Db, id: string): Promise<Record<string, unknown> | undefined> {
  return (await sqlRows(db, 'SELECT * FROM payment_requests WHERE id = ?', [id]))[0];
}
