import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { exportResponse } from '../../app/http/exports.server';
import { signIn } from '../../app/http/sign-in.server';
import { parseFilters } from '../../app/read/filters';
import { loader as embedLoader } from '../../app/routes/embed.agent';
import { createTeam, inviteUser } from '../../app/write/admin.server';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { paymentIdempotencyKey } from '../../app/write/customer-payment.server';
import { idempotencyKeySchema } from '../../app/write/idempotency-keys.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { startPaymentAttempt } from '../../app/write/payment-attempts.server';
import { chargeCard } from '../../app/write/payments/sandbox-provider.server';
import { createSchedule } from '../../app/write/report-schedules.server';
import { closeDb, type Db, onPostgres } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { at, created, MINUTE } from '../support/events';
import { storedBytes } from '../support/stored-bytes';
import { addUser, TEST_PASSWORD } from '../support/users';

const SETTINGS = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const NOW = Date.parse('2026-11-20T12:00:00.000Z');

// Luhn-valid numbers, one per place, so a leak names its place.
const PANS = {
  agentName: '4111111111111111',
  teamName: '5555555555554444',
  reason: '4012888888881881',
  orderNumber: '378282246310005',
  customerName: '6011111111111117',
  dataRefNumber: '4222222222222',
  dataId: '3530111333300000',
  dataPhone: '30569309025904',
  cardBrand: '6011000990139424',
  key: '5105105105105100',
  rejectedNumber: '4000056655665556',
  rejectedKey: '5200828282828210',
  eventId: '4242424242424242',
  agentId: '4000002500003155',
  phone: '4000000000003220',
  amount: '4000000000000077',
};

const group = (pan: string, separator: string) => pan.match(/.{1,4}/g)!.join(separator);
const fullWidth = (pan: string) => Array.from(pan, (d) => String.fromCharCode(0xff10 + Number(d))).join('');

describe('card numbers never reach the database, its file or its WAL (PCI DSS)', () => {
  let db: Db;
  let file: string;
  beforeEach(async () => {
    ({ db, file } = await createTestDb());
    // SQLite only: everything stays in the WAL until we read it, nothing checkpointed into the main file meanwhile.
    if (!onPostgres(db)) db.$client.pragma('wal_autocheckpoint = 0');
  });
  afterEach(() => closeTestDb(db));

  it('masks or refuses a PAN in every field, key and number, accepted or rejected', async () => {
    const base = created('pr_pan_1', 0, {
      agentName: `Agent ${group(PANS.agentName, '.')}`,
      teamName: `Team ${group(PANS.teamName, '\u00A0')}`,
      reason: `Dress ${group(PANS.reason, '\u200B')}`,
      orderNumber: group(PANS.orderNumber, '/'),
    });
    base.paymentRequest.customer.name = `Val ${fullWidth(PANS.customerName)}`;
    const createdEvent = {
      ...base,
      data: { ref: Number(PANS.dataRefNumber), id: PANS.dataId, phone: group(PANS.dataPhone, '_'), [PANS.key]: 'x' },
    };
    const paid = {
      id: 'evt_pr_pan_1_paid',
      type: 'payment_request.paid',
      occurredAt: at(MINUTE),
      paymentRequest: { id: 'pr_pan_1' },
      data: { card: { brand: group(PANS.cardBrand, '  '), last4: '9424' } },
    };
    const rejectedWithNumber = {
      ...created('pr_pan_2'),
      id: 'evt_pan_2',
      data: { ref: Number(PANS.rejectedNumber) },
      type: 'nope',
    };
    const rejectedKey = {
      ...paid,
      id: 'evt_pan_3',
      data: { card: { brand: 'Visa', last4: '1111', [PANS.rejectedKey]: 1 } },
    };
    const cardId = { ...created('pr_pan_4'), id: `evt_${PANS.eventId}` };
    const cardAgentId = created('pr_pan_5', 0, { agentId: `ag-${group(PANS.agentId, '-')}` });
    const longPhone = created('pr_pan_6');
    longPhone.paymentRequest.customer.phone = PANS.phone;
    const cardAmount = created('pr_pan_7', 0, { amount: Number(PANS.amount) });

    const summary = await ingestEvents(
      db,
      [createdEvent, paid, rejectedWithNumber, rejectedKey, cardId, cardAgentId, longPhone, cardAmount],
      'api',
      { now: NOW, settings: SETTINGS },
    );
    expect(summary.results.map((result) => (result.status === 'rejected' ? result.error.code : result.status))).toEqual(
      [
        'accepted',
        'accepted',
        'invalid_type',
        'card_data_not_allowed',
        'card_data_not_allowed',
        'card_data_not_allowed',
        'invalid_phone',
        'invalid_amount',
      ],
    );
    // The stored names are masked too (they were written from the unmasked event).
    expect(await queryRow(db, 'SELECT name FROM agents WHERE id = ?', 'ag_17')).toEqual({
      name: 'Agent ****.****.****.1111',
    });
    expect(await queryRow(db, 'SELECT name FROM teams WHERE id = ?', 'tm_retail')).toEqual({
      name: 'Team ****\u00A0****\u00A0****\u00A04444',
    });

    // SQLite: the WAL holds this test's writes (autocheckpoint is off), so it must be read too.
    if (!onPostgres(db)) expect(readFileSync(`${file}-wal`).length).toBeGreaterThan(0);
    const bytes = await storedBytes(db, file);
    for (const [place, pan] of Object.entries(PANS)) {
      expect(bytes.includes(pan), `${place}: ${pan}`).toBe(false);
      expect(bytes.includes(Buffer.from(fullWidth(pan)).toString('latin1')), `${place} full-width`).toBe(false);
      for (const separator of ['.', '\u00A0', '\u200B', '/', '_', '  ', '-']) {
        expect(bytes.includes(Buffer.from(group(pan, separator)).toString('latin1')), `${place} ${separator}`).toBe(
          false,
        );
      }
    }
    // Last fours stay, so a person can still tell cards apart.
    expect(bytes.includes('****.****.****.1111')).toBe(true);
  });

  it("masks a request's free text whatever the card's first digit; other data keeps epoch milliseconds (SPEC §1)", async () => {
    // Luhn-valid cards that start outside 2–6: UATP (1), RuPay (81), Troy (9792).
    const uatp = '122000000000003';
    const rupay = '8172123456789010';
    const troy = '9792000000000003';
    const event = created('pr_free_1', 0, { orderNumber: `UA-${uatp}`, reason: `Dress ${group(rupay, ' ')}` });
    event.paymentRequest.customer.name = `Val ${troy}`;
    // A Luhn-valid epoch millisecond, as senders put in data: not a card there.
    const withData = { ...event, data: { sentBy: 'crm', at: '1733400000001' } };
    const summary = await ingestEvents(db, [withData, `{"reason": "pay ${rupay}" oops`], 'api', {
      now: NOW,
      settings: SETTINGS,
    });
    expect(summary.results.map((result) => (result.status === 'rejected' ? result.error.code : result.status))).toEqual(
      ['accepted', 'invalid_event'],
    );
    expect(
      await queryRow(db, 'SELECT order_number, reason, customer_name FROM payment_requests WHERE id = ?', 'pr_free_1'),
    ).toEqual({
      order_number: 'UA-***********0003',
      reason: 'Dress **** **** **** 9010',
      customer_name: 'Val ************0003',
    });
    const bytes = await storedBytes(db, file);
    for (const pan of [uatp, rupay, troy, group(rupay, ' ')]) expect(bytes.includes(pan), pan).toBe(false);
    expect(bytes.includes('1733400000001')).toBe(true);
  });

  it('masks or refuses a PAN people type: searches, names, ids, emails, sign-ins, headers, keys', async () => {
    // Luhn-valid, one per place, none of them in PANS.
    const TYPED = {
      exportSearch: '4916338506082832',
      scheduleName: '5425233430109903',
      scheduleAgent: '4263982640269299',
      inviteName: '4007702835532454',
      inviteEmail: '5114496353984315',
      teamName: '4917610000000000',
      teamId: '5186001700009726',
      tokenName: '4035501000000008',
      signInEmail: '4444333322221111',
      userAgent: '5555341244441115',
      idempotencyKey: '4571000000000001',
      conversationId: '2223000048400011',
    };
    const manager = await addUser(db, { role: 'manager', name: 'Mia Manager' });
    const viewer: Viewer = { userId: manager.id, name: 'Mia Manager', role: 'manager', scope: { kind: 'all' } };

    // An export searched for a card number: audited (its filters) once the download ends.
    const filters = parseFilters(new URLSearchParams(`from=2026-11-01&to=2026-11-02&q=${TYPED.exportSearch}`), 'UTC');
    const download = await exportResponse(db, { report: 'payment-requests', format: 'csv', filters, viewer, ip: null });
    await download.text();
    await vi.waitFor(
      async () => expect(await queryRow(db, "SELECT details FROM audit_log WHERE action = 'export'")).toBeDefined(),
      { timeout: 10_000 },
    );
    expect(
      JSON.parse(
        (await queryRow<{ details: string }>(db, "SELECT details FROM audit_log WHERE action = 'export'"))!.details,
      ).filters.q,
    ).toBe('************2832');

    const schedule = await createSchedule(
      db,
      viewer,
      new URLSearchParams({
        name: `Daily ${TYPED.scheduleName}`,
        report: 'payment-requests',
        format: 'csv',
        cadence: 'daily',
        runAt: '08:00',
        timezone: 'UTC',
        agent: TYPED.scheduleAgent,
      }),
    );
    expect(schedule.ok).toBe(true);
    expect(await queryRow(db, 'SELECT name, filters FROM scheduled_reports')).toEqual({
      name: 'Daily ************9903',
      filters: JSON.stringify({ team: [], agent: ['************9299'], channel: [], currency: [], status: [] }),
    });

    const ctx = { db, actor: { userId: manager.id, name: 'Mia Manager' }, ip: null };
    expect(
      (await inviteUser(ctx, { name: `Val ${TYPED.inviteName}`, email: 'val@example.test', role: 'manager' })).ok,
    ).toBe(true);
    expect(await inviteUser(ctx, { name: 'Vic', email: `${TYPED.inviteEmail}@example.test`, role: 'manager' })).toEqual(
      {
        ok: false,
        fieldErrors: { email: 'An email must not hold a card number' },
        formError: null,
      },
    );
    expect((await createTeam(ctx, { teamId: 'tm_new', name: `Team ${TYPED.teamName}` })).ok).toBe(true);
    expect(await createTeam(ctx, { teamId: TYPED.teamId, name: 'Cards' })).toEqual({
      ok: false,
      fieldErrors: { teamId: 'A team id must not hold a card number' },
      formError: null,
    });
    await createServiceToken(db, { role: 'manager', name: `Wall ${TYPED.tokenName}` });
    expect(
      await queryRows(db, "SELECT name FROM users WHERE name LIKE 'Val %' OR name LIKE 'Wall %' ORDER BY name"),
    ).toEqual([{ name: 'Val ************2454' }, { name: 'Wall ************0008' }]);

    // A sign-in typed with a card number for its email (failures and their audit are stored), and
    // one that succeeds from a client whose User-Agent holds one (the session keeps it).
    const agentOf = (ua: string) => new Request('http://app.test/login', { headers: { 'user-agent': ua } });
    expect(await signIn(db, agentOf('Mozilla'), `${TYPED.signInEmail}@example.test`, 'wrong', '10.0.0.9')).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect((await signIn(db, agentOf(`Mozilla ${TYPED.userAgent}`), manager.email, TEST_PASSWORD, '10.0.0.9')).ok).toBe(
      true,
    );
    expect(await queryRow(db, 'SELECT user_agent FROM sessions')).toEqual({ user_agent: 'Mozilla ************1115' });

    const key = idempotencyKeySchema.safeParse(`send-${TYPED.idempotencyKey}`);
    expect(key.success ? 'accepted' : key.error.issues.map((issue) => issue.message)).toEqual([
      'Idempotency-Key must not hold a card number',
    ]);

    // The agent panel takes no conversation id holding a card number from its host's URL (it would
    // be stored with the requests sent from it).
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = file;
    try {
      const panel = await embedLoader({
        request: new Request(`http://desk.test/embed/agent?conversationId=chat-${TYPED.conversationId}&name=Val`),
        params: {},
        context: { cspNonce: '' },
      });
      expect((await (panel as Response).json()).context).toMatchObject({ conversationId: null, name: 'Val' });
    } finally {
      await closeDb();
      process.env.DATABASE_URL = saved;
    }

    const bytes = await storedBytes(db, file);
    for (const [place, pan] of Object.entries(TYPED)) expect(bytes.includes(pan), `${place}: ${pan}`).toBe(false);
  });

  it('keeps a sandbox charge as brand, last four, reference, amount, currency and time only, never the card', async () => {
    const card = { number: '5555 5555 5555 4444', expMonth: 12, expYear: 2030, cvc: '737' };
    const idempotencyKey = paymentIdempotencyKey('pr_charge_1');
    const charge = await chargeCard(db, { amount: 36121, currency: 'USD', card, idempotencyKey }, new Date(NOW));
    expect(charge).toMatchObject({ status: 'succeeded' });
    // Every column of the provider's table (SELECT *): a column added later shows up here.
    expect(await queryRows(db, 'SELECT * FROM sandbox_charges')).toEqual([
      {
        idempotency_key: 'pay_pr_charge_1',
        provider_reference: charge.providerReference,
        amount: 36121,
        currency: 'USD',
        card_brand: 'mastercard',
        card_last4: '4444',
        charged_at: NOW,
      },
    ]);
    const bytes = await storedBytes(db, file);
    for (const secret of ['5555555555554444', '5555 5555 5555 4444', '"cvc"']) {
      expect(bytes.includes(secret), secret).toBe(false);
    }
  });

  it('keeps a Pay under way as its request, idempotency key and start only, never the card', async () => {
    const attempt = await startPaymentAttempt(db, 'pr_charge_1', paymentIdempotencyKey('pr_charge_1'), NOW);
    // Every column (SELECT *): a column added later shows up here.
    expect(await queryRows(db, 'SELECT * FROM payment_attempts')).toEqual([
      { id: attempt.id, request_id: 'pr_charge_1', idempotency_key: 'pay_pr_charge_1', started_at: NOW },
    ]);
  });
});
