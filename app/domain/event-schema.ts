import { z } from 'zod';
import { canonicalIsoInstant } from '../lib/iso-instant';
import { issuePath } from '../lib/zod-issues';
import { containsCardNumber, isSecretCardKey } from './card-masking';
import { CANCEL_REJECTION_REASONS, CHANNELS, EVENT_TYPES, type EventType } from './lifecycle';
import { isCurrencyCode } from './money';

export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const MAX_FUTURE_MS = 5 * 60 * 1000;
/** Nothing happened before this: an earlier occurredAt is a sender's bug (year 0000, epoch 0). */
export const EARLIEST_OCCURRED_AT = Date.UTC(2000, 0, 1);
/** Arrays and objects nested deeper than this in one event are refused (too_deep) before anything recurses. */
export const MAX_EVENT_DEPTH = 400;
/** E.164: at most 15 digits in a phone number. */
const MAX_PHONE_DIGITS = 15;

const id = z
  .string()
  .regex(ID_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ . : -')
  // A route cannot address them: URLs resolve . and .. as path segments.
  .refine((value) => value !== '.' && value !== '..', 'must not be . or ..');
const name = z.string().trim().min(1, 'must not be empty').max(200);
const freeText = z.string().max(2000);

/** RFC 3339 timestamp with an offset, as epoch ms; null when not valid. */
export function parseRfc3339(value: string): number | null {
  // Date#toISOString's own spelling, nearly every event's, without the regular expression (issue 14).
  const canonical = canonicalIsoInstant(value);
  if (canonical !== null) return canonical;
  const match = RFC3339.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction = '', offset = 'Z'] = match;
  const ms = fraction ? fraction.slice(1, 4).padEnd(3, '0') : '000';
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}.${ms}${offset.toUpperCase()}`;
  const epoch = Date.parse(iso);
  if (Number.isNaN(epoch)) return null;
  // Date.parse rolls 2026-02-30 over to March; a real calendar date round-trips.
  const local = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (local.getUTCDate() !== Number(day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60)
    return null;
  return epoch;
}

const paymentRequestDetails = z.object({
  id,
  agent: z.object({
    id,
    name,
    team: z.object({ id, name }),
  }),
  amount: z
    .number()
    .int('must be an integer in minor units')
    .positive('must be positive')
    .max(Number.MAX_SAFE_INTEGER)
    .refine((value) => !containsCardNumber(String(value)), 'must not be a card number'),
  currency: z.string().refine(isCurrencyCode, 'must be an ISO 4217 currency code'),
  orderNumber: z.string().trim().min(1, 'must not be empty').max(100),
  reason: freeText,
  channel: z.enum(CHANNELS),
  customer: z.object({
    phone: z
      .string()
      .regex(/^\+?[0-9 ()-]{4,32}$/, 'must be a phone number')
      .refine((value) => value.replace(/\D/g, '').length <= MAX_PHONE_DIGITS, 'must have at most 15 digits (E.164)'),
    name: z.string().max(200).optional(),
  }),
});

const cardSummary = z.strictObject({
  brand: z.string().min(1).max(40),
  last4: z.string().regex(/^\d{4}$/, 'must be exactly four digits'),
});

const DATA_SCHEMAS: Partial<Record<EventType, z.ZodType>> = {
  'payment_request.send_failed': z.looseObject({ reason: freeText }),
  'payment_request.payment_failed': z.looseObject({ reason: freeText }),
  'payment_request.paid': z.strictObject({
    card: cardSummary.optional(),
    providerReference: z.string().max(200).optional(),
  }),
  'payment_request.canceled': z.looseObject({ actorId: z.string().max(64).optional() }),
  'payment_request.cancel_rejected': z.looseObject({
    reason: z.enum(CANCEL_REJECTION_REASONS),
    actorId: z.string().max(64).optional(),
  }),
};

const envelope = z.object({
  id,
  type: z.enum(EVENT_TYPES),
  occurredAt: z.string(),
  paymentRequest: z.looseObject({ id }),
  data: z.record(z.string(), z.unknown()).optional(),
});

export type PaymentRequestDetails = z.infer<typeof paymentRequestDetails>;

/*
 * The plain shapes nearly every event has, checked by hand: zod's safeParse (it copies what it
 * parses) was most of validating an event, about 3 ms of the server's thread a batch of 1,000 (issue
 * 14). Each plain* function gives exactly what zod's parse gives, or undefined for anything it does
 * not vouch for: zod then decides, and names the error. None accepts what zod refuses
 * (tests/unit/event-schema-fast.property.test.ts compares validateEvent with validateEventByZod).
 */
type Envelope = z.infer<typeof envelope>;
type JsonRecord = Record<string, unknown>;

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS);
const CANCEL_REJECTION_SET: ReadonlySet<string> = new Set(CANCEL_REJECTION_REASONS);
const PHONE = /^\+?[0-9 ()-]{4,32}$/;

const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.hasOwn(value, '__proto__');
const isId = (value: unknown): value is string =>
  typeof value === 'string' && ID_PATTERN.test(value) && value !== '.' && value !== '..';
const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;
/** A name as `name` parses it (trimmed, 1 to 200 characters), else undefined. */
function trimmedName(value: unknown, max = 200): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length >= 1 && trimmed.length <= max ? trimmed : undefined;
}
const hasOnly = (record: JsonRecord, keys: readonly string[]) => {
  for (const key in record) if (!keys.includes(key)) return false;
  return true;
};

export function plainEnvelope(input: JsonRecord): Envelope | undefined {
  const { id, type, occurredAt, paymentRequest, data } = input;
  if (!isId(id) || typeof type !== 'string' || !EVENT_TYPE_SET.has(type) || typeof occurredAt !== 'string') {
    return undefined;
  }
  if (!isRecord(paymentRequest) || !isId(paymentRequest.id)) return undefined;
  if (data !== undefined && !isRecord(data)) return undefined;
  return {
    id,
    type: type as EventType,
    occurredAt,
    paymentRequest: paymentRequest as Envelope['paymentRequest'],
    data,
  };
}

export function plainDetails(request: JsonRecord): PaymentRequestDetails | undefined {
  const { id, agent, amount, currency, orderNumber, reason, channel, customer } = request;
  if (!isId(id) || !isRecord(agent) || !isRecord(agent.team) || !isRecord(customer)) return undefined;
  const { team } = agent;
  const agentName = trimmedName(agent.name);
  const teamName = trimmedName(team.name);
  const order = trimmedName(orderNumber, 100);
  if (!isId(agent.id) || !isId(team.id) || agentName === undefined || teamName === undefined || order === undefined) {
    return undefined;
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) return undefined;
  if (containsCardNumber(String(amount))) return undefined;
  if (typeof currency !== 'string' || !isCurrencyCode(currency) || !isText(reason, 2000)) return undefined;
  if (typeof channel !== 'string' || !CHANNEL_SET.has(channel)) return undefined;
  const { phone, name } = customer;
  if (typeof phone !== 'string' || !PHONE.test(phone) || phone.replace(/\D/g, '').length > MAX_PHONE_DIGITS) {
    return undefined;
  }
  if (name !== undefined && !isText(name, 200)) return undefined;
  return {
    id,
    agent: { id: agent.id, name: agentName, team: { id: team.id, name: teamName } },
    amount,
    currency,
    orderNumber: order,
    reason,
    channel: channel as PaymentRequestDetails['channel'],
    customer: name === undefined ? { phone } : { phone, name },
  };
}

/** Whether an event's data is one its type's schema (DATA_SCHEMAS) accepts; undefined: ask zod. */
export function plainDataHolds(type: EventType, data: JsonRecord): true | undefined {
  switch (type) {
    case 'payment_request.send_failed':
    case 'payment_request.payment_failed':
      return isText(data.reason, 2000) || undefined;
    case 'payment_request.paid': {
      if (!hasOnly(data, ['card', 'providerReference'])) return undefined;
      const { card, providerReference } = data;
      if (providerReference !== undefined && !isText(providerReference, 200)) return undefined;
      if (card === undefined) return true;
      if (!isRecord(card) || !hasOnly(card, ['brand', 'last4'])) return undefined;
      const { brand, last4 } = card;
      return (
        (typeof brand === 'string' &&
          brand.length >= 1 &&
          brand.length <= 40 &&
          typeof last4 === 'string' &&
          /^\d{4}$/.test(last4)) ||
        undefined
      );
    }
    case 'payment_request.canceled':
      return data.actorId === undefined || isText(data.actorId, 64) || undefined;
    case 'payment_request.cancel_rejected':
      return (
        (typeof data.reason === 'string' &&
          CANCEL_REJECTION_SET.has(data.reason) &&
          (data.actorId === undefined || isText(data.actorId, 64))) ||
        undefined
      );
    default:
      return DATA_SCHEMAS[type] ? undefined : true;
  }
}

export interface ValidEvent {
  id: string;
  type: EventType;
  occurredAt: number;
  requestId: string;
  /** Present on created events only. */
  details: PaymentRequestDetails | null;
  data: Record<string, unknown>;
}

export interface EventError {
  code: string;
  path: string;
  message: string;
}

export type EventValidation =
  | { ok: true; event: ValidEvent }
  | { ok: false; eventId: string | null; error: EventError };

const CODE_BY_PATH: Record<string, string> = {
  id: 'invalid_id',
  type: 'invalid_type',
  occurredAt: 'invalid_occurred_at',
  'paymentRequest.id': 'invalid_id',
  'paymentRequest.amount': 'invalid_amount',
  'paymentRequest.currency': 'invalid_currency',
  'paymentRequest.channel': 'invalid_channel',
  'paymentRequest.customer.phone': 'invalid_phone',
  data: 'invalid_data',
};

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function errorFromIssue(input: unknown, issue: z.core.$ZodIssue, prefix: string[] = []): EventError {
  const path = [...prefix, ...issue.path.map(String)];
  const dotted = path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issuePath(issue, '', prefix);
    const isCard = dotted.startsWith('data.card') || /card|cvc|cvv|pan|number/i.test(issue.keys[0] ?? '');
    return isCard
      ? {
          code: 'card_data_not_allowed',
          path: key,
          message: 'Card data beyond card.brand and card.last4 is never accepted',
        }
      : { code: 'invalid_data', path: key, message: `Unknown field ${key}` };
  }
  if (valueAt(input, path) === undefined) {
    return { code: 'missing_field', path: dotted, message: `${dotted} is required` };
  }
  const code = CODE_BY_PATH[dotted] ?? (dotted.startsWith('data.card') ? 'invalid_card' : 'invalid_field');
  return { code, path: dotted, message: `${dotted} ${issue.message}` };
}

/** Path of the first card number or security code under a key that names it, anywhere in the event. */
function findSecretCardKey(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const inner = record[key];
    if (isSecretCardKey(key) && (typeof inner === 'string' || typeof inner === 'number')) return key;
    // The path is written only for what is found (it was copied at every key walked).
    const found = findSecretCardKey(inner);
    if (found !== null) return `${key}.${found}`;
  }
  return null;
}

const ID_PATHS = [
  ['id'],
  ['paymentRequest', 'id'],
  ['paymentRequest', 'agent', 'id'],
  ['paymentRequest', 'agent', 'team', 'id'],
];

/**
 * Path of the first id holding a card number. An id is a key (idempotency, URLs, joins): it cannot
 * be masked without breaking what refers to it, so such an event is refused instead (PCI DSS).
 */
function findCardNumberInId(input: unknown): string | null {
  for (const path of ID_PATHS) {
    const value = valueAt(input, path);
    if (typeof value === 'string' && containsCardNumber(value)) return path.join('.');
  }
  return null;
}

/** Validates one event as received (SPEC §2). `now` bounds occurredAt (at most 5 minutes ahead). */
export function validateEvent(input: unknown, now: number): EventValidation {
  return checkEvent(input, now, true);
}

/** validateEvent with every schema checked by zod alone: the reference the plain* checks are tested against. */
export function validateEventByZod(input: unknown, now: number): EventValidation {
  return checkEvent(input, now, false);
}

function checkEvent(input: unknown, now: number, plain: boolean): EventValidation {
  const eventId = valueAt(input, ['id']);
  const knownId = typeof eventId === 'string' && ID_PATTERN.test(eventId) ? eventId : null;
  const fail = (error: EventError): EventValidation => ({ ok: false, eventId: knownId, error });

  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return fail({ code: 'invalid_event', path: '', message: 'An event must be a JSON object' });
  }
  const cardId = findCardNumberInId(input);
  if (cardId !== null) {
    return fail({
      code: 'card_data_not_allowed',
      path: cardId,
      message: `${cardId} holds a card number: ids are stored as they are, so it is refused`,
    });
  }
  let parsed = plain ? plainEnvelope(input as JsonRecord) : undefined;
  if (!parsed) {
    const result = envelope.safeParse(input);
    if (!result.success) return fail(errorFromIssue(input, result.error.issues[0] as z.core.$ZodIssue));
    parsed = result.data;
  }
  const { type, paymentRequest } = parsed;

  // SPEC §1 "Card data": never accepted, on any event type (the paid event's strict schema is not enough).
  const secretPath = findSecretCardKey(input);
  if (secretPath !== null) {
    return fail({
      code: 'card_data_not_allowed',
      path: secretPath,
      message: 'Card numbers and security codes are never accepted',
    });
  }

  const occurredAt = parseRfc3339(parsed.occurredAt);
  if (occurredAt === null) {
    return fail({
      code: 'invalid_occurred_at',
      path: 'occurredAt',
      message: 'occurredAt must be an RFC 3339 timestamp with an offset',
    });
  }
  if (occurredAt < EARLIEST_OCCURRED_AT) {
    return fail({
      code: 'invalid_occurred_at',
      path: 'occurredAt',
      message: 'occurredAt must be in the year 2000 or later',
    });
  }
  if (occurredAt > now + MAX_FUTURE_MS) {
    return fail({
      code: 'occurred_in_future',
      path: 'occurredAt',
      message: 'occurredAt is more than 5 minutes in the future',
    });
  }

  let details: PaymentRequestDetails | null = null;
  if (type === 'payment_request.created') {
    details = (plain && plainDetails(paymentRequest)) || null;
    if (!details) {
      const result = paymentRequestDetails.safeParse(paymentRequest);
      if (!result.success)
        return fail(errorFromIssue(input, result.error.issues[0] as z.core.$ZodIssue, ['paymentRequest']));
      details = result.data;
    }
  }

  const data = parsed.data ?? {};
  const dataSchema = DATA_SCHEMAS[type];
  if (dataSchema && !(plain && plainDataHolds(type, data))) {
    const result = dataSchema.safeParse(data);
    if (!result.success) {
      // Card data beyond brand and last4 is the error that matters most: name it first.
      const issues = result.error.issues as z.core.$ZodIssue[];
      const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]!;
      return fail(errorFromIssue(input, issue, ['data']));
    }
  }

  return { ok: true, event: { id: parsed.id, type, occurredAt, requestId: paymentRequest.id, details, data } };
}
