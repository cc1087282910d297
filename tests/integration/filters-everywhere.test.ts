import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';
import { startOfDayInZone } from '../../app/read/filters';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';

/**
 * One set of filters means one set of requests, wherever it is asked (SPEC §3): the request list
 * (every page of GET /api/v1/payment-requests, in several sorts), the metrics (summary `sent`, the
 * agents rows), the /reports count and the payment-requests CSV, for every role's scope. Each
 * answer is compared with the set computed here from the fixture.
 */

const MINUTE = 60_000;

const AGENT_TEAM = { ag_1: 'tm_retail', ag_2: 'tm_retail', ag_3: 'tm_support', ag_4: 'tm_vip' } as const;
type AgentId = keyof typeof AGENT_TEAM;

interface Fixture {
  id: string;
  agent: AgentId;
  /** The request's team when the agent sent it for another team than their own. */
  team?: string;
  channel: 'whatsapp' | 'sms' | 'webchat' | 'email';
  currency: string;
  order: string;
  customer: string | null;
  /** When it was sent (UTC); null: created and never sent. */
  sent: string | null;
  outcome: 'paid' | 'declined' | 'expired' | 'canceled' | null;
}

// Times near midnight so that the zone decides the day: Johannesburg is UTC+2, New York UTC−5.
const REQUESTS: Fixture[] = [
  {
    id: 'pr_a77',
    agent: 'ag_1',
    channel: 'whatsapp',
    currency: 'USD',
    order: 'Ab-77',
    customer: 'Valeria Núñez',
    sent: '2026-11-11T08:00:00Z',
    outcome: 'paid',
  },
  {
    id: 'pr_b12',
    agent: 'ag_1',
    channel: 'sms',
    currency: 'EUR',
    order: 'SO-129953',
    customer: 'Émile Zola',
    sent: '2026-11-10T22:30:00Z',
    outcome: 'declined',
  },
  {
    id: 'pr_c31',
    agent: 'ag_2',
    channel: 'webchat',
    currency: 'USD',
    order: '50%_OFF',
    customer: 'Ana Lima',
    sent: '2026-11-11T23:30:00Z',
    outcome: 'expired',
  },
  {
    id: 'pr_d44',
    agent: 'ag_2',
    channel: 'email',
    currency: 'ZAR',
    order: '50X_OFF',
    customer: 'Zoë Smith',
    sent: '2026-11-12T03:00:00Z',
    outcome: 'canceled',
  },
  {
    id: 'pr_e55',
    agent: 'ag_3',
    channel: 'sms',
    currency: 'USD',
    order: '50XYOFF',
    customer: 'émile dupont',
    sent: '2026-11-05T12:00:00Z',
    outcome: 'paid',
  },
  {
    id: 'pr_f66',
    agent: 'ag_3',
    team: 'tm_vip',
    channel: 'whatsapp',
    currency: 'EUR',
    order: 'SO-200100',
    customer: 'Thabo ÉMILE',
    sent: '2026-11-20T12:00:00Z',
    outcome: 'paid',
  },
  {
    id: 'pr_g77',
    agent: 'ag_4',
    channel: 'webchat',
    currency: 'USD',
    order: 'VIP-9',
    customer: null,
    sent: '2026-11-30T23:30:00Z',
    outcome: 'declined',
  },
  {
    id: 'pr_h88',
    agent: 'ag_4',
    channel: 'sms',
    currency: 'ZAR',
    order: 'R_10-X',
    customer: 'Li Wei',
    sent: '2026-10-31T23:00:00Z',
    outcome: 'expired',
  },
  {
    id: 'pr_i99',
    agent: 'ag_1',
    channel: 'whatsapp',
    currency: 'USD',
    order: 'SO-1',
    customer: 'Mia Ab',
    sent: null,
    outcome: null,
  },
  {
    id: 'pr_r100',
    agent: 'ag_2',
    channel: 'sms',
    currency: 'USD',
    order: 'SO-300',
    customer: 'Lebo',
    sent: '2026-11-15T10:00:00Z',
    outcome: 'paid',
  },
  {
    id: 'pr_j11',
    agent: 'ag_3',
    channel: 'email',
    currency: 'EUR',
    order: 'AB*C',
    customer: 'Ana',
    sent: '2026-12-01T10:00:00Z',
    outcome: 'paid',
  },
  {
    id: 'pr_k12',
    agent: 'ag_4',
    channel: 'whatsapp',
    currency: 'USD',
    order: 'SO-777',
    customer: 'Zoë [VIP]',
    sent: '2026-11-25T08:00:00Z',
    outcome: 'canceled',
  },
];

const teamOf = (r: Fixture) => r.team ?? AGENT_TEAM[r.agent];
const statusOf = (r: Fixture) => r.outcome ?? 'created';

const OUTCOME_AFTER_MS = { paid: 2 * MINUTE, declined: 3 * MINUTE, expired: 4 * MINUTE, canceled: MINUTE };

function eventsOf(r: Fixture) {
  const sentAt = r.sent ? Date.parse(r.sent) : Date.parse('2026-11-11T09:00:00Z');
  const at = (ms: number) => new Date(ms).toISOString();
  const teamId = teamOf(r);
  const created = {
    id: `evt_${r.id}_created`,
    type: 'payment_request.created',
    occurredAt: at(sentAt - MINUTE),
    paymentRequest: {
      id: r.id,
      agent: { id: r.agent, name: `Agent ${r.agent.slice(3)}`, team: { id: teamId, name: teamId.slice(3) } },
      amount: 1000,
      currency: r.currency,
      orderNumber: r.order,
      reason: 'Order',
      channel: r.channel,
      customer: r.customer === null ? { phone: '+27821234567' } : { phone: '+27821234567', name: r.customer },
    },
    data: {},
  };
  const step = (type: string, ms: number) => ({
    id: `evt_${r.id}_${type}`,
    type: `payment_request.${type}`,
    occurredAt: at(ms),
    paymentRequest: { id: r.id },
    data: type === 'paid' ? { card: { brand: 'visa', last4: '4242' } } : {},
  });
  if (!r.sent) return [created];
  const events = [created, step('sent', sentAt)];
  if (r.outcome) events.push(step(r.outcome, sentAt + OUTCOME_AFTER_MS[r.outcome]));
  return events;
}

type Who = 'agent' | 'supervisorOfOne' | 'supervisorOfTwo' | 'manager' | 'admin';

/** What each caller may see (SPEC §5). */
const SCOPES: Record<Who, (r: Fixture) => boolean> = {
  agent: (r) => r.agent === 'ag_1',
  supervisorOfOne: (r) => teamOf(r) === 'tm_retail',
  supervisorOfTwo: (r) => ['tm_support', 'tm_vip'].includes(teamOf(r)),
  manager: () => true,
  admin: () => true,
};

/** The requests S of a query string within a scope, by SPEC §3; `list` adds status and q. */
function expected(query: string, inScope: (r: Fixture) => boolean, list: boolean): Fixture[] {
  const params = new URLSearchParams(query);
  const tz = params.get('tz') ?? 'UTC';
  const from = params.get('from');
  const to = params.get('to');
  const start = from ? startOfDayInZone(from, tz) : -Infinity;
  const end = to ? startOfDayInZone(nextDay(to), tz) : Infinity;
  const any = (key: string, value: string) => params.getAll(key).length === 0 || params.getAll(key).includes(value);
  const q = params.get('q')?.trim().toLowerCase();
  return REQUESTS.filter((r) => {
    if (!inScope(r) || r.sent === null) return false;
    const sentAt = Date.parse(r.sent);
    if (sentAt < start || sentAt >= end) return false;
    if (!any('team', teamOf(r)) || !any('agent', r.agent) || !any('channel', r.channel)) return false;
    if (!any('currency', r.currency)) return false;
    if (!list) return true;
    if (!any('status', statusOf(r))) return false;
    return !q || [r.order, r.id, r.customer ?? ''].some((text) => text.toLowerCase().includes(q));
  });
}

function nextDay(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

const NOVEMBER = 'from=2026-11-01&to=2026-11-30';
const q = (text: string) => `${NOVEMBER}&q=${encodeURIComponent(text)}`;

/** Every SPEC §3 filter, alone and together; q as an order number, id and customer-name substring. */
const QUERIES = [
  NOVEMBER,
  'from=2026-11-11&to=2026-11-11',
  'from=2026-11-11&to=2026-11-11&tz=Africa/Johannesburg',
  'from=2026-11-11&to=2026-11-11&tz=America/New_York',
  `${NOVEMBER}&tz=Africa/Johannesburg`,
  'from=2026-11-15',
  `${NOVEMBER}&team=tm_retail&team=tm_vip`,
  `${NOVEMBER}&agent=ag_1&agent=ag_3`,
  `${NOVEMBER}&channel=sms&channel=webchat`,
  `${NOVEMBER}&currency=EUR&currency=ZAR`,
  `${NOVEMBER}&status=paid&status=canceled`,
  `${NOVEMBER}&status=created`,
  // SPEC §3's q: 'ab' finds the order 'Ab-77' (and 'Thabo' among the customers).
  q('ab'),
  q('AB'),
  q('129953'),
  q('zola'),
  // Not only ASCII letters change case: é finds É, and É finds é.
  q('émile'),
  q('ÉMILE'),
  q('ë [vip'),
  // A substring of the request id alone.
  q('r_r1'),
  // LIKE's and GLOB's wildcards are literal characters.
  q('%'),
  q('0%_o'),
  q('x_o'),
  q('*'),
  'from=2026-11-15&q=*',
  q('zzz'),
  `${NOVEMBER}&tz=Africa/Johannesburg&team=tm_retail&team=tm_support&channel=sms&currency=EUR&currency=USD&status=declined&status=paid&q=o`,
];

describe('the same filters through list, metrics, /reports counts and the CSV', () => {
  let server: TestServer;
  const tokens = {} as Record<Who, string>;

  beforeAll(async () => {
    server = await startServer();
    const db = openDatabaseUrl(server.dbFile);
    const summary = await ingestEvents(db, REQUESTS.flatMap(eventsOf), 'api');
    expect(summary.rejected).toBe(0);
    tokens.agent = (await createServiceToken(db, { role: 'agent', name: 'Agent 1', agentId: 'ag_1' })).token;
    tokens.supervisorOfOne = (
      await createServiceToken(db, {
        role: 'supervisor',
        name: 'Retail lead',
        teamIds: ['tm_retail'],
      })
    ).token;
    tokens.supervisorOfTwo = (
      await createServiceToken(db, {
        role: 'supervisor',
        name: 'Support and VIP lead',
        teamIds: ['tm_support', 'tm_vip'],
      })
    ).token;
    tokens.manager = (await createServiceToken(db, { role: 'manager', name: 'Manager' })).token;
    tokens.admin = (await createServiceToken(db, { role: 'admin', name: 'Admin' })).token;
    // Every request ended before now: no expiry sweep can change a status under the test.
    const statuses = await queryRows(db, 'SELECT id, status FROM payment_requests ORDER BY id');
    expect(statuses).toEqual(
      REQUESTS.map((r) => ({ id: r.id, status: statusOf(r) })).sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    await closeDatabase(db);
  }, 120_000);
  afterAll(() => server.stop());

  // The cases only read (the fixture is written in beforeAll, and no status can change under them):
  // they run concurrently, five at a time (vitest's maxConcurrency), each with its own `expect`.
  // Sequentially they waited on one request at a time: 12 s on SQLite, 32 s on PostgreSQL.
  const get = async (path: string, who: Who) => {
    const response = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${tokens[who]}` },
      redirect: 'manual',
    });
    return response;
  };

  async function listIds(expect: ExpectStatic, query: string, who: Who, sort: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const path = `/api/v1/payment-requests?${query}&sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await get(path, who);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { rows: { id: string }[]; nextCursor: string | null };
      ids.push(...body.rows.map((row) => row.id));
      if (!body.nextCursor) return ids;
      cursor = encodeURIComponent(body.nextCursor);
    }
    throw new Error('more pages than requests');
  }

  async function csvIds(expect: ExpectStatic, query: string, who: Who): Promise<string[]> {
    const response = await get(`/exports/payment-requests.csv?${query}`, who);
    expect(response.status).toBe(200);
    const lines = (await response.text()).split('\r\n').filter(Boolean);
    expect(lines[0]!.startsWith('request_id,')).toBe(true);
    return lines.slice(1).map((line) => line.split(',')[0]!);
  }

  async function reportsCount(expect: ExpectStatic, query: string, who: Who): Promise<number> {
    const response = await get(`/reports?${query}`, who);
    expect(response.status).toBe(200);
    const match = /data-testid="count-payment-requests">([\d,]+)/.exec(await response.text());
    expect(match).not.toBeNull();
    return Number(match![1]!.replaceAll(',', ''));
  }

  const sorted = (ids: readonly string[]) => [...ids].sort();
  const WHO = Object.keys(SCOPES) as Who[];
  const cases = WHO.flatMap((who) => QUERIES.map((query) => [who, query] as const));

  it.concurrent.for(cases)('as %s: %s', async ([who, query], { expect }) => {
    const inScope = SCOPES[who];
    const listed = expected(query, inScope, true).map((r) => r.id);
    const inS = expected(query, inScope, false);

    for (const sort of ['sentAt', 'agent', 'team', 'amount']) {
      const ids = await listIds(expect, query, who, sort);
      expect(ids.length, `sort=${sort}: each row once`).toBe(new Set(ids).size);
      expect(sorted(ids), `list, sort=${sort}`).toEqual(sorted(listed));
    }

    // Metrics count S: status and q are request-list filters (SPEC §3).
    const summary = (await (await get(`/api/v1/metrics/summary?${query}`, who)).json()) as { sent: number };
    expect(summary.sent, 'metrics summary sent').toBe(inS.length);
    const agents = (await (await get(`/api/v1/metrics/agents?${query}`, who)).json()) as {
      rows: { agentId: string; sent: number }[];
    };
    const perAgent = new Map<string, number>();
    for (const r of inS) perAgent.set(r.agent, (perAgent.get(r.agent) ?? 0) + 1);
    expect(Object.fromEntries(agents.rows.map((row) => [row.agentId, row.sent])), 'metrics agents rows').toEqual(
      Object.fromEntries(perAgent),
    );

    if (who === 'agent') {
      // Agents neither export nor see /reports (SPEC §5).
      expect((await get(`/exports/payment-requests.csv?${query}`, who)).status).toBe(403);
      expect((await get(`/reports?${query}`, who)).status).toBe(403);
      return;
    }
    expect(sorted(await csvIds(expect, query, who)), 'payment-requests.csv').toEqual(sorted(listed));
    expect(await reportsCount(expect, query, who), '/reports count').toBe(listed.length);
  });

  it('the fixture makes the filters tell apart what they should', () => {
    const ids = (query: string, who: Who = 'manager') => expected(query, SCOPES[who], true).map((r) => r.id);
    // The expected sets are not trivially empty or whole: the cases above can fail.
    expect(ids(NOVEMBER)).toEqual([
      'pr_a77',
      'pr_b12',
      'pr_c31',
      'pr_d44',
      'pr_e55',
      'pr_f66',
      'pr_g77',
      'pr_r100',
      'pr_k12',
    ]);
    expect(ids('from=2026-11-11&to=2026-11-11')).toEqual(['pr_a77', 'pr_c31']);
    expect(ids('from=2026-11-11&to=2026-11-11&tz=Africa/Johannesburg')).toEqual(['pr_a77', 'pr_b12']);
    expect(ids('from=2026-11-11&to=2026-11-11&tz=America/New_York')).toEqual(['pr_a77', 'pr_c31', 'pr_d44']);
    expect(ids(q('ab'))).toEqual(['pr_a77', 'pr_f66']);
    expect(ids(q('émile'))).toEqual(['pr_b12', 'pr_e55', 'pr_f66']);
    expect(ids(q('ë [vip'))).toEqual(['pr_k12']);
    expect(ids(q('r_r1'))).toEqual(['pr_r100']);
    expect(ids(q('%'))).toEqual(['pr_c31']);
    expect(ids(q('x_o'))).toEqual(['pr_d44']);
    expect(ids(q('*'))).toEqual([]);
    expect(ids('from=2026-11-15&q=*')).toEqual(['pr_j11']);
    expect(ids(NOVEMBER, 'supervisorOfTwo')).toEqual(['pr_e55', 'pr_f66', 'pr_g77', 'pr_k12']);
    expect(ids(NOVEMBER, 'agent')).toEqual(['pr_a77', 'pr_b12']);
  });
});
