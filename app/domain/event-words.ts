import { CANCEL_REJECTION_MESSAGES, type CancelRejectionReason } from './lifecycle';

/**
 * The codes events carry in `data` (SPEC §2), in the words a supervisor reads on a timeline.
 * Senders may also put words of their own in `reason`: those are shown as they are.
 */

const SEND_FAILURE_WORDS: Record<string, string> = {
  recipient_unreachable: 'The channel could not reach this number.',
  channel_error: 'The channel did not answer.',
};

const PAYMENT_FAILURE_WORDS: Record<string, string> = {
  card_declined: 'The card was declined.',
  insufficient_funds: 'The card has insufficient funds.',
  expired_card: 'The card has expired.',
  incorrect_number: 'The card number was not valid.',
  incorrect_cvc: 'The security code was not valid.',
  test_card_required: 'A card other than the sandbox test cards was used.',
};

const CARD_BRANDS: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  unknown: 'Card',
};

/** 'some_code' -> 'Some code': the last resort for a code nobody has words for yet. */
function humanize(code: string): string {
  const words = code.replace(/[_-]+/g, ' ').trim();
  return words ? `${words[0]!.toUpperCase()}${words.slice(1)}` : code;
}

/** A reason from an event's data in words: known codes translated, free text kept, unknown codes made readable. */
export function reasonInWords(type: string, reason: string): string {
  const known =
    type === 'payment_request.cancel_rejected'
      ? CANCEL_REJECTION_MESSAGES[reason as CancelRejectionReason]
      : type === 'payment_request.send_failed'
        ? SEND_FAILURE_WORDS[reason]
        : type === 'payment_request.payment_failed'
          ? PAYMENT_FAILURE_WORDS[reason]
          : undefined;
  if (known) return known;
  return /^[a-z0-9]+([_-][a-z0-9]+)*$/.test(reason) ? `${humanize(reason)}.` : reason;
}

/** 'visa', '4242' -> 'Visa ending in 4242'. */
export function cardInWords(brand: string | null, last4: string | null): string {
  const name = brand ? (CARD_BRANDS[brand.toLowerCase()] ?? humanize(brand)) : 'Card';
  return last4 ? `${name} ending in ${last4}` : name;
}
