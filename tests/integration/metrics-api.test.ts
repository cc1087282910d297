import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { queryRow } from '../support/db';
import { rawRequest } from '../support/http';
import { postEvents, startServer, type TestServer } from '../support/server';

let server: TestServer;
const MINUTE = 60_000;
const now = Date.now();
const iso = (offset: number) => new Date(now + offset).toISOString();
const today = iso(0).slice(0, 10);
const yesterday = new Date(now - 24 * 60 * MINUTE).toISOString().slice(0, 10);

function created(requestId: string, agentId: string, teamId: string, currency = 'USD') {
  return {
    id: `evt_${requestId}_created`,
    type: 'payment_request.created',
    occurredAt: iso(-20 * MINUTE),
    paymentRequest: {
      id: requestId,
      agent: {
        id: agentId,
        name: `Agent ${agentId}`,
        team: { id: teamId, name: teamId === 'tm_retail' ? 'Retail' : 'Collections' },
      },
      amount: 2500,
      currency,
      orderNumber: `SO-${requestId}`,
      reason: 'Order',
      channel: 'sms',
      customer: { phone: '+27821234567' },
    },
    data: {},
  };
}
const event = (requestId: string, type: string, offset: number) => ({
  id: `evt_${requestId}_${type}`,
  type: `payment_request.${type}`,
  occurredAt: iso(offset),
  paymentRequest: { id: requestId },
  data: {},
});

const tokens: Record<string, string> = {};

async function get(path: string, token?: string) {
  const response = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  server = await startServer();
  const body = JSON.stringify([
    created('pr_r1', 'ag_17', 'tm_retail'),
    event('pr_r1', 'sent', -19 * MINUTE),
    event('pr_r1', 'paid', -17 * MINUTE),
    created('pr_r2', 'ag_18', 'tm_retail', 'EUR'),
    event('pr_r2', 'sent', -18 * MINUTE),
    event('pr_r2', 'declined', -16 * MINUTE),
    created('pr_c1', 'ag_40', 'tm_collections', 'ZAR'),
    event('pr_c1', 'sent', -15 * MINUTE),
    event('pr_c1', 'paid', -14 * MINUTE),
  ]);
  expect((await postEvents(server, body)).status).toBe(200);
  const db = openDatabaseUrl(server.dbFile);
  tokens.manager = (await createServiceToken(db, { role: 'manager', name: 'manager' })).token;
  tokens.supervisor = (
    await createServiceToken(db, {
      role: 'supervisor',
      name: 'supervisor',
      teamIds: ['tm_collections'],
    })
  ).token;
  tokens.agent = (await createServiceToken(db, { role: 'agent', name: 'agent', agentId: 'ag_18' })).token;
  await closeDatabase(db);
});
afterAll(() => server.stop());

const range = `from=${yesterday}&to=${today}`;

describe('GET /api/v1/metrics/*', () => {
  it('answers the summary for the caller’s scope', async () => {
    const manager = await get(`/api/v1/metrics/summary?${range}`, tokens.manager);
    expect(manager.status).toBe(200);
    expect(manager.body).toMatchObject({
      sent: 3,
      paid: 2,
      declined: 1,
      conversionRate: 2 / 3,
      medianSecondsToPay: 60,
      p90SecondsToPay: 120,
      collected: { USD: 2500, ZAR: 2500 },
    });
    expect((await get(`/api/v1/metrics/summary?${range}`, tokens.supervisor)).body).toMatchObject({
      sent: 1,
      collected: { ZAR: 2500 },
    });
    expect((await get(`/api/v1/metrics/summary?${range}`, tokens.agent)).body).toMatchObject({
      sent: 1,
      declined: 1,
      collected: {},
    });
    expect((await get(`/api/v1/metrics/summary?${range}&currency=EUR`, tokens.manager)).body).toMatchObject({
      sent: 1,
    });
  });

  it('lists one row per agent with team names, scoped', async () => {
    const { status, body } = await get(`/api/v1/metrics/agents?${range}`, tokens.manager);
    expect(status).toBe(200);
    const rows = body.rows as Record<string, unknown>[];
    expect(rows.map((row) => [row.agentId, row.agentName, row.teamId, row.teamName, row.sent]).sort()).toEqual([
      ['ag_17', 'Agent ag_17', 'tm_retail', 'Retail', 1],
      ['ag_18', 'Agent ag_18', 'tm_retail', 'Retail', 1],
      ['ag_40', 'Agent ag_40', 'tm_collections', 'Collections', 1],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(
      expect.arrayContaining(['openRate', 'expiredUnopened', 'medianSecondsToPay', 'collected', 'sendFailures']),
    );
    const scoped = await get(`/api/v1/metrics/agents?${range}`, tokens.supervisor);
    expect((scoped.body.rows as { agentId: string }[]).map((row) => row.agentId)).toEqual(['ag_40']);
  });

  it('answers every bucket of the range, starts with the zone offset', async () => {
    const { status, body } = await get(`/api/v1/metrics/timeseries?interval=day&${range}`, tokens.manager);
    expect(status).toBe(200);
    const buckets = body.buckets as { start: string; sent: number }[];
    expect(buckets.map((bucket) => bucket.start)).toEqual([
      `${yesterday}T00:00:00.000+00:00`,
      `${today}T00:00:00.000+00:00`,
    ]);
    expect(buckets.reduce((sum, bucket) => sum + bucket.sent, 0)).toBe(3);
    const berlin = await get(
      `/api/v1/metrics/timeseries?interval=hour&from=2026-10-25&to=2026-10-25&tz=Europe/Berlin`,
      tokens.manager,
    );
    expect((berlin.body.buckets as unknown[]).length).toBe(25);
    // The default range ends on the server's today when it answers: `today` was read when the file
    // loaded, and a run across midnight UTC would compare it with the next day.
    const asked = new Date().toISOString().slice(0, 10);
    const defaults = await get('/api/v1/metrics/timeseries', tokens.supervisor);
    const answered = new Date().toISOString().slice(0, 10);
    expect((defaults.body.buckets as { start: string }[]).length).toBe(30);
    expect([`${asked}T00:00:00.000+00:00`, `${answered}T00:00:00.000+00:00`]).toContain(
      (defaults.body.buckets as { start: string }[]).at(-1)!.start,
    );
  });

  it('refuses bad input with 400 naming the field, and callers without a token with 401', async () => {
    expect(await get('/api/v1/metrics/timeseries?interval=fortnight', tokens.manager)).toEqual({
      status: 400,
      body: { error: { code: 'invalid_parameter', message: expect.stringContaining('interval'), field: 'interval' } },
    });
    const tooMany = await get('/api/v1/metrics/timeseries?interval=hour&from=2026-01-01&to=2026-03-31', tokens.manager);
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'too_many_buckets', field: 'interval' } } });
    expect(await get('/api/v1/metrics/summary?from=2026-02-30', tokens.manager)).toMatchObject({
      status: 400,
      body: { error: { field: 'from' } },
    });
    expect(await get('/api/v1/metrics/agents?tz=Mars/Base', tokens.manager)).toMatchObject({
      status: 400,
      body: { error: { field: 'tz' } },
    });
    expect((await get('/api/v1/metrics/summary')).status).toBe(401);
    expect((await get('/api/v1/metrics/agents', 'pld_not-a-token')).status).toBe(401);
  });

  it('refuses an interval or a stream position given twice, naming it, not the first taken silently', async () => {
    const twice = (field: string) => ({
      status: 400,
      body: { error: { code: 'invalid_parameter', field, message: `${field}: is given more than once` } },
    });
    expect(await get(`/api/v1/metrics/timeseries?interval=day&${range}&interval=hour`, tokens.manager)).toEqual(
      twice('interval'),
    );
    expect(await get('/api/v1/stream?after=0&after=5', tokens.manager)).toEqual(twice('after'));
    // An empty repeat is no value: the one given counts.
    const once = await get(
      '/api/v1/metrics/timeseries?interval=&from=2026-10-05&to=2026-10-06&interval=month',
      tokens.manager,
    );
    expect([once.status, (once.body.buckets as unknown[]).length]).toEqual([200, 1]);
  });
});

describe('SPEC §4 error shape beyond the routes’ own errors', () => {
  const send = async (method: string, path: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens.manager}` },
    });
    return {
      status: response.status,
      allow: response.headers.get('allow'),
      type: response.headers.get('content-type'),
      body: await response.json(),
    };
  };
  const methodNotAllowed = {
    status: 405,
    allow: 'GET, HEAD',
    type: 'application/json',
    body: { error: { code: 'method_not_allowed', message: 'Use GET on this route' } },
  };

  it.each([
    ['POST', '/api/v1/metrics/summary'],
    ['POST', '/api/v1/metrics/agents'],
    ['PUT', '/api/v1/metrics/timeseries'],
    ['DELETE', '/api/v1/payment-requests/pr_r1'],
    ['POST', '/api/v1/stream'],
    ['POST', '/exports/payment-requests.csv'],
    ['POST', '/exports/agents.xlsx'],
    ['POST', '/healthz'],
  ])('%s %s answers 405 with Allow, in the API’s error shape', async (method, path) => {
    expect(await send(method, path)).toEqual(methodNotAllowed);
  });

  it.each([
    ['GET', '/api/v1/unknown'],
    ['GET', '/api/v1/payment-requests/pr_r1/cancelx'],
    ['POST', '/api/v2/events'],
  ])('%s %s, no such API route, answers 404 JSON, not the HTML page', async (method, path) => {
    expect(await send(method, path)).toEqual({
      status: 404,
      allow: null,
      type: 'application/json',
      body: { error: { code: 'not_found', message: 'No such API route' } },
    });
  });

  it.each([
    ['TRACE', '/api/v1/metrics/summary'],
    ['PROPFIND', '/api/v1/payment-requests'],
    ['MKCOL', '/exports/agents.csv'],
    ['TRACE', '/healthz'],
  ])('%s %s, a method no route answers, is a 501 in the API’s error shape, not a 500', async (method, path) => {
    const response = await rawRequest(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens.manager}` },
    });
    expect({
      status: response.status,
      type: response.headers['content-type'],
      body: JSON.parse(response.body),
    }).toEqual({
      status: 501,
      type: 'application/json; charset=utf-8',
      body: { error: { code: 'not_implemented', message: `${method} is not a method this server answers` } },
    });
  });

  it.each([
    ['/api/v1/metrics/summary', 'GET, HEAD'],
    ['/api/v1/payment-requests', 'GET, HEAD, POST'],
    ['/api/v1/payment-requests/pr_r1', 'GET, HEAD'],
    ['/api/v1/payment-requests/pr_r1/cancel', 'POST'],
    ['/api/v1/events', 'POST'],
    ['/api/v1/stream', 'GET, HEAD'],
    ['/exports/agents.csv', 'GET, HEAD'],
    ['/healthz', 'GET, HEAD'],
    ['/dashboard', 'GET, HEAD'],
    ['/login', 'GET, HEAD, POST'],
  ])('OPTIONS %s answers 204 with Allow: %s and no body, without a token: no loader runs', async (path, allow) => {
    const response = await rawRequest(`${server.url}${path}`, { method: 'OPTIONS' });
    expect([response.status, response.headers.allow, response.headers['content-type'], response.body]).toEqual([
      204,
      allow,
      undefined,
      '',
    ]);
  });

  it('OPTIONS on an export with a token exports nothing (no audit row) and on no route is a 404', async () => {
    const exports = async () => {
      const db = openDatabaseUrl(server.dbFile);
      try {
        return (await queryRow<{ n: number }>(db, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'export'"))?.n;
      } finally {
        await closeDatabase(db);
      }
    };
    const before = Number(await exports());
    const options = await rawRequest(`${server.url}/exports/payment-requests.csv`, {
      method: 'OPTIONS',
      headers: { authorization: `Bearer ${tokens.manager}` },
    });
    expect([options.status, options.body, Number(await exports())]).toEqual([204, '', before]);
    const missing = await rawRequest(`${server.url}/api/v1/unknown`, { method: 'OPTIONS' });
    expect([missing.status, missing.headers.allow, JSON.parse(missing.body)]).toEqual([
      404,
      undefined,
      { error: { code: 'not_found', message: 'No such route' } },
    ]);
  });

  // Session 36: single fetch's data URLs (`/dashboard.data`) are their page's, as Remix reads them.
  it.each([
    ['/dashboard.data', 'GET, HEAD'],
    ['/login.data', 'GET, HEAD, POST'],
    ['/requests/pr_r1.data', 'GET, HEAD'],
    ['/_root.data', 'GET, HEAD'],
    ['/logout.data', 'GET, HEAD, POST'],
  ])('OPTIONS %s answers as its page: 204 with Allow: %s', async (path, allow) => {
    const response = await rawRequest(`${server.url}${path}`, { method: 'OPTIONS' });
    expect([response.status, response.headers.allow, response.body]).toEqual([204, allow, '']);
  });

  it.each([
    '/api/v1/metrics/summary.data',
    '/api/v1/stream.data',
    '/exports/payment-requests.csv.data',
    '/healthz.data',
  ])(
    '%s, a data URL of a route without a page, is a 404 to OPTIONS and GET: its body is not read into one',
    async (path) => {
      const options = await rawRequest(`${server.url}${path}`, { method: 'OPTIONS' });
      const data = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${tokens.manager}` },
        signal: AbortSignal.timeout(10_000),
      });
      expect([options.status, data.status, await data.json()]).toEqual([
        404,
        404,
        { error: { code: 'not_found', message: 'No such route' } },
      ]);
      // The live stream was registered and read forever, never released (the user's and the server's caps).
      expect((await get('/healthz')).body.liveStreams).toBe(0);
    },
  );

  it('a page’s data URL still answers (a redirect to sign in), and signing out by /logout.data still works', async () => {
    const page = await fetch(`${server.url}/dashboard.data`);
    expect([page.status, (await page.text()).includes('"/login?redirectTo=%2Fdashboard"')]).toEqual([202, true]);
    const signOut = await fetch(`${server.url}/logout.data`, { method: 'POST', headers: { origin: server.url } });
    expect([signOut.status, (await signOut.text()).includes('"redirect","/login"')]).toEqual([202, true]);
  });

  // Session 36: PostgreSQL's text holds no NUL; each of these was a 500 there.
  it('a NUL character in a query parameter, a path or a JSON field is a 400 naming where, not a 500', async () => {
    const auth = { authorization: `Bearer ${tokens.manager}` };
    const inQuery = await fetch(`${server.url}/api/v1/payment-requests?q=a%00b`, { headers: auth });
    const inPath = await fetch(`${server.url}/api/v1/payment-requests/pr%00x`, { headers: auth });
    const inBody = await fetch(`${server.url}/api/v1/payment-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.agent}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        amount: 100,
        currency: 'USD',
        channel: 'sms',
        orderNumber: 'SO-\u0000',
        reason: 'Order',
        customer: { phone: '+27821234567', name: 'Valeria' },
      }),
    });
    expect([
      [inQuery.status, await inQuery.json()],
      [inPath.status, await inPath.json()],
      [inBody.status, await inBody.json()],
    ]).toEqual([
      [400, { error: { code: 'invalid_parameter', message: 'q: must not contain a NUL character' } }],
      [400, { error: { code: 'invalid_parameter', message: 'path: must not contain a NUL character' } }],
      [
        400,
        {
          error: {
            code: 'invalid_text',
            field: 'orderNumber',
            message: 'orderNumber: must not contain a NUL character',
          },
        },
      ],
    ]);
  });

  it('answers such a method on a page in plain text', async () => {
    const response = await rawRequest(`${server.url}/login`, { method: 'TRACE' });
    expect({ status: response.status, type: response.headers['content-type'], body: response.body }).toEqual({
      status: 501,
      type: 'text/plain; charset=utf-8',
      body: 'TRACE is not a method this server answers',
    });
  });
});
