import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { getDashboard } from '../../app/read/dashboard.server';
import { resolveRange } from '../../app/read/dashboard-view';
import { createExport } from '../../app/read/exports/exports.server';
import { parseFilters } from '../../app/read/filters';
import { getReportFilterOptions } from '../../app/read/reports.server';
import { parseListOptions } from '../../app/read/request-list/options.server';
import { FEW_MATCHES } from '../../app/read/request-list/plan.server';
import { listPaymentRequests } from '../../app/read/request-list/request-list.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { type Db, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

const manager: Viewer = { userId: 'usr_m', name: 'Mia', role: 'manager', scope: { kind: 'all' } };

describe('the team and agent pickers', () => {
  let db: Db;
  beforeEach(async () => {
    db = (await createTestDb()).db;
    await sqlRun(
      db,
      "INSERT INTO teams (id, name, created_at) VALUES ('tm_b', 'billing', 0), ('tm_a', 'Accounts', 0), ('tm_e', 'Émile Desk', 0)",
    );
    await sqlRun(
      db,
      `INSERT INTO agents (id, name, team_id, created_at) VALUES
        ('ag_3', 'Agent 10', 'tm_a', 0), ('ag_2', 'Agent 9', 'tm_a', 0), ('ag_1', 'zanele', 'tm_b', 0),
        ('ag_5', 'Aisha', 'tm_b', 0), ('ag_4', 'aisha', 'tm_e', 0), ('ag_6', 'Émile', 'tm_e', 0), ('ag_7', 'Emma', 'tm_e', 0)`,
    );
  });
  afterEach(() => closeTestDb(db));

  it('lists names as people read them (case, accents and numbers), as the request list sorts them', async () => {
    const { teams, agents } = await getReportFilterOptions(db, manager);
    expect(teams.map((team) => team.name)).toEqual(['Accounts', 'billing', 'Émile Desk']);
    expect(agents.map((agent) => `${agent.name} ${agent.id}`)).toEqual([
      'Agent 9 ag_2',
      'Agent 10 ag_3',
      'aisha ag_4',
      'Aisha ag_5',
      'Émile ag_6',
      'Emma ag_7',
      'zanele ag_1',
    ]);
  });

  it('offers a supervisor only their teams and those teams’ agents', async () => {
    const supervisor: Viewer = { ...manager, role: 'supervisor', scope: { kind: 'teams', teamIds: ['tm_e'] } };
    const { teams, agents } = await getReportFilterOptions(db, supervisor);
    expect(teams.map((team) => team.id)).toEqual(['tm_e']);
    expect(agents.map((agent) => agent.id)).toEqual(['ag_4', 'ag_6', 'ag_7']);
  });
});

/**
 * An agent sends in a team that is not their own (a request carries its team; the agent keeps the
 * one they were first seen with): the supervisor of that team sees the agent on the leaderboard and
 * their page, so the pickers offer them too, and filtering by them keeps to that team's requests.
 */
describe('an agent of another team who sent in a supervisor’s team', () => {
  const supervisorOfA: Viewer = { ...manager, role: 'supervisor', scope: { kind: 'teams', teamIds: ['tm_a'] } };
  const agentViewer: Viewer = { ...manager, role: 'agent', scope: { kind: 'agent', agentId: 'ag_a1' } };
  const ANA = { id: 'ag_a1', name: 'Ana', teamId: 'tm_a' };
  const BEA = { id: 'ag_b1', name: 'Bea', teamId: 'tm_b' };
  const XAVIER = { id: 'ag_x', name: 'Xavier', teamId: 'tm_b' };
  const ZOE = { id: 'ag_a2', name: 'Zoe', teamId: 'tm_a' };
  const sentIn = (requestId: string, agentId: string, agentName: string, teamId: string, offset: number) => [
    created(requestId, offset, { agentId, agentName, teamId, teamName: teamId === 'tm_a' ? 'Accounts' : 'Billing' }),
    step(requestId, 'sent', offset + MINUTE),
  ];
  const now = T0 + 10 * MINUTE;
  let db: Db;

  beforeEach(async () => {
    db = (await createTestDb()).db;
    const ingest = async (events: unknown[]) =>
      expect((await ingestEvents(db, events, 'api', { now })).rejected).toBe(0);
    // Xavier is first seen in tm_b (his team), then sends one request in tm_a; Bea never sends in tm_a.
    await ingest([...sentIn('pr_x_b1', 'ag_x', 'Xavier', 'tm_b', 0), ...sentIn('pr_b1', 'ag_b1', 'Bea', 'tm_b', 0)]);
    await ingest([
      ...sentIn('pr_a1', 'ag_a1', 'Ana', 'tm_a', MINUTE),
      ...sentIn('pr_a2', 'ag_a2', 'Zoe', 'tm_a', MINUTE),
      ...sentIn('pr_x_a', 'ag_x', 'Xavier', 'tm_a', 2 * MINUTE),
      ...sentIn('pr_x_b2', 'ag_x', 'Xavier', 'tm_b', 3 * MINUTE),
    ]);
  });
  afterEach(() => closeTestDb(db));

  it('offers that agent (once, with their own team) to the supervisor, not an agent who never sent there', async () => {
    expect(await getReportFilterOptions(db, supervisorOfA)).toEqual({
      teams: [{ id: 'tm_a', name: 'Accounts' }],
      agents: [ANA, XAVIER, ZOE],
      agentCount: 3,
    });
    const supervisorOfB: Viewer = { ...supervisorOfA, scope: { kind: 'teams', teamIds: ['tm_b'] } };
    expect((await getReportFilterOptions(db, supervisorOfB)).agents).toEqual([BEA, XAVIER]);
    const supervisorOfBoth: Viewer = { ...supervisorOfA, scope: { kind: 'teams', teamIds: ['tm_b', 'tm_a'] } };
    expect((await getReportFilterOptions(db, supervisorOfBoth)).agents).toEqual([ANA, BEA, XAVIER, ZOE]);
    const supervisorOfNone: Viewer = { ...supervisorOfA, scope: { kind: 'teams', teamIds: [] } };
    expect(await getReportFilterOptions(db, supervisorOfNone)).toEqual({ teams: [], agents: [], agentCount: 0 });
  });

  it('leaves a manager’s (every agent) and an agent’s (none) as they were', async () => {
    expect(await getReportFilterOptions(db, manager)).toEqual({
      teams: [
        { id: 'tm_a', name: 'Accounts' },
        { id: 'tm_b', name: 'Billing' },
      ],
      agents: [ANA, BEA, XAVIER, ZOE],
      agentCount: 4,
    });
    expect(await getReportFilterOptions(db, agentViewer)).toEqual({ teams: [], agents: [], agentCount: 0 });
  });

  describe.each([
    ['few matches read by id', FEW_MATCHES.limit],
    ['many matches, as on a large database', 0],
  ])('filtering by that agent gives the supervisor only the requests sent in their teams (%s)', (_name, limit) => {
    const fewMatches = FEW_MATCHES.limit;
    beforeAll(() => {
      FEW_MATCHES.limit = limit;
    });
    afterAll(() => {
      FEW_MATCHES.limit = fewMatches;
    });
    const query = 'agent=ag_x&from=2026-11-20&to=2026-11-20&tz=UTC';

    it('the request list, in every order', async () => {
      for (const sort of ['sentAt', 'agent', 'team', 'amount']) {
        const params = new URLSearchParams(`${query}&sort=${sort}`);
        const page = await listPaymentRequests(
          db,
          parseFilters(params, 'UTC'),
          supervisorOfA,
          parseListOptions(params),
        );
        expect(page.rows.map((row) => row.id)).toEqual(['pr_x_a']);
      }
      // A manager, for contrast: all of the agent's requests.
      const params = new URLSearchParams(query);
      const all = await listPaymentRequests(db, parseFilters(params, 'UTC'), manager, parseListOptions(params));
      expect(all.rows.map((row) => row.id)).toEqual(['pr_x_b2', 'pr_x_a', 'pr_x_b1']);
    });

    it('the dashboard’s metrics and leaderboard', async () => {
      const params = new URLSearchParams(query);
      const filters = parseFilters(params, 'UTC');
      const dashboard = await getDashboard(
        db,
        { ...filters, from: '2026-11-20', to: '2026-11-20' },
        resolveRange(params, filters, now),
        supervisorOfA,
        now,
      );
      expect(dashboard.summary.sent).toBe(1);
      expect(dashboard.leaderboard.map((row) => [row.agentId, row.teamId, row.sent])).toEqual([['ag_x', 'tm_b', 1]]);
    });

    it('the payment-requests CSV export', async () => {
      const { stream } = await createExport(
        db,
        {
          report: 'payment-requests',
          format: 'csv',
          filters: parseFilters(new URLSearchParams(query), 'UTC'),
          viewer: supervisorOfA,
        },
        () => {},
        now,
        { workers: 0 },
      );
      const lines = (await new Response(stream).text()).trim().split('\r\n');
      expect(lines.slice(1).map((line) => line.split(',').slice(0, 5).join(','))).toEqual([
        'pr_x_a,SO-1001,ag_x,Xavier,tm_a',
      ]);
    });
  });
});
