import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSignature } from '../../app/http/webhook-intake.server';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl, sqlRun } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { queryRow } from '../support/db';
import { newWebhookSecret, postEvents, signedHeaders, startServer, type TestServer } from '../support/server';

let server: TestServer;
const MINUTE = 60_000;
const now = Date.now();
const iso = (offset: number) => new Date(now + offset).toISOString();

function created(requestId: string, overrides: Record<string, unknown> = {}, teamId = 'tm_retail') {
  return {
    id: `evt_${requestId}_created`,
    type: 'payment_request.created',
    occurredAt: iso(-10 * MINUTE),
    paymentRequest: {
      id: requestId,
      agent: {
        id: teamId === 'tm_retail' ? 'ag_17' : 'ag_40',
        name: 'Thandi Mokoena',
        team: { id: teamId, name: teamId },
      },
      amount: 36121,
      currency: 'USD',
      orderNumber: 'SO-1001',
      reason: 'Floral Oasis Dress',
      channel: 'whatsapp',
      customer: { phone: '+27821234567', name: 'Valeria' },
      ...overrides,
    },
    data: {},
  };
}
const event = (requestId: string, type: string, offset: number, data = {}) => ({
  id: `evt_${requestId}_${type}`,
  type: `payment_request.${type}`,
  occurredAt: iso(offset),
  paymentRequest: { id: requestId },
  data,
});
/** Rows in a table of the server's database, on either engine. */
async function count(table: string): Promise<number> {
  const db = openDatabaseUrl(server.dbFile);
  try {
    return (await queryRow<{ n: number }>(db, `SELECT CAST(count(*) AS INTEGER) AS n FROM ${table}`))!.n;
  } finally {
    await closeDatabase(db);
  }
}

async function tokenFor(
  role: 'manager' | 'supervisor' | 'agent',
  scope: { teamIds?: string[]; agentId?: string } = {},
) {
  const db = openDatabaseUrl(server.dbFile);
  const { token } = await createServiceToken(db, { role, name: `${role} test`, ...scope });
  await closeDatabase(db);
  return token;
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

describe('POST /api/v1/events signatures', () => {
  const body = JSON.stringify(created('pr_sig'));

  it('refuses a missing signature with 401 and stores nothing', async () => {
    const response = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'invalid_signature', message: expect.any(String) } });
  });

  it('refuses a signature made with another secret', async () => {
    const response = await postEvents(server, body, { secrets: [newWebhookSecret()] });
    expect(response.status).toBe(401);
  });

  it('refuses a timestamp more than 5 minutes old', async () => {
    const headers = signedHeaders(body, server.webhookSecret, { timestamp: new Date(Date.now() - 6 * MINUTE) });
    const response = await fetch(`${server.url}/api/v1/events`, { method: 'POST', body, headers });
    expect(response.status).toBe(401);
  });

  it('refuses a body altered after signing', async () => {
    const headers = signedHeaders(body, server.webhookSecret);
    const response = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      body: body.replace('36121', '1'),
      headers,
    });
    expect(response.status).toBe(401);
    expect(await count('events')).toBe(0);
    expect(await count('rejected_events')).toBe(0);
  });

  it('accepts several space-separated signatures when one matches (rotation)', async () => {
    const response = await postEvents(server, body, { secrets: [newWebhookSecret(), server.webhookSecret] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: 0,
      results: [{ id: 'evt_pr_sig_created', status: 'accepted' }],
    });
  });

  it('accepts the previous secret during a rotation set by the admin', async () => {
    const previous = newWebhookSecret();
    const current = newWebhookSecret();
    const db = openDatabaseUrl(server.dbFile);
    await sqlRun(db, "INSERT INTO settings (key, value) VALUES ('webhook_secret', ?), ('webhook_secret_previous', ?)", [
      current,
      previous,
    ]);
    await closeDatabase(db);
    try {
      for (const secret of [current, previous]) {
        expect((await postEvents(server, JSON.stringify(created('pr_rot')), { secrets: [secret] })).status).toBe(200);
      }
      expect(
        (await postEvents(server, JSON.stringify(created('pr_rot')), { secrets: [server.webhookSecret] })).status,
      ).toBe(401);
    } finally {
      const cleanup = openDatabaseUrl(server.dbFile);
      await sqlRun(cleanup, "DELETE FROM settings WHERE key LIKE 'webhook_secret%'");
      await closeDatabase(cleanup);
    }
  });
});

describe('POST /api/v1/events bodies', () => {
  it('takes an array and answers per event, in order', async () => {
    const body = JSON.stringify([
      created('pr_arr'),
      event('pr_arr', 'sent', -9 * MINUTE),
      event('pr_arr', 'sent', -9 * MINUTE),
    ]);
    const response = await postEvents(server, body);
    expect(await response.json()).toEqual({
      accepted: 2,
      duplicates: 1,
      rejected: 0,
      results: [
        { id: 'evt_pr_arr_created', status: 'accepted' },
        { id: 'evt_pr_arr_sent', status: 'accepted' },
        { id: 'evt_pr_arr_sent', status: 'duplicate' },
      ],
    });
  });

  it('answers a batch of no events (an empty array, blank NDJSON) 200 with no results, storing nothing', async () => {
    const before = { events: await count('events'), rejected: await count('rejected_events') };
    const empty = { accepted: 0, duplicates: 0, rejected: 0, results: [] };
    const array = await postEvents(server, '[]');
    expect(array.status).toBe(200);
    expect(await array.json()).toEqual(empty);
    const blank = await postEvents(server, '\n\n', { contentType: 'application/x-ndjson' });
    expect(blank.status).toBe(200);
    expect(await blank.json()).toEqual(empty);
    expect({ events: await count('events'), rejected: await count('rejected_events') }).toEqual(before);
  });

  it('takes NDJSON', async () => {
    const body = `${JSON.stringify(created('pr_nd'))}\n\n${JSON.stringify(event('pr_nd', 'sent', -9 * MINUTE))}\n`;
    const response = await postEvents(server, body, { contentType: 'application/x-ndjson' });
    expect(await response.json()).toMatchObject({ accepted: 2, rejected: 0 });
  });

  it('takes NDJSON with CRLF lines and a name beyond Latin-1, stored as sent', async () => {
    const name = 'Zoë 日本 😀';
    const body = `${JSON.stringify(created('pr_nd_utf8', { customer: { phone: '+27821234567', name } }))}\r\n${JSON.stringify(event('pr_nd_utf8', 'sent', -9 * MINUTE))}\r\n`;
    const response = await postEvents(server, body, { contentType: 'application/x-ndjson' });
    expect(await response.json()).toMatchObject({ accepted: 2, rejected: 0 });
    const db = openDatabaseUrl(server.dbFile);
    try {
      const row = await queryRow<{ customer_name: string }>(
        db,
        "SELECT customer_name FROM payment_requests WHERE id = 'pr_nd_utf8'",
      );
      expect(row).toEqual({ customer_name: name });
    } finally {
      await closeDatabase(db);
    }
  });

  it('answers 400 to a signed body that is not UTF-8, and stores nothing', async () => {
    const before = await count('rejected_events');
    const body = Buffer.concat([
      Buffer.from(JSON.stringify(created('pr_not_utf8')).slice(0, -2)),
      Buffer.from([0xff, 0x7d, 0x7d]),
    ]);
    const id = 'msg_not_utf8';
    const seconds = Math.floor(Date.now() / 1000);
    const response = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'webhook-id': id,
        'webhook-timestamp': String(seconds),
        'webhook-signature': webhookSignature(server.webhookSecret, id, seconds, body),
      },
      body,
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toEqual({ code: 'invalid_body', message: 'The body is not valid UTF-8' });
    expect(await count('rejected_events')).toBe(before);
    expect(await count("payment_requests WHERE id = 'pr_not_utf8'")).toBe(0);
  });

  it.each([
    ['not JSON', '{"id":', 'application/json', 'invalid_body'],
    ['a bare string', '"hello"', 'application/json', 'invalid_body'],
    ['an empty JSON body', '', 'application/json', 'invalid_body'],
    ['a broken NDJSON line', '{"id":"a"}\n{oops', 'application/x-ndjson', 'invalid_body'],
    [
      'more than 10,000 events',
      JSON.stringify(Array.from({ length: 10_001 }, () => ({}))),
      'application/json',
      'too_many_events',
    ],
  ])('answers 400 to %s and stores nothing', async (_name, body, contentType, code) => {
    const before = await count('rejected_events');
    const response = await postEvents(server, body, { contentType });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe(code);
    expect(await count('rejected_events')).toBe(before);
  });

  it('answers 400 to a body over 10 MB', async () => {
    const body = JSON.stringify([{ padding: 'x'.repeat(10 * 1024 * 1024) }]);
    const response = await postEvents(server, body);
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('body_too_large');
  });

  it('rejects each invalid event with a code naming the field and keeps the raw body', async () => {
    const cases = [
      [
        { ...created('pr_bad1'), paymentRequest: { ...created('pr_bad1').paymentRequest, currency: 'XYZ' } },
        'invalid_currency',
        'paymentRequest.currency',
      ],
      [
        { ...created('pr_bad2'), paymentRequest: { ...created('pr_bad2').paymentRequest, amount: 12.5 } },
        'invalid_amount',
        'paymentRequest.amount',
      ],
      [
        { ...created('pr_bad3'), paymentRequest: { ...created('pr_bad3').paymentRequest, channel: 'fax' } },
        'invalid_channel',
        'paymentRequest.channel',
      ],
      [{ ...event('pr_bad4', 'sent', 0), occurredAt: iso(6 * MINUTE) }, 'occurred_in_future', 'occurredAt'],
      [{ ...event('pr_bad5', 'sent', 0), occurredAt: '2026-11-23 10:00' }, 'invalid_occurred_at', 'occurredAt'],
      [{ ...event('pr_bad6', 'sent', 0), type: 'payment_request.refunded' }, 'invalid_type', 'type'],
      [{ ...event('pr_bad7', 'sent', 0), id: 'has spaces' }, 'invalid_id', 'id'],
      [
        event('pr_bad8', 'paid', 0, { card: { brand: 'visa', last4: '1111', number: '4111111111111111' } }),
        'card_data_not_allowed',
        'data.card.number',
      ],
      [{ ...created('pr_bad9'), paymentRequest: { id: 'pr_bad9' } }, 'missing_field', 'paymentRequest.agent'],
    ] as const;
    const response = await postEvents(server, JSON.stringify(cases.map(([body]) => body)));
    const json = await response.json();
    expect(json.rejected).toBe(cases.length);
    expect(
      json.results.map((result: { error: { code: string; path: string } }) => [result.error.code, result.error.path]),
    ).toEqual(cases.map(([, code, path]) => [code, path]));
    const db = openDatabaseUrl(server.dbFile);
    const raw = (await queryRow<{ raw: string }>(
      db,
      "SELECT raw FROM rejected_events WHERE code = 'card_data_not_allowed'",
    ))!;
    await closeDatabase(db);
    expect(raw.raw).toContain('pr_bad8');
    expect(raw.raw).not.toContain('4111111111111111');
  });
});

describe('GET /api/v1/payment-requests/:id', () => {
  beforeAll(async () => {
    await postEvents(
      server,
      JSON.stringify([
        created('pr_read'),
        event('pr_read', 'sent', -9 * MINUTE),
        event('pr_read', 'paid', -8 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
        event('pr_read', 'opened', -7 * MINUTE),
        created('pr_other', {}, 'tm_collections'),
      ]),
    );
  });

  it('answers 401 without a valid token', async () => {
    expect((await fetch(`${server.url}/api/v1/payment-requests/pr_read`)).status).toBe(401);
    const response = await fetch(`${server.url}/api/v1/payment-requests/pr_read`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(response.status).toBe(401);
  });

  it('returns the request with its timeline and anomalies', async () => {
    const token = await tokenFor('manager');
    const response = await fetch(`${server.url}/api/v1/payment-requests/pr_read`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      id: 'pr_read',
      status: 'paid',
      statusLabel: 'Paid',
      amount: 36121,
      currency: 'USD',
      agent: { id: 'ag_17', name: 'Thandi Mokoena' },
      team: { id: 'tm_retail' },
      customer: { phone: '•••••••4567' },
      sentAt: iso(-9 * MINUTE),
      paidAt: iso(-8 * MINUTE),
      openedAt: null,
    });
    expect(
      body.timeline.map((e: { type: string; anomaly: string | null; source: string }) => [e.type, e.anomaly, e.source]),
    ).toEqual([
      ['payment_request.created', null, 'api'],
      ['payment_request.sent', null, 'api'],
      ['payment_request.paid', null, 'api'],
      ['payment_request.opened', 'after_terminal', 'api'],
    ]);
  });

  it('answers 404 outside a supervisor or agent scope, exactly as for an unknown id', async () => {
    const supervisor = await tokenFor('supervisor', { teamIds: ['tm_collections'] });
    const agent = await tokenFor('agent', { agentId: 'ag_40' });
    for (const token of [supervisor, agent]) {
      const outside = await fetch(`${server.url}/api/v1/payment-requests/pr_read`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const unknown = await fetch(`${server.url}/api/v1/payment-requests/pr_nope`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(outside.status).toBe(404);
      expect(await outside.json()).toEqual(await unknown.json());
      const inside = await fetch(`${server.url}/api/v1/payment-requests/pr_other`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(inside.status).toBe(200);
    }
  });
});

describe('expiry sweeper in the server process', () => {
  it('records a system expired event within seconds of expiresAt', async () => {
    const token = await tokenFor('manager');
    // Sent 5 minutes and 2 seconds ago: the link expired 2 seconds ago.
    await postEvents(server, JSON.stringify([created('pr_exp'), event('pr_exp', 'sent', -5 * MINUTE - 2000)]));
    let body: { status: string; timeline: { type: string; source: string }[] } | undefined;
    for (let i = 0; i < 40; i++) {
      body = await (
        await fetch(`${server.url}/api/v1/payment-requests/pr_exp`, { headers: { authorization: `Bearer ${token}` } })
      ).json();
      if (body?.timeline.some((e) => e.source === 'system')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(body?.status).toBe('expired');
    expect(body?.timeline.at(-1)).toMatchObject({
      type: 'payment_request.expired',
      source: 'system',
      occurredAt: iso(-2000),
      anomaly: null,
    });
  });
});

// SQLite's single writer: a second connection holding the write lock makes the server answer 503.
// PostgreSQL has no database-wide write lock (requests are serialised per request id instead).
describe.skipIf(ON_POSTGRES)('overload (SQLite)', () => {
  it('answers 503 with Retry-After while another writer holds the database, storing nothing', async () => {
    const holder = new Database(server.dbFile);
    holder.pragma('busy_timeout = 0');
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      const response = await postEvents(server, JSON.stringify(created('pr_busy')));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect((await response.json()).error.code).toBe('overloaded');
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
    expect((await postEvents(server, JSON.stringify(created('pr_busy')))).status).toBe(200);
  });
});
