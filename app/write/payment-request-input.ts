import { z } from 'zod';
import { CHANNELS } from '../domain/lifecycle';
import { currencyExponent, isCurrencyCode, parseMajorUnits } from '../domain/money';

// E.164: a plus, a non-zero country code digit, at most 15 digits in all. Spaces, dots, dashes and
// brackets people type are dropped first; the national trunk '(0)' written after a country code
// ('+44 (0)20 7946 0958') is not dialled from abroad, and '00' is the international prefix for '+'.
const E164 = /^\+[1-9]\d{6,14}$/;

const phone = z
  .string({ error: 'Enter the customer’s phone number' })
  .transform((value) =>
    value
      .replace(/\(\s*0\s*\)/g, '')
      .replace(/[\s().-]/g, '')
      .replace(/^00(?=[1-9])/, '+'),
  )
  .pipe(z.string().regex(E164, 'Enter the phone in international format, e.g. +27821234567'));
const customerName = z
  .string()
  .trim()
  .max(200, 'Keep the name under 200 characters')
  .optional()
  .transform((value) => value || undefined);
const orderNumber = z
  .string({ error: 'Enter the order number' })
  .trim()
  .min(1, 'Enter the order number')
  .max(100, 'Keep the order number under 100 characters');
const currency = z
  .string({ error: 'Choose a currency' })
  .trim()
  .toUpperCase()
  .refine(isCurrencyCode, 'Choose an ISO 4217 currency, e.g. USD');
const reason = z
  .string({ error: 'Say what the payment is for' })
  .trim()
  .min(1, 'Say what the payment is for')
  .max(500, 'Keep the reason under 500 characters');
const channel = z.enum(CHANNELS, { error: 'Choose a channel' });

/** What a new payment request needs; `amount` in the currency's minor units. */
export interface CreatePaymentRequestInput {
  customer: { phone: string; name?: string };
  orderNumber: string;
  amount: number;
  currency: string;
  reason: string;
  channel: (typeof CHANNELS)[number];
}

/** The agent console's form: flat fields, the amount typed in major units ("361.21"). */
export const sendFormSchema = z
  .object({
    customerPhone: phone,
    customerName,
    orderNumber,
    amount: z.string({ error: 'Enter the amount' }).trim().min(1, 'Enter the amount'),
    currency,
    reason,
    channel,
  })
  // Runs even when other fields failed (`when`), so every field error shows after one submit.
  .refine((form) => amountError(form) === null, {
    path: ['amount'],
    when: () => true,
    error: (issue) => amountError(issue.input) ?? 'Enter the amount',
  })
  .transform(
    (form): CreatePaymentRequestInput => ({
      customer: { phone: form.customerPhone, name: form.customerName },
      orderNumber: form.orderNumber,
      amount: parseMajorUnits(form.amount, form.currency)!,
      currency: form.currency,
      reason: form.reason,
      channel: form.channel,
    }),
  );

/** Why the amount does not fit its currency, or null (also when either is missing: their own errors say so). */
function amountError(input: unknown): string | null {
  const { amount, currency: code } = (input ?? {}) as { amount?: unknown; currency?: unknown };
  if (typeof amount !== 'string' || amount.trim() === '' || typeof code !== 'string') return null;
  const upper = code.trim().toUpperCase();
  if (!isCurrencyCode(upper)) return null;
  return parseMajorUnits(amount, upper) === null ? amountHint(upper) : null;
}

function amountHint(currencyCode: string): string {
  const exponent = currencyExponent(currencyCode);
  if (exponent === 0) return `Enter a whole amount greater than 0 (${currencyCode} has no decimals)`;
  return `Enter an amount greater than 0 with at most ${exponent} decimals, e.g. ${(1234.5).toFixed(exponent)}`;
}

/** The API's body (SPEC §4 POST /api/v1/payment-requests): the §2 paymentRequest shape without id and agent. */
export const createRequestApiSchema = z.strictObject({
  customer: z.strictObject({ phone, name: customerName }),
  orderNumber,
  amount: z
    .number({ error: 'amount must be an integer in the currency’s minor units' })
    .int('amount must be an integer in the currency’s minor units')
    .positive('amount must be positive')
    .max(Number.MAX_SAFE_INTEGER),
  currency,
  reason,
  channel,
}) satisfies z.ZodType<CreatePaymentRequestInput, unknown>;
