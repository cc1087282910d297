import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemExpiryEventId } from '../../app/domain/system-expiry';
import { verifyProjections } from '../../app/read/projection-check.server';
import { getExpirySettings } from '../../app/read/settings.server';
import type { AdminContext } from '../../app/write/admin.server';
import { updateSettings } from '../../app/write/admin-settings.server';
import { runExpirySweep } from '../../app/write/expiry-sweeper.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { type Db, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { addUser } from '../support/users';

// Settings come from the admin's settings page (no `settings` option): the TTLs in force when each
// event is accepted are the ones the write path records with it (SPEC §1 Expiry, issue #10).
let db: Db;
let ctx: AdminContext;

beforeEach(async () => {
  db = (await createTestDb()).db;
  const adminId = (await addUser(db, { role: 'admin', name: 'Ada Admin' })).id;
  ctx = { db, actor: { userId: adminId, name: 'Ada Admin' }, ip: '10.1.1.1' };
});
afterEach(() => closeTestDb(db));

/** The admin sets both TTLs, in minutes, on the settings page. */
async function setTtls(unopenedMinutes: number, openedMinutes: number) {
  const outcome = await updateSettings(ctx, {
    linkTtlUnopened: String(unopenedMinutes),
    linkTtlOpened: String(openedMinutes),
    orgTimezone: 'UTC',
    currencies: '',
    orgDisplayName: '',
    orgLogoUrl: '',
    embedOrigins: '',
  });
  expect(outcome.ok).toBe(true);
  expect(await getExpirySettings(db)).toEqual({
    ttlUnopenedMs: unopenedMinutes * MINUTE,
    ttlOpenedMs: openedMinutes * MINUTE,
  });
}

/** Accepts events as the API does, `now` a second after the given offset. */
const ingestAt = async (offset: number, events: unknown[]) => {
  const summary = await ingestEvents(db, events, 'api', { now: T0 + offset + 1000 });
  expect(summary.rejected).toBe(0);
  return summary;
};
const request = async (id: string) =>
  await queryRow(
    db,
    'SELECT status, sent_at, opened_at, paid_at, closed_at, expires_at, expiry_due_at FROM payment_requests WHERE id = ?',
    id,
  );
const recordedTtls = async (requestId: string) =>
  await queryRows<{ id: string; linkTtlMs: number | null; applied: number; anomaly: string | null }>(
    db,
    // The alias quoted: PostgreSQL folds an unquoted one to lower case; applied is a boolean there.
    'SELECT id, link_ttl_ms AS "linkTtlMs", CAST(applied AS INTEGER) AS applied, anomaly FROM events WHERE request_id = ? ORDER BY seq',
    requestId,
  );

describe('a TTL change applies to links sent or opened after it only', () => {
  it('paid after 14 minutes of a 15-minute open stays paid when the TTL becomes 10 and a late event arrives', async () => {
    await setTtls(5, 15);
    await ingestAt(0, [created('pr_1')]);
    await ingestAt(MINUTE, [step('pr_1', 'sent', MINUTE)]);
    await ingestAt(4 * MINUTE, [step('pr_1', 'opened', 4 * MINUTE)]);
    await ingestAt(18 * MINUTE, [step('pr_1', 'paid', 18 * MINUTE, { card: { brand: 'visa', last4: '4242' } })]);
    const paid = {
      status: 'paid',
      sent_at: T0 + MINUTE,
      opened_at: T0 + 4 * MINUTE,
      paid_at: T0 + 18 * MINUTE,
      closed_at: T0 + 18 * MINUTE,
      expires_at: T0 + 19 * MINUTE,
      expiry_due_at: null,
    };
    expect(await request('pr_1')).toEqual(paid);

    await setTtls(5, 10);
    await ingestAt(20 * MINUTE, [step('pr_1', 'cancel_rejected', 20 * MINUTE, { reason: 'already_closed' })]);

    expect(await request('pr_1')).toEqual(paid);
    expect(await recordedTtls('pr_1')).toEqual([
      { id: 'evt_pr_1_created', linkTtlMs: null, applied: 1, anomaly: null },
      { id: 'evt_pr_1_sent', linkTtlMs: 5 * MINUTE, applied: 1, anomaly: null },
      { id: 'evt_pr_1_opened', linkTtlMs: 15 * MINUTE, applied: 1, anomaly: null },
      { id: 'evt_pr_1_paid', linkTtlMs: null, applied: 1, anomaly: null },
      { id: 'evt_pr_1_cancel_rejected', linkTtlMs: null, applied: 1, anomaly: null },
    ]);
    // Nor does the sweeper or `cli verify` (today's settings passed, as the CLI does) see it otherwise.
    expect(await runExpirySweep(db, T0 + 60 * MINUTE)).toBe(0);
    expect(await verifyProjections(db, await getExpirySettings(db))).toEqual({ checked: 1, different: [] });
  });

  it('a link sent before a change and opened after it: the sent-time TTL for sent, the opened-time TTL for opened', async () => {
    await setTtls(5, 15);
    await ingestAt(0, [created('pr_2'), step('pr_2', 'sent', MINUTE)]);
    expect(await request('pr_2')).toMatchObject({ status: 'sent', expires_at: T0 + 6 * MINUTE });

    // Under 2 minutes the link would have expired at +3 min, before this open at +5.
    await setTtls(2, 10);
    await ingestAt(5 * MINUTE, [step('pr_2', 'opened', 5 * MINUTE)]);

    expect(await request('pr_2')).toEqual({
      status: 'opened',
      sent_at: T0 + MINUTE,
      opened_at: T0 + 5 * MINUTE,
      paid_at: null,
      closed_at: null,
      expires_at: T0 + 15 * MINUTE,
      expiry_due_at: T0 + 15 * MINUTE,
    });
    expect((await recordedTtls('pr_2')).map((row) => row.linkTtlMs)).toEqual([null, 5 * MINUTE, 10 * MINUTE]);
  });

  it('the sweeper expires links at their recorded TTL, whether the setting grew or shrank since', async () => {
    await setTtls(5, 15);
    await ingestAt(0, [created('pr_longer'), step('pr_longer', 'sent', MINUTE)]);
    await ingestAt(0, [created('pr_shorter'), step('pr_shorter', 'sent', MINUTE)]);

    await setTtls(30, 30);
    await ingestAt(2 * MINUTE, [step('pr_longer', 'cancel_rejected', 2 * MINUTE, { reason: 'expired' })]);
    await setTtls(1, 1);
    await ingestAt(2 * MINUTE, [step('pr_shorter', 'cancel_rejected', 2 * MINUTE, { reason: 'expired' })]);

    expect(await runExpirySweep(db, T0 + 5 * MINUTE)).toBe(0);
    expect(await request('pr_longer')).toMatchObject({ status: 'sent', expiry_due_at: T0 + 6 * MINUTE });
    expect(await request('pr_shorter')).toMatchObject({ status: 'sent', expiry_due_at: T0 + 6 * MINUTE });

    expect(await runExpirySweep(db, T0 + 6 * MINUTE + 1)).toBe(2);
    for (const id of ['pr_longer', 'pr_shorter']) {
      expect(await request(id)).toEqual({
        status: 'expired',
        sent_at: T0 + MINUTE,
        opened_at: null,
        paid_at: null,
        closed_at: T0 + 6 * MINUTE,
        expires_at: T0 + 6 * MINUTE,
        expiry_due_at: null,
      });
      expect(
        await queryRow(
          db,
          'SELECT occurred_at, source, CAST(applied AS INTEGER) AS applied, anomaly FROM events WHERE id = ?',
          systemExpiryEventId(id, T0 + 6 * MINUTE),
        ),
      ).toEqual({ occurred_at: T0 + 6 * MINUTE, source: 'system', applied: 1, anomaly: null });
    }
  });

  it('events arriving out of order, under different settings, each keep the TTL in force when accepted', async () => {
    await setTtls(5, 10);
    await ingestAt(3 * MINUTE, [step('pr_3', 'opened', 3 * MINUTE)]); // an orphan, recorded with 10 minutes
    await setTtls(2, 20);
    await ingestAt(3 * MINUTE, [step('pr_3', 'sent', MINUTE)]); // recorded with 2 minutes: the link ends at +3
    await setTtls(30, 30);
    await ingestAt(3 * MINUTE, [created('pr_3')]);

    // sent +1 (2 min: until +3), opened at exactly +3 (in time; 10 min: until +13).
    expect(await request('pr_3')).toEqual({
      status: 'opened',
      sent_at: T0 + MINUTE,
      opened_at: T0 + 3 * MINUTE,
      paid_at: null,
      closed_at: null,
      expires_at: T0 + 13 * MINUTE,
      expiry_due_at: T0 + 13 * MINUTE,
    });
    // A duplicate delivered under yet other settings changes nothing, its recorded TTL included.
    await setTtls(1, 1);
    expect((await ingestAt(4 * MINUTE, [step('pr_3', 'sent', MINUTE)])).duplicates).toBe(1);
    expect((await recordedTtls('pr_3')).map((row) => [row.id, row.linkTtlMs])).toEqual([
      ['evt_pr_3_opened', 10 * MINUTE],
      ['evt_pr_3_sent', 2 * MINUTE],
      ['evt_pr_3_created', null],
    ]);
    expect(await runExpirySweep(db, T0 + 60 * MINUTE)).toBe(1);
    expect(await request('pr_3')).toMatchObject({ status: 'expired', closed_at: T0 + 13 * MINUTE });
  });

  it('an event stored before TTLs were recorded (migration 0011) falls back to the settings of the replay', async () => {
    await setTtls(5, 15);
    await ingestAt(0, [created('pr_old'), step('pr_old', 'sent', MINUTE)]);
    await sqlRun(db, "UPDATE events SET link_ttl_ms = NULL WHERE request_id = 'pr_old'");
    await setTtls(10, 15);
    await ingestAt(2 * MINUTE, [step('pr_old', 'cancel_rejected', 2 * MINUTE, { reason: 'expired' })]);
    expect(await request('pr_old')).toMatchObject({ status: 'sent', expires_at: T0 + 11 * MINUTE });
  });
});
