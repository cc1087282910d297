import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSchedules } from '../../app/read/reports.server';
import { loadViewer } from '../../app/write/api-tokens.server';
import { ABANDONED_PART_MS, reportsDirectory } from '../../app/write/report-file-store.server';
import { runDueReports } from '../../app/write/report-scheduler.server';
import { createSchedule } from '../../app/write/report-schedules.server';
import { type Db, onPostgres, openDatabase, sqlRun } from '../../db/client';
import { CLI_NODE } from '../support/cli';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { BASE_DB, TEST_TMP } from '../support/paths';
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
  if (!onPostgres(db)) {
    // A database in a folder of its own: the `.part` files in reports/ beside it are its own.
    await closeTestDb(db);
    url = join(mkdtempSync(join(TEST_TMP, 'killed-run-')), 'app.db');
    copyFileSync(BASE_DB, url);
    db = openDatabase(url);
  }
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

/**
 * The `.part` file a run is writing (SQLite), or on PostgreSQL, whether a run is writing chunks (in
 * the transaction that will record the file: invisible to others, seen in pg_stat_activity).
 */
async function writingAFile(): Promise<string | boolean> {
  if (onPostgres(db)) {
    const writing = await queryRow<{ n: number }>(
      db,
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'INSERT INTO report_file_chunks%'",
    );
    return Number(writing?.n) > 0;
  }
  const directory = reportsDirectory(db);
  const part = existsSync(directory) ? readdirSync(directory).find((name) => name.endsWith('.part')) : undefined;
  return part ? join(directory, part) : false;
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
    let part: string | boolean = false;
    try {
      await expect.poll(async () => (part = await writingAFile()), { timeout: 30_000, interval: 5 }).not.toBe(false);
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    // Killed mid-report: it had started and not finished.
    expect(out).toBe('running\n');
    expect((await queryRow<{ n: number }>(db, 'SELECT count(*) AS n FROM report_files'))?.n).toBe(0);
    if (typeof part === 'string') {
      // SQLite: the killed run's `.part`, untouched for over an hour when the next sweep comes.
      expect(existsSync(part)).toBe(true);
      const anHourAgo = (Date.now() - ABANDONED_PART_MS - 60_000) / 1000;
      utimesSync(part, anHourAgo, anHourAgo);
    }

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
    // Nothing of the killed run is left: PostgreSQL rolled its chunks back with its connection, the
    // sweep removed SQLite's `.part`.
    if (typeof part === 'string') expect(existsSync(part)).toBe(false);
    else {
      const stored = await queryRows<{ file_id: string }>(db, 'SELECT DISTINCT file_id FROM report_file_chunks');
      expect(stored.map((row) => row.file_id)).toEqual([files[0]!.id]);
    }
  }, 120_000);
});
