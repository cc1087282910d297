import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSchedules } from '../../app/read/reports.server';
import { loadViewer } from '../../app/write/api-tokens.server';
import { reportsDirectory } from '../../app/write/report-file-store.server';
import { runDueReports } from '../../app/write/report-scheduler.server';
import { createSchedule } from '../../app/write/report-schedules.server';
import { type Db, onPostgres, sqlRun } from '../../db/client';
import { CLI_NODE } from '../support/cli';
import { closeTestDb, createTestDb, queryRow } from '../support/db';
import { addUser } from '../support/users';

// An instance killed (SIGKILL) in the middle of writing a scheduled report: the run must still be
// made, once, by the instance that sweeps next. Before, a run moved its schedule on before it
// started, so the killed run was never made. Both engines.

const ROWS = 60_000;
// Daily at 06:00 UTC, made on 1 November 2026 at noon: first due 2 November 06:00, on 1 November.
const MADE = Date.parse('2026-11-01T12:00:00Z');
const DUE = Date.parse('2026-11-02T06:00:00Z');
const DAY_START = Date.parse('2026-11-01T00:00:00Z');

let db: Db;
let url: string;
beforeEach(async () => {
  ({ db, file: url } = await createTestDb());
});
afterEach(() => closeTestDb(db));

/** ROWS paid requests sent on 1 November, one a second from midnight UTC, written straight to the projection. */
async function paidRequestsOnTheFirst(): Promise<void> {
  await sqlRun(db, "INSERT INTO teams (id, name, created_at) VALUES ('tm_a', 'Team A', ?)", [MADE]);
  await sqlRun(db, "INSERT INTO agents (id, name, team_id, created_at) VALUES ('ag_1', 'Agent One', 'tm_a', ?)", [
    MADE,
  ]);
  const columns = `id, agent_id, team_id, amount, currency, channel, order_number, reason, customer_name,
    customer_phone, status, created_at, sent_at, paid_at, closed_at, send_failures, last_event_at, updated_at`;
  const values = (i: string) => `'pr_' || ${i}, 'ag_1', 'tm_a', 1000 + ${i}, 'USD', 'sms', 'SO-' || ${i},
    'A reason long enough to make each row take some room in the file', 'Customer', '+27821234567', 'paid',
    ${DAY_START} + ${i} * 1000, ${DAY_START} + ${i} * 1000, ${DAY_START} + ${i} * 1000 + 30000,
    ${DAY_START} + ${i} * 1000 + 30000, 0, ${DAY_START} + ${i} * 1000 + 30000, ${DAY_START} + ${i} * 1000 + 30000`;
  await sqlRun(
    db,
    onPostgres(db)
      ? `INSERT INTO payment_requests (${columns}) SELECT ${values('i')} FROM generate_series(0, ${ROWS - 1}) AS i`
      : `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1})
         INSERT INTO payment_requests (${columns}) SELECT ${values('i')} FROM n`,
    [],
  );
}

/** Whether a run's bytes are being written: a `.part` file (SQLite) or a first stored chunk (PostgreSQL). */
async function writingAFile(): Promise<boolean> {
  if (onPostgres(db))
    return ((await queryRow<{ n: number }>(db, 'SELECT count(*) AS n FROM report_file_chunks'))?.n ?? 0) > 0;
  const directory = reportsDirectory(db);
  return existsSync(directory) && readdirSync(directory).some((name) => name.endsWith('.part'));
}

describe('an instance killed while it writes a scheduled report', () => {
  it('leaves the run due: the next sweep makes it, once, on its own day', async () => {
    await paidRequestsOnTheFirst();
    const { id: userId } = await addUser(db, { role: 'manager' });
    const owner = (await loadViewer(db, userId))!;
    const form = {
      name: 'Daily requests',
      report: 'payment-requests',
      format: 'csv',
      cadence: 'daily',
      runAt: '06:00',
      timezone: 'UTC',
    };
    expect((await createSchedule(db, owner, new URLSearchParams(form), MADE)).ok).toBe(true);

    const child = spawn(CLI_NODE, ['--import', 'tsx', 'tests/support/report-run-child.ts', url, String(DUE + 1_000)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(writingAFile, { timeout: 30_000, interval: 5 }).toBe(true);
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    // Killed mid-report: it had started and not finished.
    expect(out).toBe('running\n');
    expect((await queryRow<{ n: number }>(db, 'SELECT count(*) AS n FROM report_files'))?.n).toBe(0);

    // The instance that sweeps next (the lease's next holder) makes the run it was due for.
    const files = await runDueReports(db, DUE + 60_000);
    expect(files.map((file) => [file.fileName, file.rows])).toEqual([
      ['payment-requests_2026-11-01_2026-11-01_UTC.csv', ROWS],
    ]);
    const [schedule] = await listSchedules(db, owner);
    expect(schedule!.nextRunAt).toBe(DUE + 86_400_000);
    // And only once.
    expect(await runDueReports(db, DUE + 120_000)).toEqual([]);
    expect((await queryRow<{ n: number }>(db, 'SELECT count(*) AS n FROM report_files'))?.n).toBe(1);
  }, 120_000);
});
