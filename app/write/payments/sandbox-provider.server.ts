import { randomBytes } from 'node:crypto';
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
 */

const OUTCOME_BY_NUMBER = new Map(SANDBOX_TEST_CARDS.map((card) => [card.number.replace(/\D/g, ''), card.outcome]));

export type ChargeResult =
  | { status: 'succeeded'; card: CardSummary; providerReference: string }
  | { status: 'failed'; reason: PaymentFailureReason; card: CardSummary | null; providerReference: string };

export interface ChargeInput {
  amount: number;
  currency: string;
  card: CardDetails;
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

/** Charges a card in the sandbox. Never throws for a card problem: that is a failed charge with a reason. */
export async function chargeCard(input: ChargeInput, now = new Date()): Promise<ChargeResult> {
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
