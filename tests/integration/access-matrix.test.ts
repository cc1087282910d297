import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvents, startServer, type TestServer } from '../support/server';
import { insertUserInFile, signInOverHttp } from '../support/users';

/**
 * Every route for every role (SPEC §5): allowed, 403 for a role that may not, 404 for a resource
 * outside the caller's scope (exactly as for one that does not exist), and 401 / a redirect to
 * /login when signed out.
 */
type Who = 'anon' | 'agent' | 'supervisor' | 'manager' | 'admin';
type Expect = Record<Who, number>;

const all = (status: number): Expect => ({
  anon: status,
  agent: status,
  supervisor: status,
  manager: status,
  admin: status,
});
const page = (allowed: Who[]): Expect => ({
  anon: 302,
  agent: allowed.includes('agent') ? 200 : 403,
  supervisor: allowed.includes('supervisor') ? 200 : 403,
  manager: allowed.includes('manager') ? 200 : 403,
  admin: allowed.includes('admin') ? 200 : 403,
});
const api = (allowed: Who[]): Expect => ({ ...page(allowed), anon: 401 });
const ANALYSTS: Who[] = ['supervisor', 'manager', 'admin'];
const EVERYONE: Who[] = ['agent', 'supervisor', 'manager', 'admin'];

const ROUTES: [method: 'GET' | 'POST', path: string, expected: Expect][] = [
  ['GET', '/healthz', all(200)],
  ['GET', '/login', { anon: 200, agent: 302, supervisor: 302, manager: 302, admin: 302 }],
  ['GET', '/', { anon: 302, agent: 302, supervisor: 302, manager: 302, admin: 302 }],
  ['GET', '/dashboard', page(ANALYSTS)],
  ['GET', '/dashboard/agents/ag_a', page(ANALYSTS)],
  ['GET', '/dashboard/agents/ag_b', { ...page(ANALYSTS), supervisor: 404 }],
  ['GET', '/requests', page(ANALYSTS)],
  // An agent may open the timeline of their own requests (SPEC §5: own requests only).
  ['GET', '/requests/pr_a', page(EVERYONE)],
  ['GET', '/requests/pr_b', { ...page(EVERYONE), agent: 404, supervisor: 404 }],
  ['GET', '/requests/pr_nope', { ...all(404), anon: 302 }],
  ['GET', '/agent', page(['agent'])],
  ['GET', '/account', page(EVERYONE)],
  ['GET', '/reports', page(ANALYSTS)],
  ['GET', '/admin', page(['admin'])],
  ['GET', '/admin/users', page(['admin'])],
  ['GET', '/admin/tokens', page(['admin'])],
  ['GET', '/admin/settings', page(['admin'])],
  ['GET', '/admin/webhook', page(['admin'])],
  ['GET', '/admin/ingestion', page(['admin'])],
  ['GET', '/admin/audit', page(['admin'])],
  ['GET', '/admin/teams', page(['admin'])],
  ['GET', '/pay/not-a-real-token', all(404)],
  ['GET', '/api/v1/metrics/summary', api(EVERYONE)],
  ['GET', '/api/v1/metrics/agents', api(EVERYONE)],
  ['GET', '/api/v1/metrics/timeseries?interval=day&from=2026-11-01&to=2026-11-07', api(EVERYONE)],
  ['GET', '/api/v1/payment-requests', api(EVERYONE)],
  ['GET', '/api/v1/stream', api(EVERYONE)],
  ['GET', '/api/v1/payment-requests/pr_a', api(EVERYONE)],
  ['GET', '/api/v1/payment-requests/pr_b', { ...api(EVERYONE), agent: 404, supervisor: 404 }],
  ['POST', '/api/v1/payment-requests/pr_b/cancel', { ...api(['agent', 'supervisor']), agent: 404, supervisor: 404 }],
  ['GET', '/exports/payment-requests.csv', api(ANALYSTS)],
  ['GET', '/exports/payment-requests.xlsx', api(ANALYSTS)],
  ['GET', '/exports/agents.csv', api(ANALYSTS)],
  ['GET', '/exports/agents.xlsx', api(ANALYSTS)],
];

let server: TestServer;
const cookies: Partial<Record<Who, string>> = {};

function created(requestId: string, agentId: string, teamId: string) {
  return {
    id: `evt_${requestId}_created`,
    type: 'payment_request.created',
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    paymentRequest: {
      id: requestId,
      agent: { id: agentId, name: agentId, team: { id: teamId, name: teamId } },
      amount: 1000,
      currency: 'USD',
      orderNumber: `SO-${requestId}`,
      reason: 'Test',
      channel: 'sms',
      customer: { phone: '+27821234567' },
    },
  };
}

beforeAll(async () => {
  server = await startServer();
  const sent = (requestId: string) => ({
    id: `evt_${requestId}_sent`,
    type: 'payment_request.sent',
    occurredAt: new Date(Date.now() - 50_000).toISOString(),
    paymentRequest: { id: requestId },
  });
  const response = await postEvents(
    server,
    JSON.stringify([created('pr_a', 'ag_a', 'tm_a'), sent('pr_a'), created('pr_b', 'ag_b', 'tm_b'), sent('pr_b')]),
  );
  expect((await response.json()).accepted).toBe(4);
  const users: [Who, Parameters<typeof insertUserInFile>[1]][] = [
    ['agent', { role: 'agent', agentId: 'ag_a', teamIds: ['tm_a'] }],
    ['supervisor', { role: 'supervisor', teamIds: ['tm_a'] }],
    ['manager', { role: 'manager' }],
    ['admin', { role: 'admin' }],
  ];
  for (const [who, input] of users) {
    const { email } = insertUserInFile(server.dbFile, input);
    cookies[who] = (await signInOverHttp(server.url, email)).cookie;
  }
}, 120_000);
afterAll(() => server.stop());

describe('route × role matrix', () => {
  const cases = ROUTES.flatMap(([method, path, expected]) =>
    (Object.keys(expected) as Who[]).map((who) => [method, path, who, expected[who]] as const),
  );
  it.each(cases)('%s %s as %s → %i', async (method, path, who, status) => {
    const headers: Record<string, string> = { origin: server.url };
    const cookie = cookies[who as Who];
    if (cookie) headers.cookie = cookie;
    const response = await fetch(`${server.url}${path}`, { method, headers, redirect: 'manual' });
    await response.body?.cancel();
    expect(response.status).toBe(status);
    if (status === 302 && who === 'anon' && path !== '/login') {
      expect(response.headers.get('location')).toMatch(/^\/login\?redirectTo=/);
    }
  });
});
