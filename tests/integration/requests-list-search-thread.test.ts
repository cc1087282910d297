import { renameSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { countExportAgents, countExportRequests } from '../../app/read/exports/rows.server';
import { parseFilters } from '../../app/read/filters';
import { countPaymentRequests, listPaymentRequests } from '../../app/read/request-list/request-list.server';
import { MAX_WAITING, REUSE, searchOnThread, searchThreadStats } from '../../app/read/request-list/search-pool.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { runToExit } from '../support/cli';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

// SQLite (issue 14): the request list's q scans every row its other filters leave (no index serves a
// substring). They run on a search thread (npm run build:workers, which `npm test` runs first), so a
// search at 10M requests does not hold the server's thread; the page is then read here from the ids.

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const supervisor: Viewer = { ...manager, role: 'supervisor', scope: { kind: 'teams', teamIds: ['tm_support'] } };

async function seeded(): Promise<{ db: Db; file: string }> {
  const test = await createTestDb();
  const events: unknown[] = [];
  for (let i = 0; i < 30; i++) {
    const id = `pr_s${String(i).padStart(2, '0')}`;
    const teamId = i % 3 === 0 ? 'tm_support' : 'tm_retail';
    events.push(created(id, i * MINUTE, { teamId, orderNumber: i % 10 === 7 ? `SO-77${i}` : `SO-${1000 + i}` }));
    events.push(step(id, 'sent', i * MINUTE + 10_000));
  }
  await ingestEvents(test.db, events, 'api', { now: T0 + 60 * MINUTE });
  return test;
}

/** The statements prepared on db's own connection (this thread) while `run` runs. */
async function statementsHere(db: Db, run: () => Promise<unknown>): Promise<string[]> {
  const client = db.$client;
  const prepare = client.prepare;
  const seen: string[] = [];
  client.prepare = ((text: string) => {
    seen.push(text);
    return prepare.call(client, text);
  }) as Database.Database['prepare'];
  try {
    await run();
  } finally {
    client.prepare = prepare;
  }
  return seen;
}

const search = (db: Db, query: string, viewer = manager) =>
  Promise.all([
    listPaymentRequests(db, parseFilters(new URLSearchParams(query), 'UTC'), viewer, {
      sort: 'sentAt',
      order: 'desc',
      limit: 50,
    }),
    countPaymentRequests(db, parseFilters(new URLSearchParams(query), 'UTC'), viewer),
  ]).then(([page, count]) => ({ ids: page.rows.map((row) => row.id), count }));

describe('q searches on the search thread', () => {
  it('finds the matches there and reads only their page here, in scope', async () => {
    const { db } = await seeded();
    const before = searchThreadStats().answered;
    let result: Awaited<ReturnType<typeof search>> | undefined;
    const here = await statementsHere(db, async () => {
      result = await search(db, 'q=so-77');
    });
    expect(result).toEqual({ ids: ['pr_s27', 'pr_s17', 'pr_s07'], count: { count: 3, more: false } });
    // The ids and the count: two statements answered by the thread.
    expect(searchThreadStats().answered - before).toBe(2);
    // Here, q's LIKE only ever narrows a list of ids (the page read from the thread's matches).
    const likes = here.filter((text) => /LIKE/.test(text));
    expect(likes.length).toBeGreaterThan(0);
    expect(likes.filter((text) => !/"id" in \(/i.test(text))).toEqual([]);
    // A supervisor's search stays in their teams (the scope is part of the thread's statement).
    expect(await search(db, 'q=so-77', supervisor)).toEqual({ ids: ['pr_s27'], count: { count: 1, more: false } });
  });

  it("counts the /reports page's requests and agents there", async () => {
    const { db } = await seeded();
    const filters = parseFilters(new URLSearchParams('team=tm_support'), 'UTC');
    const before = searchThreadStats().answered;
    expect(await countExportRequests(db, filters, manager)).toBe(10);
    expect(await countExportAgents(db, filters, manager)).toBe(1);
    expect(searchThreadStats().answered - before).toBe(2);
  });

  it(`lets ${MAX_WAITING} statements wait for the thread and answers the next 503 with Retry-After`, async () => {
    const { db } = await seeded();
    const calls = Array.from({ length: MAX_WAITING + 3 }, () =>
      searchOnThread(db, { sql: 'SELECT count(*) FROM payment_requests', params: [] }),
    );
    const settled = await Promise.allSettled(calls);
    expect(settled.filter((result) => result.status === 'fulfilled').map((result) => result.value)).toEqual(
      Array.from({ length: MAX_WAITING }, () => [[30]]),
    );
    const refused = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as Response] : []));
    expect(refused.map((response) => [response.status, response.headers.get('retry-after')])).toEqual(
      Array.from({ length: 3 }, () => [503, '1']),
    );
    expect(await refused[0]!.json()).toEqual({
      error: { code: 'busy', message: 'Too many list searches at once; retry shortly' },
    });
  });

  it('drops a statement still waiting for the thread when its client leaves (499, never run)', async () => {
    const { db } = await seeded();
    const statement = { sql: 'SELECT count(*) FROM payment_requests', params: [] };
    const before = searchThreadStats().answered;
    const left = new AbortController();
    const first = searchOnThread(db, statement, left.signal); // handed to the thread at once: it runs
    const queued = Array.from({ length: 5 }, () => searchOnThread(db, statement, left.signal));
    const behind = searchOnThread(db, statement);
    left.abort();
    const settled = await Promise.allSettled(queued);
    expect(
      settled.map((result) => (result.status === 'rejected' ? (result.reason as Response).status : 'ran')),
    ).toEqual([499, 499, 499, 499, 499]);
    expect([await first, await behind]).toEqual([[[30]], [[30]]]);
    expect(searchThreadStats().answered - before).toBe(2);
    // A client already gone is not queued at all.
    await expect(searchOnThread(db, statement, left.signal)).rejects.toMatchObject({ status: 499 });
    expect(searchThreadStats().answered - before).toBe(2);
  });

  it('gives the rows of a costly statement again for a while, to that statement only', async () => {
    const { db } = await seeded();
    const statement = (prefix: string) => ({
      sql: 'SELECT id FROM payment_requests WHERE order_number LIKE ? ORDER BY id',
      params: [`${prefix}%`],
    });
    const saved = { ...REUSE };
    try {
      // Every statement costly and every file large enough, kept for a long while.
      Object.assign(REUSE, { factor: 1e9, minCostMs: 0, minFileBytes: 0 });
      const before = searchThreadStats();
      expect(await searchOnThread(db, statement('SO-77'))).toEqual([['pr_s07'], ['pr_s17'], ['pr_s27']]);
      // A request that matches arrives: the same statement gets the rows it got, without the thread.
      await ingestEvents(db, [created('pr_new', 40 * MINUTE, { orderNumber: 'SO-7799' })], 'api', {
        now: T0 + 60 * MINUTE,
      });
      expect(await searchOnThread(db, statement('SO-77'))).toEqual([['pr_s07'], ['pr_s17'], ['pr_s27']]);
      // Other parameters are another statement: run there.
      expect(await searchOnThread(db, statement('SO-779'))).toEqual([['pr_new']]);
      expect(searchThreadStats().answered - before.answered).toBe(2);
      expect(searchThreadStats().reused - before.reused).toBe(1);

      // Cheaper than the threshold: run again, and the new request is there.
      Object.assign(REUSE, { minCostMs: 1e9 });
      expect(await searchOnThread(db, statement('SO-7'))).toEqual([['pr_new'], ['pr_s07'], ['pr_s17'], ['pr_s27']]);
      expect(await searchOnThread(db, statement('SO-7'))).toEqual([['pr_new'], ['pr_s07'], ['pr_s17'], ['pr_s27']]);
      expect(searchThreadStats().answered - before.answered).toBe(4);
      expect(searchThreadStats().reused - before.reused).toBe(1);
    } finally {
      Object.assign(REUSE, saved);
    }
    // As configured, a small file's statements are never reused.
    const before = searchThreadStats();
    await searchOnThread(db, statement('SO-10'));
    await searchOnThread(db, statement('SO-10'));
    expect(searchThreadStats().answered - before.answered).toBe(2);
    expect(searchThreadStats().reused - before.reused).toBe(0);
  });

  it('answers from this thread when the search thread cannot open the database', async () => {
    const { db, file } = await seeded();
    // This connection keeps the file open; a new one (the thread's) finds nothing under the name.
    renameSync(file, `${file}.moved`);
    const before = searchThreadStats().answered;
    expect(await search(db, 'q=SO-1001')).toEqual({ ids: ['pr_s01'], count: { count: 1, more: false } });
    expect(searchThreadStats().answered - before).toBe(0);
  });

  it('keeps a process up while it waits for the thread, and not once the thread is idle', async () => {
    const { db, file } = await seeded();
    await closeTestDb(db);
    // Before: an idle thread kept the process (a bench, a CLI) up for its minute of idleness (this
    // test timed out); unref'd while awaited, the process ended before the answer came (exit code 13).
    expect(await runToExit('tests/support/search-thread-child.ts', file)).toEqual({ code: 0, out: '[[30]]\n' });
  });
});
