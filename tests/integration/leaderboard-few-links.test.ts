import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { MIN_SENT_TO_COMPARE } from '../../app/domain/metrics';
import { getDashboard, type LeaderboardView } from '../../app/read/dashboard.server';
import { parseFilters } from '../../app/read/filters';
import { getAgentLeaderboard } from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step } from '../support/events';

/*
 * A leaderboard sorted by a rate put an agent with 1 of 1 paid above one with 180 of 200. Agents who
 * sent fewer than the KPI cards' minimum (20) now come after those who sent enough, in rate order
 * within each group. Six agents: links sent, opened, paid, declined (the opened ones); the rest expire.
 */
const PLAN = {
  one: { name: 'Ada One', sent: 1, opened: 1, paid: 1, declined: 0 },
  big: { name: 'Ben Big', sent: 200, opened: 190, paid: 180, declined: 0 },
  nineteen: { name: 'Cy Nineteen', sent: 19, opened: 19, paid: 19, declined: 0 },
  twenty: { name: 'Di Twenty', sent: 20, opened: 12, paid: 10, declined: 0 },
  full: { name: 'Eve Full', sent: 20, opened: 20, paid: 20, declined: 0 },
  none: { name: 'Fay None', sent: 5, opened: 2, paid: 0, declined: 2 },
};
type Agent = keyof typeof PLAN;

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const DAY = { from: '2026-11-20', to: '2026-11-20' };
const filters = { ...parseFilters(new URLSearchParams(`from=${DAY.from}&to=${DAY.to}`), 'UTC'), ...DAY };

let db: Db;
beforeAll(async () => {
  db = (await createTestDb()).db;
  const events = [];
  for (const [key, plan] of Object.entries(PLAN)) {
    for (let n = 0; n < plan.sent; n++) {
      const id = `pr_${key}_${n}`;
      const at = n * MINUTE;
      events.push(created(id, at, { agentId: `ag_${key}`, agentName: plan.name }), step(id, 'sent', at + MINUTE));
      if (n < plan.opened) events.push(step(id, 'opened', at + 2 * MINUTE));
      if (n < plan.paid) events.push(step(id, 'paid', at + 3 * MINUTE));
      else if (n < plan.paid + plan.declined) events.push(step(id, 'declined', at + 3 * MINUTE));
    }
  }
  const summary = await ingestEvents(db, events, 'api', {
    now: Date.parse('2026-11-21T12:00:00Z'),
    settings: { ttlUnopenedMs: 30 * MINUTE, ttlOpenedMs: 30 * MINUTE },
  });
  expect(summary.rejected).toBe(0);
}, 60_000);
afterAll(() => closeTestDb(db));

const order = async (view: Omit<LeaderboardView, 'page'>, page = 1) => {
  const dashboard = await getDashboard(db, filters, { preset: null, ...DAY }, manager, Date.now(), { ...view, page });
  return dashboard.leaderboard.map((row) => row.agentId.slice(3) as Agent).join(' ');
};

describe('a rate sort puts agents with too few links for a fair rate after the others', () => {
  it('the data is what the test says (the threshold is the KPI cards’ 20)', async () => {
    expect(MIN_SENT_TO_COMPARE).toBe(20);
    const rows = await getAgentLeaderboard(db, filters, manager);
    const byAgent = Object.fromEntries(rows.map((row) => [row.agentId.slice(3), row]));
    const figures = (agent: Agent) => {
      const { sent, paid, conversionRate, openRate, declineRate, expiryRate } = byAgent[agent]!;
      return [sent, paid, conversionRate, openRate, declineRate, expiryRate];
    };
    expect(figures('one')).toEqual([1, 1, 1, 1, 0, 0]);
    expect(figures('big')).toEqual([200, 180, 0.9, 0.95, 0, 0.1]);
    expect(figures('nineteen')).toEqual([19, 19, 1, 1, 0, 0]);
    expect(figures('twenty')).toEqual([20, 10, 0.5, 0.6, 0, 0.5]);
    expect(figures('full')).toEqual([20, 20, 1, 1, 0, 0]);
    expect(figures('none')).toEqual([5, 0, 0, 0.4, 0.4, 0.6]);
  });

  it('by conversion, best first: 180 of 200 above 1 of 1 and 19 of 19', async () => {
    expect(await order({ sort: 'conversionRate', desc: true })).toBe('full big twenty nineteen one none');
  });

  it('by conversion, worst first: the few-link agents still come last', async () => {
    expect(await order({ sort: 'conversionRate', desc: false })).toBe('twenty big full none nineteen one');
  });

  it('open, decline and expiry rates group the same way', async () => {
    expect(await order({ sort: 'openRate', desc: true })).toBe('full big twenty nineteen one none');
    expect(await order({ sort: 'openRate', desc: false })).toBe('twenty big full none nineteen one');
    // 2 of 5 declined is the highest decline rate, but over 5 links: after the three at 0% over 20 or more.
    expect(await order({ sort: 'declineRate', desc: true })).toBe('big twenty full none nineteen one');
    expect(await order({ sort: 'expiryRate', desc: true })).toBe('twenty big full none nineteen one');
  });

  it('the groups run across pages: page 2 of 2-agent pages is the last with enough and the first with few', async () => {
    expect(await order({ sort: 'conversionRate', desc: true, pageSize: 2 }, 2)).toBe('twenty nineteen');
  });

  it('sorts by a figure are not grouped, and the API’s rows keep their busiest-first order', async () => {
    const busiest = 'big twenty full nineteen none one';
    expect(await order({ sort: 'sent', desc: true })).toBe(busiest);
    expect(await order({ sort: 'paid', desc: false })).toBe('none one twenty nineteen full big');
    const apiRows = await getAgentLeaderboard(db, filters, manager);
    expect(apiRows.map((row) => row.agentId.slice(3)).join(' ')).toBe(busiest);
  });
});
