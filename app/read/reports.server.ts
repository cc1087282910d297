import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { type Db, first } from '../../db/client';
import { reportFiles, scheduledReports, teams } from '../../db/tables';
import { type Scope, scopeCovers, type Viewer } from '../domain/access';
import { byNameThenId } from '../lib/name-order';
import { boundedAgentChoices } from './agent-choices.server';

export type ScheduledReportRow = typeof scheduledReports.$inferSelect;
export type ReportFileRow = typeof reportFiles.$inferSelect;

/**
 * Teams and agents the viewer may filter on: their scope (SPEC §5; agent-choices.server.ts). The agents
 * are a bounded list (boundedAgentChoices: the URL's ticked ones, then the first by name, or the first
 * matching `findAgent` when a form without JavaScript asked) and `agentCount`, how many are in scope:
 * an organisation of 33,000 agents sent them all with every page. The picker finds the others
 * through GET /filters/agents.
 */
export async function getReportFilterOptions(
  db: Db,
  viewer: Viewer,
  { selected = [], findAgent = '' }: { selected?: readonly string[]; findAgent?: string } = {},
) {
  const { scope } = viewer;
  if (scope.kind === 'agent') return { teams: [], agents: [], agentCount: 0 };
  const teamIds = scope.kind === 'teams' ? [...scope.teamIds] : null;
  const teamRows = (
    await db
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(teamIds ? inArray(teams.id, teamIds) : undefined)
  ).sort(byNameThenId);
  const { agents, total } = await boundedAgentChoices(db, viewer, selected, findAgent);
  return { teams: teamRows, agents, agentCount: total };
}

/** The viewer's own schedules, soonest first. */
export async function listSchedules(db: Db, viewer: Viewer): Promise<ScheduledReportRow[]> {
  return await db
    .select()
    .from(scheduledReports)
    .where(eq(scheduledReports.ownerUserId, viewer.userId))
    .orderBy(asc(scheduledReports.nextRunAt));
}

export async function getSchedule(db: Db, id: string): Promise<ScheduledReportRow | undefined> {
  return first(await db.select().from(scheduledReports).where(eq(scheduledReports.id, id)).limit(1));
}

/** Schedules whose run is due at `now`. */
export async function listDueSchedules(db: Db, now: number): Promise<ScheduledReportRow[]> {
  return await db
    .select()
    .from(scheduledReports)
    .where(and(eq(scheduledReports.active, true), sql`${scheduledReports.nextRunAt} <= ${now}`))
    .orderBy(asc(scheduledReports.nextRunAt));
}

/**
 * The viewer's kept files, newest first, with the schedule's name when it still exists: the newest
 * `limit` of those their scope still covers (read a page at a time: files made under a scope they
 * have lost do not take places in the list).
 */
export async function listReportFiles(db: Db, viewer: Viewer, limit = 50) {
  const page = Math.max(limit, 200);
  const listed = [];
  for (let offset = 0; listed.length < limit; offset += page) {
    const files = await db
      .select({
        id: reportFiles.id,
        fileName: reportFiles.fileName,
        format: reportFiles.format,
        rows: reportFiles.rows,
        bytes: reportFiles.bytes,
        createdAt: reportFiles.createdAt,
        scheduleName: scheduledReports.name,
        scope: reportFiles.scope,
      })
      .from(reportFiles)
      .leftJoin(scheduledReports, eq(scheduledReports.id, reportFiles.scheduleId))
      .where(eq(reportFiles.ownerUserId, viewer.userId))
      .orderBy(desc(reportFiles.createdAt), desc(reportFiles.id))
      .limit(page)
      .offset(offset);
    // Only what getReportFileFor would serve them.
    for (const { scope, ...file } of files) if (stillCovered(viewer, scope)) listed.push(file);
    if (files.length < page) break;
  }
  return listed.slice(0, limit);
}

/** A kept file, if the viewer may download it: their own, or any for an admin. */
export async function getReportFileFor(db: Db, viewer: Viewer, id: string): Promise<ReportFileRow | undefined> {
  const file = first(await db.select().from(reportFiles).where(eq(reportFiles.id, id)).limit(1));
  if (!file) return undefined;
  return (file.ownerUserId === viewer.userId && stillCovered(viewer, file.scope)) || viewer.role === 'admin'
    ? file
    : undefined;
}

/**
 * Whether the viewer's scope now still covers a kept file's (made under their scope of then): a
 * supervisor who lost a team no longer reads the files made while they had it. A file without one
 * (made before it was recorded) only by a scope that covers everything.
 */
function stillCovered(viewer: Viewer, scope: string | null): boolean {
  return scopeCovers(viewer.scope, scope === null ? { kind: 'all' } : (JSON.parse(scope) as Scope));
}
