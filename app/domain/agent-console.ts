import type { Status } from './lifecycle';

/** The send form's fields, as the agent console and the embedded panel post them. */
export const SEND_FIELDS = [
  'customerPhone',
  'customerName',
  'orderNumber',
  'amount',
  'currency',
  'reason',
  'channel',
] as const;
export type SendField = (typeof SEND_FIELDS)[number];

/** What the console's action answers for a send it did not make: the errors and what was typed. */
export interface SendResult {
  intent: 'send';
  fieldErrors: Record<string, string>;
  formError: string | null;
  values: Record<string, string>;
  /** A fresh key for the form, when the one it had was used for other details. */
  idempotencyKey?: string;
}

/** What the console's action answers for a card's Cancel or Retry. */
export type CardActionResult =
  | { intent: 'cancel'; requestId: string; outcome: 'canceled' }
  | { intent: 'cancel'; requestId: string; outcome: 'refused'; reason: string; message: string }
  | { intent: 'retry'; requestId: string; status: Status; sendFailureReason: string | null }
  | { intent: 'cancel' | 'retry'; requestId: string; error: string };

export type ConsoleActionResult = SendResult | CardActionResult;
