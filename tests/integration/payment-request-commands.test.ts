import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { getAgentRequestCards } from '../../app/read/agent-console.server';
import type { ChannelAdapter } from '../../app/write/channels/channel-adapter';
import { decline, payWithCard, recordOpened } from '../../app/write/customer-payment.server';
import { runExpirySweep } from '../../app/write/expiry-sweeper.server';
import { ingestEvents } from '../../app/write/ingest.server';
import {
  CommandError,
  cancelPaymentRequest,
  createPaymentRequest,
  retrySend,
} from '../../app/write/payment-request-commands.server';
import type { CreatePaymentRequestInput } from '../../app/write/payment-request-input';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { agentViewer, BROWSER_UA, DRESS_REQUEST, eventsOf, request, seedAgents } from './payment-request-fixtures';

let db: Db;
let clockAt = T0;
const clock = () => clockAt;
const BASE_URL = 'https://desk.test';

beforeEach(async () => {
  db = (await createTestDb()).db;
  await seedAgents(db);
  clockAt = T0;
});
afterEach(() => closeTestDb(db));

const input = (overrides: Partial<CreatePaymentRequestInput> = {}): CreatePaymentRequestInput => ({
  ...DRESS_REQUEST,
  ...overrides,
});
const thandi = agentViewer('ag_17');
const create = async (overrides: Partial<CreatePaymentRequestInput> = {}, viewer: Viewer = thandi) =>
  await createPaymentRequest(db, viewer, input(overrides), { baseUrl: BASE_URL, clock });
const tokenOf = (payUrl: string) => payUrl.split('/pay/')[1]!;
const audit = async () =>
  await queryRows(db, 'SELECT action, actor_user_id, target, details, ip FROM audit_log ORDER BY seq');

describe('createPaymentRequest', () => {
  it('writes created and sent, stores an unguessable link and records the message', async () => {
    const sent = await create();
    expect(sent).toEqual({
      requestId: expect.stringMatching(/^pr_[a-z0-9]+$/),
      status: 'sent',
      payUrl: expect.stringMatching(/^https:\/\/desk\.test\/pay\/[A-Za-z0-9_-]{32}$/),
      sendFailureReason: null,
    });
    const token = tokenOf(sent.payUrl);
    expect(await queryRows(db, 'SELECT token, request_id FROM pay_links')).toEqual([
      { token, request_id: sent.requestId },
    ]);
    expect(await eventsOf(db, sent.requestId)).toEqual([
      {
        type: 'payment_request.created',
        source: 'agent_console',
        applied: 1,
        anomaly: null,
        occurred_at: T0,
        data: {},
      },
      { type: 'payment_request.sent', source: 'agent_console', applied: 1, anomaly: null, occurred_at: T0, data: {} },
    ]);
    expect(await request(db, sent.requestId)).toMatchObject({
      status: 'sent',
      agent_id: 'ag_17',
      team_id: 'tm_retail',
      amount: 36121,
      currency: 'USD',
      order_number: 'SO-1001',
      customer_name: 'Valeria',
      customer_phone: '+27821234567',
      sent_at: T0,
      expires_at: T0 + 5 * MINUTE,
    });
    expect(await queryRows(db, 'SELECT request_id, channel, recipient, text, status FROM outbound_messages')).toEqual([
      {
        request_id: sent.requestId,
        channel: 'whatsapp',
        recipient: '+27821234567',
        text: `Hi Valeria, please pay $361.21 for order SO-1001 (Floral Oasis Dress): ${sent.payUrl}`,
        status: 'delivered',
      },
    ]);
  });

  it('files a request under the team of the agent’s newest event: an agent who moved sends for the new team', async () => {
    // The chat platform's events say Thandi now works in Claims.
    await ingestEvents(db, [created('pr_elsewhere', 0, { teamId: 'tm_claims', teamName: 'Claims' })], 'api', {
      now: T0,
    });
    clockAt = T0 + MINUTE;
    const sent = await create();
    expect(await request(db, sent.requestId)).toMatchObject({ agent_id: 'ag_17', team_id: 'tm_claims' });
    expect(await queryRows(db, "SELECT name, team_id, seen_at FROM agents WHERE id = 'ag_17'")).toEqual([
      { name: 'Thandi Mokoena', team_id: 'tm_claims', seen_at: T0 + MINUTE },
    ]);
  });

  it('gives every request its own token', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i++) tokens.add(tokenOf((await create()).payUrl));
    expect(tokens.size).toBe(5);
  });

  it('marks events from the API with source api', async () => {
    const sent = await createPaymentRequest(db, thandi, input(), { baseUrl: BASE_URL, clock, source: 'api' });
    expect((await eventsOf(db, sent.requestId)).map((event) => event.source)).toEqual(['api', 'api']);
  });

  it('writes send_failed with the reason when the channel cannot deliver', async () => {
    const sent = await create({ customer: { phone: '+27820000000' } });
    expect(sent).toMatchObject({ status: 'send_failed', sendFailureReason: 'recipient_unreachable' });
    expect((await eventsOf(db, sent.requestId)).map(({ type, data }) => ({ type, data }))).toEqual([
      { type: 'payment_request.created', data: {} },
      { type: 'payment_request.send_failed', data: { reason: 'recipient_unreachable' } },
    ]);
    expect(await request(db, sent.requestId)).toMatchObject({ status: 'send_failed', send_failures: 1, sent_at: null });
    expect(await queryRows(db, 'SELECT status, failure_reason FROM outbound_messages')).toEqual([
      { status: 'failed', failure_reason: 'recipient_unreachable' },
    ]);
  });

  it('treats an adapter that throws as a failed send', async () => {
    const broken: ChannelAdapter = {
      name: 'broken',
      send: () => Promise.reject(new Error('provider down')),
    };
    const sent = await createPaymentRequest(db, thandi, input(), { baseUrl: BASE_URL, clock, channel: broken });
    expect(sent).toMatchObject({ status: 'send_failed', sendFailureReason: 'channel_error' });
  });

  it('refuses an agent user without an agent identity, and other roles', async () => {
    const unlinked: Viewer = {
      userId: 'usr_x',
      name: 'No Agent',
      role: 'agent',
      scope: { kind: 'agent', agentId: null },
    };
    await expect(create({}, unlinked)).rejects.toMatchObject({ code: 'no_agent_identity', status: 403 });
    const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
    await expect(create({}, manager)).rejects.toBeInstanceOf(CommandError);
    expect(await queryRow(db, 'SELECT count(*) AS n FROM events')).toEqual({ n: 0 });
  });

  it('keeps free text masked when it holds a card number', async () => {
    const sent = await create({ reason: 'card 4242 4242 4242 4242 please' });
    expect(await request(db, sent.requestId)).toMatchObject({ reason: 'card **** **** **** 4242 please' });
  });
});

describe('retrySend', () => {
  const delivering: ChannelAdapter = {
    name: 'stub',
    send: async () => ({ status: 'delivered', messageId: 'msg_stub' }),
  };

  it('sends a failed request again with the same link', async () => {
    const failed = await create({ customer: { phone: '+27820000000' } });
    clockAt = T0 + MINUTE;
    const retried = await retrySend(db, thandi, failed.requestId, { baseUrl: BASE_URL, clock, channel: delivering });
    expect(retried).toEqual({
      requestId: failed.requestId,
      status: 'sent',
      payUrl: failed.payUrl,
      sendFailureReason: null,
    });
    expect((await eventsOf(db, failed.requestId)).map((event) => event.type)).toEqual([
      'payment_request.created',
      'payment_request.send_failed',
      'payment_request.sent',
    ]);
    expect(await request(db, failed.requestId)).toMatchObject({
      status: 'sent',
      send_failures: 1,
      sent_at: T0 + MINUTE,
      expires_at: T0 + 6 * MINUTE,
    });
  });

  it('sends once for two retries at once (a double click): the other finds it sent', async () => {
    const failed = await create({ customer: { phone: '+27820000000' } });
    let sends = 0;
    const slow: ChannelAdapter = {
      name: 'slow',
      send: async () => {
        sends += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { status: 'delivered', messageId: `msg_${sends}` };
      },
    };
    const retry = async () =>
      await retrySend(db, thandi, failed.requestId, { baseUrl: BASE_URL, clock, channel: slow });
    const [first, second] = await Promise.allSettled([retry(), retry()]);
    expect(sends).toBe(1);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    const refused = [first, second].find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'not_retryable' });
    expect((await eventsOf(db, failed.requestId)).map((event) => event.type)).toEqual([
      'payment_request.created',
      'payment_request.send_failed',
      'payment_request.sent',
    ]);
  });

  it('records a second failure when the channel still cannot deliver', async () => {
    const failed = await create({ customer: { phone: '+27820000000' } });
    const retried = await retrySend(db, thandi, failed.requestId, { baseUrl: BASE_URL, clock });
    expect(retried.status).toBe('send_failed');
    expect(await request(db, failed.requestId)).toMatchObject({ send_failures: 2 });
  });

  it('refuses to resend a request that was sent, and one outside the scope', async () => {
    const sent = await create();
    await expect(retrySend(db, thandi, sent.requestId, { baseUrl: BASE_URL, clock })).rejects.toMatchObject({
      code: 'not_retryable',
      status: 409,
    });
    await expect(
      retrySend(db, agentViewer('ag_40'), sent.requestId, { baseUrl: BASE_URL, clock }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('cancelPaymentRequest', () => {
  const cancel = async (requestId: string, viewer: Viewer = thandi) =>
    await cancelPaymentRequest(db, viewer, requestId, '203.0.113.9', { clock });
  const lastEvent = async (requestId: string) => (await eventsOf(db, requestId)).at(-1);

  it('cancels a request never opened, and audits it', async () => {
    const sent = await create();
    clockAt = T0 + MINUTE;
    expect(await cancel(sent.requestId)).toEqual({ outcome: 'canceled', requestId: sent.requestId });
    expect(await lastEvent(sent.requestId)).toEqual({
      type: 'payment_request.canceled',
      source: 'agent_console',
      applied: 1,
      anomaly: null,
      occurred_at: T0 + MINUTE,
      data: { actorId: thandi.userId },
    });
    expect(await request(db, sent.requestId)).toMatchObject({ status: 'canceled', closed_at: T0 + MINUTE });
    expect(await audit()).toEqual([
      { action: 'cancel', actor_user_id: thandi.userId, target: sent.requestId, details: '{}', ip: '203.0.113.9' },
    ]);
  });

  it('cancels a request whose send failed', async () => {
    const failed = await create({ customer: { phone: '+27820000000' } });
    expect((await cancel(failed.requestId)).outcome).toBe('canceled');
  });

  const refusalCases: [string, (requestId: string, token: string) => Promise<void> | void, string][] = [
    ['already_opened', async (_id, token) => void (await recordOpened(db, token, BROWSER_UA, { clock })), 'opened'],
    ['already_canceled', async (id) => void (await cancel(id)), 'canceled'],
    [
      'expired',
      async (id) => {
        clockAt = T0 + 6 * MINUTE;
        await runExpirySweep(db, clockAt);
        expect(await request(db, id)).toMatchObject({ status: 'expired' });
      },
      'expired',
    ],
    [
      'already_closed',
      async (_id, token) => {
        await payWithCard(db, token, { number: '4242 4242 4242 4242', expiry: '12/30', cvc: '123' }, { clock });
      },
      'paid',
    ],
  ];

  for (const [reason, arrange, status] of refusalCases) {
    it(`refuses with ${reason}, recorded as cancel_rejected without an anomaly`, async () => {
      const sent = await create();
      await arrange(sent.requestId, tokenOf(sent.payUrl));
      clockAt += MINUTE;
      const outcome = await cancel(sent.requestId);
      expect(outcome).toEqual({ outcome: 'refused', requestId: sent.requestId, reason, message: expect.any(String) });
      expect(await lastEvent(sent.requestId)).toEqual({
        type: 'payment_request.cancel_rejected',
        source: 'agent_console',
        applied: 1,
        anomaly: null,
        occurred_at: clockAt,
        data: { reason, actorId: thandi.userId },
      });
      expect(await request(db, sent.requestId)).toMatchObject({ status });
      expect((await audit()).at(-1)).toEqual({
        action: 'cancel_refused',
        actor_user_id: thandi.userId,
        target: sent.requestId,
        details: JSON.stringify({ reason }),
        ip: '203.0.113.9',
      });
    });
  }

  it('refuses a declined request as already_closed', async () => {
    const sent = await create();
    await decline(db, tokenOf(sent.payUrl), { clock });
    expect(await cancel(sent.requestId)).toMatchObject({ outcome: 'refused', reason: 'already_closed' });
  });

  it('refuses as expired once the time is up, before the sweeper records it', async () => {
    const sent = await create();
    clockAt = T0 + 5 * MINUTE + 1;
    expect(await cancel(sent.requestId)).toMatchObject({ outcome: 'refused', reason: 'expired' });
    expect((await eventsOf(db, sent.requestId)).every((event) => event.anomaly === null)).toBe(true);
  });

  it('refuses as already_opened after a payment attempt failed', async () => {
    const sent = await create();
    await payWithCard(db, tokenOf(sent.payUrl), { number: '4000000000000002', expiry: '12/30', cvc: '123' }, { clock });
    expect(await cancel(sent.requestId)).toMatchObject({ outcome: 'refused', reason: 'already_opened' });
  });

  it('answers not_found outside the scope and forbidden for roles that may not cancel', async () => {
    const sent = await create();
    await expect(cancel(sent.requestId, agentViewer('ag_40'))).rejects.toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
    const otherSupervisor: Viewer = {
      userId: 'usr_s2',
      name: 'Other',
      role: 'supervisor',
      scope: { kind: 'teams', teamIds: ['tm_sales'] },
    };
    await expect(cancel(sent.requestId, otherSupervisor)).rejects.toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
    await expect(cancel('pr_missing')).rejects.toThrow(expect.objectContaining({ code: 'not_found' }));
    const manager: Viewer = { userId: 'usr_m', name: 'M', role: 'manager', scope: { kind: 'all' } };
    await expect(cancel(sent.requestId, manager)).rejects.toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(await request(db, sent.requestId)).toMatchObject({ status: 'sent' });
    const supervisor: Viewer = {
      userId: 'usr_s1',
      name: 'Sup',
      role: 'supervisor',
      scope: { kind: 'teams', teamIds: ['tm_retail'] },
    };
    expect((await cancel(sent.requestId, supervisor)).outcome).toBe('canceled');
  });
});

describe('getAgentRequestCards', () => {
  it('lists the agent’s own requests, newest first, with what can be done on each', async () => {
    const failed = await create({ customer: { phone: '+27820000000' }, orderNumber: 'SO-1' });
    clockAt = T0 + 1000;
    const sent = await create({ orderNumber: 'SO-2' });
    await createPaymentRequest(db, agentViewer('ag_40'), input(), { baseUrl: BASE_URL, clock });
    const cards = await getAgentRequestCards(db, 'ag_17', BASE_URL, clockAt);
    expect(cards).toEqual([
      expect.objectContaining({
        id: sent.requestId,
        status: 'sent',
        statusLabel: 'Waiting for customer',
        amountText: '$361.21',
        customerPhone: '•••••••4567',
        payUrl: sent.payUrl,
        canCancel: true,
        canRetry: false,
        sendFailureReason: null,
      }),
      expect.objectContaining({
        id: failed.requestId,
        status: 'send_failed',
        statusLabel: 'Send failed – try again',
        canCancel: true,
        canRetry: true,
        sendFailureReason: 'recipient_unreachable',
      }),
    ]);
    expect((await getAgentRequestCards(db, 'ag_17', BASE_URL, T0 + 10 * MINUTE)).map((card) => card.status)).toEqual([
      'expired',
      'expired',
    ]);
  });

  it('lists only the requests sent from a conversation with its id, newest first', async () => {
    const send = async (orderNumber: string, conversationId: string | null) => {
      clockAt += 1000;
      return await createPaymentRequest(db, thandi, input({ orderNumber }), {
        baseUrl: BASE_URL,
        clock,
        conversationId,
      });
    };
    const first = await send('SO-1', 'conv_a');
    await send('SO-2', 'conv_b');
    await send('SO-3', null);
    const third = await send('SO-4', 'conv_a');
    await createPaymentRequest(db, agentViewer('ag_40'), input({ orderNumber: 'SO-5' }), {
      baseUrl: BASE_URL,
      clock,
      conversationId: 'conv_a',
    });
    const cards = await getAgentRequestCards(db, 'ag_17', BASE_URL, clockAt, { conversationId: 'conv_a' });
    expect(cards.map((card) => [card.id, card.orderNumber])).toEqual([
      [third.requestId, 'SO-4'],
      [first.requestId, 'SO-1'],
    ]);
    expect(await getAgentRequestCards(db, 'ag_17', BASE_URL, clockAt, { conversationId: 'conv_none' })).toEqual([]);
  });

  it('shows the 30 newest by creation of an agent with more, however late each was sent', async () => {
    // 40 requests a minute apart, each sent 30 s after it was created, but: pr_c02 sent an hour later
    // (old, out of the 30 newest), pr_c12 sent 80 minutes later (among them, and the most recent
    // send), pr_c35 and pr_c37 never sent (among them), pr_c20b created in the same millisecond as
    // pr_c20 (ties by id, newest first); another agent's request, newer than all, is not theirs.
    const id = (i: number) => `pr_c${String(i).padStart(2, '0')}`;
    const sentAfter: Record<number, number | null> = { 2: 60 * MINUTE, 12: 80 * MINUTE, 35: null, 37: null };
    const events: unknown[] = [created('pr_c20b', 20 * MINUTE), step('pr_c20b', 'sent', 20 * MINUTE + 30_000)];
    events.push(created('pr_other', 50 * MINUTE, { agentId: 'ag_40' }), step('pr_other', 'sent', 51 * MINUTE));
    for (let i = 0; i < 40; i++) {
      events.push(created(id(i), i * MINUTE));
      const after = i in sentAfter ? sentAfter[i] : 30_000;
      if (after !== null && after !== undefined) events.push(step(id(i), 'sent', i * MINUTE + after));
    }
    await ingestEvents(db, events, 'api', { now: T0 + 90 * MINUTE });
    const cards = await getAgentRequestCards(db, 'ag_17', BASE_URL, T0 + 90 * MINUTE);
    const newest = Array.from({ length: 30 }, (_, k) => id(39 - k));
    newest.splice(newest.indexOf('pr_c20'), 0, 'pr_c20b');
    expect(cards.map((card) => card.id)).toEqual(newest.slice(0, 30));
    expect(cards.map((card) => card.id)).toContain('pr_c12');
    expect(cards.map((card) => card.id)).toContain('pr_c35');
    expect(cards.map((card) => card.id)).not.toContain('pr_c02');
  });
});
