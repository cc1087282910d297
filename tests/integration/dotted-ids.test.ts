import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { rawRequest } from '../support/http';
import { postEvents, startServer, type TestServer } from '../support/server';
import { addUserAt, signInOverHttp } from '../support/users';

/*
 * SPEC §2's ids may hold dots, and one may end in ".data", which is how Remix's single fetch asks for a
 * page's data (`/requests/pr_1.data` is /requests/pr_1's). The API read such an id as a data URL (a 404
 * since session 36's refusal of pageless data URLs), and the pages' links led to the wrong request.
 */
const ID = 'pr_dot.data';
const AGENT = 'ag_dot.data';
let server: TestServer;
let token: string;
let cookie: string;

beforeAll(async () => {
  server = await startServer();
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const events = [
    {
      id: 'evt_dot_created',
      type: 'payment_request.created',
      occurredAt: at(3),
      paymentRequest: {
        id: ID,
        agent: { id: AGENT, name: 'Dot Agent', team: { id: 'tm_retail', name: 'Retail' } },
        amount: 2500,
        currency: 'USD',
        orderNumber: 'SO-DOT',
        reason: 'Order',
        channel: 'sms',
        customer: { phone: '+27821234567' },
      },
      data: {},
    },
    { id: 'evt_dot_sent', type: 'payment_request.sent', occurredAt: at(2), paymentRequest: { id: ID }, data: {} },
  ];
  expect((await (await postEvents(server, JSON.stringify(events))).json()).accepted).toBe(2);
  const db = openDatabaseUrl(server.dbFile);
  token = (await createServiceToken(db, { role: 'manager', name: 'manager' })).token;
  await closeDatabase(db);
  const { email } = await addUserAt(server.dbFile, { role: 'manager' });
  cookie = (await signInOverHttp(server.url, email)).cookie;
}, 60_000);
afterAll(() => server.stop());

const api = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
const page = async (path: string) => {
  const response = await fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  return { status: response.status, html: await response.text() };
};

it('the API reads a request whose id ends in ".data", written plainly or with the dot escaped', async () => {
  for (const path of [`/api/v1/payment-requests/${ID}`, '/api/v1/payment-requests/pr_dot%2Edata']) {
    const response = await api(path);
    const body = (await response.json()) as { id: string; status: string; agent: { id: string } };
    expect([response.status, body.id, body.status, body.agent.id]).toEqual([200, ID, 'sent', AGENT]);
  }
  const options = await rawRequest(`${server.url}/api/v1/payment-requests/${ID}`, { method: 'OPTIONS' });
  expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD']);
  // A pageless route's data URL stays refused (session 36): no route takes the path as it is.
  const stream = await api('/api/v1/stream.data');
  expect([stream.status, await stream.json()]).toEqual([
    404,
    { error: { code: 'not_found', message: 'No such route' } },
  ]);
});

it('pages link to the request and to its agent with that dot escaped, and those links open them', async () => {
  const list = await page('/requests');
  expect(list.status).toBe(200);
  expect(list.html).toContain('href="/requests/pr_dot%2Edata"');
  const dashboard = await page('/dashboard');
  expect(dashboard.html).toContain('href="/dashboard/agents/ag_dot%2Edata"');

  const request = await page('/requests/pr_dot%2Edata');
  expect([request.status, request.html.includes('SO-DOT'), request.html.includes(ID)]).toEqual([200, true, true]);
  const agent = await page('/dashboard/agents/ag_dot%2Edata');
  expect([
    agent.status,
    agent.html.includes('Dot Agent'),
    agent.html.includes('href="/requests/pr_dot%2Edata"'),
  ]).toEqual([200, true, true]);
  // And their pages' data, as single fetch asks for it.
  const data = await fetch(`${server.url}/requests/pr_dot%2Edata.data`, { headers: { cookie } });
  expect([data.status, (await data.text()).includes('SO-DOT')]).toEqual([200, true]);
});
