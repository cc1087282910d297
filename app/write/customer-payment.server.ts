import { isbot } from 'isbot';
import { z } from 'zod';
import { type Db, sqlRows, writeTransaction } from '../../db/client';
import { passesLuhn } from '../domain/card-masking';
import { currentStatus } from '../domain/current-status';
import { PAYABLE_STATUSES, type Status } from '../domain/lifecycle';
import {
  type CardDetails,
  type CardSummary,
  MAX_FAILED_CARD_ATTEMPTS,
  PAYMENT_FAILURE_MESSAGES,
  type PaymentFailureReason,
} from '../domain/payment-cards';
import { fieldErrorsOf } from '../lib/zod-issues';
import { failedCardAttempts, requestForToken } from '../read/pay-page.server';
import { getPaymentRequestRow, type PaymentRequestRow } from '../read/payment-request.server';
import {
  assertAccepted,
  ingestOwnEvents,
  keyedEventId,
  newEventId,
  type OwnEvent,
  writeOwnEvents,
} from './own-events.server';
import { finishPaymentAttempt, startPaymentAttempt } from './payment-attempts.server';
import { withPaymentClaim } from './payment-claims.server';
import { chargeCard } from './payments/sandbox-provider.server';
import { lockRequestForDecision } from './request-lock.server';

export interface CustomerOptions {
  clock?: () => number;
  /** The card provider's charge (the sandbox's unless a test wraps it). */
  charge?: typeof chargeCard;
}

/**
 * The idempotency key of a request's charge: a request is paid once, so every Pay on it, on any
 * instance, retried or taken over from a stalled one, sends the same key and the provider charges
 * it at most once (app/write/payments/sandbox-provider.server.ts).
 */
export function paymentIdempotencyKey(requestId: string): string {
  return `pay_${requestId}`;
}

/** Link previews (WhatsApp, Slack…), scanners and clients that name no browser do not count as the customer. */
export function isCustomerBrowser(userAgent: string | null): boolean {
  return Boolean(userAgent?.trim()) && !isbot(userAgent);
}

export function openedEventId(requestId: string): string {
  return keyedEventId('open', requestId);
}

export type OpenedOutcome = 'recorded' | 'already_recorded' | 'not_counted' | 'not_open' | 'unknown_link';

/** The customer's first view of the link: one `opened` per request, which starts the opened window. */
export async function recordOpened(
  db: Db,
  token: string,
  userAgent: string | null,
  options: CustomerOptions = {},
): Promise<OpenedOutcome> {
  if (!isCustomerBrowser(userAgent)) return 'not_counted';
  const row = await requestForToken(db, token);
  if (!row) return 'unknown_link';
  return await writeOpened(db, row, (options.clock ?? Date.now)());
}

/** Thrown to roll back an event that another writer recorded first (PostgreSQL: they ran side by side). */
class RecordedFirstElsewhere extends Error {}

// ingestEvents treats the same id with other content (occurredAt differs on every writer) as a
// conflict, so look for the event before writing it, in the same write transaction: two views at
// once (two tabs, a view during a pay) both found none, and the second's write was refused as a
// conflict (a 500 and a rejected event). On PostgreSQL the two transactions still run side by side:
// the later one's conflict is rolled back and reads as already recorded. `allowed` decides, under
// the lock, whether the event may be written at all ('refused' when not).
async function writeOnce(
  db: Db,
  event: OwnEvent,
  source: 'customer' | 'provider',
  now: number,
  allowed: () => Promise<boolean> = async () => true,
): Promise<'recorded' | 'already_recorded' | 'refused'> {
  try {
    return await writeTransaction(db, async () => {
      await lockRequestForDecision(db, event.requestId);
      if ((await sqlRows(db, 'SELECT 1 FROM events WHERE id = ?', [event.id])).length > 0) return 'already_recorded';
      if (!(await allowed())) return 'refused';
      const summary = await ingestOwnEvents(db, [event], source, now);
      const [result] = summary.results;
      if (result?.status === 'rejected' && result.error.code === 'conflict') throw new RecordedFirstElsewhere();
      assertAccepted(summary);
      return 'recorded';
    });
  } catch (error) {
    if (error instanceof RecordedFirstElsewhere) return 'already_recorded';
    throw error;
  }
}

async function writeOpened(
  db: Db,
  row: PaymentRequestRow,
  now: number,
): Promise<Exclude<OpenedOutcome, 'not_counted' | 'unknown_link'>> {
  const opened = { id: openedEventId(row.id), type: 'opened', requestId: row.id };
  const outcome = await writeOnce(db, opened, 'customer', now, async () => {
    // The row as it is now, under the write lock: an agent's cancel may have committed since `row` was read.
    const current = (await getPaymentRequestRow(db, row.id)) ?? row;
    return currentStatus(current.status, current.expiresAt, now) === 'sent';
  });
  return outcome === 'refused' ? 'not_open' : outcome;
}

// '12/29', '12 / 29' (as the page formats it), and digits only, '1229' or '122029': a phone's numeric
// keypad has no '/', and without JavaScript nothing inserts it.
const EXPIRY = /^(0[1-9]|1[0-2])\s*(?:\/\s*)?(\d{2}|\d{4})$/;

/** The pay form's card fields. Messages never repeat what was typed. */
export const cardFormSchema = z
  .object({
    number: z
      .string({ error: 'Enter the card number' })
      .transform((value) => value.replace(/[\s-]/g, ''))
      .pipe(
        z
          .string()
          .regex(/^\d{13,19}$/, 'Enter the 13 to 19 digits of the card number')
          .refine(passesLuhn, 'This card number is not valid: check the digits'),
      ),
    expiry: z
      .string({ error: 'Enter the expiry date' })
      .trim()
      .regex(EXPIRY, 'Enter the expiry date as MM / YY, e.g. 12 / 29'),
    cvc: z
      .string({ error: 'Enter the security code' })
      .trim()
      .regex(/^\d{3,4}$/, 'Enter the 3 or 4 digit security code'),
  })
  .transform(({ number, expiry, cvc }): CardDetails => {
    const [, month = '', year = ''] = EXPIRY.exec(expiry) ?? [];
    return { number, expMonth: Number(month), expYear: year.length === 2 ? 2000 + Number(year) : Number(year), cvc };
  });

function expiryInPast(card: CardDetails, now: number): boolean {
  const today = new Date(now);
  const year = today.getUTCFullYear();
  return card.expYear < year || (card.expYear === year && card.expMonth < today.getUTCMonth() + 1);
}

export type PayOutcome =
  | { kind: 'invalid'; fieldErrors: Record<string, string> }
  | { kind: 'unknown_link' }
  | { kind: 'not_payable'; status: Status }
  | { kind: 'too_many_attempts' }
  | { kind: 'paid'; card: CardSummary; providerReference: string }
  | { kind: 'failed'; reason: PaymentFailureReason; message: string };

/**
 * Charges the card with the sandbox provider and records `paid` or `payment_failed` (source
 * provider). Card number and code live only in this call's memory; only brand and last 4 are kept.
 */
export async function payWithCard(
  db: Db,
  token: string,
  fields: Record<string, unknown>,
  options: CustomerOptions = {},
): Promise<PayOutcome> {
  const clock = options.clock ?? Date.now;
  const parsed = cardFormSchema.safeParse(fields);
  if (!parsed.success) return { kind: 'invalid', fieldErrors: fieldErrorsOf(parsed.error, 'path') };
  const card = parsed.data;
  if (expiryInPast(card, clock())) return { kind: 'invalid', fieldErrors: { expiry: 'This card has expired' } };

  const row = await requestForToken(db, token);
  if (!row) return { kind: 'unknown_link' };
  return await withPaymentClaim(db, row.id, async () => {
    const checkedAt = clock();
    const before = await payableRequest(db, row.id, checkedAt);
    if (before.kind !== 'payable') return before;
    // Counted inside the claim, so concurrent attempts cannot slip past the limit.
    if ((await failedCardAttempts(db, row.id)) >= MAX_FAILED_CARD_ATTEMPTS) return { kind: 'too_many_attempts' };
    const idempotencyKey = paymentIdempotencyKey(row.id);
    // Kept until the outcome is recorded: if this instance stalls or dies in between, the sweeper asks
    // the provider for the charge (app/write/payment-reconcile.server.ts). Left as it is if the charge throws.
    const attempt = await startPaymentAttempt(db, row.id, idempotencyKey, checkedAt);
    const charge = await (options.charge ?? chargeCard)(
      db,
      { amount: before.row.amount, currency: before.row.currency, card, idempotencyKey },
      new Date(checkedAt),
    );
    const now = clock();
    if (charge.status === 'succeeded') {
      await recordPaid(db, row.id, charge, paidTime(now, checkedAt, before.row.expiresAt), now);
      await finishPaymentAttempt(db, attempt.id);
      return { kind: 'paid', card: charge.card, providerReference: charge.providerReference };
    }
    const data = { reason: charge.reason };
    await writeOwnEvents(
      db,
      [{ id: keyedEventId('pay', charge.providerReference), type: 'payment_failed', requestId: row.id, data }],
      'provider',
      now,
    );
    await finishPaymentAttempt(db, attempt.id);
    return { kind: 'failed', reason: charge.reason, message: PAYMENT_FAILURE_MESSAGES[charge.reason] };
  });
}

/**
 * When a charge is recorded as paid: when it was made (`chargedAt`: the provider's answer, or its
 * own time of the charge), but a charge of a Pay pressed while the link was open (`payCheckedAt` at
 * or before `expiresAt`) that was made after the link's expiry is recorded at the expiry (SPEC §1: an
 * event at exactly expiresAt is in time), not lost to it.
 */
export function paidTime(chargedAt: number, payCheckedAt: number, expiresAt: number | null): number {
  return expiresAt === null ? chargedAt : Math.min(chargedAt, Math.max(payCheckedAt, expiresAt));
}

/**
 * Records a successful charge as the request's `paid` (source provider, brand and last four only),
 * once: its id is the charge's reference, so the Pay that charged, a Pay taken over from it (the
 * provider answered it the same charge under the request's idempotency key) and the reconciler each
 * write it, and whichever comes first does; the others find it recorded.
 */
export async function recordPaid(
  db: Db,
  requestId: string,
  charge: { card: CardSummary; providerReference: string },
  paidAt: number,
  now: number,
): Promise<'recorded' | 'already_recorded'> {
  const data = { card: charge.card, providerReference: charge.providerReference };
  const paid = { id: keyedEventId('pay', charge.providerReference), type: 'paid', requestId, data, occurredAt: paidAt };
  const outcome = await writeOnce(db, paid, 'provider', now);
  // (writeOnce refuses only what its `allowed` check refuses, and none is given here.)
  return outcome === 'refused' ? 'already_recorded' : outcome;
}

export type DeclineOutcome = { kind: 'declined' } | { kind: 'unknown_link' } | { kind: 'not_payable'; status: Status };

/** The customer declines to pay: `declined` (source customer). */
export async function decline(db: Db, token: string, options: CustomerOptions = {}): Promise<DeclineOutcome> {
  const clock = options.clock ?? Date.now;
  const row = await requestForToken(db, token);
  if (!row) return { kind: 'unknown_link' };
  return await withPaymentClaim(db, row.id, async () => {
    const before = await payableRequest(db, row.id, clock());
    if (before.kind !== 'payable') return before;
    await writeOwnEvents(db, [{ id: newEventId(), type: 'declined', requestId: row.id }], 'customer', clock());
    return { kind: 'declined' };
  });
}

/**
 * The request if the customer can act on it now. Acting on the page proves the customer opened
 * it, so a missing `opened` (their first view looked like a bot) is recorded first: a
 * `payment_failed` is only valid after `opened`.
 */
async function payableRequest(
  db: Db,
  requestId: string,
  now: number,
): Promise<{ kind: 'payable'; row: PaymentRequestRow } | { kind: 'not_payable'; status: Status }> {
  let row = (await getPaymentRequestRow(db, requestId))!;
  const status = currentStatus(row.status, row.expiresAt, now);
  if (!PAYABLE_STATUSES.includes(status)) return { kind: 'not_payable', status };
  if (status === 'sent') {
    await writeOpened(db, row, now);
    // Read again and decide again: opened now (its window starts), or canceled by the agent meanwhile.
    row = (await getPaymentRequestRow(db, requestId))!;
    const after = currentStatus(row.status, row.expiresAt, now);
    if (!PAYABLE_STATUSES.includes(after)) return { kind: 'not_payable', status: after };
  }
  return { kind: 'payable', row };
}
