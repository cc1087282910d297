import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDueSchedules, listSchedules } from '../../app/read/reports.server';
import { loadViewer } from '../../app/write/api-tokens.server';
import { reportsDirectory } from '../../app/write/report-file-store.server';
import { runDueReports } from '../../app/write/report-scheduler.server';
import { createSchedule, resumeSchedule } from '../../app/write/report-schedules.server';
import { type Db, onPostgres, openDatabase } from '../../db/client';
import { users } from '../../db/tables';
import { closeTestDb, createTestDb, queryRows } from '../support/db';
import { BASE_DB, TEST_TMP } from '../support/paths';
import { addUser } from '../support/users';

let db: Db;
beforeEach(async () => {
  ({ db } = await createTestDb());
});
afterEach(() => closeTestDb(db));

const HOUR = 3_600_000;
// Daily at 06:00 UTC, made on 1 November 2026 at noon: first due 2 November 06:00.
const MADE = Date.parse('2026-11-01T12:00:00Z');
const due = (day: number) => Date.parse(`2026-11-${String(day).padStart(2, '0')}T06:00:00Z`);

/** A manager and their daily agents CSV at 06:00 UTC, made at MADE. */
async function dailyScheduleOfAManager() {
  const { id: userId } = await addUser(db, { role: 'manager' });
  const owner = (await loadViewer(db, userId))!;
  const form = { name: 'Daily', report: 'agents', format: 'csv', cadence: 'daily', runAt: '06:00', timezone: 'UTC' };
  expect((await createSchedule(db, owner, new URLSearchParams(form), MADE)).ok).toBe(true);
  return { userId, owner };
}

describe('a scheduled report whose owner could not export when it fell due', () => {
  it('is paused without a file, and once resumed runs again from the next run on', async () => {
    const { userId, owner } = await dailyScheduleOfAManager();
    // Deactivated over the first run: no file, the schedule pauses (it would otherwise leak data).
    await db.update(users).set({ active: false }).where(eq(users.id, userId));
    expect(await runDueReports(db, due(2))).toEqual([]);
    const [paused] = await listSchedules(db, owner);
    expect(paused!.active).toBe(false);
    expect(await listDueSchedules(db, due(9))).toEqual([]);

    // Back, the owner resumes it on the 9th at 12:00: the next run is the 10th, not the one it missed.
    await db.update(users).set({ active: true }).where(eq(users.id, userId));
    expect(await resumeSchedule(db, owner, paused!.id, due(9) + 6 * HOUR)).toBe('Daily');
    const [resumed] = await listSchedules(db, owner);
    expect([resumed!.active, resumed!.nextRunAt]).toEqual([true, due(10)]);
    const files = await runDueReports(db, due(10));
    expect(files.map((file) => [file.scheduleId, file.fileName.endsWith('.csv')])).toEqual([[paused!.id, true]]);

    // Nobody else resumes it.
    const { id: otherId } = await addUser(db, { role: 'manager' });
    expect(await resumeSchedule(db, (await loadViewer(db, otherId))!, paused!.id, due(10))).toBeNull();
  });
});

describe('runs missed while no server was up', () => {
  it('are made one a sweep, each on its own day, as far back as a month', async () => {
    const { owner } = await dailyScheduleOfAManager();
    // Down from the 1st at noon to the 5th at 07:00: the runs due on the 2nd to the 5th, then none.
    const days: string[] = [];
    for (let sweep = 0; sweep < 6; sweep++) {
      for (const file of await runDueReports(db, due(5) + HOUR + sweep * 60_000)) days.push(file.fileName);
    }
    expect(days).toEqual([
      'agents_2026-11-01_2026-11-01_UTC.csv',
      'agents_2026-11-02_2026-11-02_UTC.csv',
      'agents_2026-11-03_2026-11-03_UTC.csv',
      'agents_2026-11-04_2026-11-04_UTC.csv',
    ]);
    const [schedule] = await listSchedules(db, owner);
    expect(schedule!.nextRunAt).toBe(due(6));

    // Down for 60 days: the run it was due for, then those due in the last 31 days only (6 December
    // 06:00 to 5 January 06:00, each on the day before).
    const sixtyDaysOn = due(6) + 60 * 24 * HOUR + HOUR;
    const made: string[] = [];
    for (let sweep = 0; sweep < 40; sweep++) {
      for (const file of await runDueReports(db, sixtyDaysOn + sweep * 60_000)) made.push(file.fileName);
    }
    expect(made.length).toBe(1 + 31);
    expect(made.slice(0, 2)).toEqual(['agents_2026-11-05_2026-11-05_UTC.csv', 'agents_2026-12-05_2026-12-05_UTC.csv']);
    expect(made.at(-1)).toBe('agents_2027-01-04_2027-01-04_UTC.csv');
  });
});

describe('two sweeps of one due run at once (a holder stalled past its lease, resumed after the takeover)', () => {
  it('keep one file: the run recorded second removes its bytes', async () => {
    if (!onPostgres(db)) {
      // A database in a folder of its own: its kept files are the only ones in reports/ beside it.
      await closeTestDb(db);
      const folder = mkdtempSync(join(TEST_TMP, 'overlap-'));
      copyFileSync(BASE_DB, join(folder, 'app.db'));
      db = openDatabase(join(folder, 'app.db'));
    }
    const { owner } = await dailyScheduleOfAManager();
    const [first, second] = await Promise.all([runDueReports(db, due(2)), runDueReports(db, due(2) + 1_000)]);
    const made = [...first!, ...second!];
    expect(made.map((file) => file.fileName)).toEqual(['agents_2026-11-01_2026-11-01_UTC.csv']);
    const [schedule] = await listSchedules(db, owner);
    expect(schedule!.nextRunAt).toBe(due(3));
    const kept = await queryRows<{ id: string; path: string }>(db, 'SELECT id, path FROM report_files');
    expect(kept.map((file) => file.id)).toEqual([made[0]!.id]);
    if (onPostgres(db)) {
      const stored = await queryRows<{ file_id: string }>(db, 'SELECT DISTINCT file_id FROM report_file_chunks');
      expect(stored.map((row) => row.file_id)).toEqual([made[0]!.id]);
    } else {
      expect(readdirSync(reportsDirectory(db)).map((name) => join(reportsDirectory(db), name))).toEqual([
        kept[0]!.path,
      ]);
    }
  });
});
