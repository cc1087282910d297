import { eq } from 'drizzle-orm';
import { type Db, first, sqlRows } from '../../db/client';
import { eventBodyOfRow } from '../../db/event-rows';
import { payLinks } from '../../db/tables';
import { currentStatus } from '../domain/current-status';
import { formatMoney } from '../domain/format';
import { PAYABLE_STATUSES, STATUS_LABELS } from '../domain/lifecycle';
import {
  MAX_FAILED_CARD_ATTEMPTS,
  PAYMENT_FAILURE_MESSAGES,
  type PaymentFailureReason,
  SANDBOX_TEST_CARDS,
} from '../domain/payment-cards';
import { getPaymentRequestRow, type PaymentRequestRow } from './payment-request.server';
import { getOrgBranding } from './settings.server';

// Our tokens are 32 base64url characters; anything else is not worth a lookup.
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export async function requestForToken(db: Db, token: string): Promise<PaymentRequestRow | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const link = first(
    await db.select({ requestId: payLinks.requestId }).from(payLinks).where(eq(payLinks.token, token)).limit(1),
  );
  return (link && (await getPaymentRequestRow(db, link.requestId))) || null;
}

interface EventData {
  data?: { card?: { brand: string; last4: string }; reason?: string };
}

async function latestAppliedData(db: Db, requestId: string, type: string): Promise<EventData['data'] | null> {
  const [row] = await sqlRows<{ id: string; type: string; occurred_at: number; request_id: string; body: string }>(
    db,
    `SELECT id, type, occurred_at, request_id, body FROM events WHERE request_id = ? AND type = ? AND applied = TRUE
     ORDER BY occurred_at DESC, seq DESC LIMIT 1`,
    [requestId, `payment_request.${type}`],
  );
  return row ? ((JSON.parse(eventBodyOfRow(row)) as EventData).data ?? {}) : null;
}

/** How many card attempts on this request failed (each is a stored payment_failed event). */
export async function failedCardAttempts(db: Db, requestId: string): Promise<number> {
  const [row] = await sqlRows<{ n: number }>(
    db,
    "SELECT count(*) AS n FROM events WHERE request_id = ? AND type = 'payment_request.payment_failed'",
    [requestId],
  );
  return row!.n;
}

async function countAppliedEvents(db: Db, requestId: string, type: string): Promise<number> {
  const [row] = await sqlRows<{ n: number }>(
    db,
    'SELECT count(*) AS n FROM events WHERE request_id = ? AND type = ? AND applied = TRUE',
    [requestId, `payment_request.${type}`],
  );
  return row!.n;
}

/** What the customer's page shows for a link: only what the customer needs, never ids or the agent's data. */
export async function getPayPage(db: Db, token: string, now: number, locale = 'en') {
  const row = await requestForToken(db, token);
  if (!row) return null;
  const branding = await getOrgBranding(db);
  const status = currentStatus(row.status, row.expiresAt, now);
  const paid = status === 'paid' ? await latestAppliedData(db, row.id, 'paid') : null;
  const failed = status === 'payment_failed' ? await latestAppliedData(db, row.id, 'payment_failed') : null;
  const failureReason = failed?.reason ?? null;
  const attemptsExhausted =
    PAYABLE_STATUSES.includes(status) && (await failedCardAttempts(db, row.id)) >= MAX_FAILED_CARD_ATTEMPTS;
  return {
    attemptsExhausted,
    status,
    statusLabel: STATUS_LABELS[status],
    // The organisation, never the team's internal name (Retail, Collections…).
    merchantName: branding.displayName,
    merchantLogoUrl: branding.logoUrl,
    /** Attempts that failed so far: the card form starts empty after each. */
    failedAttempts: await countAppliedEvents(db, row.id, 'payment_failed'),
    amountText: formatMoney(row.amount, row.currency, locale),
    orderNumber: row.orderNumber,
    reason: row.reason,
    customerName: row.customerName,
    expiresAt: row.expiresAt,
    now,
    paidCard: paid?.card ?? null,
    lastFailure:
      failureReason === null
        ? null
        : (PAYMENT_FAILURE_MESSAGES[failureReason as PaymentFailureReason] ?? 'The payment did not go through.'),
    testCards: PAYABLE_STATUSES.includes(status) && !attemptsExhausted ? SANDBOX_TEST_CARDS : [],
  };
}

export type PayPage = NonNullable<Awaited<ReturnType<typeof getPayPage>>>;
