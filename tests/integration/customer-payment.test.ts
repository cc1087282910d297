import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FAILED_CARD_ATTEMPTS } from '../../app/domain/payment-cards';
import { getPayPage } from '../../app/read/pay-page.server';
import { decline, paymentIdempotencyKey, payWithCard, recordOpened } from '../../app/write/customer-payment.server';
import {
  PAYMENT_CLAIM_STALE_MS,
  paymentClaimName,
  releaseClaim,
  tryClaim,
} from '../../app/write/payment-claims.server';
import { cancelPaymentRequest } from '../../app/write/payment-request-commands.server';
import { type ChargeResult, chargeCard } from '../../app/write/payments/sandbox-provider.server';
import { closeDatabase, type Db, onPostgres, openDatabaseUrl, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { MINUTE, T0 } from '../support/events';
import { storedBytes } from '../support/stored-bytes';
import { agentViewer, BROWSER_UA, eventsOf, request, seedAgents, sendDressRequest } from './payment-request-fixtures';

let db: Db;
let dbFile: string;
let clockAt = T0;
const clock = () => clockAt;

beforeEach(async () => {
  ({ db, file: dbFile } = await createTestDb());
  await seedAgents(db);
  clockAt = T0;
});
afterEach(() => closeTestDb(db));

const sendRequest = () => sendDressRequest(db, clock);

const card = (number: string) => ({ number, expiry: '12/30', cvc: '123' });
const pay = async (token: string, number: string) => await payWithCard(db, token, card(number), { clock });
const customerEvents = async (requestId: string) =>
  (await eventsOf(db, requestId))
    .slice(2)
    .map(({ type, source, applied, anomaly, data }) => ({ type, source, applied, anomaly, data }));
const rejectedCount = async () =>
  ((await queryRow(db, 'SELECT count(*) AS n FROM rejected_events')) as { n: number }).n;

describe('recordOpened', () => {
  it('records the first browser view once, as evt_open_<requestId>, and starts the opened window', async () => {
    const { requestId, token } = await sendRequest();
    clockAt = T0 + MINUTE;
    expect(await recordOpened(db, token, BROWSER_UA, { clock })).toBe('recorded');
    clockAt = T0 + 2 * MINUTE;
    expect(await recordOpened(db, token, BROWSER_UA, { clock })).toBe('already_recorded');
    const opened = await queryRows(
      db,
      "SELECT id, source, occurred_at FROM events WHERE type = 'payment_request.opened'",
    );
    expect(opened).toEqual([{ id: `evt_open_${requestId}`, source: 'customer', occurred_at: T0 + MINUTE }]);
    expect(await request(db, requestId)).toMatchObject({
      status: 'opened',
      opened_at: T0 + MINUTE,
      expires_at: T0 + 16 * MINUTE,
    });
    expect(await rejectedCount()).toBe(0);
  });

  it('records one opened for views at once (two tabs): the others read it as already recorded, nothing rejected', async () => {
    const { requestId, token } = await sendRequest();
    const views = await Promise.all(
      [1, 2, 3].map(async (minute) => await recordOpened(db, token, BROWSER_UA, { clock: () => T0 + minute * MINUTE })),
    );
    expect(views.filter((view) => view === 'recorded')).toHaveLength(1);
    expect(views.filter((view) => view === 'already_recorded')).toHaveLength(2);
    expect(await queryRows(db, "SELECT id, source FROM events WHERE type = 'payment_request.opened'")).toEqual([
      { id: `evt_open_${requestId}`, source: 'customer' },
    ]);
    expect(await rejectedCount()).toBe(0);
  });

  it('does not count link previews, scanners or clients without a user agent', async () => {
    const { requestId, token } = await sendRequest();
    const bots = [
      'WhatsApp/2.23.20.0 A',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'TelegramBot (like TwitterBot)',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'curl/8.5.0',
      '',
      null,
    ];
    for (const userAgent of bots) expect(await recordOpened(db, token, userAgent, { clock })).toBe('not_counted');
    expect(await request(db, requestId)).toMatchObject({ status: 'sent', opened_at: null });
    expect(await customerEvents(requestId)).toEqual([]);
    expect(await recordOpened(db, token, BROWSER_UA, { clock })).toBe('recorded');
  });

  it('does not open an unknown, expired or closed link', async () => {
    expect(await recordOpened(db, 'no-such-token-0123456789abcdef', BROWSER_UA, { clock })).toBe('unknown_link');
    const { requestId, token } = await sendRequest();
    clockAt = T0 + 5 * MINUTE + 1;
    expect(await recordOpened(db, token, BROWSER_UA, { clock })).toBe('not_open');
    expect(await customerEvents(requestId)).toEqual([]);
  });
});

describe('customer outcomes', () => {
  it('pays with the success card: opened, then paid from the provider with brand and last 4 only', async () => {
    const { requestId, token } = await sendRequest();
    await recordOpened(db, token, BROWSER_UA, { clock });
    clockAt = T0 + 2 * MINUTE;
    const outcome = await pay(token, '4242 4242 4242 4242');
    expect(outcome).toEqual({
      kind: 'paid',
      card: { brand: 'visa', last4: '4242' },
      providerReference: expect.stringMatching(/^sbx_ch_/),
    });
    expect(await customerEvents(requestId)).toEqual([
      { type: 'payment_request.opened', source: 'customer', applied: 1, anomaly: null, data: {} },
      {
        type: 'payment_request.paid',
        source: 'provider',
        applied: 1,
        anomaly: null,
        data: {
          card: { brand: 'visa', last4: '4242' },
          providerReference: outcome.kind === 'paid' && outcome.providerReference,
        },
      },
    ]);
    expect(await request(db, requestId)).toMatchObject({
      status: 'paid',
      paid_at: T0 + 2 * MINUTE,
      closed_at: T0 + 2 * MINUTE,
    });
    expect(await getPayPage(db, token, clockAt)).toMatchObject({
      status: 'paid',
      paidCard: { brand: 'visa', last4: '4242' },
      amountText: '$361.21',
      // The organisation's display name (default), never the team's internal name.
      merchantName: 'Paylink Desk',
      merchantLogoUrl: null,
      failedAttempts: 0,
    });
    expect(await pay(token, '4242424242424242')).toEqual({ kind: 'not_payable', status: 'paid' });
    expect(await customerEvents(requestId)).toHaveLength(2);
  });

  it('records payment_failed with the reason, then paid on a good card', async () => {
    const { requestId, token } = await sendRequest();
    await recordOpened(db, token, BROWSER_UA, { clock });
    expect(await pay(token, '4000 0000 0000 0002')).toEqual({
      kind: 'failed',
      reason: 'card_declined',
      message: 'Your card was declined.',
    });
    expect(await getPayPage(db, token, clockAt)).toMatchObject({
      status: 'payment_failed',
      lastFailure: 'Your card was declined.',
      failedAttempts: 1,
    });
    expect(await pay(token, '4000 0000 0000 9995')).toMatchObject({ kind: 'failed', reason: 'insufficient_funds' });
    expect(await pay(token, '4242 4242 4242 4242')).toMatchObject({ kind: 'paid' });
    expect((await customerEvents(requestId)).map(({ type, data, anomaly }) => ({ type, data, anomaly }))).toEqual([
      { type: 'payment_request.opened', data: {}, anomaly: null },
      { type: 'payment_request.payment_failed', data: { reason: 'card_declined' }, anomaly: null },
      { type: 'payment_request.payment_failed', data: { reason: 'insufficient_funds' }, anomaly: null },
      {
        type: 'payment_request.paid',
        data: { card: { brand: 'visa', last4: '4242' }, providerReference: expect.any(String) },
        anomaly: null,
      },
    ]);
    expect(await request(db, requestId)).toMatchObject({ status: 'paid' });
  });

  it('records opened before a failed payment when the first view did not count', async () => {
    const { requestId, token } = await sendRequest();
    await recordOpened(db, token, 'WhatsApp/2.23.20.0 A', { clock });
    await pay(token, '4000000000000002');
    expect((await customerEvents(requestId)).map(({ type, anomaly }) => ({ type, anomaly }))).toEqual([
      { type: 'payment_request.opened', anomaly: null },
      { type: 'payment_request.payment_failed', anomaly: null },
    ]);
  });

  it('declines', async () => {
    const { requestId, token } = await sendRequest();
    await recordOpened(db, token, BROWSER_UA, { clock });
    expect(await decline(db, token, { clock })).toEqual({ kind: 'declined' });
    expect((await customerEvents(requestId)).map(({ type, source }) => ({ type, source }))).toEqual([
      { type: 'payment_request.opened', source: 'customer' },
      { type: 'payment_request.declined', source: 'customer' },
    ]);
    expect(await request(db, requestId)).toMatchObject({ status: 'declined' });
    expect(await decline(db, token, { clock })).toEqual({ kind: 'not_payable', status: 'declined' });
    expect(await pay(token, '4242424242424242')).toEqual({ kind: 'not_payable', status: 'declined' });
  });

  it('records a charge that answers after the link expired, Pay having come in time, at the expiry: paid', async () => {
    const { requestId, token } = await sendRequest();
    clockAt = T0 + MINUTE;
    await recordOpened(db, token, BROWSER_UA, { clock });
    const expiresAt = Number((await request(db, requestId))!.expires_at);
    // payWithCard reads the clock for the card's expiry, for the check, then after the charge: 5 s later.
    let reads = 0;
    const late = () => (++reads <= 2 ? expiresAt : expiresAt + 5_000);
    expect(await payWithCard(db, token, card('4242424242424242'), { clock: late })).toMatchObject({ kind: 'paid' });
    expect(reads).toBe(3);
    const paid = (await request(db, requestId))!;
    expect([paid.status, Number(paid.paid_at)]).toEqual(['paid', expiresAt]);
    expect((await customerEvents(requestId)).map(({ type, anomaly }) => ({ type, anomaly }))).toEqual([
      { type: 'payment_request.opened', anomaly: null },
      { type: 'payment_request.paid', anomaly: null },
    ]);
  });

  it('never charges a link the agent canceled while Pay was being checked (its first view not counted)', async () => {
    // The agent's cancel lands at each point of the customer's Pay in turn: a promise tick later each
    // time (SQLite's reads settle in ticks), then a turn of the event loop later (PostgreSQL's in turns).
    const later = async (ticks: number) => {
      for (let tick = 0; tick < ticks; tick++) {
        if (tick < 60) await Promise.resolve();
        else await new Promise((resolve) => setImmediate(resolve));
      }
    };
    for (let ticks = 0; ticks < 80; ticks++) {
      clockAt = T0 + ticks;
      const { requestId, token } = await sendRequest();
      const paying = pay(token, '4242424242424242');
      await later(ticks);
      const canceling = cancelPaymentRequest(db, agentViewer('ag_17'), requestId, null, { clock });
      const [paid, canceled] = await Promise.all([paying, canceling]);
      const status = ((await request(db, requestId)) as { status: string }).status;
      if (canceled.outcome === 'canceled') {
        expect([ticks, paid.kind, status]).toEqual([ticks, 'not_payable', 'canceled']);
      } else {
        expect([ticks, paid.kind, status]).toEqual([ticks, 'paid', 'paid']);
      }
    }
  });

  it('neither charges nor declines an expired link', async () => {
    const { requestId, token } = await sendRequest();
    clockAt = T0 + 5 * MINUTE + 1;
    expect(await pay(token, '4242424242424242')).toEqual({ kind: 'not_payable', status: 'expired' });
    expect(await decline(db, token, { clock })).toEqual({ kind: 'not_payable', status: 'expired' });
    expect(await getPayPage(db, token, clockAt)).toMatchObject({ status: 'expired', statusLabel: 'Expired' });
    expect(await customerEvents(requestId)).toEqual([]);
  });

  it('answers field errors for card input without writing anything', async () => {
    const { requestId, token } = await sendRequest();
    const outcome = await payWithCard(
      db,
      token,
      { number: '4242 4242 4242 4241', expiry: '13/30', cvc: '12' },
      { clock },
    );
    expect(outcome).toEqual({
      kind: 'invalid',
      fieldErrors: {
        number: 'This card number is not valid: check the digits',
        expiry: 'Enter the expiry date as MM / YY, e.g. 12 / 29',
        cvc: 'Enter the 3 or 4 digit security code',
      },
    });
    expect(
      await payWithCard(db, token, { number: '4242424242424242', expiry: '01/24', cvc: '123' }, { clock }),
    ).toEqual({
      kind: 'invalid',
      fieldErrors: { expiry: 'This card has expired' },
    });
    expect(await payWithCard(db, token, {}, { clock })).toMatchObject({ kind: 'invalid' });
    expect(await customerEvents(requestId)).toEqual([]);
  });

  it('answers unknown_link for a token that does not exist', async () => {
    expect(await pay('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '4242424242424242')).toEqual({ kind: 'unknown_link' });
    expect(await decline(db, 'short', { clock })).toEqual({ kind: 'unknown_link' });
    expect(await getPayPage(db, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', clockAt)).toBeNull();
  });

  it('charges once when Pay is submitted twice at the same time', async () => {
    const { requestId, token } = await sendRequest();
    const outcomes = await Promise.all([pay(token, '4242424242424242'), pay(token, '4242424242424242')]);
    // Whichever takes the request's claim first pays (on PostgreSQL the two run on two connections).
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['not_payable', 'paid']);
    expect((await customerEvents(requestId)).filter((event) => event.type === 'payment_request.paid')).toHaveLength(1);
  });

  it(`refuses a link's card attempts after ${MAX_FAILED_CARD_ATTEMPTS} failed ones (card testing), even at once`, async () => {
    const { requestId, token } = await sendRequest();
    for (let i = 0; i < MAX_FAILED_CARD_ATTEMPTS - 1; i++) {
      clockAt += 1000;
      expect(await pay(token, '4000 0000 0000 0002')).toMatchObject({ kind: 'failed', reason: 'card_declined' });
    }
    expect(await getPayPage(db, token, clockAt)).toMatchObject({ status: 'payment_failed', attemptsExhausted: false });
    clockAt += 1000;
    // The fifth failure and two more attempts racing it: only one reaches the provider, whichever
    // takes the request's claim first (on PostgreSQL they run on three connections, in any order).
    const racing = await Promise.all([
      pay(token, '4000 0000 0000 9995'),
      pay(token, '4000 0000 0000 0002'),
      pay(token, '4000 0000 0000 9995'),
    ]);
    expect(racing.map((outcome) => outcome.kind).sort()).toEqual(['failed', 'too_many_attempts', 'too_many_attempts']);
    const failures = (await customerEvents(requestId)).filter(
      (event) => event.type === 'payment_request.payment_failed',
    );
    expect(failures).toHaveLength(MAX_FAILED_CARD_ATTEMPTS);
    // A good card after the limit is refused too, before the provider.
    clockAt += 1000;
    expect(await pay(token, '4242 4242 4242 4242')).toEqual({ kind: 'too_many_attempts' });
    expect(await getPayPage(db, token, clockAt)).toMatchObject({
      status: 'payment_failed',
      attemptsExhausted: true,
      testCards: [],
    });
  });
});

describe('one customer action at a time across app instances (a lease per request)', () => {
  const claims = async () => await queryRows(db, "SELECT name, holder FROM leases WHERE name LIKE 'payment:%'");

  it('waits while another instance holds the request, then pays; the claim is gone after', async () => {
    const { requestId, token } = await sendRequest();
    const other = openDatabaseUrl(dbFile);
    try {
      expect(await tryClaim(other, requestId, 'instance-b')).toBe(true);
      let settled = false;
      const paying = pay(token, '4242424242424242').then((outcome) => {
        settled = true;
        return outcome;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false);
      expect(await customerEvents(requestId)).toEqual([]);
      expect(await claims()).toEqual([{ name: paymentClaimName(requestId), holder: 'instance-b' }]);
      await releaseClaim(other, requestId, 'instance-b');
      expect(await paying).toMatchObject({ kind: 'paid' });
      expect(await claims()).toEqual([]);
    } finally {
      await closeDatabase(other);
    }
  });

  it('takes over a claim left by an instance that died mid-payment once it is stale', async () => {
    const { requestId, token } = await sendRequest();
    // Taken PAYMENT_CLAIM_STALE_MS + 1 ms ago: its lease ran out 1 ms ago.
    await sqlRun(db, 'INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)', [
      paymentClaimName(requestId),
      'dead-instance',
      Date.now() - 1,
    ]);
    expect(await pay(token, '4242424242424242')).toMatchObject({ kind: 'paid' });
    expect(await claims()).toEqual([]);
  });

  it('charges once when two instances (two connections) take Pay at the same time', async () => {
    const { requestId, token } = await sendRequest();
    const other = openDatabaseUrl(dbFile);
    try {
      const outcomes = await Promise.all([
        pay(token, '4242424242424242'),
        payWithCard(other, token, card('4242424242424242'), { clock }),
      ]);
      expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['not_payable', 'paid']);
      expect((await customerEvents(requestId)).filter((event) => event.type === 'payment_request.paid')).toHaveLength(
        1,
      );
      expect(await claims()).toEqual([]);
    } finally {
      await closeDatabase(other);
    }
  });
});

describe('one charge per request, whatever instance retries it (the provider idempotency key)', () => {
  const charges = async () =>
    await queryRows(db, 'SELECT idempotency_key, provider_reference, card_brand, card_last4 FROM sandbox_charges');

  it('charges once when a Pay stalled after its charge and another instance took its stale claim over', async () => {
    const { requestId, token } = await sendRequest();
    clockAt = T0 + MINUTE;
    await recordOpened(db, token, BROWSER_UA, { clock });
    // Instance A: the provider charges the card, then A stalls (SIGSTOP) before recording `paid`.
    let charged: ChargeResult | undefined;
    let resume = () => {};
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const stallAfterCharge: typeof chargeCard = async (...args) => {
      charged = await chargeCard(...args);
      await resumed;
      return charged;
    };
    const other = openDatabaseUrl(dbFile);
    let onA: ReturnType<typeof payWithCard> | undefined;
    try {
      onA = payWithCard(db, token, card('4242424242424242'), { clock, charge: stallAfterCharge });
      while (!charged) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(charged).toMatchObject({ status: 'succeeded', card: { brand: 'visa', last4: '4242' } });
      const reference = charged.providerReference;
      // 31 s later A's claim has been stale for 1 s: the customer pays again, on instance B, with another card.
      await sqlRun(db, 'UPDATE leases SET expires_at = ? WHERE name = ?', [
        Date.now() - (31_000 - PAYMENT_CLAIM_STALE_MS),
        paymentClaimName(requestId),
      ]);
      const onB = await payWithCard(other, token, card('5555555555554444'), { clock: () => T0 + MINUTE + 31_000 });
      // The provider answers B with A's charge: nothing charged to the Mastercard.
      const paid = { kind: 'paid', card: { brand: 'visa', last4: '4242' }, providerReference: reference };
      expect(onB).toEqual(paid);
      resume();
      expect(await onA).toEqual(paid);

      expect(await charges()).toEqual([
        {
          idempotency_key: paymentIdempotencyKey(requestId),
          provider_reference: reference,
          card_brand: 'visa',
          card_last4: '4242',
        },
      ]);
      expect(await customerEvents(requestId)).toEqual([
        { type: 'payment_request.opened', source: 'customer', applied: 1, anomaly: null, data: {} },
        {
          type: 'payment_request.paid',
          source: 'provider',
          applied: 1,
          anomaly: null,
          data: { card: { brand: 'visa', last4: '4242' }, providerReference: reference },
        },
      ]);
      expect(await request(db, requestId)).toMatchObject({ status: 'paid', paid_at: T0 + MINUTE + 31_000 });
      expect(await getPayPage(db, token, T0 + 2 * MINUTE)).toMatchObject({
        status: 'paid',
        paidCard: { brand: 'visa', last4: '4242' },
      });
      expect(await rejectedCount()).toBe(0);
      expect(await queryRows(db, "SELECT name FROM leases WHERE name LIKE 'payment:%'")).toEqual([]);
    } finally {
      resume();
      await onA?.catch(() => undefined);
      await closeDatabase(other);
    }
  });

  it('answers one charge to two instances charging the same request at the same moment', async () => {
    const other = openDatabaseUrl(dbFile);
    try {
      const input = (number: string) => ({
        amount: 36121,
        currency: 'USD',
        card: { number, expMonth: 12, expYear: 2030, cvc: '123' },
        idempotencyKey: paymentIdempotencyKey('pr_race'),
      });
      const [first, second] = await Promise.all([
        chargeCard(db, input('4242424242424242')),
        chargeCard(other, input('5555555555554444')),
      ]);
      expect(second).toEqual(first);
      expect(await charges()).toEqual([
        {
          idempotency_key: 'pay_pr_race',
          provider_reference: first.providerReference,
          card_brand: first.card?.brand,
          card_last4: first.card?.last4,
        },
      ]);
    } finally {
      await closeDatabase(other);
    }
  });
});

/**
 * Everything the database holds, as text: on SQLite the database file and its WAL, bytes as they
 * are (the connection checkpointed and closed, then a fresh one opened for afterEach); on
 * PostgreSQL every text, json and bytea column of every table (tests/support/stored-bytes.ts).
 */
async function storedText(): Promise<string> {
  if (onPostgres(db)) return await storedBytes(db, dbFile);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  const text = Buffer.concat(
    [dbFile, `${dbFile}-wal`].filter((file) => existsSync(file)).map((file) => readFileSync(file)),
  ).toString('latin1');
  ({ db } = await createTestDb());
  return text;
}

describe('card data', () => {
  it('never stores a card number or security code anywhere in the database', async () => {
    const { token } = await sendRequest();
    await recordOpened(db, token, BROWSER_UA, { clock });
    await payWithCard(db, token, { number: '4242 4242 4242 4241', expiry: '12/30', cvc: '123' }, { clock });
    await payWithCard(db, token, { number: '4000 0000 0000 0002', expiry: '12/30', cvc: '123' }, { clock });
    await payWithCard(db, token, { number: '4000-0000-0000-9995', expiry: '12/30', cvc: '123' }, { clock });
    expect(
      await payWithCard(db, token, { number: '4242424242424242', expiry: '12/30', cvc: '123' }, { clock }),
    ).toMatchObject({
      kind: 'paid',
    });
    const bytes = await storedText();
    for (const secret of [
      '4242424242424242',
      '4242 4242 4242 4242',
      '4242424242424241',
      '4242 4242 4242 4241',
      '4000000000000002',
      '4000 0000 0000 0002',
      '4000000000009995',
      '4000-0000-0000-9995',
      '"cvc"',
      '"number"',
    ]) {
      expect(bytes.includes(secret), secret).toBe(false);
    }
    // The positive control: the card's brand and last four, as the paid event's packed body holds them.
    expect(bytes).toContain('\u001fvisa\u001f4242');
  });
});
