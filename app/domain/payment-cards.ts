/** A card as the customer typed it: it passes through memory to the provider and is never stored. */
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

type TestOutcome = 'succeeded' | 'card_declined' | 'insufficient_funds';

/** The test cards (any future expiry, any 3-digit CVC, 4 digits for Amex), shown on the sandbox pay page. */
export const SANDBOX_TEST_CARDS: readonly { number: string; outcome: TestOutcome; description: string }[] = [
  { number: '4242 4242 4242 4242', outcome: 'succeeded', description: 'Visa: payment succeeds' },
  { number: '5555 5555 5555 4444', outcome: 'succeeded', description: 'Mastercard: payment succeeds' },
  { number: '4000 0000 0000 0002', outcome: 'card_declined', description: 'Visa: card declined' },
  { number: '4000 0000 0000 9995', outcome: 'insufficient_funds', description: 'Visa: insufficient funds' },
];

/**
 * Failed card attempts one link takes; then it refuses more (card testing: trying stolen numbers
 * one after another against a link).
 */
export const MAX_FAILED_CARD_ATTEMPTS = 5;

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

export const CARD_BRAND_LABELS: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
};

/** The most digits a card of this brand has: American Express 15, others up to 19. */
export function maxCardDigits(digits: string): number {
  return cardBrand(digits) === 'amex' ? 15 : 19;
}

/** Digits grouped as printed on the card: American Express 4-6-5, others in fours ('4242 4242 4242 4242'). */
export function formatCardNumber(digits: string): string {
  if (cardBrand(digits) === 'amex') {
    return [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10, 15)].filter(Boolean).join(' ');
  }
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * The expiry as hosted payment pages show it while it is typed: '1229' → '12 / 29', '12/2029' →
 * '12 / 29', '3' → '03 / '
 * (no month starts with 2–9), '12' → '12 / ' when typing forward, and without the separator when
 * deleting, so backspace is never stuck behind it.
 */
export function formatExpiryInput(text: string, typingForward: boolean): string {
  let digits = text.replace(/\D/g, '');
  if (/^[2-9]/.test(digits)) digits = `0${digits}`;
  // '1/29' typed with a slash after a one-digit month.
  if (/^1\s*\/\s*\d/.test(text.trim())) digits = `0${digits}`;
  // A four-digit year ('12/2029', as a password manager fills it): its last two digits once complete.
  if (digits.length > 4 && digits.slice(2, 4) === '20') {
    const year = digits.slice(4, 6);
    return `${digits.slice(0, 2)} / ${year.length === 2 ? year : `20${year}`}`;
  }
  digits = digits.slice(0, 4);
  if (digits.length > 2) return `${digits.slice(0, 2)} / ${digits.slice(2)}`;
  if (digits.length === 2 && typingForward) return `${digits} / `;
  return digits;
}
