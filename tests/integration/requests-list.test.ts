import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { parseFilters } from '../../app/read/filters';
import {
  LIST_SORT_KEYS,
  LIST_SORTS,
  ListOptionError,
  type ListSort,
  parseListOptions,
  type SortOrder,
} from '../../app/read/request-list/options.server';
import { FEW_MATCHES } from '../../app/read/request-list/plan.server';
import { listPaymentRequests, type PaymentRequestPage } from '../../app/read/request-list/request-list.server';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { closeDatabase, type Db, openDatabase, openDatabaseUrl } from '../../db/client';
import { agents, ON_POSTGRES, paymentRequests, teams } from '../../db/tables';
import { closeTestDb, createTestDb } from '../support/db';
import { type CreatedOptions, created, MINUTE, step, T0 } from '../support/events';
import { postEvents, startServer, type TestServer } from '../support/server';

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const FEW_MATCHES_LIMIT = FEW_MATCHES.limit;
/**
 * Filtered lists read few matches by id (fewMatches): on these small sets always. Each block below
 * also runs as on a large database, every filter matching "many", through the plans that walk and
 * merge the sort's indexes.
 */
const MATCHES = [
  ['few matches read by id', FEW_MATCHES_LIMIT],
  ['many matches, as on a large database', 0],
] as const;
const asMatches = (limit: number) => {
  beforeAll(() => {
    FEW_MATCHES.limit = limit;
  });
  afterAll(() => {
    FEW_MATCHES.limit = FEW_MATCHES_LIMIT;
  });
};
const DAY = 24 * 60 * MINUTE;

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const supportSupervisor: Viewer = {
  userId: 'usr_s',
  name: 'Supervisor',
  role: 'supervisor',
  scope: { kind: 'teams', teamIds: ['tm_support'] },
};
const agent17: Viewer = { userId: 'usr_a', name: 'Agent', role: 'agent', scope: { kind: 'agent', agentId: 'ag_17' } };

function createdWith(requestId: string, offset: number, options: CreatedOptions & { channel?: string }) {
  const event = created(requestId, offset, options);
  return options.channel ? { ...event, paymentRequest: { ...event.paymentRequest, channel: options.channel } } : event;
}

async function page(db: Db, query: string, viewer: Viewer = manager): Promise<PaymentRequestPage> {
  const params = new URLSearchParams(query);
  return await listPaymentRequests(db, parseFilters(params, 'UTC'), viewer, parseListOptions(params));
}
const ids = async (db: Db, query = '', viewer: Viewer = manager) =>
  (await page(db, query, viewer)).rows.map((row) => row.id);

describe.each(MATCHES)('listPaymentRequests: filters, sorts and scope on a hand-built set (%s)', (_name, limit) => {
  asMatches(limit);
  let db: Db;
  const NOW = T0 + 19 * MINUTE;

  beforeEach(async () => {
    db = (await createTestDb()).db;
    const retail = { teamId: 'tm_retail' };
    const support = { teamId: 'tm_support', agentId: 'ag_40' };
    const summary = await ingestEvents(
      db,
      [
        // paid; sent at +1m, the same instant as pr_b
        createdWith('pr_a', 0, { ...retail, amount: 1000, orderNumber: 'SO-1001' }),
        step('pr_a', 'sent', MINUTE),
        step('pr_a', 'paid', 3 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
        // opened at +5m: open until +20m
        createdWith('pr_b', 0, { ...retail, agentId: 'ag_18', amount: 2000, currency: 'EUR', orderNumber: 'SO-1002' }),
        step('pr_b', 'sent', MINUTE),
        step('pr_b', 'opened', 5 * MINUTE),
        // declined, by SMS, in another team
        createdWith('pr_c', 2 * MINUTE, { ...support, amount: 500, orderNumber: 'SO-2001', channel: 'sms' }),
        step('pr_c', 'sent', 2 * MINUTE),
        step('pr_c', 'declined', 4 * MINUTE),
        // never sent: the failed send expires at +8m
        createdWith('pr_d', 3 * MINUTE, { ...support, amount: 700, currency: 'JPY', orderNumber: 'SO-2002' }),
        step('pr_d', 'send_failed', 3 * MINUTE, { reason: 'number unreachable' }),
        // never sent, still created; the same amount as pr_a
        createdWith('pr_e', 5 * MINUTE, { ...retail, amount: 1000, orderNumber: 'SO-1003' }),
        // sent at +18m: waiting for the customer
        createdWith('pr_f', 6 * MINUTE, { ...retail, amount: 3000, orderNumber: 'SO-1004' }),
        step('pr_f', 'sent', 18 * MINUTE),
        // the day before, canceled
        createdWith('pr_g', -DAY, { ...retail, agentId: 'ag_18', amount: 1500, orderNumber: 'SO-0999' }),
        step('pr_g', 'sent', -DAY + MINUTE),
        step('pr_g', 'canceled', -DAY + 2 * MINUTE),
      ],
      'api',
      { now: NOW, settings },
    );
    expect(summary.rejected).toBe(0);
  });
  afterEach(() => closeTestDb(db));

  it('lists every request, never-sent ones last, newest sent first by default', async () => {
    const result = await page(db, '');
    expect(result.rows.map((row) => [row.id, row.status])).toEqual([
      ['pr_f', 'sent'],
      ['pr_c', 'declined'],
      ['pr_b', 'opened'],
      ['pr_a', 'paid'],
      ['pr_g', 'canceled'],
      ['pr_e', 'created'],
      ['pr_d', 'expired'],
    ]);
    expect(result.nextCursor).toBeNull();
    expect(result.prevCursor).toBeNull();
  });

  it('answers each row in the API shape, phone masked, times ISO', async () => {
    const row = (await page(db, 'q=pr_a')).rows[0];
    expect(row).toEqual({
      id: 'pr_a',
      status: 'paid',
      statusLabel: 'Paid',
      agent: { id: 'ag_17', name: 'Thandi Mokoena' },
      team: { id: 'tm_retail', name: 'Retail' },
      amount: 1000,
      currency: 'USD',
      channel: 'whatsapp',
      orderNumber: 'SO-1001',
      customer: { phone: '•••••••4567' },
      createdAt: '2026-11-20T10:00:00.000Z',
      sentAt: '2026-11-20T10:01:00.000Z',
      openedAt: null,
      closedAt: '2026-11-20T10:03:00.000Z',
      expiresAt: '2026-11-20T10:06:00.000Z',
    });
  });

  it('applies the sentAt range only when from or to is given (SPEC §3)', async () => {
    expect(await ids(db, 'from=2026-11-20&to=2026-11-20')).toEqual(['pr_f', 'pr_c', 'pr_b', 'pr_a']);
    expect(await ids(db, 'to=2026-11-19')).toEqual(['pr_g']);
    // 10:01Z is 12:01 in Johannesburg, the same day; 2026-11-19 there ends at 22:00Z.
    expect(await ids(db, 'from=2026-11-19&to=2026-11-19&tz=Africa/Johannesburg')).toEqual(['pr_g']);
  });

  it('filters on status, team, agent, channel, currency and q', async () => {
    expect(await ids(db, 'status=paid&status=opened')).toEqual(['pr_b', 'pr_a']);
    expect(await ids(db, 'status=created,expired')).toEqual(['pr_e', 'pr_d']);
    expect(await ids(db, 'team=tm_support')).toEqual(['pr_c', 'pr_d']);
    expect(await ids(db, 'agent=ag_18')).toEqual(['pr_b', 'pr_g']);
    expect(await ids(db, 'channel=sms')).toEqual(['pr_c']);
    expect(await ids(db, 'currency=JPY&currency=EUR')).toEqual(['pr_b', 'pr_d']);
    expect(await ids(db, 'q=SO-100')).toEqual(['pr_f', 'pr_b', 'pr_a', 'pr_e']);
    expect(await ids(db, 'q=so-100')).toEqual(['pr_f', 'pr_b', 'pr_a', 'pr_e']);
    expect(await ids(db, 'q=PR_C')).toEqual(['pr_c']);
    expect(await ids(db, 'q=SO-2002')).toEqual(['pr_d']);
    expect(await ids(db, 'q=SO-9')).toEqual([]);
    expect(await ids(db, 'q=%25')).toEqual([]);
    // q is a substring (SPEC §3), not only a prefix: of the order number, the id.
    expect(await ids(db, 'q=1002')).toEqual(['pr_b']);
    expect(await ids(db, 'q=R_C')).toEqual(['pr_c']);
    expect(await ids(db, 'team=tm_retail&status=paid,canceled&currency=USD')).toEqual(['pr_a', 'pr_g']);
  });

  it('sorts on every key, both ways, nulls lowest and ties by id', async () => {
    const expected: Record<ListSort, string[]> = {
      sentAt: ['pr_d', 'pr_e', 'pr_g', 'pr_a', 'pr_b', 'pr_c', 'pr_f'],
      createdAt: ['pr_g', 'pr_a', 'pr_b', 'pr_c', 'pr_d', 'pr_e', 'pr_f'],
      openedAt: ['pr_a', 'pr_c', 'pr_d', 'pr_e', 'pr_f', 'pr_g', 'pr_b'],
      closedAt: ['pr_b', 'pr_e', 'pr_f', 'pr_g', 'pr_a', 'pr_c', 'pr_d'],
      // pr_e was never sent (no expiry); pr_g's link ran from the day before
      expiresAt: ['pr_e', 'pr_g', 'pr_a', 'pr_c', 'pr_d', 'pr_b', 'pr_f'],
      amount: ['pr_b', 'pr_d', 'pr_c', 'pr_a', 'pr_e', 'pr_g', 'pr_f'],
      status: ['pr_g', 'pr_e', 'pr_c', 'pr_d', 'pr_b', 'pr_a', 'pr_f'],
      agent: ['pr_e', 'pr_a', 'pr_f', 'pr_g', 'pr_b', 'pr_d', 'pr_c'],
      team: ['pr_e', 'pr_g', 'pr_a', 'pr_b', 'pr_f', 'pr_d', 'pr_c'],
      channel: ['pr_c', 'pr_d', 'pr_e', 'pr_g', 'pr_a', 'pr_b', 'pr_f'],
      orderNumber: ['pr_g', 'pr_a', 'pr_b', 'pr_e', 'pr_f', 'pr_c', 'pr_d'],
    };
    for (const sort of LIST_SORT_KEYS) {
      expect(await ids(db, `sort=${sort}&order=asc`), `${sort} asc`).toEqual(expected[sort]);
      expect(await ids(db, `sort=${sort}&order=desc`), `${sort} desc`).toEqual([...expected[sort]].reverse());
    }
  });

  it('sorts a sentAt range by times that follow it, a close after the range end included', async () => {
    const late = [
      createdWith('pr_h', -DAY + 13 * 60 * MINUTE, { amount: 900, orderNumber: 'SO-0998' }),
      step('pr_h', 'sent', -DAY + 13 * 60 * MINUTE + 58 * MINUTE),
      step('pr_h', 'declined', -DAY + 14 * 60 * MINUTE + 2 * MINUTE),
    ];
    expect((await ingestEvents(db, late, 'api', { now: NOW, settings })).rejected).toBe(0);
    // pr_h was sent at 23:58 on the 19th and declined at 00:02 on the 20th.
    expect(await ids(db, 'to=2026-11-19&sort=closedAt&order=desc')).toEqual(['pr_h', 'pr_g']);
    expect(await ids(db, 'to=2026-11-19&sort=closedAt&order=asc')).toEqual(['pr_g', 'pr_h']);
    expect(await ids(db, 'from=2026-11-20&sort=closedAt&order=asc')).toEqual(['pr_b', 'pr_f', 'pr_a', 'pr_c']);
    expect(await ids(db, 'from=2026-11-20&to=2026-11-20&sort=closedAt&order=desc')).toEqual([
      'pr_c',
      'pr_a',
      'pr_f',
      'pr_b',
    ]);
    expect(await ids(db, 'from=2026-11-20&to=2026-11-20&sort=openedAt&order=desc')).toEqual([
      'pr_b',
      'pr_f',
      'pr_c',
      'pr_a',
    ]);
    expect(await ids(db, 'from=2026-11-19&to=2026-11-19&sort=expiresAt&order=asc')).toEqual(['pr_g', 'pr_h']);
  });

  it('keeps each viewer to their scope; a filter never widens it', async () => {
    expect(await ids(db, '', supportSupervisor)).toEqual(['pr_c', 'pr_d']);
    expect(await ids(db, 'team=tm_retail', supportSupervisor)).toEqual([]);
    expect(await ids(db, 'q=pr_a', supportSupervisor)).toEqual([]);
    expect(await ids(db, '', agent17)).toEqual(['pr_f', 'pr_a', 'pr_e']);
    expect(await ids(db, 'agent=ag_18', agent17)).toEqual([]);
    const nobody: Viewer = { ...supportSupervisor, scope: { kind: 'teams', teamIds: [] } };
    expect(await ids(db, '', nobody)).toEqual([]);
  });

  it('refuses bad options naming the field', async () => {
    const fieldOf = async (query: string) => {
      try {
        await page(db, query);
      } catch (error) {
        if (error instanceof ListOptionError) return error.field;
        throw error;
      }
      return null;
    };
    expect(await fieldOf('limit=501')).toBe('limit');
    expect(await fieldOf('limit=0')).toBe('limit');
    expect(await fieldOf('limit=ten')).toBe('limit');
    expect(await fieldOf('limit=500')).toBeNull();
    expect(await fieldOf('sort=reason')).toBe('sort');
    expect(await fieldOf('order=up')).toBe('order');
    expect(await fieldOf('cursor=not-a-cursor')).toBe('cursor');
    expect(await fieldOf(`cursor=${Buffer.from('{"s":"sentAt"}').toString('base64url')}`)).toBe('cursor');
    const { nextCursor } = await page(db, 'limit=2');
    expect(await fieldOf(`limit=2&cursor=${nextCursor}`)).toBeNull();
    expect(await fieldOf(`limit=2&sort=amount&cursor=${nextCursor}`)).toBe('cursor');
    expect(await fieldOf(`limit=2&order=asc&cursor=${nextCursor}`)).toBe('cursor');
  });
});

describe.each(MATCHES)('listPaymentRequests: cursor paging visits every row exactly once (%s)', (_name, limit) => {
  asMatches(limit);
  let db: Db;
  let file: string;
  const COUNT = 41;
  const NOW = T0 + 16 * MINUTE;

  beforeAll(async () => {
    ({ db, file } = await createTestDb());
    const events: unknown[] = [];
    for (let i = 0; i < COUNT; i++) {
      const id = `pr_${String(i).padStart(2, '0')}`;
      const agentNumber = i % 3;
      events.push(
        createdWith(id, (i % 5) * MINUTE, {
          agentId: `ag_${agentNumber}`,
          // Names in another order than the ids: sort=agent|team follow the names.
          agentName: ['Zola Zulu', 'aisha Patel', 'Émile Roux'][agentNumber],
          teamId: agentNumber === 2 ? 'tm_b' : 'tm_a',
          teamName: agentNumber === 2 ? 'Collections' : 'Wholesale',
          amount: [1000, 2000, 1000, 500][i % 4],
          currency: i % 2 ? 'EUR' : 'USD',
          orderNumber: `SO-${i % 7}`,
          channel: i % 4 === 1 ? 'sms' : 'whatsapp',
        }),
      );
      // Every sixth request is never sent; the others share four send instants (many ties).
      if (i % 6 === 0) continue;
      const sentAt = (10 + (i % 4)) * MINUTE;
      events.push(step(id, 'sent', sentAt));
      if (i % 3 === 0) events.push(step(id, 'paid', sentAt + MINUTE));
      else if (i % 5 === 0) events.push(step(id, 'opened', sentAt + MINUTE));
    }
    expect((await ingestEvents(db, events, 'api', { now: NOW, settings })).rejected).toBe(0);
    stored = (
      await db
        .select()
        .from(paymentRequests)
        .innerJoin(agents, eq(agents.id, paymentRequests.agentId))
        .innerJoin(teams, eq(teams.id, paymentRequests.teamId))
    ).map((row) => ({ ...row.payment_requests, agentName: row.agents.name, teamName: row.teams.name }));
  });
  afterAll(() => closeTestDb(db));

  type Row = typeof paymentRequests.$inferSelect & { agentName: string; teamName: string };
  /** Every stored request with its agent's and team's names, read once after the ingest. */
  let stored: Row[] = [];
  const names = new Intl.Collator('en', { numeric: true });

  /** The documented order, computed independently: names as people read them, NULL lowest, then id. */
  function expectedOrder(sort: ListSort, order: SortOrder, keep: (row: Row) => boolean = () => true): string[] {
    const rows = stored.filter(keep);
    const fields = [...LIST_SORTS[sort].map((c) => c.field), 'id' as const];
    const compare = (a: Row, b: Row) => {
      for (const field of fields) {
        const x = a[field];
        const y = b[field];
        if (x === y) continue;
        if (x === null) return -1;
        if (y === null) return 1;
        if (field === 'agentName' || field === 'teamName') return names.compare(String(x), String(y));
        return x < y ? -1 : 1;
      }
      return 0;
    };
    const sorted = rows.sort(compare).map((row) => row.id);
    return order === 'asc' ? sorted : sorted.reverse();
  }

  it.each(LIST_SORT_KEYS.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order] as const)))(
    'sort=%s order=%s, forward and back',
    async (sort, order) => {
      const expected = expectedOrder(sort, order);
      expect(expected).toHaveLength(COUNT);
      expect(await ids(db, `sort=${sort}&order=${order}&limit=500`)).toEqual(expected);

      const pages: string[][] = [];
      let cursor: string | null = null;
      let last: PaymentRequestPage | null = null;
      do {
        last = await page(db, `sort=${sort}&order=${order}&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        pages.push(last.rows.map((row) => row.id));
        expect(last.prevCursor === null).toBe(pages.length === 1);
        cursor = last.nextCursor;
      } while (cursor && pages.length < 20);
      expect(pages.flat()).toEqual(expected);
      expect(pages).toHaveLength(Math.ceil(COUNT / 4));

      // Back from the last page with prevCursor: the same pages in reverse.
      const back: string[][] = [pages.at(-1)!];
      let previous = last.prevCursor;
      while (previous) {
        const earlier = await page(db, `sort=${sort}&order=${order}&limit=4&cursor=${previous}`);
        back.unshift(earlier.rows.map((row) => row.id));
        expect(earlier.nextCursor).not.toBeNull();
        previous = earlier.prevCursor;
      }
      expect(back).toEqual(pages);
    },
  );

  // Lists constrained to several teams, agents or statuses are read one value at a time and merged.
  it.each([
    ['supervisor of two teams', { kind: 'teams', teamIds: ['tm_a', 'tm_b'] }, '', () => true],
    ['two agents', { kind: 'all' }, 'agent=ag_0&agent=ag_2', (row: Row) => row.agentId !== 'ag_1'],
    [
      'statuses',
      { kind: 'all' },
      'status=sent,paid,expired',
      (row: Row) => ['sent', 'paid', 'expired'].includes(row.status),
    ],
  ] as const)('sentAt pages merge for %s', async (_name, scope, query, keep) => {
    const viewer: Viewer = { ...manager, scope: scope as Viewer['scope'] };
    for (const order of ['asc', 'desc'] as const) {
      const expected = expectedOrder('sentAt', order, keep);
      expect(await ids(db, `${query}&order=${order}&limit=500`, viewer)).toEqual(expected);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const result: PaymentRequestPage = await page(
          db,
          `${query}&order=${order}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          viewer,
        );
        seen.push(...result.rows.map((row) => row.id));
        cursor = result.nextCursor;
      } while (cursor && seen.length <= COUNT);
      expect(seen).toEqual(expected);
    }
  });

  // SQLite's statements, captured on its connection: which query shape the list runs once the index exists.
  it.skipIf(ON_POSTGRES)('merges status pages once an index (status, sent_at) exists', async () => {
    db.$client.exec('CREATE INDEX test_status_sent_idx ON payment_requests (status, sent_at)');
    // A new connection: indexes are looked up once per connection.
    const indexed = openDatabase(file);
    // Many matches (the plan of a large database): a few are read through the primary key instead.
    const limit = FEW_MATCHES.limit;
    FEW_MATCHES.limit = 0;
    const statements: string[] = [];
    const prepare = indexed.$client.prepare.bind(indexed.$client);
    indexed.$client.prepare = ((source: string) => {
      statements.push(source);
      return prepare(source);
    }) as typeof prepare;
    try {
      const expected = expectedOrder('sentAt', 'desc', (row) => row.status === 'sent' || row.status === 'paid');
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const result: PaymentRequestPage = await page(
          indexed,
          `status=sent,paid&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        paged.push(...result.rows.map((row) => row.id));
        cursor = result.nextCursor;
      } while (cursor && paged.length <= COUNT);
      expect(paged).toEqual(expected);
      expect(statements.some((source) => source.includes('"payment_requests"."status" = ?'))).toBe(true);
    } finally {
      FEW_MATCHES.limit = limit;
      indexed.$client.close();
      db.$client.exec('DROP INDEX test_status_sent_idx');
    }
  });

  it.each(LIST_SORT_KEYS)('sort=%s within a sentAt range pages like the whole list filtered', async (sort) => {
    const inRange = (row: Row) => row.sentAt !== null && row.sentAt >= Date.parse('2026-11-20T00:00:00Z');
    for (const order of ['asc', 'desc'] as const) {
      const expected = expectedOrder(sort, order, inRange);
      expect(expected.length).toBeGreaterThan(20);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query = `from=2026-11-20&to=2026-11-20&sort=${sort}&order=${order}&limit=6`;
        const result: PaymentRequestPage = await page(db, `${query}${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...result.rows.map((row) => row.id));
        cursor = result.nextCursor;
      } while (cursor && seen.length <= COUNT);
      expect(seen, `${sort} ${order}`).toEqual(expected);
    }
  });

  it('pages a filtered list and ends with no next cursor', async () => {
    const first = await page(db, 'status=paid&limit=4');
    const second = await page(db, `status=paid&limit=4&cursor=${first.nextCursor}`);
    const all = await ids(db, 'status=paid');
    expect(all).toEqual(['pr_39', 'pr_27', 'pr_15', 'pr_03', 'pr_33', 'pr_21', 'pr_09']);
    expect([...first.rows, ...second.rows].map((row) => row.id)).toEqual(all);
    expect(second.nextCursor).toBeNull();
  });
});

describe('listPaymentRequests: a search that matches thousands of requests', () => {
  it('pages q=SO-7 sorted by amount the same as the matches sorted in memory', async () => {
    const { db } = await createTestDb();
    try {
      const events = Array.from({ length: 2300 }, (_, i) =>
        createdWith(`pr_q${i}`, (i % 50) * MINUTE, {
          orderNumber: i % 10 === 0 ? `SO-8${i}` : `SO-7${i}`,
          amount: 100 + (i % 37),
          currency: i % 3 ? 'USD' : 'EUR',
        }),
      );
      expect((await ingestEvents(db, events, 'api', { now: T0 + 60 * MINUTE, settings })).rejected).toBe(0);
      const matches = (await db.select().from(paymentRequests))
        .filter((row) => row.orderNumber.startsWith('SO-7'))
        .sort((a, b) =>
          a.currency < b.currency ? 1 : a.currency > b.currency ? -1 : b.amount - a.amount || (a.id < b.id ? 1 : -1),
        )
        .map((row) => row.id);
      expect(matches).toHaveLength(2070);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const result: PaymentRequestPage = await page(
          db,
          `q=so-7&sort=amount&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...result.rows.map((row) => row.id));
        cursor = result.nextCursor;
      } while (cursor);
      expect(seen).toEqual(matches);
      expect((await ids(db, 'q=SO-81')).slice(0, 3)).toEqual(['pr_q1990', 'pr_q1980', 'pr_q1970']);
    } finally {
      await closeTestDb(db);
    }
  });
});

describe('GET /api/v1/payment-requests', () => {
  let server: TestServer;
  // Set once the server is up: taken when the file loads, the requests sent 4 minutes before were
  // already near their 5-minute expiry by the time this block ran after the file's other tests.
  let now = 0;
  const iso = (offset: number) => new Date(now + offset).toISOString();
  const event = (requestId: string, type: string, offset: number, data = {}) => ({
    id: `evt_${requestId}_${type}`,
    type: `payment_request.${type}`,
    occurredAt: iso(offset),
    paymentRequest: { id: requestId },
    data,
  });
  const createdEvent = (requestId: string, teamId: string, orderNumber: string) => ({
    ...created(requestId, 0, { teamId, agentId: teamId === 'tm_retail' ? 'ag_17' : 'ag_40', orderNumber }),
    occurredAt: iso(-10 * MINUTE),
  });

  async function tokenFor(role: 'manager' | 'supervisor', teamIds?: string[]) {
    const db = openDatabaseUrl(server.dbFile);
    const { token } = await createServiceToken(db, { role, name: `${role} test`, teamIds });
    await closeDatabase(db);
    return token;
  }
  const get = (query: string, token?: string) =>
    fetch(`${server.url}/api/v1/payment-requests${query}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    server = await startServer();
    now = Date.now();
    const body = JSON.stringify([
      createdEvent('pr_h1', 'tm_retail', 'SO-5001'),
      event('pr_h1', 'sent', -9 * MINUTE),
      event('pr_h1', 'paid', -8 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
      createdEvent('pr_h2', 'tm_support', 'SO-5002'),
      event('pr_h2', 'sent', -4.5 * MINUTE),
      createdEvent('pr_h3', 'tm_retail', 'SO-5003'),
      event('pr_h3', 'sent', -4 * MINUTE),
    ]);
    expect((await postEvents(server, body)).status).toBe(200);
  });
  afterAll(() => server.stop());

  it('asks for a bearer token or session', async () => {
    const response = await get('');
    expect(response.status).toBe(401);
  });

  it('lists with filters, sort and cursor for a manager', async () => {
    const token = await tokenFor('manager');
    const first = await get('?limit=2', token);
    expect(first.status).toBe(200);
    const body = (await first.json()) as PaymentRequestPage;
    expect(body.rows.map((row) => row.id)).toEqual(['pr_h3', 'pr_h2']);
    expect(body.rows[0]).toMatchObject({
      status: 'sent',
      statusLabel: 'Waiting for customer',
      sentAt: iso(-4 * MINUTE),
    });
    const second = (await (await get(`?limit=2&cursor=${body.nextCursor}`, token)).json()) as PaymentRequestPage;
    expect(second.rows.map((row) => row.id)).toEqual(['pr_h1']);
    expect(second.nextCursor).toBeNull();
    const search = (await (await get('?q=so-5001&status=paid', token)).json()) as PaymentRequestPage;
    expect(search.rows.map((row) => [row.id, row.customer.phone])).toEqual([['pr_h1', '•••••••4567']]);
    const sorted = (await (await get('?sort=orderNumber&order=asc', token)).json()) as PaymentRequestPage;
    expect(sorted.rows.map((row) => row.orderNumber)).toEqual(['SO-5001', 'SO-5002', 'SO-5003']);
  });

  it('keeps a supervisor to their teams', async () => {
    const token = await tokenFor('supervisor', ['tm_support']);
    const body = (await (await get('', token)).json()) as PaymentRequestPage;
    expect(body.rows.map((row) => row.id)).toEqual(['pr_h2']);
  });

  it('answers 400 naming the field for bad sort, order, limit, cursor and filters', async () => {
    const token = await tokenFor('manager');
    const formerAgentCursor = Buffer.from(
      JSON.stringify({ s: 'agent', o: 'asc', d: 'next', k: ['ag_17', now - 9 * MINUTE], i: 'pr_h1' }),
    ).toString('base64url');
    for (const [query, field] of [
      ['?limit=501', 'limit'],
      ['?sort=customer', 'sort'],
      ['?order=sideways', 'order'],
      ['?cursor=bm9wZQ', 'cursor'],
      // A cursor of sort=agent from when it ordered by the agent id: (agentId, sentAt), no name.
      [`?sort=agent&order=asc&cursor=${formerAgentCursor}`, 'cursor'],
      ['?status=lost', 'status'],
      ['?from=2026-02-30', 'from'],
    ] as const) {
      const response = await get(query, token);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { field: string } }).error).toMatchObject({ field });
    }
  });

  it('answers 400 naming sort, order, limit or cursor given twice, not the first taken silently', async () => {
    const token = await tokenFor('manager');
    const cursor = ((await (await get('?limit=1', token)).json()) as PaymentRequestPage).nextCursor;
    for (const [query, field] of [
      ['?sort=amount&sort=sentAt', 'sort'],
      ['?order=asc&sort=amount&order=desc', 'order'],
      ['?limit=1&limit=500', 'limit'],
      [`?limit=1&cursor=${cursor}&cursor=${cursor}`, 'cursor'],
    ] as const) {
      const response = await get(query, token);
      expect([query, response.status, await response.json()]).toEqual([
        query,
        400,
        { error: { code: 'invalid_parameter', field, message: `${field}: is given more than once` } },
      ]);
    }
    // An empty repeat is no value: the one given counts.
    const sorted = (await (await get('?sort=&sort=orderNumber&order=asc&order=', token)).json()) as PaymentRequestPage;
    expect(sorted.rows.map((row) => row.orderNumber)).toEqual(['SO-5001', 'SO-5002', 'SO-5003']);
  });
});
