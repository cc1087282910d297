import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AdminContext, createTeam, renameTeam } from '../../app/write/admin.server';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { closeDatabase, type Db, openDatabase, openDatabaseUrl } from '../../db/client';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../db/migrate';
import { ON_POSTGRES } from '../../db/tables';
import { CLI_NODE, cliArgs } from '../support/cli';
import { closeTestDb, createTestDb, queryRow } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { TEST_TMP } from '../support/paths';
import { postEvents, startServer, type TestServer } from '../support/server';
import { addUser } from '../support/users';

const teamRow = async (db: Db, id: string) =>
  await queryRow(db, 'SELECT name, name_source AS "nameSource" FROM teams WHERE id = ?', id);

describe('a team named by `cli token create --team` before any event (issue #10)', () => {
  let server: TestServer;
  let token: string;
  const now = Date.now();
  const iso = (offset: number) => new Date(now + offset).toISOString();
  const range = `from=${iso(-24 * 60 * MINUTE).slice(0, 10)}&to=${iso(0).slice(0, 10)}&tz=UTC`;
  const billing = (requestId: string, offset: number, teamName: string) => ({
    ...created(requestId, 0, { agentId: 'ag_50', agentName: 'Noma Dube', teamId: 'tm_billing', teamName }),
    occurredAt: iso(offset),
    paymentRequest: {
      ...created(requestId, 0, { agentId: 'ag_50', agentName: 'Noma Dube', teamId: 'tm_billing', teamName })
        .paymentRequest,
      amount: 2500,
      orderNumber: `SO-${requestId}`,
    },
  });
  const later = (requestId: string, type: string, offset: number) => ({
    ...step(requestId, type, 0),
    occurredAt: iso(offset),
  });

  async function get(path: string) {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return response;
  }
  /** CSV rows as objects by the header's column names. */
  async function csvRows(path: string): Promise<Record<string, string>[]> {
    const [header, ...lines] = (await (await get(path)).text()).trimEnd().split('\r\n');
    const columns = header!.split(',');
    return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])));
  }

  beforeAll(async () => {
    server = await startServer();
    const output = execFileSync(
      CLI_NODE,
      cliArgs('token', 'create', '--role', 'supervisor', '--team', 'tm_billing', '--name', 'Billing board'),
      { env: { ...process.env, DATABASE_URL: server.dbFile }, encoding: 'utf8' },
    );
    token = output.trim().split('\n').at(-1)!;
    const db = openDatabaseUrl(server.dbFile);
    expect(await teamRow(db, 'tm_billing')).toEqual({ name: 'tm_billing', nameSource: 'placeholder' });
    await closeDatabase(db);

    const first = [
      billing('pr_b1', -20 * MINUTE, 'Billing & Renewals'),
      later('pr_b1', 'sent', -19 * MINUTE),
      later('pr_b1', 'paid', -17 * MINUTE),
    ];
    expect((await postEvents(server, JSON.stringify(first))).status).toBe(200);
    // A later event naming the team otherwise: the first event's name stays.
    const second = [billing('pr_b2', -16 * MINUTE, 'Billing'), later('pr_b2', 'sent', -15 * MINUTE)];
    expect((await postEvents(server, JSON.stringify(second))).status).toBe(200);
  });
  afterAll(() => server.stop());

  it('takes the name the first event carries, in the database', async () => {
    const db = openDatabaseUrl(server.dbFile);
    expect(await teamRow(db, 'tm_billing')).toEqual({ name: 'Billing & Renewals', nameSource: 'event' });
    await closeDatabase(db);
  });

  it('shows it on /api/v1/metrics/agents', async () => {
    const { rows } = (await (await get(`/api/v1/metrics/agents?${range}`)).json()) as {
      rows: Record<string, unknown>[];
    };
    expect(rows.map((row) => [row.agentId, row.agentName, row.teamId, row.teamName, row.sent, row.paid])).toEqual([
      ['ag_50', 'Noma Dube', 'tm_billing', 'Billing & Renewals', 2, 1],
    ]);
  });

  it('shows it in both CSV exports', async () => {
    const requests = await csvRows(`/exports/payment-requests.csv?${range}`);
    expect(requests.map((row) => [row.request_id, row.agent_name, row.team_id, row.team_name, row.status])).toEqual([
      ['pr_b1', 'Noma Dube', 'tm_billing', 'Billing & Renewals', 'paid'],
      ['pr_b2', 'Noma Dube', 'tm_billing', 'Billing & Renewals', 'expired'], // 5 minutes unopened
    ]);
    const agents = await csvRows(`/exports/agents.csv?${range}`);
    expect(agents.map((row) => [row.agent_id, row.agent_name, row.team_id, row.team_name, row.sent])).toEqual([
      ['ag_50', 'Noma Dube', 'tm_billing', 'Billing & Renewals', '2'],
    ]);
  });
});

describe('names an admin set stay', () => {
  let db: Db;
  let ctx: AdminContext;
  beforeEach(async () => {
    db = (await createTestDb()).db;
    const adminId = (await addUser(db, { role: 'admin', name: 'Ada Admin' })).id;
    ctx = { db, actor: { userId: adminId, name: 'Ada Admin' }, ip: '10.1.1.1' };
  });
  afterEach(() => closeTestDb(db));
  const ingest = async (events: unknown[]) =>
    expect((await ingestEvents(db, events, 'api', { now: T0 + 60 * MINUTE })).accepted).toBe(events.length);

  it('a team an admin created keeps its name when events carry another', async () => {
    expect((await createTeam(ctx, { teamId: 'tm_claims', name: 'Claims Desk' })).ok).toBe(true);
    await ingest([created('pr_1', 0, { teamId: 'tm_claims', teamName: 'Claims' })]);
    expect(await teamRow(db, 'tm_claims')).toEqual({ name: 'Claims Desk', nameSource: 'admin' });
  });

  it('a placeholder an admin renamed before any event keeps the admin’s name', async () => {
    await createServiceToken(db, { role: 'supervisor', name: 'Board', teamIds: ['tm_billing'] });
    expect((await renameTeam(ctx, { teamId: 'tm_billing', name: 'Billing (admin)' })).ok).toBe(true);
    await ingest([created('pr_1', 0, { teamId: 'tm_billing', teamName: 'Billing & Renewals' })]);
    expect(await teamRow(db, 'tm_billing')).toEqual({ name: 'Billing (admin)', nameSource: 'admin' });
  });

  it('an event-named team an admin renames keeps the admin’s name', async () => {
    await ingest([created('pr_1', 0, { teamId: 'tm_billing', teamName: 'Billing & Renewals' })]);
    expect((await renameTeam(ctx, { teamId: 'tm_billing', name: 'Renewals' })).ok).toBe(true);
    await ingest([created('pr_2', 0, { teamId: 'tm_billing', teamName: 'Billing & Renewals' })]);
    expect(await teamRow(db, 'tm_billing')).toEqual({ name: 'Renewals', nameSource: 'admin' });
  });

  it('saving a placeholder’s name unchanged does not adopt it: the first event still names the team', async () => {
    await createServiceToken(db, { role: 'supervisor', name: 'Board', teamIds: ['tm_billing'] });
    expect(await renameTeam(ctx, { teamId: 'tm_billing', name: 'tm_billing' })).toEqual({
      ok: true,
      message: 'Nothing to change.',
    });
    await ingest([created('pr_1', 0, { teamId: 'tm_billing', teamName: 'Billing & Renewals' })]);
    expect(await teamRow(db, 'tm_billing')).toEqual({ name: 'Billing & Renewals', nameSource: 'event' });
  });

  it('a token for a team that events named already leaves its name alone', async () => {
    await ingest([created('pr_1', 0, { teamId: 'tm_billing', teamName: 'Billing & Renewals' })]);
    await createServiceToken(db, { role: 'supervisor', name: 'Board', teamIds: ['tm_billing'] });
    expect(await teamRow(db, 'tm_billing')).toEqual({ name: 'Billing & Renewals', nameSource: 'event' });
  });
});

// SQLite's migration 0012: PostgreSQL's teams have had name_source since before any team was stored there.
describe.skipIf(ON_POSTGRES)('migration 0012 for teams named before it', () => {
  /** A database migrated up to 0011: the migrations folder without 0012 and later. */
  function databaseBefore0012(): Db {
    const folder = join(TEST_TMP, `migrations-${randomUUID()}`);
    mkdirSync(join(folder, 'meta'), { recursive: true });
    for (const name of readdirSync(MIGRATIONS_FOLDER).filter((file) => file.endsWith('.sql'))) {
      copyFileSync(join(MIGRATIONS_FOLDER, name), join(folder, name));
    }
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
    const index = journal.entries.findIndex((entry: { tag: string }) => entry.tag.startsWith('0012_'));
    journal.entries = journal.entries.slice(0, index);
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
    const db = openDatabase(join(TEST_TMP, `${randomUUID()}.db`));
    migrateDatabase(db, folder);
    return db;
  }

  it('marks the teams admins created or renamed, and names the id-named others from their first event', async () => {
    const db = databaseBefore0012();
    const team = db.$client.prepare('INSERT INTO teams (id, name, created_at) VALUES (?, ?, 0)');
    team.run('tm_billing', 'tm_billing'); // from `cli token create`, then events
    team.run('tm_quiet', 'tm_quiet'); // from `cli token create`, no event yet
    team.run('tm_desk', 'tm_desk'); // an admin created it with its id as its name
    team.run('tm_retail', 'Retail'); // from events
    db.$client
      .prepare("INSERT INTO audit_log (at, action, target, details) VALUES (0, 'team_change', 'tm_desk', '{}')")
      .run();
    const request = db.$client.prepare(
      `INSERT INTO payment_requests (id, agent_id, team_id, amount, currency, channel, order_number, reason,
         customer_phone, status, created_at, last_event_at, updated_at)
       VALUES (?, 'ag_50', ?, 2500, 'USD', 'sms', 'SO-1', 'Order', '+27821230000', 'created', 0, 0, 0)`,
    );
    const event = db.$client.prepare(
      `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, content_hash, body, applied)
       VALUES (?, ?, 'payment_request.created', ?, 0, 'api', 'x', ?, 1)`,
    );
    const createdBody = (requestId: string, teamId: string, teamName: string) =>
      JSON.stringify(created(requestId, 0, { agentId: 'ag_50', teamId, teamName }));
    // Accepted in this order (seq): the later-accepted one occurred earlier, and named it otherwise.
    request.run('pr_b1', 'tm_billing');
    event.run('evt_b1', 'pr_b1', T0 + MINUTE, createdBody('pr_b1', 'tm_billing', 'Billing & Renewals'));
    request.run('pr_b2', 'tm_billing');
    event.run('evt_b2', 'pr_b2', T0, createdBody('pr_b2', 'tm_billing', 'Billing'));
    request.run('pr_d1', 'tm_desk');
    event.run('evt_d1', 'pr_d1', T0, createdBody('pr_d1', 'tm_desk', 'Desk'));

    migrateDatabase(db);

    expect(db.$client.prepare('SELECT id, name, name_source AS nameSource FROM teams ORDER BY id').all()).toEqual([
      { id: 'tm_billing', name: 'Billing & Renewals', nameSource: 'event' },
      { id: 'tm_desk', name: 'tm_desk', nameSource: 'admin' },
      { id: 'tm_quiet', name: 'tm_quiet', nameSource: 'placeholder' },
      { id: 'tm_retail', name: 'Retail', nameSource: 'event' },
    ]);
    // The placeholder left gives way to its first event, as after any `cli token create`.
    await ingestEvents(db, [created('pr_q1', 0, { teamId: 'tm_quiet', teamName: 'Quiet Hours' })], 'api', {
      now: T0 + MINUTE,
    });
    expect(await teamRow(db, 'tm_quiet')).toEqual({ name: 'Quiet Hours', nameSource: 'event' });
    db.$client.close();
  });
});
