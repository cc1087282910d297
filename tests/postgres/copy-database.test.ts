import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../app/write/ingest.server';
import { copyDatabase, verifyCopy } from '../../cli/copy-database';
import { connectPostgres } from '../../db/pg-client';
import { CLI_NODE, cliArgs } from '../support/cli';
import { createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { insertUser } from '../support/users';

// `npm run cli -- copy-database` (issue 13) against a real PostgreSQL. Runs only with PG_TEST_URL:
//   scripts/pg-cluster.sh start && PG_TEST_URL=$(scripts/pg-cluster.sh url) npx vitest run tests/postgres

const PG_TEST_URL = process.env.PG_TEST_URL;
const run = promisify(execFile);
const NOW = T0 + 2 * 24 * 60 * MINUTE;
const SETTINGS = { ttlUnopenedMs: 24 * 60 * MINUTE, ttlOpenedMs: 60 * MINUTE };

/** 40 requests over two teams, five agents and three currencies; every 4th paid, 5th declined, 7th canceled. */
function events() {
  const all: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i += 1) {
    const id = `pr_copy_${String(i).padStart(2, '0')}`;
    const start = i * 7 * MINUTE;
    all.push(
      created(id, start, {
        agentId: `ag_copy_${i % 5}`,
        agentName: `Agent ${i % 5}`,
        teamId: i % 2 ? 'tm_copy_a' : 'tm_copy_b',
        teamName: i % 2 ? 'Copy A' : 'Copy B',
        amount: 1_000 + i * 111,
        currency: ['USD', 'EUR', 'ZAR'][i % 3],
        orderNumber: `SO-COPY-${i}`,
      }),
      step(id, 'sent', start + MINUTE),
    );
    if (i % 4 === 0) {
      all.push(step(id, 'opened', start + 2 * MINUTE));
      all.push(step(id, 'paid', start + 3 * MINUTE, { card: { brand: 'visa', last4: '4242' } }));
    } else if (i % 5 === 0) all.push(step(id, 'declined', start + 4 * MINUTE));
    else if (i % 7 === 0) all.push(step(id, 'canceled', start + 5 * MINUTE, { actorId: 'usr_copy' }));
  }
  return all;
}

describe.skipIf(!PG_TEST_URL)('copy-database: SQLite into an empty PostgreSQL', () => {
  const stamp = `${process.pid}_${Date.now()}`;
  const databases = [`paylink_copy_${stamp}`, `paylink_copy_cli_${stamp}`];
  const urls = databases.map((name) => {
    const url = new URL(PG_TEST_URL ?? 'postgres://localhost/none');
    url.pathname = `/${name}`;
    return url.toString();
  });
  let admin: pg.Client;
  let target: pg.Client;
  let file: string;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
    for (const name of databases) await admin.query(`CREATE DATABASE ${name}`);
    const test = await createTestDb();
    file = test.file;
    const summary = await ingestEvents(test.db, events(), 'api', { now: NOW, settings: SETTINGS });
    expect(summary.rejected).toBe(0);
    insertUser(test.db, { role: 'supervisor', name: 'Copy Supervisor', teamIds: ['tm_copy_a'] });
    // The agent tables' cells are all still pending (db/metrics-rollups.ts): the check must read them there.
    const count = (table: string) => test.db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    expect(count('metrics_rollup_agent_day')).toBe(0);
    expect(count('metrics_rollup_agent_day_pending')).toBeGreaterThan(0);
    test.db.$client.close();
  }, 60_000);

  afterAll(async () => {
    await target?.end();
    for (const name of databases) await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  it('copies every table, rebuilds the rollups, and the check finds them equal', async () => {
    const copied = await copyDatabase(file, urls[0]!);
    const rows = Object.fromEntries(copied.tables.map((table) => [table.name, table.rows]));
    expect(rows.payment_requests).toBe(40);
    // 40 created + 40 sent + 10 × (opened + paid) + declined (i = 5, 10, 15, 25, 30, 35) + canceled (i = 7, 14, 21),
    // and the system expiry of each of the 21 others (due a day after its sent, before NOW: recorded with them).
    expect(rows.events).toBe(40 + 40 + 20 + 6 + 3 + 21);
    expect(rows.teams).toBe(2);
    expect(rows.agents).toBe(5);
    expect(rows.users).toBe(1);
    expect(rows.user_teams).toBe(1);
    expect(copied.tables.map((table) => table.name)).not.toContain('metrics_rollup_day');

    const check = await verifyCopy(file, urls[0]!, { now: NOW });
    expect(check.tableDifferences).toEqual([]);
    expect(check.projectionDifferences).toEqual([]);
    expect(check.rollupDifferences).toEqual([]);
    expect(check.requestsChecked).toBe(40);
    expect(check.rollupCells).toBeGreaterThan(0);
    // Paid: i = 0, 4, …, 36, amount 1,000 + 111 i, currency by i % 3.
    const paid = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36];
    const byCurrency: Record<string, number> = {};
    for (const i of paid) {
      const currency = ['USD', 'EUR', 'ZAR'][i % 3]!;
      byCurrency[currency] = (byCurrency[currency] ?? 0) + 1_000 + i * 111;
    }
    expect(check.totals).toEqual({ sent: 40, paid: 10, paidAmountByCurrency: byCurrency });

    target = await connectPostgres(urls[0]!);
    const { rows: projection } = await target.query(
      "SELECT status, amount, currency, paid_at, send_failures FROM payment_requests WHERE id = 'pr_copy_04'",
    );
    expect(projection).toEqual([
      { status: 'paid', amount: 1_444, currency: 'EUR', paid_at: T0 + 31 * MINUTE, send_failures: 0 },
    ]);
    const { rows: users } = await target.query('SELECT active, is_service, must_change_password FROM users');
    expect(users).toEqual([{ active: true, is_service: false, must_change_password: false }]);
    // The identity goes on after the copied sequence numbers.
    const { rows: seq } = await target.query('SELECT max(seq) AS max FROM events');
    const { rows: inserted } = await target.query(
      `INSERT INTO events (id, request_id, type, occurred_at, received_at, source, content_hash, body)
       SELECT 'evt_after_copy', 'pr_copy_01', 'payment_request.opened', 1, 1, 'api', hash, '{}' FROM (SELECT content_hash AS hash FROM events LIMIT 1) h RETURNING seq`,
    );
    expect(inserted[0].seq).toBe(seq[0].max + 1);
    await target.query("DELETE FROM events WHERE id = 'evt_after_copy'");
  });

  it('reports a projection changed after the copy (the table and the replay differ), and a metric cell changed', async () => {
    await target.query(
      "UPDATE payment_requests SET status = 'declined', closed_at = paid_at, paid_at = NULL WHERE id = 'pr_copy_04'",
    );
    const check = await verifyCopy(file, urls[0]!, { now: NOW });
    expect(check.tableDifferences).toEqual([
      { table: 'payment_requests', key: 'pr_copy_04', detail: 'status: SQLite "paid", PostgreSQL "declined"' },
    ]);
    expect(check.projectionDifferences).toEqual([
      {
        requestId: 'pr_copy_04',
        fields: { status: ['declined', 'paid'], paidAt: [null, T0 + 31 * MINUTE] },
      },
    ]);
    // The rollups move only by the writer (migration-pg 0009): a hand edit of the projection leaves them.
    expect(check.rollupDifferences).toEqual([]);

    await target.query(
      'UPDATE metrics_rollup_day SET paid = paid - 1 WHERE (bucket, team_id, currency) IN (SELECT bucket, team_id, currency FROM metrics_rollup_day WHERE paid > 0 ORDER BY bucket LIMIT 1)',
    );
    const moved = await verifyCopy(file, urls[0]!, { now: NOW });
    expect(moved.rollupDifferences.map((difference) => difference.table)).toEqual(['metrics_rollup_day']);
  });

  it('refuses a database that already holds rows, and leaves it as it was', async () => {
    await expect(copyDatabase(file, urls[0]!)).rejects.toThrow(/is not empty: table \w+ has rows/);
    const { rows } = await target.query('SELECT count(*)::int AS n FROM payment_requests');
    expect(rows).toEqual([{ n: 40 }]);
  });

  it('npm run cli -- copy-database copies, checks and says so', async () => {
    const { stdout } = await run(CLI_NODE, cliArgs('copy-database', '--from', file, '--to', urls[1]!), {
      env: { ...process.env, DATABASE_URL: file },
    });
    expect(stdout).toContain('  payment_requests: 40 rows');
    expect(stdout).toContain('Checked 40 requests');
    expect(stdout).toContain('The copy agrees with the source');
    expect(stdout).not.toContain('DIFFERENT');
  }, 60_000);
});
