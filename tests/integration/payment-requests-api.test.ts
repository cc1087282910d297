import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';
import { storedBytes } from '../support/stored-bytes';
import { BROWSER_UA, seedAgents } from './payment-request-fixtures';

let server: TestServer;
let thandi: string;
let sam: string;
let retailSupervisor: string;
let manager: string;

async function token(role: 'agent' | 'supervisor' | 'manager', scope: { agentId?: string; teamIds?: string[] }) {
  const db = openDatabaseUrl(server.dbFile);
  const { token } = await createServiceToken(db, { role, name: `${role} ${scope.agentId ?? ''}`, ...scope });
  await closeDatabase(db);
  return token;
}

beforeAll(async () => {
  server = await startServer();
  const db = openDatabaseUrl(server.dbFile);
  await seedAgents(db);
  await closeDatabase(db);
  thandi = await token('agent', { agentId: 'ag_17' });
  sam = await token('agent', { agentId: 'ag_40' });
  retailSupervisor = await token('supervisor', { teamIds: ['tm_retail'] });
  manager = await token('manager', {});
});
afterAll(() => server.stop());

const body = {
  customer: { phone: '+27 82 123 4567', name: 'Valeria' },
  orderNumber: 'SO-1001',
  amount: 36121,
  currency: 'USD',
  reason: 'Floral Oasis Dress',
  channel: 'whatsapp',
};

function post(path: string, bearer: string | null, payload?: unknown) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

async function create(bearer = thandi, payload: unknown = body) {
  const response = await post('/api/v1/payment-requests', bearer, payload);
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; payUrl: string; status: string };
}

const statusOf = async (id: string) =>
  (
    (await (
      await fetch(`${server.url}/api/v1/payment-requests/${id}`, { headers: { authorization: `Bearer ${thandi}` } })
    ).json()) as {
      status: string;
    }
  ).status;

describe('POST /api/v1/payment-requests', () => {
  it('creates and sends a request for the calling agent', async () => {
    const response = await post('/api/v1/payment-requests', thandi, body);
    expect(response.status).toBe(201);
    const created = (await response.json()) as Record<string, unknown> & {
      id: string;
      timeline: { type: string; source: string }[];
    };
    expect(response.headers.get('location')).toBe(`/api/v1/payment-requests/${created.id}`);
    expect(created).toMatchObject({
      status: 'sent',
      statusLabel: 'Waiting for customer',
      agent: { id: 'ag_17', name: 'Thandi Mokoena' },
      team: { id: 'tm_retail', name: 'Retail' },
      amount: 36121,
      currency: 'USD',
      orderNumber: 'SO-1001',
      channel: 'whatsapp',
      customer: { name: 'Valeria', phone: '•••••••4567' },
      payUrl: expect.stringMatching(new RegExp(`^${server.url}/pay/[A-Za-z0-9_-]{32}$`)),
      sendFailureReason: null,
    });
    expect(created.timeline.map(({ type, source }) => ({ type, source }))).toEqual([
      { type: 'payment_request.created', source: 'api' },
      { type: 'payment_request.sent', source: 'api' },
    ]);
  });

  it('answers send_failed when the channel cannot deliver', async () => {
    const created = await create(thandi, { ...body, customer: { phone: '+27820000000' } });
    expect(created).toMatchObject({ status: 'send_failed', sendFailureReason: 'recipient_unreachable' });
  });

  it('names the field of a bad body', async () => {
    const cases: [unknown, string, string][] = [
      [{ ...body, customer: { name: 'x' } }, 'missing_field', 'customer.phone'],
      [{ ...body, customer: { phone: '0821234567' } }, 'invalid_phone', 'customer.phone'],
      [{ ...body, amount: 12.5 }, 'invalid_amount', 'amount'],
      [{ ...body, amount: -1 }, 'invalid_amount', 'amount'],
      [{ ...body, currency: 'XXY' }, 'invalid_currency', 'currency'],
      [{ ...body, channel: 'pigeon' }, 'invalid_channel', 'channel'],
      [{ ...body, orderNumber: '' }, 'invalid_order_number', 'orderNumber'],
      [{ ...body, agentId: 'ag_40' }, 'unknown_field', 'agentId'],
    ];
    for (const [payload, code, field] of cases) {
      const response = await post('/api/v1/payment-requests', thandi, payload);
      expect(response.status, field).toBe(400);
      expect(await response.json()).toEqual({ error: { code, field, message: expect.any(String) } });
    }
    const broken = await post('/api/v1/payment-requests', thandi, '{not json');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('answers 415 naming Content-Type for a body not sent as JSON, before reading it; application/json with a charset creates', async () => {
    const send = (contentType: string | null) =>
      fetch(`${server.url}/api/v1/payment-requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${thandi}`, ...(contentType ? { 'content-type': contentType } : {}) },
        // Bytes, not a string: fetch then sends no Content-Type of its own.
        body: new TextEncoder().encode(JSON.stringify({ ...body, orderNumber: 'SO-415' })),
      });
    for (const contentType of [
      null,
      'text/plain',
      'application/x-www-form-urlencoded',
      'text/json',
      'application/jsonl',
    ]) {
      const refused = await send(contentType);
      expect([contentType, refused.status, await refused.json()]).toEqual([
        contentType,
        415,
        {
          error: {
            code: 'unsupported_media_type',
            field: 'Content-Type',
            message: 'Send JSON: Content-Type: application/json',
          },
        },
      ]);
    }
    const sent = async () => {
      const db = openDatabaseUrl(server.dbFile);
      const rows = await queryRows(db, "SELECT id FROM payment_requests WHERE order_number = 'SO-415'");
      await closeDatabase(db);
      return rows.length;
    };
    expect(await sent()).toBe(0);
    expect((await send('application/json; charset=utf-8')).status).toBe(201);
    expect((await send('Application/JSON')).status).toBe(201);
    expect(await sent()).toBe(2);
  });

  it('lets only agents create', async () => {
    expect((await post('/api/v1/payment-requests', null, body)).status).toBe(401);
    for (const bearer of [manager, retailSupervisor]) {
      const response = await post('/api/v1/payment-requests', bearer, body);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'forbidden' } });
    }
  });
});

describe('POST /api/v1/payment-requests/:id/cancel', () => {
  const cancel = (id: string, bearer: string) => post(`/api/v1/payment-requests/${id}/cancel`, bearer);

  it('cancels, then answers 409 already_canceled', async () => {
    const { id } = await create();
    const first = await cancel(id, thandi);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ id, status: 'canceled', statusLabel: 'Canceled by agent' });
    const second = await cancel(id, thandi);
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({
      error: { code: 'already_canceled', message: 'This request was already canceled.' },
    });
  });

  it('answers 409 already_opened once the customer opened the link, not after a link preview', async () => {
    const { id, payUrl } = await create();
    await fetch(payUrl, { headers: { 'user-agent': 'WhatsApp/2.23.20.0 A' } });
    expect(await statusOf(id)).toBe('sent');
    await fetch(payUrl, { headers: { 'user-agent': BROWSER_UA } });
    expect(await statusOf(id)).toBe('opened');
    const response = await cancel(id, thandi);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'already_opened' } });
  });

  it('answers 404 outside the scope, 403 to managers, and lets the team’s supervisor cancel', async () => {
    const { id } = await create();
    const outside = await cancel(id, sam);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect((await cancel('pr_does_not_exist', thandi)).status).toBe(404);
    expect((await cancel(id, manager)).status).toBe(403);
    expect((await cancel(id, retailSupervisor)).status).toBe(200);
  });
});

describe('/pay/:token over HTTP', () => {
  const form = (fields: Record<string, string>) =>
    ({
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': BROWSER_UA },
      body: new URLSearchParams(fields).toString(),
    }) as const;

  it('serves the page uncached and without a referrer, and 404 for an unknown token', async () => {
    const { payUrl } = await create();
    const page = await fetch(payUrl, { headers: { 'user-agent': BROWSER_UA } });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('strict-origin');
    const html = await page.text();
    expect(html).toContain('Floral Oasis Dress');
    expect(html).toContain('4242 4242 4242 4242');
    const data = await fetch(`${payUrl}.data`, { headers: { 'user-agent': BROWSER_UA } });
    expect(data.headers.get('cache-control')).toBe('no-store');
    const missing = await fetch(`${server.url}/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(await missing.text()).toContain('Payment link not found');
  });

  it('pays without JavaScript, never echoes the card and never stores it', async () => {
    const { id, payUrl } = await create();
    const invalid = await fetch(
      payUrl,
      form({ intent: 'pay', number: '4242 4242 4242 4241', expiry: '12/30', cvc: '123' }),
    );
    expect(invalid.status).toBe(400);
    const invalidHtml = await invalid.text();
    expect(invalidHtml).toContain('This card number is not valid');
    expect(invalidHtml).not.toContain('4242 4242 4242 4241');
    expect(invalidHtml).not.toContain('4242424242424241');

    const declined = await fetch(
      payUrl,
      form({ intent: 'pay', number: '4000 0000 0000 0002', expiry: '12/30', cvc: '123' }),
    );
    expect(declined.status).toBe(302);
    expect(await (await fetch(payUrl, { headers: { 'user-agent': BROWSER_UA } })).text()).toContain(
      'Your card was declined.',
    );

    // A real card's number (not one of the test cards the page lists) is refused and never shown again.
    const realCard = await fetch(
      payUrl,
      form({ intent: 'pay', number: '4111 1111 1111 1111', expiry: '12/30', cvc: '123' }),
    );
    expect(realCard.status).toBe(302);
    const failedPage = await (await fetch(payUrl, { headers: { 'user-agent': BROWSER_UA } })).text();
    expect(failedPage).toContain('only the test cards listed on this page are accepted');
    expect(failedPage).not.toMatch(/4111[ -]?1111/);

    const paid = await fetch(
      payUrl,
      form({ intent: 'pay', number: '4242 4242 4242 4242', expiry: '12/30', cvc: '737' }),
    );
    expect(paid.status).toBe(302);
    expect(paid.headers.get('location')).toBe(new URL(payUrl).pathname);
    const paidPage = await (await fetch(payUrl, { headers: { 'user-agent': BROWSER_UA } })).text();
    expect(paidPage).toContain('Payment received');
    expect(paidPage).toContain('Visa ending in 4242');
    expect(paidPage).not.toContain('4242 4242 4242 4242');
    expect(await statusOf(id)).toBe('paid');

    const db = openDatabaseUrl(server.dbFile);
    const bytes = await storedBytes(db, server.dbFile);
    await closeDatabase(db);
    // Positive control: the brand and last four are stored (packed as [shape, brand, last4, ref]), the number never.
    expect(bytes).toContain('\u001fvisa\u001f4242');
    for (const secret of [
      '4242424242424242',
      '4242 4242 4242 4242',
      '4242424242424241',
      '4000000000000002',
      '4111111111111111',
    ]) {
      expect(bytes.includes(secret), secret).toBe(false);
    }
  });

  it('declines without JavaScript and then shows the final page', async () => {
    const { id, payUrl } = await create();
    expect((await fetch(payUrl, form({ intent: 'decline' }))).status).toBe(302);
    expect(await statusOf(id)).toBe('declined');
    expect(await (await fetch(payUrl, { headers: { 'user-agent': BROWSER_UA } })).text()).toContain(
      'You declined this payment',
    );
    const db = openDatabaseUrl(server.dbFile);
    const sources = await queryRows(db, 'SELECT type, source FROM events WHERE request_id = ? ORDER BY seq', id);
    await closeDatabase(db);
    expect(sources).toEqual([
      { type: 'payment_request.created', source: 'api' },
      { type: 'payment_request.sent', source: 'api' },
      { type: 'payment_request.opened', source: 'customer' },
      { type: 'payment_request.declined', source: 'customer' },
    ]);
  });
});
