import { randomUUID } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, writeTransaction } from '../../db/client';
import { reportFiles, scheduledReports } from '../../db/tables';
import type { Viewer } from '../domain/access';
import { maskCardNumbers, maskJsonValue } from '../domain/card-masking';
import { CADENCES, nextRunAt, RUN_AT } from '../domain/report-schedule';
import { failure, fieldErrorsOf, type Outcome } from '../lib/form.server';
import { isTimeZoneName } from '../lib/time-zone';
import { EXPORT_FORMATS, EXPORT_REPORTS } from '../read/exports/cells';
import { FilterError, type Filters, parseFilters } from '../read/filters';
import { removeStored } from './report-file-store.server';
import { lockKeyForTransaction } from './request-lock.server';

/** Schedules one person may keep: each runs a whole export and keeps up to 31 files. */
export const SCHEDULES_PER_OWNER = 25;

export const scheduleInputSchema = z.object({
  // Typed text is stored: a card number in it is masked (SPEC §1), as in events.
  name: z.string().trim().min(1, 'Give the report a name').max(80, 'At most 80 characters').transform(maskCardNumbers),
  report: z.enum(EXPORT_REPORTS, 'Choose a report'),
  format: z.enum(EXPORT_FORMATS, 'Choose CSV or XLSX'),
  cadence: z.enum(CADENCES, 'Choose daily, weekly or monthly'),
  runAt: z.string().regex(RUN_AT, 'Enter a time HH:MM'),
  timezone: z.string().refine(isTimeZoneName, 'Choose a time zone'),
});

export type ScheduleInput = z.infer<typeof scheduleInputSchema>;

/** The shared filters a schedule keeps (SPEC §3 minus the range, which each run computes). */
export type ScheduleFilters = Pick<Filters, 'team' | 'agent' | 'channel' | 'currency' | 'status'>;

/** The filters a schedule keeps, each a list: the form sends each value as its own field. */
export const SCHEDULE_LIST_KEYS = ['team', 'agent', 'channel', 'currency', 'status'] as const;

export function scheduleFilters(filters: Filters): ScheduleFilters {
  return Object.fromEntries(SCHEDULE_LIST_KEYS.map((key) => [key, filters[key]])) as ScheduleFilters;
}

/** A stored schedule's filters for a run: the kept lists, the run's range and the schedule's zone. */
export function filtersForRun(stored: string, range: { from: string; to: string }, timeZone: string): Filters {
  const params = new URLSearchParams();
  const kept = JSON.parse(stored) as Partial<ScheduleFilters>;
  for (const key of SCHEDULE_LIST_KEYS) for (const value of kept[key] ?? []) params.append(key, value);
  params.set('from', range.from);
  params.set('to', range.to);
  return parseFilters(params, timeZone);
}

/** Creates a schedule from the /reports form; its first run is the next qualifying local time. */
export async function createSchedule(
  db: Db,
  viewer: Viewer,
  form: URLSearchParams,
  now = Date.now(),
): Promise<Outcome<{ id: string; schedule: ScheduleInput & { filters: ScheduleFilters } }>> {
  const parsed = scheduleInputSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  let filters: Filters;
  try {
    const lists = new URLSearchParams();
    for (const key of SCHEDULE_LIST_KEYS) for (const value of form.getAll(key)) lists.append(key, value);
    filters = parseFilters(lists, parsed.data.timezone);
  } catch (error) {
    if (error instanceof FilterError) return failure({ [error.field]: error.message });
    throw error;
  }
  const input = parsed.data;
  const id = `rps_${randomUUID()}`;
  const kept = maskJsonValue(scheduleFilters(filters)) as ScheduleFilters;
  const made = await writeTransaction(db, async () => {
    // Counted and inserted in one transaction (on PostgreSQL in line per owner): two at once cannot pass the limit.
    await lockKeyForTransaction(db, `schedules:${viewer.userId}`);
    const [owned] = await db
      .select({ n: count() })
      .from(scheduledReports)
      .where(eq(scheduledReports.ownerUserId, viewer.userId));
    if ((owned?.n ?? 0) >= SCHEDULES_PER_OWNER) return false;
    await db.insert(scheduledReports).values({
      id,
      ownerUserId: viewer.userId,
      name: input.name,
      report: input.report,
      format: input.format,
      cadence: input.cadence,
      runAt: input.runAt,
      timezone: input.timezone,
      filters: JSON.stringify(kept),
      nextRunAt: nextRunAt(input, now),
      active: true,
      createdAt: now,
    });
    return true;
  });
  if (!made) {
    return failure(
      {},
      `You have ${SCHEDULES_PER_OWNER} scheduled reports, the most one person may keep: delete one to schedule another.`,
    );
  }
  return { ok: true, message: `Scheduled “${input.name}”.`, id, schedule: { ...input, filters: kept } };
}

/** Deletes one of the viewer's schedules (its kept files stay): its name, or null when it is not theirs. */
export async function deleteSchedule(db: Db, viewer: Viewer, id: string): Promise<string | null> {
  return await writeTransaction(db, async () => {
    const [schedule] = await db
      .select({ name: scheduledReports.name })
      .from(scheduledReports)
      .where(and(eq(scheduledReports.id, id), eq(scheduledReports.ownerUserId, viewer.userId)))
      .limit(1);
    if (schedule) await db.delete(scheduledReports).where(eq(scheduledReports.id, id));
    return schedule?.name ?? null;
  });
}

/**
 * Starts a paused schedule again (paused when a run fell due while its owner could not export: see
 * runSchedule): its next run is the next one from now, not the one it missed.
 */
export async function resumeSchedule(db: Db, viewer: Viewer, id: string, now = Date.now()): Promise<string | null> {
  return await writeTransaction(db, async () => {
    const [schedule] = await db
      .select()
      .from(scheduledReports)
      .where(and(eq(scheduledReports.id, id), eq(scheduledReports.ownerUserId, viewer.userId)))
      .limit(1);
    if (!schedule) return null;
    await db
      .update(scheduledReports)
      .set({ active: true, nextRunAt: nextRunAt(schedule, now) })
      .where(eq(scheduledReports.id, id));
    return schedule.name;
  });
}

/**
 * Deletes one of the viewer's kept files, its row and then its stored bytes (as pruning does: it is
 * never listed without them). Resolves with its name, or null when it is not theirs: only the owner
 * deletes, even an admin who may download it does not. Its schedule, deleted or not, plays no part.
 */
export async function deleteReportFile(db: Db, viewer: Viewer, id: string): Promise<string | null> {
  const file = await writeTransaction(db, async () => {
    const [row] = await db
      .select({ fileName: reportFiles.fileName, path: reportFiles.path })
      .from(reportFiles)
      .where(and(eq(reportFiles.id, id), eq(reportFiles.ownerUserId, viewer.userId)))
      .limit(1);
    if (row) await db.delete(reportFiles).where(eq(reportFiles.id, id));
    return row;
  });
  if (!file) return null;
  await removeStored(db, [file.path]);
  return file.fileName;
}
