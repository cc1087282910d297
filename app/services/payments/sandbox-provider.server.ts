import { randomBytes } from 'node:crypto';
import { passesLuhn } from '../../domain/card-masking';

/**
 * The sandbox card provider. Card details pass through memory to `chargeCard` and are never
 * stored, logged or returned: the answer carries the brand, the last four digits and a reference.
 */
export interface CardDetails {
  /** Digits only or grouped with spaces/dashes. */
  number: string;
  expMonth: number;
  /** Four digits. */
  expYear: number;
  cvc: string;
}

export interface CardSummary {
  brand: string;
  last4: string;
}

export const PAYMENT_FAILURE_REASONS = [
  'card_declined',
  'insufficient_funds',
  'expired_card',
  'incorrect_number',
  'incorrect_cvc',
  'test_card_required',
] as const;
export type PaymentFailureReason = (typeof PAYMENT_FAILURE_REASONS)[number];

export type ChargeResult =
  | { status: 'succeeded'; card: CardSummary; providerReference: string }
  | { status: 'failed'; reason: PaymentFailureReason; card: CardSummary | null; providerReference: string };

export interface ChargeInput {
  amount: number;
  currency: string;
  card: CardDetails;
}

type TestOutcome = 'succeeded' | 'card_declined' | 'insufficient_funds';

/** The test cards (any future expiry, any 3-digit CVC, 4 digits for Amex), shown on the sandbox pay page. */
export const SANDBOX_TEST_CARDS: readonly { number: string; outcome: TestOutcome; description: string }[] = [
  { number: '4242 4242 4242 4242', outcome: 'succeeded', description: 'Visa: payment succeeds' },
  { number: '5555 5555 5555 4444', outcome: 'succeeded', description: 'Mastercard: payment succeeds' },
  { number: '4000 0000 0000 0002', outcome: 'card_declined', description: 'Visa: card declined' },
  { number: '4000 0000 0000 9995', outcome: 'insufficient_funds', description: 'Visa: insufficient funds' },
];

const OUTCOME_BY_NUMBER = new Map(SANDBOX_TEST_CARDS.map((card) => [card.number.replace(/\D/g, ''), card.outcome]));

export const PAYMENT_FAILURE_MESSAGES: Record<PaymentFailureReason, string> = {
  card_declined: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  incorrect_number: 'The card number is not valid.',
  incorrect_cvc: 'The security code is not valid.',
  test_card_required: 'This is a sandbox: only the test cards listed on this page are accepted.',
};

export function cardBrand(digits: string): string {
  if (/^4/.test(digits)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  return 'unknown';
}

function expired(expMonth: number, expYear: number, now: Date): boolean {
  const year = now.getUTCFullYear();
  return expYear < year || (expYear === year && expMonth < now.getUTCMonth() + 1);
}

/** Charges a card in the sandbox. Never throws for a card problem: that is a failed charge with a reason. */
export async function chargeCard(input: ChargeInput, now = new Date()): Promise<ChargeResult> {
  const providerReference = `sbx_ch_${randomBytes(12).toString('hex')}`;
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
