import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { changesOf, type Db, onPostgres, writeTransaction } from '../../db/client';
import { reportFiles, scheduledReports } from '../../db/tables';
import { EXPORT_ROLES } from '../domain/access';
import { type Cadence, nextRunAt, rangeForRun } from '../domain/report-schedule';
import type { ExportFormat, ExportReport } from '../read/exports/cells';
import { createExport, type ExportResult, filtersForAudit } from '../read/exports/exports.server';
import { listDueSchedules, type ScheduledReportRow } from '../read/reports.server';
import { loadViewer } from './api-tokens.server';
import { recordAudit } from './audit.server';
import { logJobFailure } from './job-log.server';
import { jobLease } from './leases.server';
import { removeAbandonedParts, removeStored, storeReportFile } from './report-file-store.server';
import { filtersForRun } from './report-schedules.server';

export interface ReportFileSummary {
  id: string;
  scheduleId: string;
  fileName: string;
  path: string;
  rows: number;
  bytes: number;
}

/** Files kept per schedule: a month of a daily report. Older ones are deleted after each run. */
export const KEPT_FILES_PER_SCHEDULE = 31;

/** How far back runs missed while no server was up are still made (a daily schedule's kept files). */
export const MISSED_RUNS_MADE_MS = KEPT_FILES_PER_SCHEDULE * 86_400_000;

/**
 * Files of an owner's deleted schedules kept (the newest), until the owner deletes them. Without a
 * bound, creating a schedule, running it now 31 times and deleting it, again and again, kept every
 * file for ever: any supervisor could fill the disk with full exports.
 */
export const KEPT_FILES_OF_DELETED_SCHEDULES = 100;

/**
 * Deletes a schedule's files beyond the newest KEPT_FILES_PER_SCHEDULE, and its owner's files of
 * deleted schedules beyond the newest KEPT_FILES_OF_DELETED_SCHEDULES, rows and files both.
 */
async function pruneKeptFiles(db: Db, scheduleId: string, ownerUserId: string): Promise<void> {
  const columns = { id: reportFiles.id, path: reportFiles.path };
  const newestFirst = [desc(reportFiles.createdAt), desc(reportFiles.id)];
  const old = [
    ...(
      await db
        .select(columns)
        .from(reportFiles)
        .where(eq(reportFiles.scheduleId, scheduleId))
        .orderBy(...newestFirst)
    ).slice(KEPT_FILES_PER_SCHEDULE),
    ...(
      await db
        .select(columns)
        .from(reportFiles)
        .where(and(eq(reportFiles.ownerUserId, ownerUserId), isNull(reportFiles.scheduleId)))
        .orderBy(...newestFirst)
    ).slice(KEPT_FILES_OF_DELETED_SCHEDULES),
  ];
  if (old.length === 0) return;
  await writeTransaction(
    db,
    async () =>
      await db.delete(reportFiles).where(
        inArray(
          reportFiles.id,
          old.map((file) => file.id),
        ),
      ),
  );
  await removeStored(
    db,
    old.map((file) => file.path),
  );
}

/**
 * Writes one run of a schedule to a file and records it. The range is relative to the run it was
 * due for (`dueAt`), so a run the server caught up on late still reports on its own period.
 * `advanceTo` (the scheduler's runs): the file is recorded only together with moving the schedule's
 * next_run_at from `dueAt` to it, in one transaction; when another run recorded it first, this
 * one's bytes are removed and it resolves to null.
 */
export async function runSchedule(
  db: Db,
  schedule: ScheduledReportRow,
  dueAt: number,
  now = Date.now(),
  advanceTo?: number,
): Promise<ReportFileSummary | null> {
  const viewer = await loadViewer(db, schedule.ownerUserId);
  if (!viewer || !EXPORT_ROLES.includes(viewer.role)) {
    // The owner left or lost the right to export: the schedule stops rather than leak data.
    await writeTransaction(
      db,
      async () => await db.update(scheduledReports).set({ active: false }).where(eq(scheduledReports.id, schedule.id)),
    );
    return null;
  }
  const range = rangeForRun(schedule.cadence as Cadence, dueAt, schedule.timezone);
  const filters = filtersForRun(schedule.filters, range, schedule.timezone);
  const report = schedule.report as ExportReport;
  const format = schedule.format as ExportFormat;
  const id = `rpf_${randomUUID()}`;
  let result: ExportResult = { rows: 0, completed: false };
  const { stream, fileName } = await createExport(
    db,
    { report, format, filters, viewer },
    (end) => {
      result = end;
    },
    now,
  );
  const store = async (): Promise<{ path: string; bytes: number } | null> => {
    const { path, bytes } = await storeReportFile(db, id, format, stream);
    if (!result.completed) {
      await removeStored(db, [path]);
      throw result.error ?? new Error('Report export did not complete');
    }
    const recorded = await writeTransaction(db, async () => {
      if (advanceTo !== undefined && !(await advanceSchedule(db, schedule.id, dueAt, advanceTo, now))) return false;
      await db.insert(reportFiles).values({
        id,
        scheduleId: schedule.id,
        ownerUserId: viewer.userId,
        fileName,
        path,
        format,
        rows: result.rows,
        bytes,
        createdAt: now,
        scope: JSON.stringify(viewer.scope),
      });
      return true;
    });
    if (!recorded) {
      await removeStored(db, [path]);
      return null;
    }
    return { path, bytes };
  };
  // On PostgreSQL the file's chunks are written in the transaction that records it: a run cut off
  // (its instance killed) leaves no chunks behind, and none is visible before the file is recorded.
  // SQLite cannot hold its one write lock for a whole export: the bytes go to a `.part` file first
  // (removeAbandonedParts clears one a killed run left).
  const stored = onPostgres(db) ? await writeTransaction(db, store) : await store();
  if (!stored) return null;
  const { path, bytes } = stored;
  await pruneKeptFiles(db, schedule.id, viewer.userId);
  await recordAudit(
    db,
    {
      action: 'export',
      actor: viewer,
      target: `schedule:${schedule.id}`,
      details: {
        report,
        format,
        filters: filtersForAudit(filters),
        rows: result.rows,
        completed: true,
        scheduled: true,
      },
      ip: null,
    },
    now,
  );
  return { id, scheduleId: schedule.id, fileName, path, rows: result.rows, bytes };
}

/** Moves a schedule's next_run_at from `dueAt` to `next`; false when it was no longer `dueAt`. */
async function advanceSchedule(db: Db, id: string, dueAt: number, next: number, now: number): Promise<boolean> {
  const moved = await db
    .update(scheduledReports)
    .set({ nextRunAt: next, lastRunAt: now })
    .where(and(eq(scheduledReports.id, id), eq(scheduledReports.nextRunAt, dueAt)));
  return changesOf(moved) === 1;
}

/**
 * Runs every schedule due at `now`, one after another, and moves each to its next local run time
 * (the next sweep makes a run still due: one missed while no server was up). A run moves its
 * schedule on in the transaction that records its file, not before it starts: an instance that
 * dies mid-report leaves the run due, and the instance that takes the lease over makes it. Two runs
 * of one due time (a holder stalled past its lease, resumed after another took over) both write,
 * and only the first to record keeps its file. A run that fails is moved on (logged), not retried.
 */
export async function runDueReports(db: Db, now = Date.now()): Promise<ReportFileSummary[]> {
  const files: ReportFileSummary[] = [];
  // The files' own clock: `now` is the schedules' (a test's may be any instant).
  removeAbandonedParts(db);
  for (const schedule of await listDueSchedules(db, now)) {
    // The run after this one, not the first after now: runs missed while no server was up are made
    // one a sweep, each on its own period, as far back as a month of files is kept.
    const next = nextRunAt(
      { cadence: schedule.cadence, runAt: schedule.runAt, timezone: schedule.timezone },
      Math.max(schedule.nextRunAt, now - MISSED_RUNS_MADE_MS),
    );
    try {
      const file = await runSchedule(db, schedule, schedule.nextRunAt, now, next);
      if (file) files.push(file);
    } catch (error) {
      console.error(`Scheduled report ${schedule.id} failed`, error);
      await writeTransaction(db, async () => await advanceSchedule(db, schedule.id, schedule.nextRunAt, next, now));
    }
  }
  return files;
}

/** The lease that makes one instance on the database the report scheduler (app/write/leases.server.ts). */
export const REPORT_SCHEDULER_LEASE = 'report-scheduler';

export interface ReportScheduler {
  /**
   * Takes or renews the lease; if this instance holds it and no run is under way, runs the due
   * schedules. Resolves to the files written, or null when it did not run.
   */
  tick(): Promise<ReportFileSummary[] | null>;
  /** No run under way any more (waits for it), and the lease given up. */
  stop(): Promise<void>;
}

/**
 * One instance's scheduler: every tick renews the lease (a few ticks long, leaseMsFor), also while
 * a slow run is under way, and only the holder runs schedules; another instance takes over once a
 * dead holder's lease has run out. Each due schedule is still claimed on its next_run_at before it
 * runs, so it runs once even if two instances ever overlap. `holder` and `now` are for tests.
 */
export function createReportScheduler(
  getDb: () => Db,
  intervalMs: number,
  options: { holder?: string; now?: () => number } = {},
): ReportScheduler {
  const lease = jobLease(REPORT_SCHEDULER_LEASE, intervalMs, options);
  let running: Promise<unknown> | null = null;
  return {
    async tick() {
      const db = getDb();
      const now = lease.now();
      if (!(await lease.take(db, now)) || running) return null;
      const run = (async () => {
        try {
          return await runDueReports(db, now);
        } finally {
          running = null;
        }
      })();
      running = run.catch(() => {});
      return run;
    },
    async stop() {
      await running;
      await lease.release(getDb());
    },
  };
}

const globalForScheduler = globalThis as unknown as {
  __paylinkReportScheduler?: { timer: NodeJS.Timeout; scheduler: ReportScheduler };
};

/** Checks for due schedules every `intervalMs`, once per process, while it holds the lease; a slow run is never overlapped. */
export function startReportScheduler(getDb: () => Db, intervalMs: number): void {
  if (globalForScheduler.__paylinkReportScheduler) return;
  const scheduler = createReportScheduler(getDb, intervalMs);
  const timer = setInterval(() => {
    scheduler.tick().catch((error) => logJobFailure('Report scheduler', error));
  }, intervalMs);
  timer.unref();
  globalForScheduler.__paylinkReportScheduler = { timer, scheduler };
}

/** At shutdown: no further runs; resolves when the one under way (if any) has finished and the lease is released. */
export async function stopReportScheduler(): Promise<void> {
  const current = globalForScheduler.__paylinkReportScheduler;
  if (!current) return;
  clearInterval(current.timer);
  globalForScheduler.__paylinkReportScheduler = undefined;
  try {
    await current.scheduler.stop();
  } catch (error) {
    console.error('Report scheduler lease release failed', error);
  }
}
