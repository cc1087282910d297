import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemExpiryEventId } from '../../app/domain/system-expiry';
import { verifyProjections } from '../../app/read/projection-check.server';
import { EXPIRY_SWEEP_BATCH, runExpirySweep } from '../../app/write/expiry-sweeper.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
let db: Db;

beforeEach(async () => {
  db = (await createTestDb()).db;
});
afterEach(() => closeTestDb(db));

const ingest = async (events: unknown[], now = T0 + 60 * MINUTE, source: 'api' | 'system' = 'api') =>
  await ingestEvents(db, events, source, { now, settings });
const request = async (id: string) =>
  (await queryRow(db, 'SELECT * FROM payment_requests WHERE id = ?', id)) as Record<string, unknown> | undefined;
const outcome = async (id: string) =>
  await queryRow(db, 'SELECT CAST(applied AS INTEGER) AS applied, anomaly, source FROM events WHERE id = ?', id);

/** The result of an event whose id was accepted before with other content. */
const conflictOf = (id: string) => ({
  id,
  status: 'rejected',
  error: { code: 'conflict', path: 'id', message: `An event with id ${id} and different content was already accepted` },
});

describe('ingestEvents', () => {
  it('names a new team as the first event of a batch names it, an agent as the newest does', async () => {
    const team = { teamId: 'tm_new', agentId: 'ag_new' };
    await ingest([
      created('pr_2', MINUTE, { ...team, teamName: 'Billing', agentName: 'A. Mensah' }),
      created('pr_1', 0, { ...team, teamName: 'Billing & Renewals', agentName: 'Ama Mensah' }),
    ]);
    expect(await queryRows(db, "SELECT name FROM teams WHERE id = 'tm_new'")).toEqual([{ name: 'Billing' }]);
    expect(await queryRows(db, "SELECT name, team_id, seen_at FROM agents WHERE id = 'ag_new'")).toEqual([
      { name: 'A. Mensah', team_id: 'tm_new', seen_at: T0 + MINUTE },
    ]);
  });

  it('moves an agent to the team of their newest event; a late, older event does not move them back', async () => {
    const thandi = (requestId: string, offsetMs: number, teamId: string, agentName = 'Thandi Mokoena') =>
      created(requestId, offsetMs, { teamId, agentName, teamName: teamId === 'tm_retail' ? 'Retail' : 'Claims' });
    const agent = async () => await queryRows(db, "SELECT name, team_id, seen_at FROM agents WHERE id = 'ag_17'");
    const now = T0 + 25 * 60 * MINUTE;
    await ingest([thandi('pr_1', 0, 'tm_retail')], now);
    expect(await agent()).toEqual([{ name: 'Thandi Mokoena', team_id: 'tm_retail', seen_at: T0 }]);

    // Moved to Claims (and married) a day later.
    await ingest([thandi('pr_2', 24 * 60 * MINUTE, 'tm_claims', 'Thandi Dube')], now);
    expect(await agent()).toEqual([{ name: 'Thandi Dube', team_id: 'tm_claims', seen_at: T0 + 24 * 60 * MINUTE }]);

    // A Retail request of hers from the morning arrives late: the request is Retail's, she stays in Claims.
    await ingest([thandi('pr_3', 60 * MINUTE, 'tm_retail')], now);
    expect(await agent()).toEqual([{ name: 'Thandi Dube', team_id: 'tm_claims', seen_at: T0 + 24 * 60 * MINUTE }]);
    expect(await queryRows(db, 'SELECT id, team_id FROM payment_requests ORDER BY id')).toEqual([
      { id: 'pr_1', team_id: 'tm_retail' },
      { id: 'pr_2', team_id: 'tm_claims' },
      { id: 'pr_3', team_id: 'tm_retail' },
    ]);
    expect(await queryRows(db, 'SELECT id, name FROM teams ORDER BY id')).toEqual([
      { id: 'tm_claims', name: 'Claims' },
      { id: 'tm_retail', name: 'Retail' },
    ]);
  });

  it('stores, replays and projects a paid request', async () => {
    const summary = await ingest([
      created('pr_1'),
      step('pr_1', 'sent', MINUTE),
      step('pr_1', 'opened', 2 * MINUTE),
      step('pr_1', 'paid', 3 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
    ]);
    expect(summary).toMatchObject({ accepted: 4, duplicates: 0, rejected: 0 });
    expect(await request('pr_1')).toMatchObject({
      status: 'paid',
      agent_id: 'ag_17',
      team_id: 'tm_retail',
      amount: 36121,
      currency: 'USD',
      created_at: T0,
      sent_at: T0 + MINUTE,
      opened_at: T0 + 2 * MINUTE,
      paid_at: T0 + 3 * MINUTE,
      closed_at: T0 + 3 * MINUTE,
      expiry_due_at: null,
    });
    expect(await queryRows(db, 'SELECT id, name, team_id, seen_at FROM agents')).toEqual([
      { id: 'ag_17', name: 'Thandi Mokoena', team_id: 'tm_retail', seen_at: T0 },
    ]);
  });

  it('acknowledges an exact duplicate and rejects the same id with other content as conflict', async () => {
    await ingest([created('pr_1')]);
    const again = await ingest([created('pr_1'), { ...created('pr_1'), occurredAt: '2026-11-20T10:00:01.000Z' }]);
    expect(again.results).toEqual([{ id: 'evt_pr_1_created', status: 'duplicate' }, conflictOf('evt_pr_1_created')]);
    expect(await queryRow(db, 'SELECT count(*) AS n FROM events')).toEqual({ n: 1 });
    expect(await queryRows(db, 'SELECT code, event_id FROM rejected_events')).toEqual([
      { code: 'conflict', event_id: 'evt_pr_1_created' },
    ]);
  });

  it('treats equal JSON with another key order as a duplicate', async () => {
    const event = step('pr_1', 'sent', MINUTE);
    await ingest([created('pr_1'), event]);
    const reordered = {
      data: {},
      paymentRequest: { id: 'pr_1' },
      occurredAt: event.occurredAt,
      type: event.type,
      id: event.id,
    };
    expect((await ingest([reordered])).duplicates).toBe(1);
  });

  it('takes the same id again within one batch as a duplicate, and with other content as a conflict', async () => {
    const summary = await ingest([
      created('pr_1'),
      created('pr_1'),
      { ...created('pr_1'), occurredAt: '2026-11-20T10:00:01.000Z' },
    ]);
    expect(summary.results).toEqual([
      { id: 'evt_pr_1_created', status: 'accepted' },
      { id: 'evt_pr_1_created', status: 'duplicate' },
      conflictOf('evt_pr_1_created'),
    ]);
    expect(await queryRow(db, 'SELECT count(*) AS n FROM events')).toEqual({ n: 1 });
  });

  it('keeps a conflict as received (masked) and takes a reordered copy in the same batch as a duplicate', async () => {
    const reversed = (event: object) => Object.fromEntries(Object.entries(event).reverse());
    const sent = step('pr_1', 'sent', MINUTE);
    const first = created('pr_1', 0, { reason: 'Card 4111 1111 1111 1111 please' });
    // Another card with the same last four, and the instant in a spelling of the sender's own.
    const other = {
      ...created('pr_1', 0, { reason: 'Card 5500 0000 0008 1111 please' }),
      occurredAt: '2026-11-20T12:00:00+02:00',
    };
    const summary = await ingest([first, sent, reversed(sent), reversed(first), other]);
    expect(summary.results.map((result) => result.status)).toEqual([
      'accepted',
      'accepted',
      'duplicate',
      'duplicate',
      'rejected',
    ]);
    const { raw } = (await queryRow(db, 'SELECT raw FROM rejected_events')) as { raw: string };
    expect(JSON.parse(raw)).toEqual({
      ...other,
      paymentRequest: { ...other.paymentRequest, reason: 'Card **** **** **** 1111 please' },
    });
    expect(raw).not.toContain('5500');
  });

  it('tells a resent event with a masked card number from one with another number of the same last four', async () => {
    // Both mask to "**** **** **** 1111": only the content hash of the event as received tells them apart.
    const first = created('pr_1', 0, { reason: 'Card 4111 1111 1111 1111 please' });
    const other = created('pr_1', 0, { reason: 'Card 5500 0000 0008 1111 please' });
    const statuses = async (events: unknown[]) => (await ingest(events)).results.map((result) => result.status);
    expect(await statuses([first, first, other])).toEqual(['accepted', 'duplicate', 'rejected']);
    expect(await statuses([other, first])).toEqual(['rejected', 'duplicate']);
    expect(await request('pr_1')).toMatchObject({ reason: 'Card **** **** **** 1111 please' });
    expect(await queryRows(db, 'SELECT code FROM rejected_events')).toEqual([
      { code: 'conflict' },
      { code: 'conflict' },
    ]);
  });

  it('keeps orphans until created arrives, then applies them', async () => {
    await ingest([step('pr_1', 'sent', MINUTE), step('pr_1', 'opened', 2 * MINUTE)], T0 + 3 * MINUTE);
    expect(await request('pr_1')).toBeUndefined();
    await ingest([created('pr_1')], T0 + 4 * MINUTE);
    expect(await request('pr_1')).toMatchObject({ status: 'opened', sent_at: T0 + MINUTE, opened_at: T0 + 2 * MINUTE });
  });

  it('records an expiry through the sweeper once, and a late paid that occurred earlier wins', async () => {
    await ingest([created('pr_1'), step('pr_1', 'sent', MINUTE)], T0 + 2 * MINUTE);
    expect(await request('pr_1')).toMatchObject({
      status: 'sent',
      expires_at: T0 + 6 * MINUTE,
      expiry_due_at: T0 + 6 * MINUTE,
    });

    expect(await runExpirySweep(db, T0 + 6 * MINUTE)).toBe(0); // exactly at expiresAt it is still in time
    expect(await runExpirySweep(db, T0 + 6 * MINUTE + 5000)).toBe(1);
    expect(await runExpirySweep(db, T0 + 6 * MINUTE + 9000)).toBe(0);
    const systemId = systemExpiryEventId('pr_1', T0 + 6 * MINUTE);
    expect(await outcome(systemId)).toEqual({ applied: 1, anomaly: null, source: 'system' });
    expect(await request('pr_1')).toMatchObject({ status: 'expired', closed_at: T0 + 6 * MINUTE, expiry_due_at: null });

    await ingest([step('pr_1', 'paid', 5 * MINUTE)], T0 + 10 * MINUTE);
    expect(await request('pr_1')).toMatchObject({
      status: 'paid',
      paid_at: T0 + 5 * MINUTE,
      closed_at: T0 + 5 * MINUTE,
    });
    expect(await outcome(systemId)).toEqual({ applied: 0, anomaly: 'void', source: 'system' });
  });

  it('voids a system expiry that a late opened contradicts and records the new one', async () => {
    await ingest([created('pr_1'), step('pr_1', 'sent', MINUTE)], T0 + 2 * MINUTE);
    await runExpirySweep(db, T0 + 7 * MINUTE);
    await ingest([step('pr_1', 'opened', 4 * MINUTE)], T0 + 8 * MINUTE);
    expect(await outcome(systemExpiryEventId('pr_1', T0 + 6 * MINUTE))).toMatchObject({ applied: 0, anomaly: 'void' });
    expect(await request('pr_1')).toMatchObject({
      status: 'opened',
      expires_at: T0 + 19 * MINUTE,
      expiry_due_at: T0 + 19 * MINUTE,
    });
    expect(await runExpirySweep(db, T0 + 20 * MINUTE)).toBe(1);
    expect(await request('pr_1')).toMatchObject({ status: 'expired', closed_at: T0 + 19 * MINUTE });
  });

  it('records an expiry already due in the batch that finds it, and leaves the sweeper nothing', async () => {
    const summary = await ingest([created('pr_1'), step('pr_1', 'sent', MINUTE)], T0 + 30 * MINUTE);
    // The summary answers for the batch's own events; the expiry is the server's.
    expect(summary).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0 });
    const systemId = systemExpiryEventId('pr_1', T0 + 6 * MINUTE);
    expect(
      await queryRow(
        db,
        'SELECT id, type, occurred_at, received_at, source, CAST(applied AS INTEGER) AS applied, anomaly FROM events WHERE request_id = ? ORDER BY seq DESC LIMIT 1',
        'pr_1',
      ),
    ).toEqual({
      id: systemId,
      type: 'payment_request.expired',
      occurred_at: T0 + 6 * MINUTE,
      received_at: T0 + 30 * MINUTE,
      source: 'system',
      applied: 1,
      anomaly: null,
    });
    expect(await request('pr_1')).toMatchObject({
      status: 'expired',
      closed_at: T0 + 6 * MINUTE,
      expiry_due_at: null,
    });
    expect(await runExpirySweep(db, T0 + 31 * MINUTE)).toBe(0);
    expect(await verifyProjections(db, settings)).toEqual({ checked: 1, different: [] });

    // A late opened voids it; the new expiry (15 minutes after the opened) is due too: recorded at once.
    await ingest([step('pr_1', 'opened', 4 * MINUTE)], T0 + 40 * MINUTE);
    expect(await outcome(systemId)).toEqual({ applied: 0, anomaly: 'void', source: 'system' });
    expect(await outcome(systemExpiryEventId('pr_1', T0 + 19 * MINUTE))).toEqual({
      applied: 1,
      anomaly: null,
      source: 'system',
    });
    expect(await request('pr_1')).toMatchObject({
      status: 'expired',
      closed_at: T0 + 19 * MINUTE,
      expiry_due_at: null,
    });
    // created, sent, the void expiry, opened, the new expiry.
    expect(await queryRow(db, 'SELECT count(*) AS n FROM events WHERE request_id = ?', 'pr_1')).toEqual({ n: 5 });
  });

  it('records an expiry only once due: at expiresAt the request is still in time', async () => {
    await ingest([created('pr_1'), step('pr_1', 'sent', MINUTE)], T0 + 6 * MINUTE);
    expect(await request('pr_1')).toMatchObject({ status: 'sent', expiry_due_at: T0 + 6 * MINUTE });
    expect(await queryRow(db, "SELECT count(*) AS n FROM events WHERE source = 'system'")).toEqual({ n: 0 });
  });

  it("records an expiry whose event id another request's event holds under another id, in the batch", async () => {
    // A sender may name an event anything: here the id of pr_1's system expiry, on another request.
    const taken = systemExpiryEventId('pr_1', T0 + 6 * MINUTE);
    await ingest([{ ...created('pr_other'), id: taken }], T0 + 20 * MINUTE);
    const summary = await ingest([created('pr_1'), step('pr_1', 'sent', MINUTE)], T0 + 30 * MINUTE);
    expect(summary).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await queryRows(db, 'SELECT id, request_id FROM events WHERE id = ?', taken)).toEqual([
      { id: taken, request_id: 'pr_other' },
    ]);
    const expiries = await queryRows(db, "SELECT id, occurred_at FROM events WHERE source = 'system'");
    expect(expiries).toEqual([{ id: expect.stringMatching(/^sys_exp_[0-9a-f]{32}$/), occurred_at: T0 + 6 * MINUTE }]);
    expect(expiries[0]!.id).not.toBe(taken);
    expect(await request('pr_1')).toMatchObject({ status: 'expired', expiry_due_at: null });
    expect(await runExpirySweep(db, T0 + 31 * MINUTE)).toBe(0);
    expect(await queryRow(db, 'SELECT count(*) AS n FROM rejected_events')).toEqual({ n: 0 });
  });

  it("sweeps past expiries whose event ids other requests' events hold: none stalls the others", async () => {
    // A full sweep batch of requests whose expiry ids a sender took first, then one more due later.
    const poisoned = Array.from({ length: EXPIRY_SWEEP_BATCH }, (_, i) => `pr_p${i}`);
    const events: unknown[] = [];
    for (const [i, id] of poisoned.entries()) {
      events.push(created(id, i), step(id, 'sent', MINUTE + i));
      events.push({ ...created(`pr_x${i}`), id: systemExpiryEventId(id, T0 + 6 * MINUTE + i) });
    }
    events.push(created('pr_last'), step('pr_last', 'sent', 2 * MINUTE));
    // Stored before any is due: the sweeper records them.
    expect((await ingest(events, T0 + 3 * MINUTE)).rejected).toBe(0);
    expect(await runExpirySweep(db, T0 + 10 * MINUTE)).toBe(EXPIRY_SWEEP_BATCH + 1);
    expect(await request('pr_last')).toMatchObject({ status: 'expired', expiry_due_at: null });
    expect(
      await queryRow(
        db,
        "SELECT count(*) AS n, count(DISTINCT request_id) AS requests FROM events WHERE source = 'system'",
      ),
    ).toEqual({ n: EXPIRY_SWEEP_BATCH + 1, requests: EXPIRY_SWEEP_BATCH + 1 });
    expect(await queryRow(db, 'SELECT count(*) AS n FROM rejected_events')).toEqual({ n: 0 });
    expect(await runExpirySweep(db, T0 + 11 * MINUTE)).toBe(0);
  });

  it('marks an event landing after a terminal status and leaves the projection alone', async () => {
    await ingest([
      created('pr_1'),
      step('pr_1', 'sent', MINUTE),
      step('pr_1', 'paid', 2 * MINUTE),
      step('pr_1', 'opened', 3 * MINUTE),
    ]);
    expect(await outcome('evt_pr_1_opened')).toMatchObject({ applied: 0, anomaly: 'after_terminal' });
    expect(await request('pr_1')).toMatchObject({ status: 'paid', opened_at: null });
  });

  it('masks card numbers in free text before storage, rejected bodies included', async () => {
    await ingest([
      created('pr_1', 0, { reason: 'Card 4111 1111 1111 1111 please', orderNumber: 'SO-4242424242424242' }),
    ]);
    expect(await request('pr_1')).toMatchObject({
      reason: 'Card **** **** **** 1111 please',
      order_number: 'SO-************4242',
    });
    const stored = (await queryRow(db, 'SELECT body FROM events')) as { body: string };
    expect(stored.body).not.toContain('4111 1111 1111 1111');
    expect(stored.body).not.toContain('4242424242424242');

    const summary = await ingest([
      step('pr_1', 'paid', MINUTE, { card: { brand: 'visa', last4: '1111', number: '4111111111111111', cvc: '123' } }),
    ]);
    expect(summary.results[0]).toMatchObject({ status: 'rejected', error: { code: 'card_data_not_allowed' } });
    const rejected = (await queryRow(db, 'SELECT raw FROM rejected_events')) as { raw: string };
    expect(rejected.raw).not.toContain('4111111111111111');
    expect(rejected.raw).not.toContain('"123"');
  });

  it('keeps every column of a projection right when its events arrive over several batches', async () => {
    // The writer updates only the columns that changed on SQLite: each later batch must still
    // leave the row equal to the replay of all its events, untouched columns included.
    const batches = [
      [created('pr_m1', 0, { amount: 5000 }), created('pr_m2', 0), step('pr_m2', 'sent', MINUTE)],
      [step('pr_m1', 'sent', MINUTE), step('pr_m2', 'opened', 2 * MINUTE)],
      [step('pr_m1', 'opened', 3 * MINUTE), step('pr_m2', 'paid', 4 * MINUTE)],
      [step('pr_m1', 'declined', 5 * MINUTE, { reason: 'insufficient_funds' })],
    ];
    const rows: Record<string, unknown>[][] = [];
    for (const [i, batch] of batches.entries()) {
      await ingest(batch, T0 + (60 + i) * MINUTE);
      expect(await verifyProjections(db, settings)).toEqual({ checked: 2, different: [] });
      rows.push(await queryRows(db, 'SELECT * FROM payment_requests ORDER BY id'));
    }
    expect(rows.at(-1)).toEqual([
      expect.objectContaining({
        id: 'pr_m1',
        status: 'declined',
        amount: 5000,
        sent_at: T0 + MINUTE,
        opened_at: T0 + 3 * MINUTE,
        paid_at: null,
        closed_at: T0 + 5 * MINUTE,
        updated_at: T0 + 63 * MINUTE,
      }),
      expect.objectContaining({
        id: 'pr_m2',
        status: 'paid',
        amount: 36121,
        opened_at: T0 + 2 * MINUTE,
        paid_at: T0 + 4 * MINUTE,
        updated_at: T0 + 62 * MINUTE,
      }),
    ]);
    // A batch that changes nothing of pr_m2 (a duplicate) leaves its row as it was.
    await ingest([step('pr_m2', 'paid', 4 * MINUTE)], T0 + 70 * MINUTE);
    expect(await request('pr_m2')).toEqual(rows.at(-1)![1]);
  });

  it('counts sent failures and keeps the latest send_failed as the expiry anchor', async () => {
    await ingest(
      [
        created('pr_1'),
        step('pr_1', 'send_failed', MINUTE, { reason: 'channel down' }),
        step('pr_1', 'send_failed', 2 * MINUTE, { reason: 'channel down' }, '_2'),
      ],
      T0 + 3 * MINUTE,
    );
    expect(await request('pr_1')).toMatchObject({
      status: 'send_failed',
      send_failures: 2,
      expires_at: T0 + 7 * MINUTE,
      sent_at: null,
    });
  });
});
