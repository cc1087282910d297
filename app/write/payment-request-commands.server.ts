import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { type Db, first, writeTransaction } from '../../db/client';
import { agents, payLinks, requestConversations, teams } from '../../db/tables';
import { canSee, type Viewer } from '../domain/access';
import { firstWithoutCardNumber } from '../domain/card-masking';
import { currentStatus } from '../domain/current-status';
import { formatMoney } from '../domain/format';
import {
  CANCEL_REJECTION_MESSAGES,
  type CancelRejectionReason,
  cancelRefusalReason,
  type EventSource,
  type Status,
} from '../domain/lifecycle';
import { payUrlFor } from '../domain/pay-link';
import {
  getPaymentRequestRow,
  getPaymentRequestWithTimeline,
  type PaymentRequestRow,
} from '../read/payment-request.server';
import { recordAudit } from './audit.server';
import { type ChannelAdapter, channelAdapterFor } from './channels/index.server';
import {
  claimIdempotencyKey,
  type IdempotencyClaim,
  recordedResponse,
  recordIdempotentResponse,
  type StoredResponse,
} from './idempotency-keys.server';
import { ingestEvents } from './ingest.server';
import { assertAccepted, newEventId, writeOwnEvents } from './own-events.server';
import { withPaymentClaim } from './payment-claims.server';
import type { CreatePaymentRequestInput } from './payment-request-input';
import { lockRequestForDecision } from './request-lock.server';

export type CommandErrorCode = 'forbidden' | 'no_agent_identity' | 'not_found' | 'not_retryable';

const STATUS_BY_CODE: Record<CommandErrorCode, number> = {
  forbidden: 403,
  no_agent_identity: 403,
  not_found: 404,
  not_retryable: 409,
};

/** A command the caller may not run, or on a request they may not see: routes map it to the HTTP status. */
export class CommandError extends Error {
  readonly status: number;
  constructor(
    readonly code: CommandErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS_BY_CODE[code];
  }
}

export interface CommandOptions {
  clock?: () => number;
  /** Where the command came from: the agent console (default) or the HTTP API. */
  source?: Extract<EventSource, 'agent_console' | 'api'>;
}

export interface SendOptions extends CommandOptions {
  /** Origin the customer's link starts with, e.g. https://desk.example.com. */
  baseUrl: string;
  /** Replaces the channel's adapter (tests, or a provider chosen per tenant). */
  channel?: ChannelAdapter;
  /** The chat conversation the embedded panel sends from: its requests are listed per conversation. */
  conversationId?: string | null;
}

export interface SendOutcome {
  requestId: string;
  status: Status;
  payUrl: string;
  /** Why the channel could not deliver, when it could not. */
  sendFailureReason: string | null;
}

function newRequestId(now: number): string {
  return firstWithoutCardNumber(() => `pr_${now.toString(36)}${randomBytes(8).toString('hex')}`);
}

/** 192 random bits, base64url: the customer's link is the only key to the pay page. */
function newPayToken(): string {
  return randomBytes(24).toString('base64url');
}

async function requireAgentIdentity(db: Db, viewer: Viewer) {
  if (viewer.role !== 'agent') throw new CommandError('forbidden', 'Only agents send payment requests');
  const agentId = viewer.scope.kind === 'agent' ? viewer.scope.agentId : null;
  const agent = agentId
    ? first(
        await db
          .select({ id: agents.id, name: agents.name, teamId: teams.id, teamName: teams.name })
          .from(agents)
          .innerJoin(teams, eq(teams.id, agents.teamId))
          .where(eq(agents.id, agentId))
          .limit(1),
      )
    : undefined;
  if (!agent) {
    throw new CommandError(
      'no_agent_identity',
      'Your account is not linked to an agent, so it cannot send payment requests. Ask an administrator to link it.',
    );
  }
  return agent;
}

interface NewRequest {
  requestId: string;
  token: string;
  created: Record<string, unknown>;
}

/** The `created` event and pay-link token of a request about to be made by this agent, at `now`. */
async function newRequest(db: Db, viewer: Viewer, input: CreatePaymentRequestInput, now: number): Promise<NewRequest> {
  const agent = await requireAgentIdentity(db, viewer);
  const requestId = newRequestId(now);
  const created = {
    id: `evt_${requestId}_created`,
    type: 'payment_request.created',
    occurredAt: new Date(now).toISOString(),
    paymentRequest: {
      id: requestId,
      agent: { id: agent.id, name: agent.name, team: { id: agent.teamId, name: agent.teamName } },
      amount: input.amount,
      currency: input.currency,
      orderNumber: input.orderNumber,
      reason: input.reason,
      channel: input.channel,
      customer: input.customer.name === undefined ? { phone: input.customer.phone } : input.customer,
    },
    data: {},
  };
  return { requestId, token: newPayToken(), created };
}

/** Call inside a write transaction. */
async function writeNewRequest(db: Db, request: NewRequest, options: SendOptions, now: number): Promise<void> {
  assertAccepted(await ingestEvents(db, [request.created], options.source ?? 'agent_console', { now }));
  await db.insert(payLinks).values({ token: request.token, requestId: request.requestId, createdAt: now });
  if (options.conversationId) {
    await db
      .insert(requestConversations)
      .values({ requestId: request.requestId, conversationId: options.conversationId, createdAt: now });
  }
}

/** Creates a request (`created`), gives it a pay link and sends it through the channel (`sent` or `send_failed`). */
export async function createPaymentRequest(
  db: Db,
  viewer: Viewer,
  input: CreatePaymentRequestInput,
  options: SendOptions,
): Promise<SendOutcome> {
  const now = (options.clock ?? Date.now)();
  const request = await newRequest(db, viewer, input, now);
  await writeTransaction(db, async () => await writeNewRequest(db, request, options, now));
  return await deliverLink(db, (await getPaymentRequestRow(db, request.requestId))!, request.token, options);
}

/** The answer to a create, as POST /api/v1/payment-requests sends it and a retry with its key gets again. */
export async function createdRequestResponse(db: Db, sent: SendOutcome): Promise<StoredResponse> {
  const row = (await getPaymentRequestRow(db, sent.requestId))!;
  return requestResponse(await getPaymentRequestWithTimeline(db, row), sent.payUrl, sent.sendFailureReason);
}

/** A create's answer: the request with its timeline, its link, and why the channel could not deliver it. */
function requestResponse(
  request: Awaited<ReturnType<typeof getPaymentRequestWithTimeline>>,
  payUrl: string,
  sendFailureReason: string | null,
): StoredResponse {
  return { status: 201, body: JSON.stringify({ ...request, payUrl, sendFailureReason }) };
}

export type CreateOnceOutcome =
  | { outcome: 'created' | 'replayed'; requestId: string; response: StoredResponse }
  /** The first request with this key has created `requestId` and is still sending it. */
  | { outcome: 'in_flight'; requestId: string }
  /** The caller used this key for a different body. */
  | { outcome: 'key_reused' };

/**
 * createPaymentRequest under the caller's idempotency key: the first use of the key creates and sends,
 * and records the answer (createdRequestResponse); a retry with the same body within 24 h gets that
 * answer again without creating or sending anything.
 */
export async function createPaymentRequestOnce(
  db: Db,
  viewer: Viewer,
  input: CreatePaymentRequestInput,
  claim: IdempotencyClaim,
  options: SendOptions,
): Promise<CreateOnceOutcome> {
  const now = (options.clock ?? Date.now)();
  const request = await newRequest(db, viewer, input, now);
  // The key is claimed in the same BEGIN IMMEDIATE transaction that writes `created`, not in one of its
  // own: SQLite runs one writer at a time (in this process and across processes), so of two requests with
  // the same key exactly one finds it free and creates, and the other finds the claim with the request it
  // names, answered (a replay) or not yet (in flight, while the channel sends). A claim committed on its
  // own could outlive a failed creation and name a request that does not exist; here a creation that
  // rolls back takes its claim with it, so a retry creates.
  const prior = await writeTransaction(db, async () => {
    const found = await claimIdempotencyKey(db, viewer.userId, claim, request.requestId, now);
    if (found === null) await writeNewRequest(db, request, options, now);
    return found;
  });
  if (prior?.kind === 'other_body') return { outcome: 'key_reused' };
  if (prior?.response) return { outcome: 'replayed', requestId: prior.requestId, response: prior.response };
  if (prior && now - prior.claimedAt < ABANDONED_CREATE_MS) return { outcome: 'in_flight', requestId: prior.requestId };
  if (prior) {
    const response = await answerAbandonedCreate(db, viewer.userId, claim.key, prior.requestId, options);
    return { outcome: 'replayed', requestId: prior.requestId, response };
  }
  const sent = await deliverLink(db, (await getPaymentRequestRow(db, request.requestId))!, request.token, options);
  const response = await createdRequestResponse(db, sent);
  await writeTransaction(db, async () => await recordIdempotentResponse(db, viewer.userId, claim.key, response));
  return { outcome: 'created', requestId: sent.requestId, response };
}

/**
 * How long a create may go unanswered before its key's retry finishes it: the instance that claimed the
 * key died (or was stopped) between creating the request and recording its answer. Until then a retry
 * is told it is in flight; a channel's send must time out well before.
 */
export const ABANDONED_CREATE_MS = 60_000;

/**
 * The answer to a key whose create was never answered: its link sent now if it never was, else the
 * request as it stands, recorded for later retries. Under the request's claim (one retry on any
 * instance does it, and not beside a send retry); an answer recorded meanwhile wins. Without this a
 * retry was told "still being sent" for 24 hours, and a request left `created` was never sent.
 */
async function answerAbandonedCreate(
  db: Db,
  userId: string,
  key: string,
  requestId: string,
  options: SendOptions,
): Promise<StoredResponse> {
  return await withPaymentClaim(db, requestId, async () => {
    const recorded = await recordedResponse(db, userId, key);
    if (recorded) return recorded;
    const row = (await getPaymentRequestRow(db, requestId))!;
    const link = first(
      await db.select({ token: payLinks.token }).from(payLinks).where(eq(payLinks.requestId, requestId)).limit(1),
    )!;
    let response: StoredResponse;
    if (row.status === 'created')
      response = await createdRequestResponse(db, await deliverLink(db, row, link.token, options));
    else {
      const request = await getPaymentRequestWithTimeline(db, row);
      const failure = request.timeline.findLast((event) => event.type === 'payment_request.send_failed')?.data.reason;
      const sendFailureReason = row.status === 'send_failed' && typeof failure === 'string' ? failure : null;
      response = requestResponse(request, payUrlFor(options.baseUrl, link.token), sendFailureReason);
    }
    await writeTransaction(db, async () => await recordIdempotentResponse(db, userId, key, response));
    return response;
  });
}

/**
 * Sends a request whose send failed (or never happened) again, with the same link. Under the
 * request's claim (payment-claims.server.ts, across instances), its status read again within it: of
 * two retries at once (a double click, two tabs) one sends, the other finds it sent.
 */
export async function retrySend(db: Db, viewer: Viewer, requestId: string, options: SendOptions): Promise<SendOutcome> {
  const clock = options.clock ?? Date.now;
  await requireAgentIdentity(db, viewer);
  const seen = await getPaymentRequestRow(db, requestId);
  if (!seen || !canSee(viewer, seen)) throw new CommandError('not_found', 'No such payment request');
  return await withPaymentClaim(db, requestId, async () => {
    const row = (await getPaymentRequestRow(db, requestId))!;
    const status = currentStatus(row.status, row.expiresAt, clock());
    if (status !== 'send_failed' && status !== 'created') {
      throw new CommandError('not_retryable', 'Only a request whose send failed can be sent again');
    }
    const link = first(
      await db.select({ token: payLinks.token }).from(payLinks).where(eq(payLinks.requestId, requestId)).limit(1),
    );
    if (!link) throw new CommandError('not_retryable', 'This request has no pay link to send');
    return await deliverLink(db, row, link.token, options);
  });
}

function messageText(row: PaymentRequestRow, payUrl: string): string {
  const greeting = row.customerName ? `Hi ${row.customerName},` : 'Hello,';
  return `${greeting} please pay ${formatMoney(row.amount, row.currency)} for order ${row.orderNumber} (${row.reason}): ${payUrl}`;
}

async function deliverLink(db: Db, row: PaymentRequestRow, token: string, options: SendOptions): Promise<SendOutcome> {
  const clock = options.clock ?? Date.now;
  const payUrl = payUrlFor(options.baseUrl, token);
  const adapter = options.channel ?? channelAdapterFor(db, row.channel as CreatePaymentRequestInput['channel']);
  let failure: string | null;
  try {
    const result = await adapter.send({
      requestId: row.id,
      channel: row.channel as CreatePaymentRequestInput['channel'],
      recipient: row.customerPhone,
      text: messageText(row, payUrl),
    });
    failure = result.status === 'failed' ? result.reason : null;
  } catch {
    // An adapter that throws (network, provider outage) is a failed send the agent can retry.
    failure = 'channel_error';
  }
  const now = clock();
  await writeOwnEvents(
    db,
    [
      failure === null
        ? { id: newEventId(), type: 'sent', requestId: row.id }
        : { id: newEventId(), type: 'send_failed', requestId: row.id, data: { reason: failure } },
    ],
    options.source ?? 'agent_console',
    now,
  );
  const status = (await getPaymentRequestRow(db, row.id))?.status ?? 'created';
  return { requestId: row.id, status, payUrl, sendFailureReason: failure };
}

export type CancelOutcome =
  | { outcome: 'canceled'; requestId: string }
  | { outcome: 'refused'; requestId: string; reason: CancelRejectionReason; message: string };

/** Roles that may cancel (SPEC §5): agents their own requests, supervisors those of their teams. */
const CANCEL_ROLES: readonly Viewer['role'][] = ['agent', 'supervisor'];

/**
 * Cancels a request while the link was never opened and it is not terminal (SPEC §1). A refused
 * cancel is recorded as `cancel_rejected` and answered with its reason; both are audited.
 */
export async function cancelPaymentRequest(
  db: Db,
  viewer: Viewer,
  requestId: string,
  ip: string | null,
  options: CommandOptions = {},
): Promise<CancelOutcome> {
  if (!CANCEL_ROLES.includes(viewer.role)) throw new CommandError('forbidden', 'Your role may not cancel requests');
  const now = (options.clock ?? Date.now)();
  // Decide and write under one write lock: nothing can open or pay the link in between.
  return await writeTransaction(db, async () => {
    await lockRequestForDecision(db, requestId);
    const row = await getPaymentRequestRow(db, requestId);
    if (!row || !canSee(viewer, row)) throw new CommandError('not_found', 'No such payment request');
    const reason = cancelRefusalReason(currentStatus(row.status, row.expiresAt, now), row.openedAt);
    const event = reason
      ? { id: newEventId(), type: 'cancel_rejected', requestId, data: { reason, actorId: viewer.userId } }
      : { id: newEventId(), type: 'canceled', requestId, data: { actorId: viewer.userId } };
    await writeOwnEvents(db, [event], options.source ?? 'agent_console', now);
    await recordAudit(
      db,
      {
        action: reason ? 'cancel_refused' : 'cancel',
        actor: viewer,
        target: requestId,
        details: reason ? { reason } : {},
        ip,
      },
      now,
    );
    return reason
      ? { outcome: 'refused', requestId, reason, message: CANCEL_REJECTION_MESSAGES[reason] }
      : { outcome: 'canceled', requestId };
  });
}
