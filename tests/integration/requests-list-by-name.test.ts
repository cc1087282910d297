import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { parseFilters } from '../../app/read/filters';
import { ListOptionError, parseListOptions } from '../../app/read/request-list/options.server';
import { listPaymentRequests, type PaymentRequestPage } from '../../app/read/request-list/request-list.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { agents, teams } from '../../db/schema';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

// sort=agent|team order by the agent's (team's) name, then its id, then sentAt (NULL lowest), then
// the request id. The names below sort differently by name than by id, and by code unit ("Zanele"
// before "aisha") than as people read them.

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const NOW = T0 + 10 * MINUTE;

const AGENTS = {
  ag_1: { name: 'Zanele Mahlangu', teamId: 'tm_z' },
  ag_2: { name: 'aisha Patel', teamId: 'tm_a' },
  ag_3: { name: 'Bongani Dube', teamId: 'tm_a' },
  ag_4: { name: 'Bongani Dube', teamId: 'tm_z' },
  ag_5: { name: 'Émile Roux', teamId: 'tm_c' },
} as const;
const TEAM_NAMES: Record<string, string> = { tm_a: 'Retail', tm_z: 'Support', tm_c: 'collections' };
type AgentId = keyof typeof AGENTS;

function request(n: number, agentId: AgentId, sentMinute: number | null, teamId: string = AGENTS[agentId].teamId) {
  const id = `pr_${String(n).padStart(2, '0')}`;
  const createdEvent = created(id, 0, {
    agentId,
    agentName: AGENTS[agentId].name,
    teamId,
    teamName: TEAM_NAMES[teamId],
    orderNumber: `SO-${1000 + n}`,
  });
  return sentMinute === null ? [createdEvent] : [createdEvent, step(id, 'sent', sentMinute * MINUTE)];
}

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const supervisorOf = (...teamIds: string[]): Viewer => ({
  userId: 'usr_s',
  name: 'Supervisor',
  role: 'supervisor',
  scope: { kind: 'teams', teamIds },
});
const agent2: Viewer = { userId: 'usr_a', name: 'Agent', role: 'agent', scope: { kind: 'agent', agentId: 'ag_2' } };

let db: Db;

async function page(query: string, viewer: Viewer = manager): Promise<PaymentRequestPage> {
  const params = new URLSearchParams(query);
  return await listPaymentRequests(db, parseFilters(params, 'UTC'), viewer, parseListOptions(params));
}
const ids = async (query: string, viewer: Viewer = manager) =>
  (await page(`${query}&limit=500`, viewer)).rows.map((row) => row.id);

/** Every page forward from the first, then every page back from the last with prevCursor. */
async function walk(query: string, viewer: Viewer = manager): Promise<{ forward: string[][]; back: string[][] }> {
  const forward: string[][] = [];
  let current = await page(query, viewer);
  expect(current.prevCursor).toBeNull();
  forward.push(current.rows.map((row) => row.id));
  while (current.nextCursor && forward.length < 50) {
    current = await page(`${query}&cursor=${current.nextCursor}`, viewer);
    forward.push(current.rows.map((row) => row.id));
  }
  const back: string[][] = [forward.at(-1)!];
  while (current.prevCursor && back.length < 50) {
    current = await page(`${query}&cursor=${current.prevCursor}`, viewer);
    expect(current.nextCursor).not.toBeNull();
    back.unshift(current.rows.map((row) => row.id));
  }
  return { forward, back };
}

async function ingest(events: unknown[]) {
  expect((await ingestEvents(db, events, 'api', { now: NOW, settings })).rejected).toBe(0);
}

beforeEach(async () => {
  db = (await createTestDb()).db;
  await ingest([
    ...request(1, 'ag_1', 5),
    ...request(2, 'ag_1', null),
    ...request(3, 'ag_2', 2),
    ...request(4, 'ag_2', 2),
    ...request(5, 'ag_2', 7),
    // ag_4 first: the agents table lists it before ag_3, its namesake.
    ...request(8, 'ag_4', 2),
    ...request(9, 'ag_4', 4),
    ...request(6, 'ag_3', 1),
    ...request(7, 'ag_3', 3),
    ...request(10, 'ag_5', 6),
    // Never sent: the send failed at +6m (its link would expire at +11m, after NOW).
    ...request(11, 'ag_5', null),
    step('pr_11', 'send_failed', 6 * MINUTE, { reason: 'number unreachable' }),
    // ag_2 also sent one for another team, before the others.
    ...request(12, 'ag_2', 1, 'tm_z'),
    step('pr_03', 'paid', 3 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
    step('pr_06', 'paid', 2 * MINUTE, { card: { brand: 'visa', last4: '4242' } }),
  ]);
});
afterEach(() => closeTestDb(db));

// aisha Patel (ag_2), Bongani Dube (ag_3), Bongani Dube (ag_4), Émile Roux (ag_5), Zanele Mahlangu (ag_1)
const BY_AGENT = [
  ...['pr_12', 'pr_03', 'pr_04', 'pr_05'],
  ...['pr_06', 'pr_07'],
  ...['pr_08', 'pr_09'],
  ...['pr_11', 'pr_10'],
  ...['pr_02', 'pr_01'],
];
// collections (tm_c), Retail (tm_a), Support (tm_z)
const BY_TEAM = [
  ...['pr_11', 'pr_10'],
  ...['pr_06', 'pr_03', 'pr_04', 'pr_07', 'pr_05'],
  ...['pr_02', 'pr_12', 'pr_08', 'pr_09', 'pr_01'],
];
const reversed = (list: string[]) => [...list].reverse();

describe('sort=agent and sort=team order by name', () => {
  it('sort=agent: by agent name, then agent id, then sentAt (never sent first), then id; desc reverses it all', async () => {
    expect(await ids('sort=agent&order=asc')).toEqual(BY_AGENT);
    expect(await ids('sort=agent&order=desc')).toEqual(reversed(BY_AGENT));
    expect(
      (await page('sort=agent&order=asc&limit=500')).rows.map((row) => `${row.agent.name} (${row.agent.id})`),
    ).toEqual([
      ...Array(4).fill('aisha Patel (ag_2)'),
      ...Array(2).fill('Bongani Dube (ag_3)'),
      ...Array(2).fill('Bongani Dube (ag_4)'),
      ...Array(2).fill('Émile Roux (ag_5)'),
      ...Array(2).fill('Zanele Mahlangu (ag_1)'),
    ]);
  });

  it('sort=team: by team name, then team id, then sentAt, then id; desc reverses it all', async () => {
    expect(await ids('sort=team&order=asc')).toEqual(BY_TEAM);
    expect(await ids('sort=team&order=desc')).toEqual(reversed(BY_TEAM));
    expect((await page('sort=team&order=asc&limit=500')).rows.map((row) => row.team.name)).toEqual([
      'collections',
      'collections',
      ...Array(5).fill('Retail'),
      ...Array(5).fill('Support'),
    ]);
  });

  it('keeps two agents of one name apart though their requests were sent in turns', async () => {
    // ag_3 sent at +1m and +3m, ag_4 at +2m and +4m: by name and time alone they would interleave.
    const { forward, back } = await walk('sort=agent&order=asc&limit=1&agent=ag_3&agent=ag_4');
    expect(forward).toEqual([['pr_06'], ['pr_07'], ['pr_08'], ['pr_09']]);
    expect(back).toEqual(forward);
  });

  it.each([
    ['sort=agent&order=asc', BY_AGENT],
    ['sort=agent&order=desc', reversed(BY_AGENT)],
    ['sort=team&order=asc', BY_TEAM],
    ['sort=team&order=desc', reversed(BY_TEAM)],
  ])('%s pages forward and back with every row once', async (query, expected) => {
    for (const limit of [1, 2, 3, 5, 12]) {
      const { forward, back } = await walk(`${query}&limit=${limit}`);
      expect(forward.flat()).toEqual(expected);
      expect(forward.slice(0, -1).every((rows) => rows.length === limit)).toBe(true);
      expect(back).toEqual(forward);
    }
    const pages = (await walk(`${query}&limit=5`)).forward;
    expect(pages).toEqual([expected.slice(0, 5), expected.slice(5, 10), expected.slice(10)]);
  });

  it('refuses a cursor of the former id order with the bad-cursor error', async () => {
    const former = Buffer.from(
      JSON.stringify({ s: 'agent', o: 'asc', d: 'next', k: ['ag_2', T0 + 2 * MINUTE], i: 'pr_04' }),
    ).toString('base64url');
    await expect(page(`sort=agent&order=asc&cursor=${former}`)).rejects.toThrow(ListOptionError);
    try {
      await page(`sort=agent&order=asc&cursor=${former}`);
    } catch (error) {
      expect((error as ListOptionError).field).toBe('cursor');
    }
  });
});

describe('sort=agent|team within scopes and filters', () => {
  it('a supervisor of two teams: only their requests, an agent who worked in both merged by time', async () => {
    const viewer = supervisorOf('tm_a', 'tm_z');
    const inScope = BY_AGENT.filter((id) => id !== 'pr_10' && id !== 'pr_11');
    expect(await ids('sort=agent&order=asc', viewer)).toEqual(inScope);
    expect(await ids('sort=agent&order=desc', viewer)).toEqual(reversed(inScope));
    const { forward, back } = await walk('sort=agent&order=asc&limit=3', viewer);
    // ag_2's request in tm_z was sent first: the two teams' ranges are merged by time.
    expect(forward).toEqual([
      ['pr_12', 'pr_03', 'pr_04'],
      ['pr_05', 'pr_06', 'pr_07'],
      ['pr_08', 'pr_09', 'pr_02'],
      ['pr_01'],
    ]);
    expect(back).toEqual(forward);
    expect(await ids('sort=team&order=desc', viewer)).toEqual([
      ...['pr_01', 'pr_09', 'pr_08', 'pr_12', 'pr_02'],
      ...['pr_05', 'pr_07', 'pr_04', 'pr_03', 'pr_06'],
    ]);
  });

  it("a supervisor of one team sees ag_2 only with that team's request", async () => {
    const viewer = supervisorOf('tm_z');
    expect(await ids('sort=agent&order=asc', viewer)).toEqual(['pr_12', 'pr_08', 'pr_09', 'pr_02', 'pr_01']);
    expect(await ids('sort=agent&order=asc&team=tm_a', viewer)).toEqual([]);
    expect(await ids('sort=team&order=asc', supervisorOf())).toEqual([]);
    expect(await ids('sort=agent&order=asc', supervisorOf())).toEqual([]);
  });

  it('an agent sees their own requests, by team name', async () => {
    expect(await ids('sort=team&order=asc', agent2)).toEqual(['pr_03', 'pr_04', 'pr_05', 'pr_12']);
    expect((await walk('sort=team&order=desc&limit=3', agent2)).forward).toEqual([
      ['pr_12', 'pr_05', 'pr_04'],
      ['pr_03'],
    ]);
    expect(await ids('sort=agent&order=asc', agent2)).toEqual(['pr_12', 'pr_03', 'pr_04', 'pr_05']);
    expect(await ids('sort=agent&order=asc&agent=ag_1', agent2)).toEqual([]);
  });

  it('team and agent filters', async () => {
    expect(await ids('sort=agent&order=asc&team=tm_c&team=tm_z')).toEqual([
      'pr_12',
      'pr_08',
      'pr_09',
      'pr_11',
      'pr_10',
      'pr_02',
      'pr_01',
    ]);
    // Two agents in two teams: each team's requests of both agents, merged by sentAt.
    const twoAgents = 'sort=team&order=asc&agent=ag_4&agent=ag_2';
    expect(await ids(twoAgents)).toEqual(['pr_03', 'pr_04', 'pr_05', 'pr_12', 'pr_08', 'pr_09']);
    const { forward, back } = await walk(`${twoAgents}&limit=2`);
    expect(forward).toEqual([
      ['pr_03', 'pr_04'],
      ['pr_05', 'pr_12'],
      ['pr_08', 'pr_09'],
    ]);
    expect(back).toEqual(forward);
    expect(await ids('sort=agent&order=desc&team=tm_a&agent=ag_3')).toEqual(['pr_07', 'pr_06']);
  });

  it('status, range and search filters', async () => {
    // In flight or never sent at NOW: few rows, read whole and sorted by name.
    const transient = 'status=sent,send_failed,created';
    expect(await ids(`sort=agent&order=asc&${transient}`)).toEqual(['pr_05', 'pr_11', 'pr_10', 'pr_02', 'pr_01']);
    const { forward, back } = await walk(`sort=agent&order=desc&${transient}&limit=4`);
    expect(forward).toEqual([['pr_01', 'pr_02', 'pr_10', 'pr_11'], ['pr_05']]);
    expect(back).toEqual(forward);
    expect(await ids('sort=team&order=asc&status=expired')).toEqual(['pr_04', 'pr_07', 'pr_12', 'pr_08', 'pr_09']);
    expect(await ids('sort=team&order=asc&status=paid')).toEqual(['pr_06', 'pr_03']);
    // sentAt in range: the never-sent ones drop out.
    const sent = BY_AGENT.filter((id) => id !== 'pr_02' && id !== 'pr_11');
    expect(await ids('sort=agent&order=asc&from=2026-11-20&to=2026-11-20')).toEqual(sent);
    expect((await walk('sort=agent&order=asc&from=2026-11-20&to=2026-11-20&limit=4')).forward.flat()).toEqual(sent);
    expect(await ids('sort=agent&order=asc&from=2026-11-21')).toEqual([]);
    expect(await ids('sort=agent&order=asc&q=so-101')).toEqual(['pr_12', 'pr_11', 'pr_10']);
    expect((await walk('sort=team&order=asc&q=SO-101&limit=1')).forward).toEqual([['pr_11'], ['pr_10'], ['pr_12']]);
  });
});

describe('sort=agent|team while data changes between page reads', () => {
  const rename = async (agentId: string, name: string) => {
    await db.update(agents).set({ name }).where(eq(agents.id, agentId));
  };

  it('an agent renamed before the cursor: its rows are not shown again going forward, and are there going back', async () => {
    const first = await page('sort=agent&order=asc&limit=3');
    expect(first.rows.map((row) => row.id)).toEqual(['pr_12', 'pr_03', 'pr_04']);
    await rename('ag_5', 'Aaron Roux');
    const second = await page(`sort=agent&order=asc&limit=3&cursor=${first.nextCursor}`);
    expect(second.rows.map((row) => row.id)).toEqual(['pr_05', 'pr_06', 'pr_07']);
    const third = await page(`sort=agent&order=asc&limit=3&cursor=${second.nextCursor}`);
    expect(third.rows.map((row) => row.id)).toEqual(['pr_08', 'pr_09', 'pr_02']);
    const fourth = await page(`sort=agent&order=asc&limit=3&cursor=${third.nextCursor}`);
    expect(fourth.rows.map((row) => row.id)).toEqual(['pr_01']);
    expect(fourth.nextCursor).toBeNull();
    // Back from the second page: Aaron Roux now comes first.
    const before = await page(`sort=agent&order=asc&limit=3&cursor=${second.prevCursor}`);
    expect(before.rows.map((row) => row.id)).toEqual(['pr_12', 'pr_03', 'pr_04']);
    const start = await page(`sort=agent&order=asc&limit=3&cursor=${before.prevCursor}`);
    expect(start.rows.map((row) => row.id)).toEqual(['pr_11', 'pr_10']);
    expect(start.rows[0]!.agent.name).toBe('Aaron Roux');
    expect(start.prevCursor).toBeNull();
  });

  it('the agent of the cursor row renamed: the next page goes on after the old name; its rows move to the new one', async () => {
    const first = await page('sort=agent&order=asc&limit=2');
    expect(first.rows.map((row) => row.id)).toEqual(['pr_12', 'pr_03']);
    await rename('ag_2', 'Zoë Patel');
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const next = await page(`sort=agent&order=asc&limit=2&cursor=${cursor}`);
      rest.push(...next.rows.map((row) => row.id));
      cursor = next.nextCursor;
    }
    // Every other agent's requests once; ag_2's, now last, all of them.
    expect(rest).toEqual([
      'pr_06',
      'pr_07',
      'pr_08',
      'pr_09',
      'pr_11',
      'pr_10',
      'pr_02',
      'pr_01',
      ...BY_AGENT.slice(0, 4),
    ]);
  });

  it('a team renamed between pages moves its requests; the others are each shown once', async () => {
    const first = await page('sort=team&order=asc&limit=3');
    expect(first.rows.map((row) => row.id)).toEqual(['pr_11', 'pr_10', 'pr_06']);
    await db.update(teams).set({ name: 'Wholesale' }).where(eq(teams.id, 'tm_c'));
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const next = await page(`sort=team&order=asc&limit=3&cursor=${cursor}`);
      rest.push(...next.rows.map((row) => row.id));
      cursor = next.nextCursor;
    }
    // Retail's rest, Support, then collections, now Wholesale: last.
    expect(rest).toEqual([...BY_TEAM.slice(3), 'pr_11', 'pr_10']);
  });

  it('requests that arrive between pages: the ones after the cursor appear, none repeats', async () => {
    const first = await page('sort=agent&order=asc&limit=4');
    expect(first.rows.map((row) => row.id)).toEqual(['pr_12', 'pr_03', 'pr_04', 'pr_05']);
    await ingest([
      ...request(13, 'ag_2', 1), // aisha Patel, before the cursor
      ...request(14, 'ag_3', 9), // Bongani Dube (ag_3), after it
      ...request(15, 'ag_1', null), // Zanele Mahlangu, never sent: first of her requests
    ]);
    // A new agent whose name comes first.
    const newAgent = { agentId: 'ag_6', agentName: 'Aaron Able', teamId: 'tm_a', teamName: 'Retail' };
    await ingest([created('pr_16', 0, newAgent), step('pr_16', 'sent', 9 * MINUTE)]);
    const rest: string[] = [];
    let current = first;
    while (current.nextCursor) {
      current = await page(`sort=agent&order=asc&limit=4&cursor=${current.nextCursor}`);
      rest.push(...current.rows.map((row) => row.id));
    }
    expect(rest).toEqual(['pr_06', 'pr_07', 'pr_14', 'pr_08', 'pr_09', 'pr_11', 'pr_10', 'pr_02', 'pr_15', 'pr_01']);
    // Going back from the end shows the whole list as it is now.
    const back: string[] = [...current.rows.map((row) => row.id)];
    while (current.prevCursor) {
      current = await page(`sort=agent&order=asc&limit=4&cursor=${current.prevCursor}`);
      back.unshift(...current.rows.map((row) => row.id));
    }
    expect(back).toEqual(await ids('sort=agent&order=asc'));
    expect(back.slice(0, 6)).toEqual(['pr_16', 'pr_12', 'pr_13', 'pr_03', 'pr_04', 'pr_05']);
  });
});
