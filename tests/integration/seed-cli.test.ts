import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';

const run = promisify(execFile);

/** `npm run seed` as a user runs it, against this project's engine (an SQLite file or a PostgreSQL URL). */
function seedCli(url: string, args: string[]) {
  return run('node', ['--import', 'tsx', 'seed/cli.ts', ...args], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: url,
    },
  });
}

const ARGS = ['--requests', '300', '--days', '3', '--seed', '5', '--now', '2026-11-20T10:00:00Z'];

describe('npm run seed', () => {
  let db: Db;
  let url: string;
  beforeAll(async () => {
    ({ db, file: url } = await createTestDb());
    await seedCli(url, [...ARGS, '--reset']);
  }, 120_000);
  afterAll(() => closeTestDb(db));

  it('writes the generated requests through ingest, and the demo accounts with their teams', async () => {
    expect(await queryRow(db, 'SELECT CAST(count(*) AS INTEGER) AS n FROM payment_requests')).toEqual({ n: 300 });
    const events = (await queryRow<{ n: number }>(db, 'SELECT CAST(count(*) AS INTEGER) AS n FROM events'))!.n;
    expect(events).toBeGreaterThanOrEqual(900);
    const users = await queryRows(db, 'SELECT email, role, agent_id FROM users ORDER BY email');
    expect(users).toEqual([
      { email: 'admin@paylink.test', role: 'admin', agent_id: null },
      { email: 'agent@paylink.test', role: 'agent', agent_id: 'ag_17' },
      { email: 'collections.supervisor@paylink.test', role: 'supervisor', agent_id: null },
      { email: 'manager@paylink.test', role: 'manager', agent_id: null },
      { email: 'retail.supervisor@paylink.test', role: 'supervisor', agent_id: null },
      { email: 'support.supervisor@paylink.test', role: 'supervisor', agent_id: null },
      { email: 'telesales.supervisor@paylink.test', role: 'supervisor', agent_id: null },
      { email: 'travel.supervisor@paylink.test', role: 'supervisor', agent_id: null },
    ]);
    expect(await queryRows(db, 'SELECT team_id FROM user_teams ORDER BY team_id')).toEqual(
      ['tm_collections', 'tm_retail', 'tm_support', 'tm_telesales', 'tm_travel'].map((team_id) => ({ team_id })),
    );
  });

  it('refuses to seed the same seed twice without --reset, and --reset writes the same data again', async () => {
    const before = await queryRows(db, 'SELECT id, status, amount FROM payment_requests ORDER BY id');
    await expect(seedCli(url, ARGS)).rejects.toMatchObject({
      stderr: expect.stringContaining('already holds data of seed 5: add --reset, or use another --seed'),
    });
    await seedCli(url, [...ARGS, '--reset']);
    expect(await queryRows(db, 'SELECT id, status, amount FROM payment_requests ORDER BY id')).toEqual(before);
    expect(await queryRow(db, 'SELECT CAST(count(*) AS INTEGER) AS n FROM users')).toEqual({ n: 8 });
  }, 120_000);

  it.runIf(ON_POSTGRES)('refuses --bulk on PostgreSQL, before touching the data', async () => {
    await expect(seedCli(url, [...ARGS, '--reset', '--bulk'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--bulk writes SQLite files only'),
    });
    expect(await queryRow(db, 'SELECT CAST(count(*) AS INTEGER) AS n FROM payment_requests')).toEqual({ n: 300 });
  });
});
