import { describe, expect, it } from 'vitest';
import {
  getEventsPerMinute,
  getIngestionTotals,
  getOrphans,
  getRejectedEvents,
  getRejectionCodes,
} from '../../app/read/ingestion-health.server';
import { searchThreadStats } from '../../app/read/request-list/search-pool.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { receiptMinute } from '../../db/event-receipts';
import { migrateDatabase } from '../../db/migrate';
import { createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { databaseBefore } from '../support/migrations';
import { plansOf } from '../support/sqlite-plans';

// The ingestion-health page at scale (SQLite's plans; the behaviour on both engines is in
// admin.test.ts): no read of the page walks the events table or the rejected events, migration 0024
// fills event_receipts from the events already stored, and 0026 its rejected and rejection_codes.

const EVENTS_READ = /\bFROM events\b/;

describe('ingestion health reads', () => {
  it('finds orphans in events_unapplied_idx, and reads the last hour without the events table', async () => {
    const { db } = await createTestDb();
    // Before pr_a's link expires (sent at 1 min, due at 6): no system expiry among its events.
    const now = T0 + 3 * MINUTE;
    await ingestEvents(db, [created('pr_a'), step('pr_a', 'sent', MINUTE), step('pr_orphan', 'sent', MINUTE)], 'api', {
      now,
    });
    const orphans = await plansOf(db, EVENTS_READ, () => getOrphans(db));
    expect(orphans).toHaveLength(1);
    // A walk of the partial index (the unapplied events only), never of the table.
    expect(orphans[0]).toMatch(/SCAN e USING INDEX events_unapplied_idx/);
    expect(orphans[0]).not.toMatch(/SCAN e(?! USING INDEX events_unapplied_idx)/);
    expect(await getOrphans(db)).toMatchObject({ requests: 1, events: 1 });
    // Only the unapplied event is in the partial index.
    expect(
      db.$client
        .prepare('SELECT request_id FROM events INDEXED BY events_unapplied_idx WHERE applied = false')
        .pluck()
        .all(),
    ).toEqual(['pr_orphan']);

    // No read of events in this thread: the totals' two count(*) (events, requests, each a walk of an
    // index) run on the search thread, the last hour comes from event_receipts, the rejected ever from
    // rejection_codes (the kept rejected events are fewer once housekeeping has run).
    const answered = searchThreadStats().answered;
    expect(await plansOf(db, EVENTS_READ, () => getIngestionTotals(db, now))).toEqual([]);
    expect(searchThreadStats().answered - answered).toBe(2);
    expect(await getIngestionTotals(db, now)).toEqual({
      events: 3,
      eventsLastHour: 3,
      requests: 1,
      rejected: 0,
      rejectedLastDay: 0,
    });
    expect(await plansOf(db, EVENTS_READ, () => getEventsPerMinute(db, now))).toEqual([]);
  });

  it('reads rejected events only for the page of them, those of a code through rejected_code_idx', async () => {
    const { db } = await createTestDb();
    const now = T0 + 10 * MINUTE;
    await ingestEvents(db, [{ id: 'evt_x', type: 'nope' }, created('pr_bad', 0, { currency: 'XYZ' })], 'api', { now });
    const REJECTED_READ = /\brejected_events\b/;
    const answered = searchThreadStats().answered;
    expect(await plansOf(db, REJECTED_READ, () => getIngestionTotals(db, now))).toEqual([]);
    expect(searchThreadStats().answered - answered).toBe(2);
    expect((await getIngestionTotals(db, now)).rejected).toBe(2);
    expect(await plansOf(db, REJECTED_READ, () => getEventsPerMinute(db, now))).toEqual([]);
    expect(await plansOf(db, REJECTED_READ, () => getRejectionCodes(db))).toEqual([]);
    expect(await getRejectionCodes(db)).toEqual([
      { code: 'invalid_currency', n: 1 },
      { code: 'invalid_type', n: 1 },
    ]);
    for (const filter of [{ code: 'invalid_type' }, { code: 'invalid_type', before: 2 }]) {
      const plans = await plansOf(db, REJECTED_READ, () => getRejectedEvents(db, filter));
      expect(plans).toHaveLength(1);
      expect(plans[0]).toMatch(/^SEARCH rejected_events USING INDEX rejected_code_idx \(code=\?/);
    }
    expect((await getRejectedEvents(db, { code: 'invalid_type' })).rows.map((row) => row.eventId)).toEqual(['evt_x']);
  });

  it('migration 0026 counts every stored rejected event by code, and those of the last day by minute', () => {
    const db = databaseBefore('0026_');
    const now = Date.now();
    const insert = db.$client.prepare(
      `INSERT INTO rejected_events (event_id, received_at, source, code, path, message, raw)
       VALUES (?, ?, 'api', ?, 'type', 'bad', '{}')`,
    );
    insert.run('evt_1', now - 2 * MINUTE, 'invalid_type');
    insert.run('evt_2', now - 2 * MINUTE, 'invalid_currency');
    insert.run('evt_3', now - 25 * 60 * MINUTE, 'invalid_type');
    // A minute that also holds accepted events keeps them.
    db.$client
      .prepare('INSERT INTO event_receipts (minute, events) VALUES (?, 5)')
      .run(receiptMinute(now - 2 * MINUTE));
    migrateDatabase(db);
    expect(db.$client.prepare('SELECT code, events FROM rejection_codes ORDER BY code').all()).toEqual([
      { code: 'invalid_currency', events: 1 },
      { code: 'invalid_type', events: 2 },
    ]);
    expect(db.$client.prepare('SELECT minute, events, rejected FROM event_receipts ORDER BY minute').all()).toEqual([
      { minute: receiptMinute(now - 2 * MINUTE), events: 5, rejected: 2 },
    ]);
  });

  it('migration 0024 counts the last day of stored events per minute of receipt', () => {
    const db = databaseBefore('0024_');
    const now = Date.now();
    const insert = db.$client.prepare(
      `INSERT INTO events (id, request_id, type_code, occurred_at, received_at, source_code, body, applied)
       VALUES (?, 'pr_x', 1, 0, ?, 0, '', ?)`,
    );
    const receivedAt = [now - 2 * MINUTE, now - 2 * MINUTE, now - 90 * MINUTE, now - 25 * 60 * MINUTE];
    for (const [i, at] of receivedAt.entries()) insert.run(`evt_${i}`, at, i % 2);
    migrateDatabase(db);
    const expected = [
      { minute: receiptMinute(now - 90 * MINUTE), events: 1 },
      { minute: receiptMinute(now - 2 * MINUTE), events: 2 },
    ];
    expect(db.$client.prepare('SELECT minute, events FROM event_receipts ORDER BY minute').all()).toEqual(expected);
    expect(
      db.$client
        .prepare('SELECT id FROM events INDEXED BY events_unapplied_idx WHERE applied = false ORDER BY id')
        .pluck()
        .all(),
    ).toEqual(['evt_0', 'evt_2']);
  });
});
