import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { parseFilters } from '../../app/read/filters';
import { parseListOptions } from '../../app/read/request-list/options.server';
import { listPaymentRequests, type PaymentRequestPage } from '../../app/read/request-list/request-list.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { sentPeriodOf } from '../../db/sent-period';
import { paymentRequests } from '../../db/tables';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

// Issue 14: SQLite's amount index leads with the 30-day period of sent_at (db/sent-period.ts), so
// sort=amount reads each period of the range and merges them (request-list.server.ts,
// selectByPeriod). Requests sent over four periods, some never sent, amounts with many ties in two
// currencies: every page, forward and back, in every scope, must be the documented order
// (currency, amount, id), computed here in memory.

const DAY = 24 * 60 * MINUTE;
const COUNT = 90;
const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const agent2: Viewer = { userId: 'usr_a', name: 'Agent', role: 'agent', scope: { kind: 'agent', agentId: 'ag_2' } };

interface Stored {
  id: string;
  currency: string;
  amount: number;
  sentAt: number | null;
  agentId: string;
}

let db: Db;
let stored: Stored[] = [];

beforeAll(async () => {
  db = (await createTestDb()).db;
  const events: unknown[] = [];
  for (let i = 0; i < COUNT; i++) {
    const id = `pr_${String(i).padStart(2, '0')}`;
    // From 70 days before T0 to 19 days after: periods 690 to 693 (T0 is in 692).
    const at = (i - 70) * DAY + (i % 5) * MINUTE;
    events.push(
      created(id, at - MINUTE, {
        agentId: `ag_${i % 3}`,
        amount: [1000, 2000, 1000, 500, 1000][i % 5]!,
        currency: i % 4 === 1 ? 'EUR' : 'USD',
      }),
    );
    if (i % 7 !== 0) events.push(step(id, 'sent', at));
  }
  const summary = await ingestEvents(db, events, 'api', {
    now: T0 + 20 * DAY,
    settings: { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE },
  });
  expect(summary.rejected).toBe(0);
  stored = (await db.select().from(paymentRequests)).map(({ id, currency, amount, sentAt, agentId }) => ({
    id,
    currency,
    amount,
    sentAt,
    agentId,
  }));
});
afterAll(() => closeTestDb(db));

async function page(query: string, viewer: Viewer): Promise<PaymentRequestPage> {
  const params = new URLSearchParams(query);
  return await listPaymentRequests(db, parseFilters(params, 'UTC'), viewer, parseListOptions(params));
}

function expected(order: 'asc' | 'desc', keep: (row: Stored) => boolean): string[] {
  const sorted = stored
    .filter(keep)
    .sort((a, b) =>
      a.currency !== b.currency
        ? a.currency < b.currency
          ? -1
          : 1
        : a.amount - b.amount || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .map((row) => row.id);
  return order === 'asc' ? sorted : sorted.reverse();
}

/** Every page forward with limit 7, then every page back from the last: both must give `want`. */
async function expectPages(query: string, viewer: Viewer, want: string[]) {
  const pages: string[][] = [];
  let cursor: string | null = null;
  let last: PaymentRequestPage;
  do {
    last = await page(`${query}&limit=7${cursor ? `&cursor=${cursor}` : ''}`, viewer);
    pages.push(last.rows.map((row) => row.id));
    cursor = last.nextCursor;
  } while (cursor && pages.length <= COUNT);
  expect(pages.flat(), query).toEqual(want);
  const back: string[][] = [pages.at(-1)!];
  let previous = last.prevCursor;
  while (previous && back.length <= COUNT) {
    const earlier = await page(`${query}&limit=7&cursor=${previous}`, viewer);
    back.unshift(earlier.rows.map((row) => row.id));
    previous = earlier.prevCursor;
  }
  expect(back.flat(), `${query} backwards`).toEqual(want);
}

const time = (iso: string) => Date.parse(iso);

describe('sort=amount over several periods of sent_at', () => {
  it('has requests in four periods and some never sent', () => {
    const periods = new Set(stored.map((row) => (row.sentAt === null ? null : sentPeriodOf(row.sentAt))));
    expect([...periods].sort()).toEqual([690, 691, 692, 693, null]);
    expect(stored.filter((row) => row.sentAt === null)).toHaveLength(13);
  });

  it.each(['asc', 'desc'] as const)('pages the whole list (never-sent included) in order, %s', async (order) => {
    await expectPages(
      `sort=amount&order=${order}`,
      manager,
      expected(order, () => true),
    );
  });

  it.each(['asc', 'desc'] as const)('pages a range across a period boundary in order, %s', async (order) => {
    // 2026-11-03 starts period 692.
    const inRange = (row: Stored) =>
      row.sentAt !== null && row.sentAt >= time('2026-10-20T00:00:00Z') && row.sentAt < time('2026-11-16T00:00:00Z');
    const want = expected(order, inRange);
    expect(want.length).toBeGreaterThan(20);
    await expectPages(`sort=amount&order=${order}&from=2026-10-20&to=2026-11-15`, manager, want);
  });

  it("pages an agent's own requests in order, with a currency filter", async () => {
    const want = expected('desc', (row) => row.agentId === 'ag_2' && row.currency === 'USD');
    expect(want.length).toBeGreaterThan(15);
    await expectPages('sort=amount&order=desc&currency=USD', agent2, want);
  });

  it('gives an empty page for a range with no request', async () => {
    const result = await page('sort=amount&from=2025-01-01&to=2025-01-31', manager);
    expect([result.rows, result.nextCursor, result.prevCursor]).toEqual([[], null, null]);
  });
});
