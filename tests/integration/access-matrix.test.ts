import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DASHBOARD_DAYS } from '../../app/http/dashboard-params.server';
import { postEvents, startServer, type TestServer } from '../support/server';
import { addUserAt, signInOverHttp, TEST_PASSWORD, type TestUserInput } from '../support/users';

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
  ['GET', '/filters/agents?q=ag', api(ANALYSTS)],
];

let server: TestServer;
const cookies: Partial<Record<Who | 'otherAgent', string>> = {};
const embedCookies: Partial<Record<Who | 'otherAgent', string>> = {};

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
  // More requests for the scoped views: a second agent in each team, a paid one of the agent's own.
  const more = await postEvents(
    server,
    JSON.stringify([
      created('pr_a2', 'ag_a2', 'tm_a'),
      sent('pr_a2'),
      created('pr_a3', 'ag_a', 'tm_a'),
      sent('pr_a3'),
      {
        id: 'evt_pr_a3_paid',
        type: 'payment_request.paid',
        occurredAt: new Date(Date.now() - 40_000).toISOString(),
        paymentRequest: { id: 'pr_a3' },
      },
      created('pr_b2', 'ag_b2', 'tm_b'),
      sent('pr_b2'),
    ]),
  );
  expect((await more.json()).accepted).toBe(7);
  // An agent of tm_b (first seen there: agents keep that team) who then sends a request for tm_a: the
  // supervisor of tm_a sees that request and the agent's page with it alone.
  const elsewhere = await postEvents(server, JSON.stringify([created('pr_a4', 'ag_b2', 'tm_a'), sent('pr_a4')]));
  expect((await elsewhere.json()).accepted).toBe(2);
  const users: [Who | 'otherAgent', TestUserInput][] = [
    ['agent', { role: 'agent', agentId: 'ag_a', teamIds: ['tm_a'] }],
    ['supervisor', { role: 'supervisor', teamIds: ['tm_a'] }],
    ['manager', { role: 'manager' }],
    ['admin', { role: 'admin' }],
    ['otherAgent', { role: 'agent', agentId: 'ag_b', teamIds: ['tm_b'] }],
  ];
  for (const [who, input] of users) {
    const { email } = await addUserAt(server.dbFile, input);
    cookies[who] = (await signInOverHttp(server.url, email)).cookie;
    embedCookies[who] = await signInToPanel(email);
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

/** Signs in inside the agent panel (its own cookie, pld_embed_session); '' when refused. */
async function signInToPanel(email: string): Promise<string> {
  const response = await fetch(`${server.url}/embed/agent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    body: new URLSearchParams({ intent: 'sign_in', email, password: TEST_PASSWORD }).toString(),
  });
  await response.body?.cancel();
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return cookie.startsWith('pld_embed_session=') ? cookie : '';
}

/**
 * SPEC §5 by content, not status codes: for every route that returns requests or agents, each role
 * gets exactly the rows of its scope, checked against the seeded data (a 200 proves nothing about
 * which rows came back).
 */
type Caller = Who | 'otherAgent';
const CALLERS: Exclude<Caller, 'anon'>[] = ['agent', 'supervisor', 'manager', 'admin', 'otherAgent'];
const ALL_REQUESTS = ['pr_a', 'pr_a2', 'pr_a3', 'pr_a4', 'pr_b', 'pr_b2'];
const ALL_AGENTS = ['ag_a', 'ag_a2', 'ag_b', 'ag_b2'];
const REQUESTS_OF_AGENT: Record<string, string[]> = {
  ag_a: ['pr_a', 'pr_a3'],
  ag_a2: ['pr_a2'],
  ag_b: ['pr_b'],
  ag_b2: ['pr_a4', 'pr_b2'],
};
const SCOPE: Record<Exclude<Caller, 'anon'>, { requests: string[]; agents: string[] }> = {
  agent: { requests: ['pr_a', 'pr_a3'], agents: ['ag_a'] },
  supervisor: { requests: ['pr_a', 'pr_a2', 'pr_a3', 'pr_a4'], agents: ['ag_a', 'ag_a2', 'ag_b2'] },
  manager: { requests: ALL_REQUESTS, agents: ALL_AGENTS },
  admin: { requests: ALL_REQUESTS, agents: ALL_AGENTS },
  otherAgent: { requests: ['pr_b'], agents: ['ag_b'] },
};
const isAnalyst = (who: Caller) => who === 'supervisor' || who === 'manager' || who === 'admin';
const sorted = (ids: Iterable<string>) => [...new Set(ids)].sort();
/** Request and agent ids as they appear anywhere in a page or file (`evt_pr_a_sent` is not one). */
const requestIdsIn = (text: string) => sorted(text.match(/\bpr_[ab]\d?\b/g) ?? []);
const agentIdsIn = (text: string) => sorted(text.match(/\bag_[ab]\d?\b/g) ?? []);
const RANGE = (() => {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return `from=${day(Date.now() - 86_400_000)}&to=${day(Date.now() + 86_400_000)}&tz=UTC`;
})();

async function as(who: Caller, path: string, cookie = cookies[who]) {
  return fetch(`${server.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
}
async function text(who: Caller, path: string) {
  const response = await as(who, path);
  expect(response.status).toBe(200);
  return response.text();
}
async function json<T>(who: Caller, path: string): Promise<T> {
  return JSON.parse(await text(who, path)) as T;
}
async function workbook(who: Caller, path: string) {
  const response = await as(who, path);
  expect(response.status).toBe(200);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load((await response.arrayBuffer()) as ArrayBuffer);
  return book;
}
function firstColumn(sheet: ExcelJS.Worksheet): string[] {
  const ids: string[] = [];
  sheet.eachRow((row, number) => {
    if (number > 1) ids.push(String(row.getCell(1).value));
  });
  return sorted(ids);
}
/** The ids among `candidates` that a route answers 200 for (the rest must be 404, as if absent). */
async function openable(who: Caller, candidates: string[], path: (id: string) => string) {
  const open: string[] = [];
  for (const id of candidates) {
    const response = await as(who, path(id));
    await response.body?.cancel();
    expect([200, 404]).toContain(response.status);
    if (response.status === 200) open.push(id);
  }
  return open;
}
/**
 * The requests of the live stream's catch-up (Last-Event-ID 1: every change after the first event).
 * The server writes `: connected`, then the whole catch-up at once (one write, app/http/live-stream):
 * once a change has arrived, 250 ms more for anything behind it, then the stream is closed. It used
 * to stay open a fixed 1.5 s (five callers, both engines: 15 s of the run). Every caller's scope holds
 * requests, so the first change is waited for with a "does not hang" bound (10 s: 1.5 s cut off a
 * catch-up a loaded machine read late, an empty list); a caller that gets none fails the comparison.
 */
async function streamCatchUp(who: Caller) {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/v1/stream`, {
    headers: { cookie: cookies[who]!, 'last-event-id': '1' },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let received = '';
  let stop = setTimeout(() => controller.abort(), 10_000);
  let settling = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
      if (!settling && received.includes('event: change') && received.endsWith('\n\n')) {
        settling = true;
        clearTimeout(stop);
        stop = setTimeout(() => controller.abort(), 250);
      }
    }
  } catch {
    // aborted after the catch-up had time to arrive
  } finally {
    clearTimeout(stop);
  }
  return sorted(
    received
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => (JSON.parse(line.slice(6)) as { requestId: string }).requestId),
  );
}

describe.each(CALLERS)('rows returned to %s are exactly its scope', (who) => {
  const scope = SCOPE[who];
  /** An agent's requests that this caller may see. */
  const inScope = (agentId: string) => REQUESTS_OF_AGENT[agentId]!.filter((id) => scope.requests.includes(id));

  it('GET /api/v1/payment-requests and each /api/v1/payment-requests/:id', async () => {
    const list = await json<{ rows: { id: string }[] }>(who, `/api/v1/payment-requests?limit=500`);
    expect(sorted(list.rows.map((row) => row.id))).toEqual(scope.requests);
    expect(await openable(who, ALL_REQUESTS, (id) => `/api/v1/payment-requests/${id}`)).toEqual(scope.requests);
  });

  it('the request pages: /requests and each /requests/:id', async () => {
    expect(await openable(who, ALL_REQUESTS, (id) => `/requests/${id}`)).toEqual(scope.requests);
    if (!isAnalyst(who)) {
      expect((await as(who, '/requests')).status).toBe(403);
      return;
    }
    expect(requestIdsIn(await text(who, `/requests?${RANGE}`))).toEqual(scope.requests);
  });

  it('/api/v1/metrics/agents, summary and timeseries', async () => {
    const agents = await json<{ rows: { agentId: string; sent: number }[] }>(who, `/api/v1/metrics/agents?${RANGE}`);
    expect(sorted(agents.rows.map((row) => row.agentId))).toEqual(scope.agents);
    for (const row of agents.rows) expect(row.sent).toBe(inScope(row.agentId).length);
    const summary = await json<{ sent: number; paid: number }>(who, `/api/v1/metrics/summary?${RANGE}`);
    expect(summary.sent).toBe(scope.requests.length);
    expect(summary.paid).toBe(scope.requests.includes('pr_a3') ? 1 : 0);
    const series = await json<{ buckets: { sent: number }[] }>(who, `/api/v1/metrics/timeseries?interval=day&${RANGE}`);
    expect(series.buckets.reduce((total, bucket) => total + bucket.sent, 0)).toBe(scope.requests.length);
  });

  it('the dashboard and each agent page', async () => {
    if (!isAnalyst(who)) {
      expect((await as(who, `/dashboard?${RANGE}`)).status).toBe(403);
      return;
    }
    expect(agentIdsIn(await text(who, `/dashboard?${RANGE}`))).toEqual(scope.agents);
    expect(await openable(who, ALL_AGENTS, (id) => `/dashboard/agents/${id}?${RANGE}`)).toEqual(scope.agents);
    for (const agentId of scope.agents) {
      expect(requestIdsIn(await text(who, `/dashboard/agents/${agentId}?${RANGE}`))).toEqual(inScope(agentId));
    }
  });

  it('the Agent picker of /dashboard, /requests and /reports: the agents of its scope', async () => {
    if (!isAnalyst(who)) return;
    const picked = (html: string) => sorted([...html.matchAll(/name="agent" value="([^"]+)"/g)].map((m) => m[1]!));
    for (const path of ['/dashboard', '/requests', '/reports']) {
      expect(picked(await text(who, `${path}?${RANGE}`))).toEqual(scope.agents);
    }
  });

  it('CSV and XLSX exports and the /reports counts', async () => {
    if (!isAnalyst(who)) {
      for (const path of ['/exports/payment-requests.csv', '/exports/agents.xlsx', '/reports']) {
        const response = await as(who, path);
        await response.body?.cancel();
        expect(response.status).toBe(403);
      }
      return;
    }
    const csvIds = async (path: string) =>
      sorted(
        (await text(who, `${path}?${RANGE}`))
          .trim()
          .split('\r\n')
          .slice(1)
          .map((line) => line.split(',')[0]!),
      );
    expect(await csvIds('/exports/payment-requests.csv')).toEqual(scope.requests);
    expect(await csvIds('/exports/agents.csv')).toEqual(scope.agents);
    const requests = await workbook(who, `/exports/payment-requests.xlsx?${RANGE}`);
    expect(firstColumn(requests.getWorksheet('Payment requests')!)).toEqual(scope.requests);
    const agents = await workbook(who, `/exports/agents.xlsx?${RANGE}`);
    expect(firstColumn(agents.getWorksheet('Agents')!)).toEqual(scope.agents);
    const reports = await text(who, `/reports?${RANGE}`);
    const count = (report: string) =>
      new RegExp(`data-testid="count-${report}"[^>]*>(.*?)</div>`).exec(reports)?.[1]?.replace(/<!-- -->/g, '');
    expect(count('payment-requests')).toBe(`${scope.requests.length} requests`);
    expect(count('agents')).toBe(`${scope.agents.length} agent${scope.agents.length === 1 ? '' : 's'}`);
  });

  it('the live stream catch-up', async () => {
    expect(await streamCatchUp(who)).toEqual(scope.requests);
  });

  it('the agent console and the agent panel', async () => {
    const own = who === 'agent' || who === 'otherAgent' ? scope.requests : [];
    if (own.length > 0) expect(requestIdsIn(await text(who, '/agent'))).toEqual(own);
    const panel = await as(who, '/embed/agent', embedCookies[who]);
    expect(panel.status).toBe(200);
    const html = await panel.text();
    expect(requestIdsIn(html)).toEqual(own);
  });
});

describe('what a page or panel action is sent is read as a client error, never a 500', () => {
  // Each form route with a caller it lets in (the role checks above come first).
  const forms: [path: string, who: Who | 'anon', panel?: true][] = [
    ['/login', 'anon'],
    ['/pay/no-such-token', 'anon'],
    ['/embed/agent', 'agent', true],
    ['/agent', 'agent'],
    ['/account', 'manager'],
    ['/admin/users', 'admin'],
    ['/admin/teams', 'admin'],
    ['/admin/tokens', 'admin'],
    ['/admin/settings', 'admin'],
    ['/admin/webhook', 'admin'],
  ];
  const post = (path: string, who: Who | 'anon', panel: boolean | undefined, type: string, body: string) => {
    const headers: Record<string, string> = { origin: server.url, 'content-type': type };
    const cookie = who === 'anon' ? undefined : panel ? embedCookies[who] : cookies[who];
    if (cookie) headers.cookie = cookie;
    return fetch(`${server.url}${path}`, { method: 'POST', headers, body, redirect: 'manual' });
  };

  it.each(forms)('POST %s as %s: 415 naming Content-Type for a body that is not a form', async (path, who, panel) => {
    const response = await post(path, who, panel, 'text/plain', 'intent=send');
    expect(response.status).toBe(415);
    expect(await response.text()).toContain('Send a form: application/x-www-form-urlencoded or multipart/form-data');
  });

  it.each(forms)('POST %s as %s: 400 naming the body for a form that cannot be read', async (path, who, panel) => {
    const response = await post(path, who, panel, 'multipart/form-data; boundary=x', 'not multipart at all');
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('The form could not be read');
  });

  it('a dashboard range longer than its trend can draw: 400 naming from, on both dashboards; the longest one drawn', async () => {
    const day = 86_400_000;
    const longest = new Date(Date.parse('2000-01-01') + (MAX_DASHBOARD_DAYS - 1) * day).toISOString().slice(0, 10);
    const tooLong = new Date(Date.parse('2000-01-01') + MAX_DASHBOARD_DAYS * day).toISOString().slice(0, 10);
    for (const page of ['/dashboard', '/dashboard/agents/ag_a']) {
      const refused = await as('manager', `${page}?from=2000-01-01&to=${tooLong}`);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('from: the dashboard shows at most 7,244 days (about 19 years)');
      const drawn = await as('manager', `${page}?from=2000-01-01&to=${longest}`);
      expect(drawn.status).toBe(200);
      await drawn.body?.cancel();
    }
  });
});

describe('a page parameter given twice is refused as a bad filter is, not the first taken silently', () => {
  it.each([
    ['/dashboard?range=7d&range=30d', 'range'],
    [`/dashboard?${RANGE}&sort=rate&sort=sent`, 'sort'],
    ['/dashboard/agents/ag_a?range=yesterday&order=asc&order=desc', 'order'],
    ['/requests?sort=amount&sort=status', 'sort'],
    ['/requests?limit=25&limit=100', 'limit'],
  ])('%s: 400 saying “%s” is given more than once', async (path, field) => {
    const refused = await as('manager', path);
    const html = await refused.text();
    expect([refused.status, html.includes(`<p>“${field}” is given more than once.</p>`)]).toEqual([400, true]);
  });

  // Session 36: the leaderboard's and the list's page, the console's `sent`, the admin pages' filters.
  const panel = (who: Caller) => embedCookies[who];
  it.each([
    ['manager', `/dashboard?${RANGE}&agentsPage=1&agentsPage=2`, 'agentsPage'],
    ['manager', '/requests?page=1&page=2', 'page'],
    ['agent', '/agent?sent=pr_a&sent=pr_a3', 'sent'],
    ['agent', '/embed/agent?sent=pr_a&sent=pr_a3', 'sent', panel],
    ['admin', '/admin/audit?action=sign_in&action=sign_out', 'action'],
    ['admin', '/admin/audit?before=5&before=6', 'before'],
    ['admin', '/admin/ingestion?code=invalid_currency&code=conflict', 'code'],
    ['admin', '/admin/ingestion?before=1&before=2', 'before'],
    ['admin', '/admin/users?invite=ag_a2&invite=ag_b2', 'invite'],
  ] as const)('as %s, %s: 400 saying “%s” is given more than once', async (who, path, field, cookie?) => {
    const refused = await as(who, path, cookie?.(who) ?? cookies[who]);
    const html = await refused.text();
    expect([refused.status, html.includes(`<p>“${field}” is given more than once.</p>`)]).toEqual([400, true]);
  });

  it('each given once still works: the page, the highlighted card, the filter, the invite filled in', async () => {
    const leaderboard = await text('manager', `/dashboard?${RANGE}&agentsPage=2`);
    expect(leaderboard).toContain('<h1>Dashboard</h1>');
    expect(await text('manager', '/requests?page=2')).toContain(String.raw`\"pageNumber\",2,`);
    for (const [path, cookie] of [
      ['/agent?sent=pr_a3', cookies.agent],
      ['/embed/agent?sent=pr_a3', embedCookies.agent],
    ] as const) {
      const console = await (await as('agent', path, cookie)).text();
      expect(console).toContain('<li class="request-card card highlighted" data-request-id="pr_a3" tabindex="-1">');
    }
    const audit = await text('admin', '/admin/audit?action=sign_in');
    expect(audit).not.toContain('aria-describedby="audit-action-error"');
    expect(await text('admin', '/admin/ingestion?code=invalid_currency&before=2')).toContain(
      '<h1>Ingestion health</h1>',
    );
    const users = await text('admin', '/admin/users?invite=ag_a2');
    expect(users).toContain(
      '<input name="agentId" list="known-agents" autoComplete="off" placeholder="ag_17" aria-invalid="false" value="ag_a2"/>',
    );
  });
});

describe('the agent panel’s context from the host’s URL (session 36)', () => {
  const phoneField = (html: string) =>
    /<input name="customerPhone"[^>]*?(?: value="([^"]*)")?\/>/.exec(html)?.[1] ?? null;
  it('a phone given twice fills in neither (either could be another customer’s); the rest still applies', async () => {
    const twice = await as(
      'agent',
      '/embed/agent?phone=%2B27821111111&phone=%2B27822222222&name=Val',
      embedCookies.agent,
    );
    const html = await twice.text();
    expect([
      twice.status,
      phoneField(html),
      html.includes(
        '<input name="customerName" autoComplete="off" id="customerName" aria-invalid="false" value="Val"/>',
      ),
    ]).toEqual([200, null, true]);
    const once = await (await as('agent', '/embed/agent?phone=%2B27821111111', embedCookies.agent)).text();
    expect(phoneField(once)).toBe('+27821111111');
  });
});

describe('a NUL character in a form field (session 36: a 500 on PostgreSQL)', () => {
  it('is a 400 naming the field, and nothing is made', async () => {
    const refused = await fetch(`${server.url}/admin/teams`, {
      method: 'POST',
      headers: { cookie: cookies.admin!, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'intent=create_team&teamId=tm_nul&name=Nul%00Team',
    });
    const html = await refused.text();
    expect([refused.status, html.includes('<p>“name” must not contain a NUL character.</p>')]).toEqual([400, true]);
    expect(await text('admin', '/admin/teams')).not.toContain('tm_nul');
  });
});

describe('the leaderboard’s order without `order` (a typed or an old link)', () => {
  const agentsIn = async (path: string) =>
    [...(await text('manager', path)).matchAll(/<tr[^>]* data-agent="([^"]+)"/g)].map((match) => match[1]);
  it('is the way its header first sorts: names A to Z, figures biggest first', async () => {
    const byName = await agentsIn('/dashboard?sort=agentName');
    expect(byName.length).toBeGreaterThan(3);
    expect(byName).toEqual(await agentsIn('/dashboard?sort=agentName&order=asc'));
    expect(byName).toEqual([...(await agentsIn('/dashboard?sort=agentName&order=desc'))].reverse());
    expect(await agentsIn('/dashboard?sort=sent')).toEqual(await agentsIn('/dashboard?sort=sent&order=desc'));
  });
});

describe('field errors are tied to their fields (aria-describedby)', () => {
  it('the audit log filter: a bad action, actor-free date and its error are described by id', async () => {
    const html = await (await as('admin', '/admin/audit?action=nope&from=2026-13-45')).text();
    const errorOf = (id: string) => new RegExp(`<span id="${id}" class="field-error">([^<]+)</span>`).exec(html)?.[1];
    expect(html).toMatch(/<select name="action" aria-invalid="true" aria-describedby="audit-action-error"/);
    expect(errorOf('audit-action-error')).toBeTruthy();
    const from = /<input id="([^"]+)" type="date" name="from"[^>]*aria-invalid="true" aria-describedby="([^"]+)"/.exec(
      html,
    );
    expect(from?.[2]).toBe(`${from?.[1]}-hint ${from?.[1]}-error`);
    expect(errorOf(`${from?.[1]}-error`)).toBeTruthy();
  });
});

describe('a form field given twice is refused naming it, not the first taken silently (session 37)', () => {
  const message = (field: string) => `“${field}” is given more than once.`;
  /** POSTs a form as a browser without JavaScript does (the page), or as a fetcher does (`.data`). */
  const post = async (path: string, cookie: string | undefined, body: string) => {
    const headers: Record<string, string> = { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' };
    if (cookie) headers.cookie = cookie;
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body, redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  };
  const requestStatus = async (id: string) =>
    (await json<{ status: string }>('agent', `/api/v1/payment-requests/${id}`)).status;

  it('sign-in and the panel’s sign-in: the form error names the field, no sign-in tried', async () => {
    const login = await post('/login', undefined, 'email=a%40desk.test&email=b%40desk.test&password=x');
    expect([login.status, login.body.includes(`<p role="alert" class="form-error">${message('email')}</p>`)]).toEqual([
      400,
      true,
    ]);
    const panel = await post('/embed/agent', undefined, 'intent=sign_in&email=a%40desk.test&password=x&password=y');
    expect([
      panel.status,
      panel.body.includes(`<p role="alert" class="form-error">${message('password')}</p>`),
    ]).toEqual([400, true]);
  });

  it('the console’s send, cancel and an intent twice: 400 naming it, nothing sent or canceled', async () => {
    const send = {
      intent: 'send',
      customerPhone: '+27821234567',
      orderNumber: 'SO-TWICE-1',
      amount: '10.00',
      currency: 'USD',
      reason: 'Twice',
      channel: 'sms',
    };
    const twice = await post('/agent', cookies.agent, `${new URLSearchParams(send)}&orderNumber=SO-TWICE-2`);
    expect([
      twice.status,
      twice.body.includes(`<p class="form-error" role="alert">${message('orderNumber')}</p>`),
    ]).toEqual([400, true]);
    expect((await json<{ rows: unknown[] }>('agent', '/api/v1/payment-requests?q=SO-TWICE')).rows).toEqual([]);

    const cancel = await post('/agent', cookies.agent, 'intent=cancel&requestId=pr_a&requestId=pr_a3');
    expect([
      cancel.status,
      cancel.body.includes(`<p role="status" class="card-message bad">${message('requestId')}</p>`),
    ]).toEqual([400, true]);
    expect(await requestStatus('pr_a')).toBe('sent');

    const intents = await post('/embed/agent', embedCookies.agent, 'intent=cancel&intent=retry&requestId=pr_a');
    expect([intents.status, intents.body.includes(`<p>${message('intent')}</p>`)]).toEqual([400, true]);
  });

  it('the customer’s pay page: the card number twice is refused, nothing charged; once it pays', async () => {
    const send = new URLSearchParams({
      intent: 'send',
      customerPhone: '+27821234567',
      orderNumber: 'SO-PAY-TWICE',
      amount: '10.00',
      currency: 'USD',
      reason: 'Twice',
      channel: 'sms',
    });
    const sent = await post('/agent', cookies.agent, send.toString());
    const requestId = new URL(sent.location!, server.url).searchParams.get('sent')!;
    const token = new RegExp(`data-request-id="${requestId}".*?/pay/([\\w-]+)`).exec(
      await text('agent', `/agent?sent=${requestId}`),
    )?.[1];
    const card = 'intent=pay&expiry=12%2F30&cvc=123&number=4242424242424242';
    const twice = await post(`/pay/${token}`, undefined, `${card}&number=4000000000000002`);
    expect([twice.status, twice.body.includes(`<p class="pay-alert" role="alert">${message('number')}</p>`)]).toEqual([
      400,
      true,
    ]);
    expect(twice.body).not.toContain('4242424242424242');
    expect(await requestStatus(requestId)).toBe('sent');
    expect((await post(`/pay/${token}`, undefined, card)).status).toBe(302);
    expect(await requestStatus(requestId)).toBe('paid');
  });

  it('the password change: 400 naming the field, the password unchanged', async () => {
    const { email } = await addUserAt(server.dbFile, { role: 'manager' });
    const { cookie } = await signInOverHttp(server.url, email);
    const fresh = 'a-new-password-of-mine';
    const body = new URLSearchParams({ currentPassword: TEST_PASSWORD, newPassword: fresh, confirmPassword: fresh });
    const twice = await post('/account', cookie, `${body}&newPassword=another-password-here`);
    expect([
      twice.status,
      twice.body.includes(`<p class="form-error" role="alert">${message('newPassword')}</p>`),
    ]).toEqual([400, true]);
    expect((await signInOverHttp(server.url, email)).cookie).toMatch(/^pld_session=/);
  });

  it('a scheduled report: its name twice refused; its lists (two teams) kept whole', async () => {
    const schedule = 'intent=schedule&report=agents&format=csv&cadence=daily&runAt=06:00&timezone=UTC';
    const twice = await post('/reports', cookies.manager, `${schedule}&name=Daily&name=Weekly`);
    expect([twice.status, twice.body.includes(`<p role="status" class="form-error">${message('name')}</p>`)]).toEqual([
      400,
      true,
    ]);
    const lists = await post('/reports', cookies.manager, `${schedule}&name=Both+teams&team=tm_a&team=tm_b`);
    expect([lists.status, lists.body.includes('<p role="status" class="notice">Scheduled “Both teams”.</p>')]).toEqual([
      200,
      true,
    ]);
  });

  // The admin forms are fetchers: their answer is the `.data` one (turbo-stream encoded) the form shows.
  it.each([
    ['/admin/teams.data', 'intent=create_team&teamId=tm_twice&name=Twice&name=Twice+again', 'name'],
    ['/admin/tokens.data', 'intent=create_token&name=Twice+bot&role=manager&role=admin', 'role'],
    ['/admin/users.data', 'intent=invite&name=Twice&email=t1%40desk.test&email=t2%40desk.test&role=manager', 'email'],
    ['/admin/settings.data', 'intent=save_settings&orgTimezone=UTC&orgTimezone=Europe%2FParis', 'orgTimezone'],
    ['/admin/webhook.data', 'intent=rotate&intent=finish_rotation', 'intent'],
  ])('POST %s: 400 naming the field as the form’s error', async (path, body, field) => {
    const twice = await post(path, cookies.admin, body);
    expect([
      twice.status,
      twice.body.includes(`"fieldErrors",{"_7":8},"${field}","${message(field)}","formError"`),
    ]).toEqual([400, true]);
  });

  it('nothing of those is made; a checkbox group (a token’s teams) keeps every value', async () => {
    const teams = await text('admin', '/admin/teams');
    const tokens = await text('admin', '/admin/tokens');
    const users = await text('admin', '/admin/users');
    expect([teams.includes('tm_twice'), tokens.includes('Twice bot'), users.includes('t1@desk.test')]).toEqual([
      false,
      false,
      false,
    ]);
    const both = await post(
      '/admin/tokens.data',
      cookies.admin,
      'intent=create_token&name=Two+teams&role=supervisor&teamIds=tm_a&teamIds=tm_b',
    );
    expect(both.status).toBe(200);
    const row =
      /<tr>(?:(?!<\/tr>).)*Two teams(?:(?!<\/tr>).)*<\/tr>/s.exec(await text('admin', '/admin/tokens'))?.[0] ?? '';
    expect([row.includes('tm_a'), row.includes('tm_b')]).toEqual([true, true]);
  });
});
