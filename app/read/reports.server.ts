import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { type Db, first } from '../../db/client';
import { agents, reportFiles, scheduledReports, teams } from '../../db/tables';
import { type Scope, scopeCovers, type Viewer } from '../domain/access';
import { byNameThenId } from '../lib/name-order';
import { agentsByIds } from './agents.server';
import { teamAgents } from './team-agents.server';

export type ScheduledReportRow = typeof scheduledReports.$inferSelect;
export type ReportFileRow = typeof reportFiles.$inferSelect;

/**
 * Teams and agents the viewer may filter on: their scope (SPEC §5). A supervisor's agents are their
 * teams' and those of other teams who sent requests in one of them (the leaderboard lists them and
 * their page opens: getVisibleAgent); filtering by one keeps to the requests of the supervisor's
 * teams, as compileQuery meets the agent with the scope's teams.
 */
export async function getReportFilterOptions(db: Db, viewer: Viewer) {
  const { scope } = viewer;
  const teamIds = scope.kind === 'teams' ? [...scope.teamIds] : null;
  if (scope.kind === 'agent') return { teams: [], agents: [] };
  const teamRows = (
    await db
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(teamIds ? inArray(teams.id, teamIds) : undefined)
  ).sort(byNameThenId);
  const senders = teamIds ? [...new Set((await teamAgents(db, teamIds)).map((pair) => pair.agent))] : [];
  const members = await db
    .select({ id: agents.id, name: agents.name, teamId: agents.teamId })
    .from(agents)
    .where(teamIds ? inArray(agents.teamId, teamIds) : undefined);
  // The senders from other teams, a slice of ids at a time (there may be more than a statement takes).
  const listed = new Set(members.map((agent) => agent.id));
  const others = (
    await agentsByIds(
      db,
      senders.filter((id) => !listed.has(id)),
    )
  ).map(({ id, name, teamId }) => ({
    id,
    name,
    teamId,
  }));
  return { teams: teamRows, agents: [...members, ...others].sort(byNameThenId) };
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
