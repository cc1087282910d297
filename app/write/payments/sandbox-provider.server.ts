import { randomBytes } from 'node:crypto';
import { type Db, sqlRows, sqlRun, writeTransaction } from '../../../db/client';
import { firstWithoutCardNumber, passesLuhn } from '../../domain/card-masking';
import {
  type CardDetails,
  type CardSummary,
  cardBrand,
  type PaymentFailureReason,
  SANDBOX_TEST_CARDS,
} from '../../domain/payment-cards';

/**
 * The sandbox card provider. Card details pass through memory to `chargeCard` and are never
 * stored, logged or returned: the answer carries the brand, the last four digits and a reference.
 * Like a real provider it charges an idempotency key at most once: it keeps each SUCCESSFUL charge
 * by its key (table sandbox_charges, standing for the provider's own servers: brand, last four,
 * reference, amount, currency, time), and a charge under a key that already succeeded answers that
 * same success, whatever card comes with it, without charging again. A failed attempt is not kept,
 * so the customer may try another card under the same key.
 */

const OUTCOME_BY_NUMBER = new Map(SANDBOX_TEST_CARDS.map((card) => [card.number.replace(/\D/g, ''), card.outcome]));

export type ChargeResult =
  | { status: 'succeeded'; card: CardSummary; providerReference: string }
  | { status: 'failed'; reason: PaymentFailureReason; card: CardSummary | null; providerReference: string };

export interface ChargeInput {
  amount: number;
  currency: string;
  card: CardDetails;
  /** One per thing paid for (the app sends one per payment request): charged at most once. */
  idempotencyKey: string;
}

function expired(expMonth: number, expYear: number, now: Date): boolean {
  const year = now.getUTCFullYear();
  return expYear < year || (expYear === year && expMonth < now.getUTCMonth() + 1);
}

/**
 * A charge reference: `sbx_ch_` and 24 hex digits. Random hex holds a Luhn-valid run of 13+ digits
 * about once in 400 draws, which card masking would store as `*****` (and the provider's
 * reference would then not match its own): such a draw is thrown away.
 */
export function newProviderReference(random: (size: number) => Buffer = randomBytes): string {
  return firstWithoutCardNumber(() => `sbx_ch_${random(12).toString('hex')}`);
}

/**
 * Charges a card in the sandbox, once per idempotency key. Never throws for a card problem: that is
 * a failed charge with a reason. Throws when a key that succeeded comes back with another amount or
 * currency (a real provider refuses such a reuse): the app never does that.
 */
export async function chargeCard(db: Db, input: ChargeInput, now = new Date()): Promise<ChargeResult> {
  const earlier = await succeededCharge(db, input);
  if (earlier) return earlier;
  const result = attemptCharge(input, now);
  if (result.status !== 'succeeded') return result;
  // Two attempts under one key at once (two instances): the first success kept is the charge, and
  // both answer it.
  return await writeTransaction(db, async () => {
    await sqlRun(
      db,
      `INSERT INTO sandbox_charges (idempotency_key, provider_reference, amount, currency, card_brand, card_last4, charged_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        input.idempotencyKey,
        result.providerReference,
        input.amount,
        input.currency,
        result.card.brand,
        result.card.last4,
        now.getTime(),
      ],
    );
    return (await succeededCharge(db, input))!;
  });
}

/** A successful charge as the provider reports it when asked by its idempotency key. */
export interface ProviderCharge {
  providerReference: string;
  card: CardSummary;
  amount: number;
  currency: string;
  /** When the provider charged the card (epoch ms). */
  chargedAt: number;
}

/**
 * What the app asks of a card provider: to charge under an idempotency key (at most once), and to
 * say whether a key was charged. A real provider answers the second from its API (a payment looked
 * up by the key the app sent, or by metadata holding it); the app asks it for a Pay whose instance
 * stalled or died before recording the outcome (app/write/payment-reconcile.server.ts).
 */
export interface PaymentProvider {
  charge: typeof chargeCard;
  findCharge: typeof findCharge;
}

/** The sandbox's successful charge under this idempotency key, or null when it charged none. */
export async function findCharge(db: Db, idempotencyKey: string): Promise<ProviderCharge | null> {
  const [row] = await sqlRows<{
    provider_reference: string;
    amount: number | string;
    currency: string;
    card_brand: string;
    card_last4: string;
    charged_at: number | string;
  }>(
    db,
    'SELECT provider_reference, amount, currency, card_brand, card_last4, charged_at FROM sandbox_charges WHERE idempotency_key = ?',
    [idempotencyKey],
  );
  if (!row) return null;
  return {
    providerReference: row.provider_reference,
    card: { brand: row.card_brand, last4: row.card_last4 },
    amount: Number(row.amount),
    currency: row.currency,
    chargedAt: Number(row.charged_at),
  };
}

export const sandboxProvider: PaymentProvider = { charge: chargeCard, findCharge };

/** The charge kept under this input's key, answered again; a reuse for another amount or currency throws. */
async function succeededCharge(db: Db, input: ChargeInput): Promise<ChargeResult | null> {
  const charge = await findCharge(db, input.idempotencyKey);
  if (!charge) return null;
  if (charge.amount !== input.amount || charge.currency !== input.currency) {
    throw new Error(`Idempotency key ${input.idempotencyKey} was charged for another amount or currency`);
  }
  return { status: 'succeeded', card: charge.card, providerReference: charge.providerReference };
}

function attemptCharge(input: ChargeInput, now: Date): ChargeResult {
  const providerReference = newProviderReference();
  const digits = input.card.number.replace(/[\s-]/g, '');
  if (!/^\d{13,19}$/.test(digits) || !passesLuhn(digits)) {
    return { status: 'failed', reason: 'incorrect_number', card: null, providerReference };
  }
  const card = { brand: cardBrand(digits), last4: digits.slice(-4) };
  const fail = (reason: PaymentFailureReason): ChargeResult => ({ status: 'failed', reason, card, providerReference });
  if (expired(input.card.expMonth, input.card.expYear, now)) return fail('expired_card');
  if (!(card.brand === 'amex' ? /^\d{4}$/ : /^\d{3}$/).test(input.card.cvc)) return fail('incorrect_cvc');
  const outcome = OUTCOME_BY_NUMBER.get(digits);
  if (!outcome) return fail('test_card_required');
  if (outcome !== 'succeeded') return fail(outcome);
  return { status: 'succeeded', card, providerReference };
}
