import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { parseFilters } from '../../app/read/filters';
import { getMetricsSummary } from '../../app/read/metrics/metrics.server';
import { getPayPage } from '../../app/read/pay-page.server';
import { decline, paymentIdempotencyKey, payWithCard, recordOpened } from '../../app/write/customer-payment.server';
import { runExpirySweep } from '../../app/write/expiry-sweeper.server';
import { PAYMENT_CLAIM_STALE_MS, paymentClaimName } from '../../app/write/payment-claims.server';
import { type ChargeResult, chargeCard } from '../../app/write/payments/sandbox-provider.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { MINUTE, T0 } from '../support/events';
import { BROWSER_UA, eventsOf, request, seedAgents, sendDressRequest } from './payment-request-fixtures';

// Two app instances on one database: A takes the customer's Pay, B runs the expiry sweeper.
let a: Db;
let b: Db;

beforeEach(async () => {
  const test = await createTestDb();
  a = test.db;
  b = openDatabaseUrl(test.file);
  await seedAgents(a);
});
afterEach(async () => {
  await closeDatabase(b);
  closeTestDb(a);
});

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const card = { number: '4242424242424242', expiry: '12/30', cvc: '123' };
const OPENED_AT = T0 + MINUTE;
const PAY_AT = T0 + 2 * MINUTE;
/** LINK_TTL_OPENED (15 min) after the opened. */
const EXPIRES_AT = OPENED_AT + 15 * MINUTE;
/** Within SPEC's 10 s after expiresAt. */
const SWEEP_AT = EXPIRES_AT + 10_000;

/** A request sent at T0 and opened by the customer at T0 + 1 min: its link expires at EXPIRES_AT. */
async function openedRequest() {
  const { requestId, token } = await sendDressRequest(a, () => T0);
  await recordOpened(a, token, BROWSER_UA, { clock: () => OPENED_AT });
  expect(Number((await request(a, requestId))!.expires_at)).toBe(EXPIRES_AT);
  return { requestId, token };
}

/**
 * Instance A's Pay at `payAt`, stopped (a SIGSTOP) after the provider's charge, and before it too
 * when `holdBeforeCharge`. At each stop `untilStalled()` resolves; then `resume()` carries on and
 * `die()` ends it there (the call throws: nothing after it is written, as with a killed process).
 * `charged` is the provider's answer once it charged, at `chargeAt` (default: the Pay's time).
 */
function stalledPay(token: string, options: { payAt?: number; chargeAt?: number; holdBeforeCharge?: boolean } = {}) {
  const state: { charged?: ChargeResult; stalled: boolean; release: (go: boolean) => void } = {
    stalled: false,
    release: () => {},
  };
  const hold = async () => {
    const go = await new Promise<boolean>((resolve) => {
      state.release = (value) => {
        state.stalled = false;
        resolve(value);
      };
      state.stalled = true;
    });
    if (!go) throw new Error('instance died');
  };
  const charge: typeof chargeCard = async (db, input, now) => {
    if (options.holdBeforeCharge) await hold();
    state.charged = await chargeCard(db, input, options.chargeAt === undefined ? now : new Date(options.chargeAt));
    await hold();
    return state.charged;
  };
  const paying = payWithCard(a, token, card, { clock: () => options.payAt ?? PAY_AT, charge });
  const settled = paying.catch((error: Error) => error);
  return {
    state,
    paying,
    untilStalled: async () => {
      while (!state.stalled) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    resume: () => state.release(true),
    die: async () => {
      state.release(false);
      expect(((await settled) as Error).message).toBe('instance died');
    },
  };
}

const customerEvents = async (requestId: string) =>
  (await eventsOf(a, requestId)).slice(2).map(({ type, source, applied, anomaly, occurred_at, data }) => ({
    type,
    source,
    applied,
    anomaly,
    occurredAt: Number(occurred_at),
    data,
  }));
const opened = {
  type: 'payment_request.opened',
  source: 'customer',
  applied: 1,
  anomaly: null,
  occurredAt: OPENED_AT,
  data: {},
};
const paidEvent = (providerReference: string, occurredAt: number) => ({
  type: 'payment_request.paid',
  source: 'provider',
  applied: 1,
  anomaly: null,
  occurredAt,
  data: { card: { brand: 'visa', last4: '4242' }, providerReference },
});
const attempts = async () => await queryRows(a, 'SELECT request_id, idempotency_key FROM payment_attempts');
const charges = async () =>
  await queryRows(a, 'SELECT idempotency_key, provider_reference, amount, charged_at FROM sandbox_charges');
const collected = async () =>
  (await getMetricsSummary(a, parseFilters(new URLSearchParams('from=2026-11-20&to=2026-11-20'), 'UTC'), manager))
    .collected;
const rejectedCount = async () =>
  Number(((await queryRow(a, 'SELECT count(*) AS n FROM rejected_events')) as { n: number | string }).n);

describe('a charge whose Pay never recorded it is found by the sweeper (the provider asked by idempotency key)', () => {
  it('records paid, not expired, when the instance that charged died before writing paid', async () => {
    const { requestId, token } = await openedRequest();
    const payA = stalledPay(token);
    await payA.untilStalled();
    const reference = payA.state.charged!.providerReference;
    await payA.die();

    // The customer does not press Pay again; the link's expiry passes; B's sweeper runs.
    expect(await runExpirySweep(b, SWEEP_AT)).toBe(0);

    expect(await request(a, requestId)).toMatchObject({ status: 'paid', paid_at: PAY_AT, closed_at: PAY_AT });
    expect(await customerEvents(requestId)).toEqual([opened, paidEvent(reference, PAY_AT)]);
    expect(await charges()).toEqual([
      {
        idempotency_key: paymentIdempotencyKey(requestId),
        provider_reference: reference,
        amount: 36121,
        charged_at: PAY_AT,
      },
    ]);
    expect(await collected()).toEqual({ USD: 36121 });
    expect(await getPayPage(a, token, SWEEP_AT)).toMatchObject({
      status: 'paid',
      paidCard: { brand: 'visa', last4: '4242' },
    });
    expect(await attempts()).toEqual([]);
    expect(await rejectedCount()).toBe(0);
    // A later sweep finds nothing left to ask or expire.
    expect(await runExpirySweep(b, SWEEP_AT + 60_000)).toBe(0);
    expect(await customerEvents(requestId)).toHaveLength(2);
  });

  it('records it once when the stalled instance resumes after the sweeper recorded it', async () => {
    const { requestId, token } = await openedRequest();
    const payA = stalledPay(token);
    await payA.untilStalled();
    const reference = payA.state.charged!.providerReference;
    expect(await runExpirySweep(b, SWEEP_AT)).toBe(0);
    payA.resume();
    expect(await payA.paying).toEqual({
      kind: 'paid',
      card: { brand: 'visa', last4: '4242' },
      providerReference: reference,
    });
    expect(await customerEvents(requestId)).toEqual([opened, paidEvent(reference, PAY_AT)]);
    expect(await request(a, requestId)).toMatchObject({ status: 'paid', paid_at: PAY_AT });
    expect(await attempts()).toEqual([]);
    expect(await rejectedCount()).toBe(0);
  });

  it('records it once when two instances sweep at the same moment', async () => {
    const { requestId, token } = await openedRequest();
    const payA = stalledPay(token);
    await payA.untilStalled();
    const reference = payA.state.charged!.providerReference;
    await payA.die();
    expect(await Promise.all([runExpirySweep(a, SWEEP_AT), runExpirySweep(b, SWEEP_AT)])).toEqual([0, 0]);
    expect(await customerEvents(requestId)).toEqual([opened, paidEvent(reference, PAY_AT)]);
    expect(await request(a, requestId)).toMatchObject({ status: 'paid', paid_at: PAY_AT });
    expect(await collected()).toEqual({ USD: 36121 });
    expect(await attempts()).toEqual([]);
    expect(await rejectedCount()).toBe(0);
  });

  it('records it at the next sweep once the attempt is stale, long before the link expires', async () => {
    const { requestId, token } = await openedRequest();
    const payA = stalledPay(token);
    await payA.untilStalled();
    const reference = payA.state.charged!.providerReference;
    await payA.die();
    // Not yet stale: the instance may still be recording it.
    expect(await runExpirySweep(b, PAY_AT + PAYMENT_CLAIM_STALE_MS - 1)).toBe(0);
    expect(await request(a, requestId)).toMatchObject({ status: 'opened' });
    expect(await runExpirySweep(b, PAY_AT + PAYMENT_CLAIM_STALE_MS)).toBe(0);
    expect(await request(a, requestId)).toMatchObject({ status: 'paid', paid_at: PAY_AT });
    expect(await customerEvents(requestId)).toEqual([opened, paidEvent(reference, PAY_AT)]);
    expect(await attempts()).toEqual([]);
  });

  it('makes paid win over an expiry already recorded when the charge reached the provider after the link expired', async () => {
    const { requestId, token } = await openedRequest();
    // Pay pressed 1 s before the expiry; the provider charges 2 s after it, when the sweep has run.
    const payA = stalledPay(token, { payAt: EXPIRES_AT - 1000, chargeAt: EXPIRES_AT + 2000, holdBeforeCharge: true });
    await payA.untilStalled();
    // The attempt is 6 s old: the provider has no charge yet, the instance may still record one.
    expect(await runExpirySweep(b, EXPIRES_AT + 5000)).toBe(1);
    expect(await request(a, requestId)).toMatchObject({ status: 'expired' });
    // The charge goes through, then the instance dies before writing paid.
    payA.resume();
    await payA.untilStalled();
    const reference = payA.state.charged!.providerReference;
    await payA.die();
    expect(await charges()).toEqual([
      {
        idempotency_key: paymentIdempotencyKey(requestId),
        provider_reference: reference,
        amount: 36121,
        charged_at: EXPIRES_AT + 2000,
      },
    ]);
    // The next sweeps: the attempt goes stale 30 s after the Pay.
    expect(await runExpirySweep(b, EXPIRES_AT + 10_000)).toBe(0);
    expect(await request(a, requestId)).toMatchObject({ status: 'expired' });
    expect(await runExpirySweep(b, EXPIRES_AT - 1000 + PAYMENT_CLAIM_STALE_MS)).toBe(0);
    // Pay was pressed in time: recorded at the expiry (as the Pay itself would have), where it wins.
    expect(await request(a, requestId)).toMatchObject({ status: 'paid', paid_at: EXPIRES_AT, closed_at: EXPIRES_AT });
    // The system expiry the paid contradicts is kept, void (listed first: stored first, same time).
    expect(await customerEvents(requestId)).toEqual([
      opened,
      {
        type: 'payment_request.expired',
        source: 'system',
        applied: 0,
        anomaly: 'void',
        occurredAt: EXPIRES_AT,
        data: {},
      },
      paidEvent(reference, EXPIRES_AT),
    ]);
    expect(await collected()).toEqual({ USD: 36121 });
    expect(await attempts()).toEqual([]);
    expect(await rejectedCount()).toBe(0);
  });

  it('records paid over a Decline pressed on another instance after the charge', async () => {
    const { requestId, token } = await openedRequest();
    const payA = stalledPay(token);
    await payA.untilStalled();
    const reference = payA.state.charged!.providerReference;
    // 31 s later A's claim is stale; the customer, seeing no answer, declines on instance B; A dies.
    await sqlRun(a, 'UPDATE leases SET expires_at = ? WHERE name = ?', [
      Date.now() - 1000,
      paymentClaimName(requestId),
    ]);
    expect(await decline(b, token, { clock: () => PAY_AT + 31_000 })).toEqual({ kind: 'declined' });
    await payA.die();
    expect(await request(a, requestId)).toMatchObject({ status: 'declined' });
    expect(await runExpirySweep(b, PAY_AT + 31_000)).toBe(0);
    expect(await request(a, requestId)).toMatchObject({ status: 'paid', paid_at: PAY_AT, closed_at: PAY_AT });
    expect(await customerEvents(requestId)).toEqual([
      opened,
      paidEvent(reference, PAY_AT),
      {
        type: 'payment_request.declined',
        source: 'customer',
        applied: 0,
        anomaly: 'after_terminal',
        occurredAt: PAY_AT + 31_000,
        data: {},
      },
    ]);
    expect(await collected()).toEqual({ USD: 36121 });
    expect(await attempts()).toEqual([]);
  });

  it('expires the link as before when the instance died before the provider charged', async () => {
    const { requestId, token } = await openedRequest();
    const payA = stalledPay(token, { holdBeforeCharge: true });
    await payA.untilStalled();
    await payA.die();
    expect(await runExpirySweep(b, SWEEP_AT)).toBe(1);
    expect(await request(a, requestId)).toMatchObject({ status: 'expired' });
    expect((await customerEvents(requestId)).map(({ type, source }) => `${type}/${source}`)).toEqual([
      'payment_request.opened/customer',
      'payment_request.expired/system',
    ]);
    expect(await charges()).toEqual([]);
    expect(await attempts()).toEqual([]);
    expect(await collected()).toEqual({});
  });

  it('leaves no attempt behind a Pay that recorded its outcome, failed or paid', async () => {
    const { requestId, token } = await openedRequest();
    const declined = { ...card, number: '4000000000000002' };
    expect(await payWithCard(a, token, declined, { clock: () => PAY_AT })).toMatchObject({ kind: 'failed' });
    expect(await attempts()).toEqual([]);
    expect(await payWithCard(a, token, card, { clock: () => PAY_AT + 1000 })).toMatchObject({ kind: 'paid' });
    expect(await attempts()).toEqual([]);
    expect(await request(a, requestId)).toMatchObject({ status: 'paid', paid_at: PAY_AT + 1000 });
  });
});
