import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { getReportFilterOptions } from '../../app/read/reports.server';
import { type Db, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb } from '../support/db';

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
