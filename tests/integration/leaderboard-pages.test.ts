import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { getDashboard, type LeaderboardView } from '../../app/read/dashboard.server';
import { parseFilters } from '../../app/read/filters';
import { getAgentLeaderboard } from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step } from '../support/events';

/*
 * The dashboard's leaderboard is sorted over every agent on the server and sent a page at a time
 * (it sent every agent, sorted in the browser: tens of MB for a contact centre's thousands).
 * Agent i of 120 ("Agent 1" … "Agent 120") sends 1 + i % 3 links, of which min(i % 4, sent) are
 * paid, each i % 5 + 1 minutes after it was sent; the rest expire.
 */
const AGENTS = 120;
const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const DAY = { from: '2026-11-20', to: '2026-11-20' };
const filters = { ...parseFilters(new URLSearchParams(`from=${DAY.from}&to=${DAY.to}`), 'UTC'), ...DAY };

const sentBy = (i: number) => 1 + (i % 3);
const paidBy = (i: number) => Math.min(i % 4, sentBy(i));
const median = (i: number) => (paidBy(i) === 0 ? null : (1 + (i % 5)) * 60);

let db: Db;
beforeAll(async () => {
  db = (await createTestDb()).db;
  const events = [];
  for (let i = 1; i <= AGENTS; i++) {
    for (let n = 0; n < sentBy(i); n++) {
      const id = `pr_${i}_${n}`;
      const at = (i * 3 + n) * MINUTE;
      events.push(created(id, at, { agentId: `ag_${i}`, agentName: `Agent ${i}` }), step(id, 'sent', at + MINUTE));
      if (n < paidBy(i)) events.push(step(id, 'paid', at + MINUTE + (1 + (i % 5)) * MINUTE));
    }
  }
  const summary = await ingestEvents(db, events, 'api', {
    now: Date.parse('2026-11-21T12:00:00Z'),
    settings: { ttlUnopenedMs: 30 * MINUTE, ttlOpenedMs: 30 * MINUTE },
  });
  expect(summary.rejected).toBe(0);
}, 60_000);
afterAll(() => closeTestDb(db));

const page = async (view: LeaderboardView) => {
  const dashboard = await getDashboard(db, filters, { preset: null, ...DAY }, manager, Date.now(), view);
  return {
    ...dashboard.leaderboardPage,
    agents: dashboard.leaderboard.map((row) => Number(row.agentId.slice(3))),
  };
};
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

/*
 * The order the table gave, written out: the column's value (a null last whichever the direction),
 * agents alike in it in the rows' own order, busiest first then by name as text ("Agent 10" before
 * "Agent 9").
 */
function expected(value: (i: number) => number | null, desc: boolean): number[] {
  const asText = (a: number, b: number) => (String(a) < String(b) ? -1 : 1);
  return range(1, AGENTS).sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    if (x !== y) {
      if (x === null) return 1;
      if (y === null) return -1;
      return desc ? y - x : x - y;
    }
    return sentBy(b) - sentBy(a) || asText(a, b);
  });
}

describe('one page of the leaderboard, sorted over every agent', () => {
  it('the data is what the test says: every agent, with the sent, paid and median planned', async () => {
    const rows = await getAgentLeaderboard(db, filters, manager);
    expect(rows).toHaveLength(AGENTS);
    const agent = (i: number) => rows.find((row) => row.agentId === `ag_${i}`)!;
    expect([7, 8, 12].map((i) => [agent(i).sent, agent(i).paid, agent(i).medianSecondsToPay])).toEqual([
      [2, 2, 180],
      [3, 0, null],
      [1, 0, null],
    ]);
    expect([agent(7).conversionRate, agent(9).conversionRate, agent(13).conversionRate]).toEqual([1, 1, 0.5]);
  });

  it('busiest first (the default): page 2 holds ranks 51-100, ties by name as text', async () => {
    const second = await page({ sort: 'sent', desc: true, page: 2 });
    expect(second).toMatchObject({ total: AGENTS, page: 2, pageSize: 50 });
    expect(second.agents).toEqual(expected(sentBy, true).slice(50, 100));
    // 40 agents send 3 (ranks 1-40), 40 send 2 (41-80: 1, 10, 100, 103 … 13, 16 …, names as text), 40 send 1.
    expect(second.agents.slice(0, 12)).toEqual([16, 19, 22, 25, 28, 31, 34, 37, 4, 40, 43, 46]);
    expect(second.agents.slice(28, 34)).toEqual([94, 97, 102, 105, 108, 111]);
  });

  it('by name, A to Z and Z to A: "Agent 9" before "Agent 10" (digits by value)', async () => {
    expect((await page({ sort: 'agentName', desc: false, page: 2 })).agents).toEqual(range(51, 100));
    expect((await page({ sort: 'agentName', desc: true, page: 2 })).agents).toEqual(range(21, 70).reverse());
  });

  it('by conversion, best first and worst first: ranks 51-100', async () => {
    const conversion = (i: number) => paidBy(i) / sentBy(i);
    const best = await page({ sort: 'conversionRate', desc: true, page: 2 });
    expect(best.agents).toEqual(expected(conversion, true).slice(50, 100));
    const worst = await page({ sort: 'conversionRate', desc: false, page: 2 });
    expect(worst.agents).toEqual(expected(conversion, false).slice(50, 100));
    // By i % 12: 30 agents convert 0, 10 each 1/3, 1/2 and 2/3 (i % 12 = 2, all sending 3), 60 all they send.
    const twoThirds = [110, 14, 2, 26, 38, 50, 62, 74, 86, 98];
    expect(worst.agents.slice(0, 10)).toEqual(twoThirds);
    expect(best.agents.slice(10, 20)).toEqual(twoThirds);
  });

  it('by median time to pay: agents with nothing paid (null) come last in both directions', async () => {
    const fastest = await page({ sort: 'medianSecondsToPay', desc: false, page: 3 });
    expect(fastest).toMatchObject({ total: AGENTS, page: 3 });
    expect(fastest.agents).toEqual(expected(median, false).slice(100));
    const slowest = await page({ sort: 'medianSecondsToPay', desc: true, page: 3 });
    expect(slowest.agents).toEqual(expected(median, true).slice(100));
    // The last 20 of the 30 agents with nothing paid, in both directions: busiest first, names as text.
    const unpaid = [100, 112, 16, 28, 4, 40, 52, 64, 76, 88, 108, 12, 120, 24, 36, 48, 60, 72, 84, 96];
    expect(fastest.agents).toEqual(unpaid);
    expect(slowest.agents).toEqual(unpaid);
    const first = await page({ sort: 'medianSecondsToPay', desc: false, page: 1 });
    expect(first.agents.slice(0, 3).map(median)).toEqual([60, 60, 60]);
  });

  it('a page past the last shows the last; below the first, the first', async () => {
    const last = await page({ sort: 'sent', desc: true, page: 99 });
    expect([last.page, last.agents.length]).toEqual([3, 20]);
    expect(last.agents).toEqual(expected(sentBy, true).slice(100));
    const first = await page({ sort: 'sent', desc: true, page: 0 });
    expect([first.page, first.agents]).toEqual([1, expected(sentBy, true).slice(0, 50)]);
    expect((await page({ sort: 'sent', desc: true, page: 2, pageSize: 7 })).agents).toEqual(
      expected(sentBy, true).slice(7, 14),
    );
  });
});
