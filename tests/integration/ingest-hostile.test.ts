import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_EVENT_DEPTH } from '../../app/domain/event-schema';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb, queryRows } from '../support/db';
import { created, MINUTE, step } from '../support/events';

const SETTINGS = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const NOW = Date.parse('2026-11-20T12:00:00.000Z');

function nested(levels: number): Record<string, unknown> {
  // `levels` objects deep, counting the data object itself.
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

const codes = (summary: Awaited<ReturnType<typeof ingestEvents>>) =>
  summary.results.map((result) => (result.status === 'rejected' ? result.error.code : result.status));

describe('ingest refuses what it cannot store safely, event by event', () => {
  let db: Db;
  beforeEach(async () => {
    db = (await createTestDb()).db;
  });
  afterEach(() => closeTestDb(db));

  it(`refuses an event nested deeper than ${MAX_EVENT_DEPTH} levels as too_deep, and keeps the rest of the batch`, async () => {
    // Event (1) > data (2) > … : data nested 398 deep makes 399 levels in all; 2,200 overflowed the stack before.
    const fine = { ...created('pr_deep_ok'), data: nested(MAX_EVENT_DEPTH - 1) };
    const limit = { ...created('pr_deep_limit'), data: nested(MAX_EVENT_DEPTH - 2) };
    const tooDeep = { ...created('pr_deep_1'), data: nested(MAX_EVENT_DEPTH) };
    const overflow = { ...created('pr_deep_2'), data: nested(50_000) };
    const summary = await ingestEvents(db, [fine, tooDeep, overflow, limit, created('pr_deep_3')], 'api', {
      now: NOW,
      settings: SETTINGS,
    });
    expect(codes(summary)).toEqual(['accepted', 'too_deep', 'too_deep', 'accepted', 'accepted']);
    expect(summary.results[1]).toEqual({
      id: 'evt_pr_deep_1_created',
      status: 'rejected',
      error: { code: 'too_deep', path: '', message: `An event may nest at most ${MAX_EVENT_DEPTH} levels` },
    });
    expect(await queryRows(db, 'SELECT id FROM payment_requests ORDER BY id')).toEqual([
      { id: 'pr_deep_3' },
      { id: 'pr_deep_limit' },
      { id: 'pr_deep_ok' },
    ]);
    expect(await queryRows(db, 'SELECT event_id, code, raw FROM rejected_events ORDER BY seq')).toEqual([
      { event_id: 'evt_pr_deep_1_created', code: 'too_deep', raw: '"[nested deeper than 400 levels: not kept]"' },
      { event_id: 'evt_pr_deep_2_created', code: 'too_deep', raw: '"[nested deeper than 400 levels: not kept]"' },
    ]);
  });

  it.each([
    ['.', 'id'],
    ['..', 'id'],
  ])('refuses the id %s, which no route can address', async (id) => {
    const summary = await ingestEvents(db, [{ ...created('pr_dots'), id }, created(id)], 'api', {
      now: NOW,
      settings: SETTINGS,
    });
    expect(summary.results.map((result) => (result.status === 'rejected' ? result.error : result.status))).toEqual([
      { code: 'invalid_id', path: 'id', message: 'id must not be . or ..' },
      { code: 'invalid_id', path: 'paymentRequest.id', message: 'paymentRequest.id must not be . or ..' },
    ]);
  });

  it('refuses an all-digit id that is a card number (it cannot be masked: it is a key), and takes one that is not', async () => {
    const summary = await ingestEvents(
      db,
      [
        { ...created('pr_digits_1'), id: '4111111111111111' },
        { ...created('4111111111111111'), id: 'evt_digits_2' },
        { ...created('4111111111111112'), id: '4111111111111113' },
      ],
      'api',
      { now: NOW, settings: SETTINGS },
    );
    expect(summary.results.map((result) => (result.status === 'rejected' ? result.error.path : result.status))).toEqual(
      ['id', 'paymentRequest.id', 'accepted'],
    );
    expect(await queryRows(db, 'SELECT event_id FROM rejected_events ORDER BY seq')).toEqual([
      { event_id: '************1111' },
      { event_id: 'evt_digits_2' },
    ]);
  });

  it('refuses an occurredAt before the year 2000', async () => {
    const summary = await ingestEvents(
      db,
      [
        { ...created('pr_old_1'), occurredAt: '0000-01-01T00:00:00Z' },
        { ...created('pr_old_2'), occurredAt: '1999-12-31T23:59:59.999Z' },
        { ...created('pr_old_3'), occurredAt: '2000-01-01T00:00:00Z' },
      ],
      'api',
      { now: NOW, settings: SETTINGS },
    );
    expect(codes(summary)).toEqual(['invalid_occurred_at', 'invalid_occurred_at', 'accepted']);
  });

  it('limits customer.phone to E.164’s 15 digits', async () => {
    const phone = (value: string) => {
      const event = created(`pr_phone_${value.length}`);
      event.paymentRequest.customer.phone = value;
      return event;
    };
    const summary = await ingestEvents(db, [phone('+123456789012345'), phone('+1234567890123456')], 'api', {
      now: NOW,
      settings: SETTINGS,
    });
    expect(codes(summary)).toEqual(['accepted', 'invalid_phone']);
  });

  it('refuses an event holding a NUL character as invalid_text at its path, keeps its raw body escaped, and takes the rest', async () => {
    // PostgreSQL's text holds no NUL: each of these was a 500 there (the whole batch, retried for ever).
    const reason = created('pr_nul_reason', 0, { reason: 'Dress\u0000' });
    const agentName = created('pr_nul_agent', 0, { agentName: 'Thandi\u0000Mokoena' });
    const extraKey = step('pr_nul_ok', 'send_failed', MINUTE, { reason: 'x', 'no\u0000te': 1 });
    const summary = await ingestEvents(
      db,
      [reason, created('pr_nul_ok'), agentName, extraKey, 'plain\u0000text'],
      'api',
      { now: NOW, settings: SETTINGS },
    );
    expect(summary.results).toEqual([
      {
        id: 'evt_pr_nul_reason_created',
        status: 'rejected',
        error: {
          code: 'invalid_text',
          path: 'paymentRequest.reason',
          message: 'paymentRequest.reason: must not contain a NUL character',
        },
      },
      { id: 'evt_pr_nul_ok_created', status: 'accepted' },
      {
        id: 'evt_pr_nul_agent_created',
        status: 'rejected',
        error: {
          code: 'invalid_text',
          path: 'paymentRequest.agent.name',
          message: 'paymentRequest.agent.name: must not contain a NUL character',
        },
      },
      {
        id: 'evt_pr_nul_ok_send_failed',
        status: 'rejected',
        error: {
          code: 'invalid_text',
          path: 'data.no\\0te',
          message: 'data.no\\0te: must not contain a NUL character',
        },
      },
      {
        id: null,
        status: 'rejected',
        error: { code: 'invalid_text', path: 'body', message: 'body: must not contain a NUL character' },
      },
    ]);
    expect(await queryRows(db, 'SELECT id FROM payment_requests')).toEqual([{ id: 'pr_nul_ok' }]);
    expect(await queryRows(db, 'SELECT id, name FROM agents')).toEqual([{ id: 'ag_17', name: 'Thandi Mokoena' }]);
    const raws = await queryRows<{ code: string; raw: string }>(
      db,
      'SELECT code, raw FROM rejected_events ORDER BY seq',
    );
    expect(raws.map((row) => row.code)).toEqual(['invalid_text', 'invalid_text', 'invalid_text', 'invalid_text']);
    expect(raws.some((row) => row.raw.includes('\u0000'))).toBe(false);
    expect(JSON.parse(raws[0]!.raw).paymentRequest.reason).toBe('Dress\u0000');
    expect(raws[3]!.raw).toBe('plain\\u0000text');
  });
});
