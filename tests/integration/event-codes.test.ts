import { describe, expect, it } from 'vitest';
import { getPaymentRequestRow, getPaymentRequestWithTimeline } from '../../app/read/payment-request.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import {
  EVENT_SOURCE_CODES,
  EVENT_TYPE_CODES,
  STORED_EVENT_SOURCES,
  STORED_EVENT_TYPES,
  textOfCodeSql,
} from '../../db/event-codes';
import { migrateDatabase } from '../../db/migrate';
import { createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { databaseBefore } from '../support/migrations';

// Migration 0020 (issue 14's disk): an event's type and source stored as codes, read as text.

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const NOW = T0 + 10 * MINUTE;

const EVENTS = [
  created('pr_a'),
  step('pr_a', 'sent', MINUTE),
  step('pr_a', 'opened', 2 * MINUTE),
  step('pr_a', 'paid', 3 * MINUTE, { card: { brand: 'visa', last4: '4242' }, providerReference: 'sbx_1' }),
  created('pr_b', 0, { orderNumber: 'SO-2' }),
  step('pr_b', 'send_failed', MINUTE, { reason: 'number unreachable' }),
  step('pr_b', 'canceled', 4 * MINUTE, { actorId: 'usr_x' }),
];

const storedRows = (db: Db) =>
  db.$client.prepare('SELECT seq, id, type, source, type_code, source_code FROM events ORDER BY seq').all();

const timelines = (db: Db) =>
  Promise.all(
    ['pr_a', 'pr_b'].map(async (id) => await getPaymentRequestWithTimeline(db, (await getPaymentRequestRow(db, id))!)),
  );

describe('event type and source codes (migration 0020)', () => {
  it('stores the codes and reads the text: the virtual columns as db/event-codes.ts defines them', async () => {
    const { db } = await createTestDb();
    await ingestEvents(db, EVENTS, 'api', { now: NOW, settings });
    expect(storedRows(db)).toEqual([
      { seq: 1, id: 'evt_pr_a_created', type: 'payment_request.created', source: 'api', type_code: 0, source_code: 0 },
      { seq: 2, id: 'evt_pr_a_sent', type: 'payment_request.sent', source: 'api', type_code: 1, source_code: 0 },
      { seq: 3, id: 'evt_pr_a_opened', type: 'payment_request.opened', source: 'api', type_code: 3, source_code: 0 },
      { seq: 4, id: 'evt_pr_a_paid', type: 'payment_request.paid', source: 'api', type_code: 5, source_code: 0 },
      { seq: 5, id: 'evt_pr_b_created', type: 'payment_request.created', source: 'api', type_code: 0, source_code: 0 },
      {
        seq: 6,
        id: 'evt_pr_b_send_failed',
        type: 'payment_request.send_failed',
        source: 'api',
        type_code: 2,
        source_code: 0,
      },
      {
        seq: 7,
        id: 'evt_pr_b_canceled',
        type: 'payment_request.canceled',
        source: 'api',
        type_code: 8,
        source_code: 0,
      },
    ]);
    // The table's definition is the lists' (migration 0020's text pins every code: a list reordered,
    // or grown without a migration, fails here).
    const { sql } = db.$client.prepare("SELECT sql FROM sqlite_schema WHERE name = 'events'").get() as { sql: string };
    expect(sql).toContain(
      `\`type\` text GENERATED ALWAYS AS (${textOfCodeSql('type_code', STORED_EVENT_TYPES)}) VIRTUAL NOT NULL`,
    );
    expect(sql).toContain(
      `\`source\` text GENERATED ALWAYS AS (${textOfCodeSql('source_code', STORED_EVENT_SOURCES)}) VIRTUAL NOT NULL`,
    );
    expect(sql).not.toMatch(/`type` text NOT NULL|`source` text NOT NULL/);
    // Every source, and a code no type stands for, refused.
    const insert = db.$client.prepare(
      `INSERT INTO events (id, request_id, type_code, occurred_at, received_at, source_code, body) VALUES (?, 'pr_x', ?, 0, 0, ?, '[]')`,
    );
    for (const source of STORED_EVENT_SOURCES) insert.run(`evt_${source}`, 1, EVENT_SOURCE_CODES[source]);
    expect(
      db.$client.prepare("SELECT source FROM events WHERE request_id = 'pr_x' ORDER BY seq").pluck().all(),
    ).toEqual([...STORED_EVENT_SOURCES]);
    expect(() => insert.run('evt_bad', STORED_EVENT_TYPES.length, 0)).toThrow(
      /NOT NULL constraint failed: events.type/,
    );
  });

  it('converts events stored before it, keeping seq, the sequence, timelines and duplicates', async () => {
    const today = (await createTestDb()).db;
    await ingestEvents(today, EVENTS, 'api', { now: NOW, settings });

    // The same rows as the code before 0020 wrote them: type and source as text.
    const old = databaseBefore('0020_');
    const rows = today.$client
      .prepare(
        `SELECT seq, id, request_id, type, occurred_at, received_at, source, content_hash, body, applied, anomaly,
           link_ttl_ms FROM events ORDER BY seq`,
      )
      .all() as Record<string, unknown>[];
    const insert = old.$client.prepare(
      `INSERT INTO events (seq, id, request_id, type, occurred_at, received_at, source, content_hash, body, applied,
         anomaly, link_ttl_ms)
       VALUES (@seq, @id, @request_id, @type, @occurred_at, @received_at, @source, @content_hash, @body, @applied,
         @anomaly, @link_ttl_ms)`,
    );
    for (const row of rows) insert.run({ ...row, source: row.id === 'evt_pr_b_canceled' ? 'agent_console' : 'api' });
    for (const table of ['teams', 'agents', 'payment_requests']) {
      // The columns the table had then (later migrations added some, as agents.seen_at).
      const then = new Set(old.$client.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all());
      for (const row of today.$client.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
        const columns = Object.keys(row).filter((column) => then.has(column));
        old.$client
          .prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`)
          .run(row);
      }
    }
    // An event deleted at the end: its seq is not given again after the migration.
    old.$client
      .prepare(
        `INSERT INTO events (seq, id, request_id, type, occurred_at, received_at, source, body)
         VALUES (100, 'evt_gone', 'pr_gone', 'payment_request.sent', 0, 0, 'system', '[]')`,
      )
      .run();
    old.$client.prepare("DELETE FROM events WHERE id = 'evt_gone'").run();

    migrateDatabase(old);

    const migrated = storedRows(old) as Record<string, unknown>[];
    expect(migrated.map((row) => [row.seq, row.type, row.source, row.type_code, row.source_code])).toEqual(
      rows.map((row) => {
        const source = row.id === 'evt_pr_b_canceled' ? 'agent_console' : 'api';
        const type = row.type as keyof typeof EVENT_TYPE_CODES;
        return [row.seq, type, source, EVENT_TYPE_CODES[type], EVENT_SOURCE_CODES[source]];
      }),
    );
    // The other columns as they were.
    const rest = `SELECT seq, id, request_id, occurred_at, received_at, content_hash, body, applied, anomaly, link_ttl_ms
      FROM events ORDER BY seq`;
    expect(old.$client.prepare(rest).all()).toEqual(today.$client.prepare(rest).all());
    const timelineOf = (list: Awaited<ReturnType<typeof timelines>>) =>
      list.map((one) => one?.timeline.map((event) => [event.id, event.type, event.source]));
    const expected = timelineOf(await timelines(today)).map((list) =>
      list?.map(([id, type, source]) => [id, type, id === 'evt_pr_b_canceled' ? 'agent_console' : source]),
    );
    expect(timelineOf(await timelines(old))).toEqual(expected);

    // A new event takes the seq after the deleted one; a resent one is still a duplicate.
    const summary = await ingestEvents(old, [EVENTS[1]!, step('pr_a', 'declined', 5 * MINUTE)], 'api', {
      now: NOW,
      settings,
    });
    expect(summary.results.map((result) => result.status)).toEqual(['duplicate', 'accepted']);
    expect(old.$client.prepare("SELECT seq, type, type_code FROM events WHERE id = 'evt_pr_a_declined'").get()).toEqual(
      {
        seq: 101,
        type: 'payment_request.declined',
        type_code: 6,
      },
    );
  });
});
