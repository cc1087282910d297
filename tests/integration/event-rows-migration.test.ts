import { describe, expect, it } from 'vitest';
import { maskJsonValue } from '../../app/domain/card-masking';
import { canonicalJson, sha256Hex } from '../../app/lib/canonical-json';
import { getPaymentRequestRow, getPaymentRequestWithTimeline } from '../../app/read/payment-request.server';
import { verifyProjections } from '../../app/read/projection-check.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { eventBodyOfRow } from '../../db/event-rows';
import { migrateDatabase } from '../../db/migrate';
import { createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { databaseBefore } from '../support/migrations';

// Migration 0013 (issue 14's disk): events stored before it (64-hex hash, whole body) convert to
// the layout db/event-rows.ts writes, and read back the same: timelines, replay, duplicates.

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const NOW = T0 + 10 * MINUTE;

const EVENTS: Record<string, unknown>[] = [
  created('pr_a'),
  step('pr_a', 'sent', MINUTE),
  step('pr_a', 'opened', 2 * MINUTE),
  step('pr_a', 'paid', 3 * MINUTE, { card: { brand: 'visa', last4: '4242' }, providerReference: 'sbx_1' }),
  // A sender's own spelling of the instant, and a card number masked in free text.
  {
    ...created('pr_b', 0, { orderNumber: 'SO-2', reason: 'Order 4111 1111 1111 1111' }),
    occurredAt: '2026-11-20T12:00:00+02:00',
  },
  step('pr_b', 'send_failed', MINUTE, { reason: 'number unreachable' }),
  // data first: stored keys keep their order.
  (({ data, ...rest }) => ({ data, ...rest, occurredAt: '2026-11-20T10:02:00Z' }))(
    step('pr_b', 'sent', 2 * MINUTE, {}, '_2'),
  ),
  step('pr_b', 'canceled', 4 * MINUTE, { actorId: 'usr_x' }),
];

const timelines = (db: Db) =>
  Promise.all(
    ['pr_a', 'pr_b'].map(async (id) => await getPaymentRequestWithTimeline(db, (await getPaymentRequestRow(db, id))!)),
  );

describe('migration 0013 for events stored before it', () => {
  it('gives the same timelines, replay and duplicate detection as events stored after it', async () => {
    // The reference: the same events ingested by today's code.
    const today = (await createTestDb()).db;
    await ingestEvents(today, EVENTS, 'api', { now: NOW, settings });

    // The same rows as the code before 0013 wrote them: the whole masked body, the hash in hex.
    const old = databaseBefore('0013_');
    const rows = today.$client.prepare('SELECT * FROM events ORDER BY seq').all() as Record<string, unknown>[];
    const byId = new Map(EVENTS.map((event) => [event.id as string, event]));
    const insert = old.$client.prepare(
      `INSERT INTO events (seq, id, request_id, type, occurred_at, received_at, source, content_hash, body, applied,
         anomaly, link_ttl_ms)
       VALUES (@seq, @id, @request_id, @type, @occurred_at, @received_at, @source, @content_hash, @body, @applied,
         @anomaly, @link_ttl_ms)`,
    );
    for (const row of rows) {
      const event = byId.get(row.id as string)!;
      insert.run({
        ...row,
        content_hash: sha256Hex(canonicalJson(event)),
        body: JSON.stringify(maskJsonValue(event)),
      });
    }
    for (const table of ['teams', 'agents', 'payment_requests']) {
      // The columns the table had then (later migrations added some, as agents.seen_at).
      const then = new Set(old.$client.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all());
      const all = today.$client.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      for (const row of all) {
        const columns = Object.keys(row).filter((column) => then.has(column));
        old.$client
          .prepare(
            `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
          )
          .run(row);
      }
    }
    // An event deleted at the end: its seq is not given again after the migration.
    old.$client
      .prepare(
        `INSERT INTO events (seq, id, request_id, type, occurred_at, received_at, source, content_hash, body, applied)
         VALUES (100, 'evt_gone', 'pr_gone', 'payment_request.sent', 0, 0, 'api', 'ab', '{}', 0)`,
      )
      .run();
    old.$client.prepare("DELETE FROM events WHERE id = 'evt_gone'").run();

    migrateDatabase(old);

    // Stored as today's code stores them, but for the packing of common shapes, which 0013 predates
    // (JSON is read as well), and a hash for every migrated row (SQL cannot tell when the body gives
    // it back): read back the same.
    const migrated = old.$client.prepare('SELECT * FROM events ORDER BY seq').all() as Record<string, unknown>[];
    const read = ({ content_hash: _hash, ...row }: Record<string, unknown>) => ({
      ...row,
      body: eventBodyOfRow(row as Parameters<typeof eventBodyOfRow>[0]),
    });
    expect(migrated.map(read)).toEqual(rows.map(read));
    const sent = (list: Record<string, unknown>[]) => list.find((row) => row.type === 'payment_request.sent')!.body;
    expect([sent(migrated), sent(rows)]).toEqual(['{"data":{}}', '']);
    expect(migrated.map((row) => Buffer.from(row.content_hash as Buffer).toString('hex'))).toEqual(
      EVENTS.map((event) => sha256Hex(canonicalJson(event))),
    );
    expect(await timelines(old)).toEqual(await timelines(today));
    expect(await verifyProjections(old, settings)).toEqual({ checked: 2, different: [] });

    // The same events again: duplicates; one of them with other content: a conflict.
    const again = await ingestEvents(old, EVENTS, 'api', { now: NOW + MINUTE, settings });
    expect(again).toMatchObject({ accepted: 0, duplicates: EVENTS.length, rejected: 0 });
    const changed: Record<string, unknown> = { ...EVENTS[1]!, data: { note: 'other' } };
    expect((await ingestEvents(old, [changed], 'api', { now: NOW + MINUTE, settings })).results).toEqual([
      expect.objectContaining({
        id: changed.id,
        status: 'rejected',
        error: expect.objectContaining({ code: 'conflict' }),
      }),
    ]);
    // A new event continues the sequence after the deleted one.
    await ingestEvents(old, [step('pr_a', 'expired', 20 * MINUTE)], 'api', { now: NOW + 20 * MINUTE, settings });
    expect(old.$client.prepare('SELECT max(seq) FROM events').pluck().get()).toBe(101);
  });
});
