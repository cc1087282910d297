import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { compareNames } from '../../app/lib/name-order';
import { parseFilters } from '../../app/read/filters';
import { compareValues } from '../../app/read/request-list/keyset.server';
import { LIST_SORTS, type ListSort, parseListOptions } from '../../app/read/request-list/options.server';
import { countPaymentRequests, listPaymentRequests } from '../../app/read/request-list/request-list.server';
import { type Db, onPostgres } from '../../db/client';
import { agents, ON_POSTGRES, paymentRequests, teams } from '../../db/tables';
import { closeTestDb, createTestDb } from '../support/db';

// Every sort of the request list, both ways, paged forward and back, for three scopes: the same ids
// in the same pages on either engine (issue 13), NULLs lowest, ties broken by id, names by compareNames.

const T0 = Date.parse('2026-11-02T00:00:00Z');
const MINUTE = 60_000;
const STATUSES = ['created', 'sent', 'opened', 'paid', 'declined', 'expired', 'canceled', 'send_failed'] as const;
const CHANNELS = ['sms', 'whatsapp', 'email'] as const;

interface Row {
  id: string;
  agentId: string;
  teamId: string;
  status: (typeof STATUSES)[number];
  channel: (typeof CHANNELS)[number];
  currency: string;
  amount: number;
  orderNumber: string;
  createdAt: number;
  sentAt: number | null;
  openedAt: number | null;
  closedAt: number | null;
  expiresAt: number | null;
}

/** 90 requests with repeated values and NULLs in every nullable sort column. */
const ROWS: Row[] = Array.from({ length: 90 }, (_, i) => {
  const status = STATUSES[(i * 7) % STATUSES.length]!;
  const sent = status !== 'created' && status !== 'send_failed';
  return {
    id: `pr_${String((i * 37) % 90).padStart(3, '0')}`,
    agentId: ['ag_1', 'ag_2', 'ag_3'][i % 3]!,
    teamId: i % 3 === 2 ? 'tm_b' : 'tm_a',
    status,
    channel: CHANNELS[i % 3]!,
    currency: ['USD', 'EUR', 'JPY'][(i >> 1) % 3]!,
    amount: 100 * ((i * 13) % 11),
    orderNumber: `SO-${(i * 17) % 23}`,
    createdAt: T0 + ((i * 11) % 40) * MINUTE,
    sentAt: sent ? T0 + ((i * 11) % 40) * MINUTE + ((i % 4) + 1) * MINUTE : null,
    openedAt: sent && i % 2 === 0 ? T0 + (50 + (i % 9)) * MINUTE : null,
    closedAt: i % 5 === 0 ? T0 + (70 + (i % 6)) * MINUTE : null,
    expiresAt: sent && i % 3 !== 1 ? T0 + (90 + (i % 7)) * MINUTE : null,
  };
});

const manager: Viewer = { userId: 'usr_m', name: 'M', role: 'manager', scope: { kind: 'all' } };
const supervisor: Viewer = {
  userId: 'usr_s',
  name: 'S',
  role: 'supervisor',
  scope: { kind: 'teams', teamIds: ['tm_b'] },
};
const agent: Viewer = { userId: 'usr_a', name: 'A', role: 'agent', scope: { kind: 'agent', agentId: 'ag_1' } };
const VIEWERS = { manager, supervisor, agent } as const;
const visible = (viewer: Viewer, row: Row) =>
  viewer.scope.kind === 'all' ||
  (viewer.scope.kind === 'teams' && viewer.scope.teamIds.includes(row.teamId)) ||
  (viewer.scope.kind === 'agent' && viewer.scope.agentId === row.agentId);

const NAMES: Record<string, string> = { ag_1: 'One', ag_2: 'Two', ag_3: 'three', tm_a: 'Alpha', tm_b: 'beta' };
const SORTS = Object.keys(LIST_SORTS) as ListSort[];

/** A row's values of a sort's columns: a name sort's name is its agent's (team's), by compareNames. */
function sortKey(row: Row, sort: ListSort): { value: string | number | null; byName: boolean }[] {
  if (sort === 'agent' || sort === 'team') {
    const owner = sort === 'agent' ? row.agentId : row.teamId;
    return [
      { value: NAMES[owner]!, byName: true },
      { value: owner, byName: false },
      { value: row.sentAt, byName: false },
    ];
  }
  return LIST_SORTS[sort].map((column) => ({
    value: row[column.field as keyof Row] as string | number | null,
    byName: false,
  }));
}

function expectedIds(viewer: Viewer, sort: ListSort, order: 'asc' | 'desc'): string[] {
  const sign = order === 'asc' ? 1 : -1;
  return ROWS.filter((row) => visible(viewer, row))
    .sort((a, b) => {
      const [x, y] = [sortKey(a, sort), sortKey(b, sort)];
      for (const [index, { value, byName }] of x.entries()) {
        const other = y[index]!.value;
        const c = byName ? compareNames(value as string, other as string) : compareValues(value, other);
        if (c !== 0) return sign * c;
      }
      return sign * compareValues(a.id, b.id);
    })
    .map((row) => row.id);
}

const chunks = (ids: string[], size: number) =>
  Array.from({ length: Math.ceil(ids.length / size) }, (_, index) => ids.slice(index * size, (index + 1) * size));

let db: Db;

beforeAll(async () => {
  db = (await createTestDb()).db;
  await db.insert(teams).values([
    { id: 'tm_a', name: NAMES.tm_a!, createdAt: T0 },
    { id: 'tm_b', name: NAMES.tm_b!, createdAt: T0 },
  ]);
  await db.insert(agents).values([
    { id: 'ag_1', name: NAMES.ag_1!, teamId: 'tm_a', createdAt: T0 },
    { id: 'ag_2', name: NAMES.ag_2!, teamId: 'tm_a', createdAt: T0 },
    { id: 'ag_3', name: NAMES.ag_3!, teamId: 'tm_b', createdAt: T0 },
  ]);
  await db.insert(paymentRequests).values(
    ROWS.map((row) => ({
      ...row,
      reason: 'Order',
      customerPhone: '+27821234567',
      lastEventAt: row.createdAt,
      updatedAt: T0,
    })),
  );
});
afterAll(() => closeTestDb(db));

async function page(viewer: Viewer, query: string) {
  const params = new URLSearchParams(query);
  return await listPaymentRequests(db, parseFilters(params, 'UTC'), viewer, parseListOptions(params));
}

/** Every page of a query's ids, forward with nextCursor, then back from the last with prevCursor. */
async function pagesBothWays(viewer: Viewer, query: string) {
  const forward: string[][] = [];
  let current = await page(viewer, query);
  forward.push(current.rows.map((row) => row.id));
  while (current.nextCursor) {
    current = await page(viewer, `${query}&cursor=${current.nextCursor}`);
    forward.push(current.rows.map((row) => row.id));
  }
  const backward: string[][] = [current.rows.map((row) => row.id)];
  while (current.prevCursor) {
    current = await page(viewer, `${query}&cursor=${current.prevCursor}`);
    backward.unshift(current.rows.map((row) => row.id));
  }
  return { forward, backward };
}

describe('the request list on this engine', () => {
  for (const [who, viewer] of Object.entries(VIEWERS)) {
    it(`pages every sort both ways for the ${who}: the expected ids on each page, back equals forth`, async () => {
      for (const sort of SORTS) {
        for (const order of ['asc', 'desc'] as const) {
          const { forward, backward } = await pagesBothWays(viewer, `sort=${sort}&order=${order}&limit=7`);
          const expected = chunks(expectedIds(viewer, sort, order), 7);
          expect(expected.length).toBeGreaterThan(1);
          expect({ sort, order, pages: forward }).toEqual({ sort, order, pages: expected });
          expect({ sort, order, pages: backward }).toEqual({ sort, order, pages: forward });
        }
      }
    });
  }

  it('pages sort=openedAt within a range of days both ways: the never opened among the sent in it', async () => {
    // Longer than a few days: SQLite walks openedAt's order, the never opened through their own index
    // (plan.server.ts), the range tested on each.
    const sent = new Set(ROWS.filter((row) => row.sentAt !== null).map((row) => row.id));
    for (const [who, viewer] of Object.entries(VIEWERS)) {
      for (const order of ['asc', 'desc'] as const) {
        const query = `from=2026-10-26&to=2026-11-02&sort=openedAt&order=${order}&limit=4`;
        const { forward, backward } = await pagesBothWays(viewer, query);
        const expected = chunks(
          expectedIds(viewer, 'openedAt', order).filter((id) => sent.has(id)),
          4,
        );
        expect(expected.length).toBeGreaterThan(1);
        expect({ who, order, pages: forward }).toEqual({ who, order, pages: expected });
        expect({ who, order, pages: backward }).toEqual({ who, order, pages: forward });
      }
    }
  });

  it('sorts by status and channel within their filters, page by page', async () => {
    const cases = [
      {
        filter: 'status=paid&status=declined',
        sort: 'status',
        keep: (row: Row) => ['paid', 'declined'].includes(row.status),
      },
      { filter: 'channel=sms&channel=email', sort: 'channel', keep: (row: Row) => row.channel !== 'whatsapp' },
    ] as const;
    for (const { filter, sort, keep } of cases) {
      for (const order of ['asc', 'desc'] as const) {
        const kept = new Set(ROWS.filter(keep).map((row) => row.id));
        const expected = chunks(
          expectedIds(manager, sort, order).filter((id) => kept.has(id)),
          4,
        );
        expect(expected.length).toBeGreaterThan(2);
        const query = `${filter}&sort=${sort}&order=${order}&limit=4`;
        const pages: string[][] = [];
        let cursor: string | null = '';
        while (cursor !== null) {
          const current = await page(manager, cursor ? `${query}&cursor=${cursor}` : query);
          pages.push(current.rows.map((row) => row.id));
          cursor = current.nextCursor;
        }
        expect({ filter, order, pages }).toEqual({ filter, order, pages: expected });
      }
    }
  });

  it('filters by status, channel and range, and counts what it lists', async () => {
    const query =
      'status=paid&status=declined&channel=sms&from=2026-11-02&to=2026-11-02&sort=sentAt&order=asc&limit=100';
    const expected = ROWS.filter(
      (row) => ['paid', 'declined'].includes(row.status) && row.channel === 'sms' && row.sentAt !== null,
    )
      .sort((a, b) => compareValues(a.sentAt, b.sentAt) || compareValues(a.id, b.id))
      .map((row) => row.id);
    expect(expected.length).toBeGreaterThan(3);
    expect((await page(manager, query)).rows.map((row) => row.id)).toEqual(expected);
    const params = new URLSearchParams(query);
    expect(await countPaymentRequests(db, parseFilters(params, 'UTC'), manager)).toEqual({
      count: expected.length,
      more: false,
    });
    expect((await page(manager, 'q=so-1&sort=orderNumber&order=asc&limit=100')).rows.map((row) => row.id)).toEqual(
      ROWS.filter((row) => row.orderNumber.toLowerCase().includes('so-1'))
        .sort((a, b) => compareValues(a.orderNumber, b.orderNumber) || compareValues(a.id, b.id))
        .map((row) => row.id),
    );
  });
});

/** The node types of a plan and every plan under it. */
function nodeTypes(plan: { 'Node Type': string; Plans?: unknown[] }): string[] {
  return [plan['Node Type'], ...(plan.Plans ?? []).flatMap((child) => nodeTypes(child as typeof plan))];
}

describe.skipIf(!ON_POSTGRES)('the request list on PostgreSQL', () => {
  // An Incremental Sort orders only rows that tie on an index's columns (order_number, created_at:
  // one-column indexes), a few at a time; a Sort would read and sort the whole scope for each page.
  it('reads every page of every sort from an index in order: no Sort in any plan', async () => {
    if (!onPostgres(db)) throw new Error('not on PostgreSQL');
    const reads = new Map<string, { text: string; values: unknown[] }>();
    const send = pg.Client.prototype.query;
    // Every statement the list sends on any client (the read transaction holds one of the pool's).
    pg.Client.prototype.query = function (this: pg.Client, config: unknown, values?: unknown, ...rest: unknown[]) {
      const text = typeof config === 'string' ? config : (config as { text?: string }).text;
      const bound = typeof config === 'string' ? values : ((config as { values?: unknown[] }).values ?? values);
      if (text && /from "payment_requests".* order by /is.test(text)) {
        reads.set(`${text} ${JSON.stringify(bound)}`, { text, values: (bound as unknown[]) ?? [] });
      }
      return (send as (...args: unknown[]) => unknown).call(this, config, values, ...rest);
    } as typeof send;
    try {
      for (const viewer of Object.values(VIEWERS)) {
        for (const sort of Object.keys(LIST_SORTS) as ListSort[]) {
          for (const order of ['asc', 'desc'] as const) {
            const query = `sort=${sort}&order=${order}&limit=7`;
            let current = await page(viewer, query);
            for (let more = 2; more > 0 && current.nextCursor; more--) {
              current = await page(viewer, `${query}&cursor=${current.nextCursor}`);
            }
            if (current.prevCursor) await page(viewer, `${query}&cursor=${current.prevCursor}`);
          }
        }
      }
    } finally {
      pg.Client.prototype.query = send;
    }
    expect(reads.size).toBeGreaterThan(200);

    // Costs that rule out the other ways to an order, so the plan shows whether an index gives it.
    const client = await db.$pg.pool.connect();
    try {
      await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off');
      const sorted: string[] = [];
      for (const { text, values } of reads.values()) {
        const [explained] = (await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values)).rows as {
          'QUERY PLAN': { Plan: Parameters<typeof nodeTypes>[0] }[];
        }[];
        if (nodeTypes(explained!['QUERY PLAN'][0]!.Plan).includes('Sort')) sorted.push(text.replace(/^.* where /s, ''));
      }
      expect(sorted).toEqual([]);
    } finally {
      client.release(true);
    }
  });
});
