import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { AGENT_CHOICES_LIMIT } from '../../app/read/agent-choices';
import { getReportFilterOptions } from '../../app/read/reports.server';
import { action, loader } from '../../app/routes/filters.agents';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { type Db, sqlRun } from '../../db/client';
import { createProcessTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

/*
 * The filter forms' Agent picker of a large organisation: the page is sent a bounded list (the
 * ticked agents and the first by name, with how many there are), and GET /filters/agents?q= finds
 * the others, within the caller's scope, on both engines. The route runs in-process on its own
 * database (DATABASE_URL), called with bearer tokens as any client would.
 *
 * Accounts (tm_a) has 230 numbered agents ('Agent 1' … 'Agent 230') and Ana, Émile Dube, Emma
 * Ndlovu, Zoë; Billing (tm_b) has Bea and Xavier, and Xavier once sent a request in Accounts.
 */
const BULK = 230;
const ANA = { id: 'ag_ana', name: 'Ana', teamId: 'tm_a' };
const BEA = { id: 'ag_bea', name: 'Bea', teamId: 'tm_b' };
const EMILE = { id: 'ag_emile', name: 'Émile Dube', teamId: 'tm_a' };
const EMMA = { id: 'ag_emma', name: 'Emma Ndlovu', teamId: 'tm_a' };
const XAVIER = { id: 'ag_x', name: 'Xavier', teamId: 'tm_b' };
const ZOE = { id: 'ag_zoe', name: 'Zoë', teamId: 'tm_a' };
/** 'Agent n', numbered from 1, as the collator orders them ('Agent 9' before 'Agent 10'). */
const numbered = (n: number) => ({ id: `ag_n${String(n).padStart(3, '0')}`, name: `Agent ${n}`, teamId: 'tm_a' });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => numbered(from + k));

const manager: Viewer = { userId: 'usr_m', name: 'Mia', role: 'manager', scope: { kind: 'all' } };
const supervisorOfA: Viewer = { ...manager, role: 'supervisor', scope: { kind: 'teams', teamIds: ['tm_a'] } };

let db: Db;
const tokens = { manager: '', admin: '', supervisorOfA: '', supervisorOfB: '', agent: '' };
let restore: () => Promise<void>;

beforeAll(async () => {
  ({ db, restore } = await createProcessTestDb());
  const sentIn = (requestId: string, agent: typeof ANA, teamId: string, offset: number) => [
    created(requestId, offset, {
      agentId: agent.id,
      agentName: agent.name,
      teamId,
      teamName: teamId === 'tm_a' ? 'Accounts' : 'Billing',
    }),
    step(requestId, 'sent', offset + MINUTE),
  ];
  // Xavier and Bea are of Billing (an agent's team is that of their latest request); Xavier once sent in Accounts.
  const first = await ingestEvents(
    db,
    [...sentIn('pr_x1', XAVIER, 'tm_b', 0), ...sentIn('pr_b1', BEA, 'tm_b', 0)],
    'api',
    {
      now: T0 + 10 * MINUTE,
    },
  );
  const second = await ingestEvents(
    db,
    [
      ...sentIn('pr_a1', ANA, 'tm_a', MINUTE),
      ...sentIn('pr_x2', XAVIER, 'tm_a', 2 * MINUTE),
      ...sentIn('pr_x3', XAVIER, 'tm_b', 3 * MINUTE),
    ],
    'api',
    { now: T0 + 10 * MINUTE },
  );
  expect([first.rejected, second.rejected]).toEqual([0, 0]);
  const rows = [...range(1, BULK), EMILE, EMMA, ZOE]
    .map((agent) => `('${agent.id}', '${agent.name}', '${agent.teamId}', 0)`)
    .join(', ');
  await sqlRun(db, `INSERT INTO agents (id, name, team_id, created_at) VALUES ${rows}`);
  tokens.manager = (await createServiceToken(db, { role: 'manager', name: 'Mia' })).token;
  tokens.admin = (await createServiceToken(db, { role: 'admin', name: 'Ada' })).token;
  tokens.supervisorOfA = (await createServiceToken(db, { role: 'supervisor', name: 'Sam', teamIds: ['tm_a'] })).token;
  tokens.supervisorOfB = (await createServiceToken(db, { role: 'supervisor', name: 'Sol', teamIds: ['tm_b'] })).token;
  tokens.agent = (await createServiceToken(db, { role: 'agent', name: 'Ana', agentId: 'ag_ana' })).token;
}, 60_000);
afterAll(() => restore());

describe('the list a filter form is sent', () => {
  it('is the first 200 by name of 236 for a manager, with the count', async () => {
    const options = await getReportFilterOptions(db, manager);
    expect(AGENT_CHOICES_LIMIT).toBe(200);
    expect(options.agentCount).toBe(BULK + 6);
    expect(options.agents).toEqual(range(1, 200));
  });

  it('keeps the agents the URL ticked (in scope) and fills up to 200 with the first by name', async () => {
    const selected = ['ag_x', 'ag_n230', 'ag_nobody'];
    expect(await getReportFilterOptions(db, manager, { selected })).toEqual({
      teams: [
        { id: 'tm_a', name: 'Accounts' },
        { id: 'tm_b', name: 'Billing' },
      ],
      agents: [...range(1, 198), numbered(230), XAVIER],
      agentCount: 236,
    });
  });

  it('gives a supervisor their teams’ agents and the other team’s sender, never another agent', async () => {
    // Bea (Billing, never sent in Accounts) is ticked in the URL: ignored, as the filters ignore her.
    const options = await getReportFilterOptions(db, supervisorOfA, { selected: ['ag_bea', 'ag_x'] });
    expect(options.teams).toEqual([{ id: 'tm_a', name: 'Accounts' }]);
    expect(options.agentCount).toBe(BULK + 5);
    expect(options.agents).toEqual([...range(1, 199), XAVIER]);
  });

  it('lists those matching a form’s Find box sent without JavaScript, any case or accent, and the ticked', async () => {
    expect((await getReportFilterOptions(db, manager, { findAgent: ' EMI ' })).agents).toEqual([EMILE]);
    expect((await getReportFilterOptions(db, manager, { findAgent: 'zoe', selected: ['ag_n007'] })).agents).toEqual([
      numbered(7),
      ZOE,
    ]);
    expect((await getReportFilterOptions(db, supervisorOfA, { findAgent: 'bea' })).agents).toEqual([]);
    expect((await getReportFilterOptions(db, manager, { findAgent: 'agent 23' })).agents).toEqual([
      numbered(23),
      numbered(230),
    ]);
  });

  it('is empty for an agent', async () => {
    const agentViewer: Viewer = { ...manager, role: 'agent', scope: { kind: 'agent', agentId: 'ag_ana' } };
    expect(await getReportFilterOptions(db, agentViewer)).toEqual({ teams: [], agents: [], agentCount: 0 });
  });
});

/** GET /filters/agents in-process; a thrown Response is the answer, as Remix sends it. */
async function search(query: string, token?: string): Promise<Response> {
  const request = new Request(`http://localhost/filters/agents${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  try {
    return await loader({ request, params: {}, context: { cspNonce: '' } });
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

async function found(query: string, token: string) {
  const response = await search(query, token);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('private, no-store');
  return await response.json();
}

describe('GET /filters/agents', () => {
  it('finds a manager’s agents by part of the name, any case, any accent, in the pickers’ order', async () => {
    expect(await found('?q=agent%2023', tokens.manager)).toEqual({ agents: [numbered(23), numbered(230)], matches: 2 });
    expect(await found('?q=EMILE', tokens.manager)).toEqual({ agents: [EMILE], matches: 1 });
    expect(await found('?q=z%C3%B6e', tokens.manager)).toEqual({ agents: [ZOE], matches: 1 });
    // "é" reads as "e", which every name but Ana's has.
    expect(await found('?q=%C3%A9', tokens.manager)).toEqual({ agents: range(1, 50), matches: BULK + 5 });
    expect(await found('?q=nobody', tokens.manager)).toEqual({ agents: [], matches: 0 });
  });

  it('answers the first 50 by name without q (or an empty one), and an admin as a manager', async () => {
    expect(await found('', tokens.manager)).toEqual({ agents: range(1, 50), matches: 236 });
    expect(await found('?q=', tokens.admin)).toEqual({ agents: range(1, 50), matches: 236 });
    expect(await found('?q=%20%20a%20', tokens.admin)).toEqual({ agents: range(1, 50), matches: BULK + 4 });
  });

  it('keeps a supervisor to their teams’ agents and the other team’s sender', async () => {
    expect(await found('?q=x', tokens.supervisorOfA)).toEqual({ agents: [XAVIER], matches: 1 });
    expect(await found('?q=bea', tokens.supervisorOfA)).toEqual({ agents: [], matches: 0 });
    // Every name with a "b": Bea's too for a manager, not for the supervisor of Accounts.
    expect(await found('?q=B', tokens.manager)).toEqual({ agents: [BEA, EMILE], matches: 2 });
    expect(await found('?q=B', tokens.supervisorOfA)).toEqual({ agents: [EMILE], matches: 1 });
    expect(await found('', tokens.supervisorOfA)).toEqual({ agents: range(1, 50), matches: BULK + 5 });
    // Nobody of Accounts sent in Billing: its supervisor has its two members only.
    expect(await found('', tokens.supervisorOfB)).toEqual({ agents: [BEA, XAVIER], matches: 2 });
    expect(await found('?q=ana', tokens.supervisorOfB)).toEqual({ agents: [], matches: 0 });
  });

  it('refuses a q given twice or longer than 100 characters with a 400 naming q', async () => {
    for (const query of ['?q=a&q=b', `?q=${'a'.repeat(101)}`]) {
      const response = await search(query, tokens.manager);
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatchObject({ code: 'invalid_filter', field: 'q' });
    }
    expect((await found(`?q=${'a'.repeat(100)}`, tokens.manager)).matches).toBe(0);
    // An empty repeat is no value (singleParam).
    expect(await found('?q=emile&q=', tokens.manager)).toEqual({ agents: [EMILE], matches: 1 });
  });

  it('refuses an agent (403) and the signed out (401), in the API’s error shape, and other methods (405)', async () => {
    const refused = await search('?q=a', tokens.agent);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'forbidden', message: 'Your role may not do this' } });
    const anonymous = await search('?q=a');
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthorized');
    const post = action();
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});
