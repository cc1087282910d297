import type { Viewer } from '../app/domain/access';
import { parseFilters } from '../app/read/filters';
import { LIST_SORT_KEYS, parseListOptions } from '../app/read/request-list/options.server';
import { listPaymentRequests } from '../app/read/request-list/request-list.server';
import { type Db, openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { benchDatabase } from './_database';
import { rank } from './_stats';
import type { BenchOptions, BenchResult, BenchRow } from './types';

/**
 * The request list (GET /api/v1/payment-requests, /requests) on a large database. Goal: a page in
 * p95 ≤ 20 ms with 1M requests. Reads BENCH_DB (seeded when missing, see _database.ts):
 *   BENCH_DB=/path/to/app.db npm run bench -- requests-list
 * Times are in-process (query, paging and serialisation), after a warm-up read of each scenario.
 */
const DAY = 86_400_000;

function summarise(name: string, samples: number[], note?: string): BenchRow {
  const sorted = [...samples].sort((a, b) => a - b);
  return { name, samples: sorted.length, p50Ms: rank(sorted, 0.5), p95Ms: rank(sorted, 0.95), note };
}

interface Scenario {
  name: string;
  viewer: Viewer;
  /** Query strings of the first pages; each is paged forward `pages` times. */
  queries: string[];
  pages: number;
  /** Also walk back with prevCursor from the last page reached. */
  back?: boolean;
}

async function timePages(db: Db, scenario: Scenario, orgZone: string): Promise<number[]> {
  const samples: number[] = [];
  const read = async (params: URLSearchParams) => {
    const started = performance.now();
    const result = await listPaymentRequests(
      db,
      parseFilters(params, orgZone),
      scenario.viewer,
      parseListOptions(params),
    );
    samples.push(performance.now() - started);
    return result;
  };
  for (const query of scenario.queries) {
    const base = new URLSearchParams(query);
    // Warm-up: the first read of a query pays for the pages it brings into the cache.
    await listPaymentRequests(db, parseFilters(base, orgZone), scenario.viewer, parseListOptions(base));
    let result = await read(base);
    for (let page = 1; page < scenario.pages && result.nextCursor; page++) {
      const params = new URLSearchParams(base);
      params.set('cursor', result.nextCursor);
      result = await read(params);
    }
    if (scenario.back) {
      for (let page = 1; page < scenario.pages && result.prevCursor; page++) {
        const params = new URLSearchParams(base);
        params.set('cursor', result.prevCursor);
        result = await read(params);
      }
    }
  }
  return samples;
}

function topValues(db: Db, column: 'team_id' | 'agent_id', limit: number): string[] {
  // Small tables give the candidates; counts come from the index (team_id|agent_id, sent_at).
  const table = column === 'team_id' ? 'teams' : 'agents';
  return (db.$client.prepare(`SELECT id FROM ${table} ORDER BY id`).all() as { id: string }[])
    .map(({ id }) => ({
      id,
      n: (db.$client.prepare(`SELECT count(*) AS n FROM payment_requests WHERE ${column} = ?`).get(id) as { n: number })
        .n,
    }))
    .sort((a, b) => b.n - a.n)
    .slice(0, limit)
    .map(({ id }) => id);
}

function isoDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const FILE = benchDatabase('requests-list', options);
  const db = openDatabase(FILE);
  // The list reads through indexes that migrations add (0007: the name sorts' (owner, sent_at, id)).
  migrateDatabase(db);
  try {
    const total = (db.$client.prepare('SELECT count(*) AS n FROM payment_requests').get() as { n: number }).n;
    const lastSent = (
      db.$client.prepare('SELECT max(sent_at) AS t FROM payment_requests').get() as { t: number | null }
    ).t;
    if (total === 0 || lastSent === null)
      return { rows: [{ name: 'request list: empty database', samples: 0, p50Ms: 0, p95Ms: 0 }] };
    const teams = topValues(db, 'team_id', 3);
    const agents = topValues(db, 'agent_id', 3);
    // A row well inside the data, whatever its size (--quick has 10,000 requests).
    const nth = (n: number) => Math.min(n, total - 1);
    const orderNumber = (
      db.$client
        .prepare('SELECT order_number AS o FROM payment_requests ORDER BY rowid LIMIT 1 OFFSET ?')
        .get(nth(4321)) as { o: string }
    ).o;
    const requestId = (
      db.$client.prepare('SELECT id FROM payment_requests ORDER BY rowid LIMIT 1 OFFSET ?').get(nth(98765)) as {
        id: string;
      }
    ).id;
    const from90 = isoDay(lastSent - 89 * DAY);
    const from7 = isoDay(lastSent - 6 * DAY);
    const to = isoDay(lastSent);

    const manager: Viewer = { userId: 'bench', name: 'Bench', role: 'manager', scope: { kind: 'all' } };
    const supervisor: Viewer = { ...manager, role: 'supervisor', scope: { kind: 'teams', teamIds: teams.slice(0, 2) } };
    const agent: Viewer = { ...manager, role: 'agent', scope: { kind: 'agent', agentId: agents[0]! } };
    const both = (query: string) => [`${query}&order=desc`, `${query}&order=asc`];

    const scenarios: Scenario[] = [
      {
        name: 'default list (sentAt desc), 200 pages forward and back',
        viewer: manager,
        queries: [''],
        pages: 200,
        back: true,
      },
      { name: 'supervisor of 2 teams, 100 pages', viewer: supervisor, queries: both('sort=sentAt'), pages: 50 },
      { name: 'agent, own requests, 50 pages', viewer: agent, queries: both('sort=sentAt'), pages: 25 },
      {
        name: 'last 90 days (from/to), 50 pages',
        viewer: manager,
        queries: both(`from=${from90}&to=${to}`),
        pages: 25,
      },
      ...LIST_SORT_KEYS.map((sort) => ({
        name: `sort=${sort} asc+desc, 10 pages each`,
        viewer: manager,
        queries: both(`sort=${sort}`),
        pages: 10,
      })),
      {
        name: 'supervisor, sort=amount/status/closedAt/agent/team, 5 pages each',
        viewer: supervisor,
        queries: ['amount', 'status', 'closedAt', 'agent', 'team'].flatMap((sort) => both(`sort=${sort}`)),
        pages: 5,
      },
      {
        name: 'filters (status, team, channel, currency, range, agent) with sorts',
        viewer: manager,
        queries: [
          'status=paid',
          'status=expired&status=declined',
          'status=opened',
          `team=${teams[0]}&channel=sms`,
          'currency=EUR&status=paid',
          `from=${from90}&to=${to}&agent=${agents[1]}&agent=${agents[2]}`,
          `from=${from90}&to=${to}&team=${teams[2]}&status=canceled`,
          'status=opened&status=sent&sort=amount',
          `from=${to}&to=${to}&sort=amount`,
          `from=${from90}&to=${to}&sort=closedAt&order=asc`,
          `agent=${agents[0]}&sort=amount`,
        ],
        pages: 10,
      },
      {
        name: `search q: order number, id, their start (${orderNumber.slice(0, -2)})`,
        viewer: manager,
        queries: [
          `q=${orderNumber}`,
          `q=${orderNumber.toLowerCase()}`,
          `q=${requestId}`,
          `q=${orderNumber.slice(0, -2)}`,
        ],
        pages: 3,
      },
      // q is a substring (SPEC §3): no index serves it, a page scans the rows the other conditions leave.
      {
        name: `search q: inner substring (${orderNumber.slice(4)}), customer name, no match`,
        viewer: manager,
        queries: [`q=${orderNumber.slice(4)}`, 'q=mokoena', 'q=no-such-text', `q=${orderNumber.slice(4)}&sort=agent`],
        pages: 3,
      },
      { name: 'limit=500, 20 pages', viewer: manager, queries: ['limit=500'], pages: 20 },
      // sort=agent|team walk the agents (teams) in name order: pages that cross from one to the next.
      {
        name: 'sort=agent/team, last 7 days, 20 pages forward and back',
        viewer: manager,
        queries: ['agent', 'team'].flatMap((sort) => both(`sort=${sort}&from=${from7}&to=${to}`)),
        pages: 20,
        back: true,
      },
      {
        name: 'sort=agent/team, limit=500, 20 pages forward and back',
        viewer: manager,
        queries: ['agent', 'team'].flatMap((sort) => both(`sort=${sort}&limit=500`)),
        pages: 20,
        back: true,
      },
      {
        name: 'sort=agent/team, supervisor of 2 teams, last 7 days, 10 pages forward and back',
        viewer: supervisor,
        queries: ['agent', 'team'].flatMap((sort) => both(`sort=${sort}&from=${from7}&to=${to}`)),
        pages: 10,
        back: true,
      },
      {
        name: 'sort=agent/team, an agent (own requests), 10 pages',
        viewer: agent,
        queries: ['agent', 'team'].flatMap((sort) => both(`sort=${sort}`)),
        pages: 10,
      },
      {
        name: 'sort=agent/team with filters (team, agent, status, channel, range, q)',
        viewer: manager,
        queries: ['agent', 'team'].flatMap((sort) =>
          [
            `team=${teams[0]}&team=${teams[1]}`,
            `agent=${agents[1]}&agent=${agents[2]}`,
            'status=declined',
            'status=opened&status=sent',
            `channel=sms&from=${from90}&to=${to}`,
            `q=${orderNumber.slice(0, -2)}`,
            `q=${orderNumber}`,
          ].flatMap((query) => both(`sort=${sort}&${query}`)),
        ),
        pages: 5,
      },
    ];

    const rows: BenchRow[] = [];
    const all: number[] = [];
    for (const scenario of scenarios) {
      const samples = await timePages(db, scenario, 'UTC');
      all.push(...samples);
      rows.push(summarise(scenario.name, samples));
    }
    rows.push(summarise('every page above', all, `${total.toLocaleString('en')} requests in ${FILE}`));
    return { rows };
  } finally {
    db.$client.close();
  }
}
